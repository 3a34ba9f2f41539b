"""Constants, enums and builders shared by the lease market tests."""

import brownie

from keepers.contracts.types import (
    CloseReason,
    LeaseStatus,
    Outcome,
    RequestKind,
    RequestStatus,
    SkipReason,
    SlashReason,
)

from helpers import USD, b32

EU_WEST = b32("eu-west")
US_EAST = b32("us-east")
H100 = b32("nvidia-h100-80gb")
STAKE = 10_000 * USD  # five H100 units of collateral (2,000 USD a unit)
COLLATERAL_PER_UNIT = 2_000 * USD
OFFER_UNITS = 8
OFFER_PRICE = 2 * USD  # per unit per hour
OFFER_MAX_DURATION = 30 * 86_400

UNITS = 2
MAX_PRICE = 3 * USD
DURATION = 86_400
MATCH_FEE = USD // 2
SETTLE_BOUNTY = USD // 4
LIVENESS_BOND = 5 * USD
LIVENESS_WINDOW = 600
LIVENESS_SPACING = 3600
RECLAIM_NOTICE = 86_400
FEE_BPS = 100
# Streams the full day at the offer price, plus the fee and the bounty.
DEPOSIT = UNITS * OFFER_PRICE * 24 + MATCH_FEE + SETTLE_BOUNTY
BALANCE = DEPOSIT - MATCH_FEE - SETTLE_BOUNTY
RATE_PER_HOUR = UNITS * OFFER_PRICE

# The contracts' enums (keepers/contracts/types.py) under the short names these tests use;
# unpacking fails when a Solidity enum gains or loses a member.
RENTAL, JOB = RequestKind
R_NULL, R_OPEN, R_EXPIRED, R_MATCHED, R_CANCELLED = RequestStatus
L_NULL, ACTIVE, EXPIRED, INSOLVENT, CLOSED, TERMINATED = LeaseStatus
NO_REASON, TENANT, PROVIDER_RECLAIM, EXPIRED_REASON, INSOLVENT_REASON, LIVENESS_FAILURE = CloseReason
(
    NONE,
    REQUEST_NOT_OPEN,
    REQUEST_EXPIRED,
    OFFER_UNKNOWN,
    OFFER_INACTIVE,
    PROVIDER_IS_TENANT,
    MODEL_MISMATCH,
    TIER_TOO_LOW,
    REGION_MISMATCH,
    REPUTATION_TOO_LOW,
    PRICE_TOO_HIGH,
    DURATION_TOO_LONG,
    UNITS_UNAVAILABLE,
    STAKE_INSUFFICIENT,
    JOB_MARKET_UNSET,
    JOB_TERMS_UNPUBLISHED,
    JOB_TERMS_REFUSED,
    PROVIDER_EXCLUDED,
    EXPOSURE_CAP,
) = SkipReason
LIVENESS = SlashReason.LIVENESS
LEASE_COMPLETED, LIVENESS_ANSWERED = Outcome.LEASE_COMPLETED, Outcome.LIVENESS_ANSWERED

ZERO32 = "0x" + "00" * 32
JOB_TERMS = b32("job-terms")


def now() -> int:
    """The timestamp of the latest block; the next transaction runs at or after it."""
    return brownie.chain[-1].timestamp


def spec(**overrides) -> tuple:
    """A RequestSpec tuple in struct order; defaults fit the offer fixture."""
    fields = {
        "gpuModel": H100,
        "minVramGB": 0,
        "units": UNITS,
        "region": ZERO32,
        "minTier": 0,
        "minReputation": 0,
        "maxPricePerUnitHour": MAX_PRICE,
        "maxDurationSeconds": DURATION,
        "matchDeadline": now() + 3600,
        "kind": RENTAL,
        "jobTermsHash": ZERO32,
        "rematch": False,
    }
    fields.update(overrides)
    return tuple(fields.values())


ORDER_FIELDS = [
    "tenant",
    "matchDeadline",
    "durationSeconds",
    "kind",
    "status",
    "escrow",
    "pricePerUnitHour",
    "provider",
    "units",
    "minVramGB",
    "minReputation",
    "minTier",
    "protocolFeeBps",
    "closeReason",
    "collateral",
    "settleBounty",
    "withdrawn",
    "startTime",
    "stopTime",
    "offerId",
    "challenger",
    "challengedAt",
    "reclaimableAt",
    "challengeBond",
    "gpuModel",
    "region",
    "jobTermsHash",
    "rematchesLeft",
    "reopenedFrom",
    "excludedProvider",
]


def order(market, order_id: int) -> dict:
    """The stored record of `order_id` as a dict keyed by Market.Order field names."""
    return dict(zip(ORDER_FIELDS, market.getRequest(order_id)))


def streamed(seconds: int, rate_per_hour: int = RATE_PER_HOUR, balance: int = BALANCE) -> int:
    """The reference accrual: floor(rate × seconds / 3600), capped by the balance."""
    return min(balance, rate_per_hour * seconds // 3600)


def fee_of(gross: int, fee_bps: int = FEE_BPS) -> int:
    return gross * fee_bps // 10_000


def sleep_to(timestamp: int) -> None:
    """Mines a block at `timestamp` (views read it) and makes the next transaction run at
    exactly `timestamp + 1`, so boundary tests do not depend on the wall clock."""
    brownie.chain.mine(timestamp=timestamp)
    brownie.web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp + 1])
