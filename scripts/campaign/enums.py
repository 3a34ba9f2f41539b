"""The contracts' enums and constants under the walk's short names, and the Params layout.

The values come from the project's one source, `keepers/contracts/types.py` (checked against
types/DataTypes.sol by tests/keepers/test_contract_types.py); this module only gives them the
terse names the handlers and the books use.
"""

from keepers.contracts.types import (
    MAX_CLOSE_BATCH,
    Attestation,
    CloseReason,
    CloseSkipReason,
    DisputeResult,
    JobStatus,
    LeaseStatus,
    Outcome,
    Phase,
    RequestKind,
    RequestStatus,
    SlashReason,
)

__all__ = ["MAX_CLOSE_BATCH"]

# Plain ints: the walk's digest and the books compare and print numbers.
R_NULL, R_OPEN, R_EXPIRED, R_MATCHED, R_CANCELLED = map(int, RequestStatus)
L_NULL, L_ACTIVE, L_EXPIRED, L_INSOLVENT, L_CLOSED, L_TERMINATED = map(int, LeaseStatus)
C_NONE, C_TENANT, C_RECLAIM, C_EXPIRED, C_INSOLVENT, C_LIVENESS = map(int, CloseReason)
O_NONE, O_LEASE_COMPLETED, O_JOB_FINALIZED, O_LIVENESS_ANSWERED = map(int, Outcome)
K_NONE, K_NOT_FOUND, K_SETTLED, K_CHALLENGE_OPEN, K_ACTIVE = map(int, CloseSkipReason)
(J_NONE, J_MATCHED, J_LATE, J_SUBMITTED, J_FINALIZABLE, J_DISPUTED, J_FINALIZED, J_EXPIRED, J_SLASHED, J_VOIDED) = map(
    int, JobStatus
)
A_NONE, A_VALID, A_INVALID = map(int, Attestation)
P_NONE, P_REVEAL, P_RESPOND, P_PROVE, P_VOTE = map(int, Phase)
SOLVER_WON, CHALLENGER_WON, VOIDED = map(int, DisputeResult)
S_LIVENESS, S_LATE, S_DISPUTE = map(int, SlashReason)
RENTAL, JOB = map(int, RequestKind)
BPS = 10_000

# ProtocolConfig.Params, field by field in the struct's order (setParams takes the tuple).
PARAM_FIELDS = [
    "protocolFeeBps",
    "whistleblowerRewardBps",
    "tenantCompensationBps",
    "livenessSlashBps",
    "lateResultSlashBps",
    "verifierFeeBps",
    "minLeaseSeconds",
    "reclaimNoticeSeconds",
    "livenessWindowSeconds",
    "livenessSpacingSeconds",
    "unbondingPeriodSeconds",
    "maxChallengeWindowSeconds",
    "moveTimeoutSeconds",
    "arbiterVoteWindowSeconds",
    "maxBisectionRounds",
    "matchFee",
    "settleBounty",
    "livenessBond",
    "challengeBond",
    "verifierBond",
    "jobCollateralBps",
    "verificationSampleBps",
    "arbiterBond",
    "arbiterFee",
]
