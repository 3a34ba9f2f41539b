"""The contracts' enums and constants: the one Python copy of `contracts/types/DataTypes.sol`.

Each enum here is an `IntEnum` named after its Solidity twin (`Jobs.Status` is `JobStatus`,
the only rename: `Status` alone says nothing outside its library). A member's value is its
position in the Solidity declaration, so a member compares equal to the `uint8` the ABI
returns and passes as one. `tests/keepers/test_contract_types.py` parses the Solidity
declarations and fails on any difference in names or order, and on any enum the compiled
ABIs use that has no twin here.
"""

from __future__ import annotations

from enum import IntEnum

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1
MAX_ALLOWANCE = MAX_UINT256  # an approval that never runs out

# The contracts' constants that off-chain code checks against before sending.
MAX_METADATA_URI_LENGTH = 256  # ProviderRegistry.MAX_METADATA_URI_LENGTH
MAX_CLOSE_BATCH = 200  # LeaseMarket.MAX_CLOSE_BATCH: leases per closeLeases
# ReputationMath.MIN_PAID_OUTCOME: least a lease's tenant pays (or a job's escrow holds), fees
# included, for the outcome to count in leasesCompleted / jobsFinalized (docs/reputation.md).
MIN_PAID_OUTCOME = 50_000_000
# ReputationMath.FEE_UNIT: what Provider.feesPaid counts in (0.001 USD of a 6-decimal token).
REPUTATION_FEE_UNIT = 1000
# ReputationMath.FEES_TO_CAP: protocol fees that raise a reputation from 5,000 to the 10,000 cap.
FEES_TO_CAP = 1_000_000_000
# Market.MAX_REMATCHES: how many times a request that opted into re-match is re-opened at most,
# and Market.REMATCH_WINDOW_SECONDS: how long a re-opened request stays open (docs/leases.md).
MAX_REMATCHES = 3
REMATCH_WINDOW_SECONDS = 21_600
# Market.LIVENESS_*: the liveness capacity proof's size (keepers/liveness.py, docs/leases.md).
LIVENESS_LEAVES_PER_UNIT = 32
LIVENESS_CHAIN_STEPS = 16
LIVENESS_SPOT_CHECKS = 8


# ---------------------------------------------------------------- library Registry


class SlashReason(IntEnum):
    LIVENESS = 0
    LATE_RESULT = 1
    DISPUTE_LOST = 2


class Outcome(IntEnum):
    NONE = 0
    LEASE_COMPLETED = 1
    JOB_FINALIZED = 2
    LIVENESS_ANSWERED = 3


class SkipReason(IntEnum):
    """Why `matchRequests` skipped a pair (`MatchSkipped.reason`); NONE means it can be matched."""

    NONE = 0
    REQUEST_NOT_OPEN = 1
    REQUEST_EXPIRED = 2
    OFFER_UNKNOWN = 3
    OFFER_INACTIVE = 4
    PROVIDER_IS_TENANT = 5
    MODEL_MISMATCH = 6
    TIER_TOO_LOW = 7
    REGION_MISMATCH = 8
    REPUTATION_TOO_LOW = 9
    PRICE_TOO_HIGH = 10
    DURATION_TOO_LONG = 11
    UNITS_UNAVAILABLE = 12
    STAKE_INSUFFICIENT = 13
    JOB_MARKET_UNSET = 14
    JOB_TERMS_UNPUBLISHED = 15
    JOB_TERMS_REFUSED = 16
    PROVIDER_EXCLUDED = 17  # a re-opened request: the offer is the failed lease's provider's
    EXPOSURE_CAP = 18  # the pair's value would take the matcher's exposure above half its bond


# ---------------------------------------------------------------- library Market


class RequestKind(IntEnum):
    RENTAL = 0
    JOB = 1


class RequestStatus(IntEnum):
    NULL = 0
    OPEN = 1
    EXPIRED = 2  # derived: only `requestStatusOf` returns it
    MATCHED = 3
    CANCELLED = 4


class LeaseStatus(IntEnum):
    NULL = 0
    ACTIVE = 1
    EXPIRED = 2
    INSOLVENT = 3
    CLOSED = 4
    TERMINATED = 5


class CloseReason(IntEnum):
    NONE = 0
    TENANT = 1
    PROVIDER_RECLAIM = 2
    EXPIRED = 3
    INSOLVENT = 4
    LIVENESS_FAILURE = 5


class CloseSkipReason(IntEnum):
    """Why `closeLeases` left a listed lease open (`CloseSkipped.reason`)."""

    NONE = 0
    LEASE_NOT_FOUND = 1
    LEASE_SETTLED = 2
    CHALLENGE_OPEN = 3
    LEASE_ACTIVE = 4


class NonceStatus(IntEnum):
    """Where a tenant's signed-request nonce stands (`nonceStatus`); USED and CANCELLED are final."""

    UNUSED = 0
    USED = 1
    CANCELLED = 2


# ---------------------------------------------------------------- library Jobs


class JobStatus(IntEnum):
    """`Jobs.Status`; LATE and FINALIZABLE are derived by `statusOf`, never stored."""

    NONE = 0
    MATCHED = 1
    LATE = 2
    SUBMITTED = 3
    FINALIZABLE = 4
    DISPUTED = 5
    FINALIZED = 6
    EXPIRED = 7
    SLASHED = 8
    VOIDED = 9


class Attestation(IntEnum):
    NONE = 0
    VALID = 1
    INVALID = 2


class Phase(IntEnum):
    NONE = 0
    REVEAL = 1
    RESPOND = 2
    PROVE = 3
    VOTE = 4


class DisputeResult(IntEnum):
    SOLVER_WON = 0
    CHALLENGER_WON = 1
    VOIDED = 2


# Each constant above that mirrors a contract's, by `Contract.NAME` (checked against the source).
SOLIDITY_CONSTANTS: dict[str, int] = {
    "ProviderRegistry.MAX_METADATA_URI_LENGTH": MAX_METADATA_URI_LENGTH,
    "LeaseMarket.MAX_CLOSE_BATCH": MAX_CLOSE_BATCH,
    "libraries/ReputationMath.MIN_PAID_OUTCOME": MIN_PAID_OUTCOME,
    "libraries/ReputationMath.FEE_UNIT": REPUTATION_FEE_UNIT,
    "libraries/ReputationMath.FEES_TO_CAP": FEES_TO_CAP,
    "types/DataTypes.MAX_REMATCHES": MAX_REMATCHES,
    "types/DataTypes.REMATCH_WINDOW_SECONDS": REMATCH_WINDOW_SECONDS,
    "types/DataTypes.LIVENESS_LEAVES_PER_UNIT": LIVENESS_LEAVES_PER_UNIT,
    "types/DataTypes.LIVENESS_CHAIN_STEPS": LIVENESS_CHAIN_STEPS,
    "types/DataTypes.LIVENESS_SPOT_CHECKS": LIVENESS_SPOT_CHECKS,
}

# Each Python enum by its Solidity name (`Library.Enum`), as the ABI's internalType spells it.
SOLIDITY_ENUMS: dict[str, type[IntEnum]] = {
    "Registry.SlashReason": SlashReason,
    "Registry.Outcome": Outcome,
    "Registry.SkipReason": SkipReason,
    "Market.RequestKind": RequestKind,
    "Market.RequestStatus": RequestStatus,
    "Market.LeaseStatus": LeaseStatus,
    "Market.CloseReason": CloseReason,
    "Market.CloseSkipReason": CloseSkipReason,
    "Market.NonceStatus": NonceStatus,
    "Jobs.Status": JobStatus,
    "Jobs.Attestation": Attestation,
    "Jobs.Phase": Phase,
    "Jobs.DisputeResult": DisputeResult,
}
