"""The contracts' enums, constants and struct layouts, as the walk restates them.

The one module of the campaign that restates types/DataTypes.sol and the contracts' constants:
swap it for the project's single source of enums when there is one.
"""

# Market.RequestStatus / LeaseStatus / CloseReason, Jobs.Status / Attestation / Phase / DisputeResult.
R_NULL, R_OPEN, R_EXPIRED, R_MATCHED, R_CANCELLED = range(5)
L_NULL, L_ACTIVE, L_EXPIRED, L_INSOLVENT, L_CLOSED, L_TERMINATED = range(6)
C_NONE, C_TENANT, C_RECLAIM, C_EXPIRED, C_INSOLVENT, C_LIVENESS = range(6)
# Market.CloseSkipReason, and closeLeases' bound.
K_NONE, K_NOT_FOUND, K_SETTLED, K_CHALLENGE_OPEN, K_ACTIVE = range(5)
MAX_CLOSE_BATCH = 200
(J_NONE, J_MATCHED, J_LATE, J_SUBMITTED, J_FINALIZABLE, J_DISPUTED,
 J_FINALIZED, J_EXPIRED, J_SLASHED, J_VOIDED) = range(10)
A_NONE, A_VALID, A_INVALID = range(3)
P_NONE, P_REVEAL, P_RESPOND, P_PROVE, P_VOTE = range(5)
SOLVER_WON, CHALLENGER_WON, VOIDED = range(3)
S_LIVENESS, S_LATE, S_DISPUTE = range(3)
RENTAL, JOB = 0, 1
BPS = 10_000

# ProtocolConfig.Params, field by field in the struct's order (setParams takes the tuple).
PARAM_FIELDS = (
    "protocolFeeBps whistleblowerRewardBps tenantCompensationBps livenessSlashBps lateResultSlashBps verifierFeeBps "
    "minLeaseSeconds reclaimNoticeSeconds livenessWindowSeconds livenessSpacingSeconds unbondingPeriodSeconds "
    "maxChallengeWindowSeconds moveTimeoutSeconds arbiterVoteWindowSeconds maxBisectionRounds matchFee settleBounty "
    "livenessBond challengeBond verifierBond"
).split()
