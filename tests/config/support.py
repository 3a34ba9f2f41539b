"""Constants and helpers shared by the ProtocolConfig tests."""

from helpers import DAY, USD

# The parameter set ProtocolConfig's constructor installs, in struct order.
DEFAULTS = {
    "protocolFeeBps": 100,
    "whistleblowerRewardBps": 5000,
    "tenantCompensationBps": 3000,
    "livenessSlashBps": 1000,
    "lateResultSlashBps": 500,
    "verifierFeeBps": 1200,
    "minLeaseSeconds": 3600,
    "reclaimNoticeSeconds": DAY,
    "livenessWindowSeconds": 600,
    "livenessSpacingSeconds": 3600,
    "unbondingPeriodSeconds": 7 * DAY,
    "maxChallengeWindowSeconds": DAY,
    "moveTimeoutSeconds": 3600,
    "arbiterVoteWindowSeconds": 3600,
    "maxBisectionRounds": 24,
    "matchFee": USD // 2,
    "settleBounty": USD // 4,
    "livenessBond": 5 * USD,
    "challengeBond": 50 * USD,
    "verifierBond": 20 * USD,
    "jobCollateralBps": 40_000,
    "verificationSampleBps": 2000,
    "arbiterBond": 10 * USD,
    "arbiterFee": 10 * USD,
}


def params_with(**changes):
    values = dict(DEFAULTS)
    values.update(changes)
    return tuple(values.values())
