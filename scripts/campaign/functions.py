"""What the walk drives: every state-changing function of the four contracts (and MatcherBonds'
challenge, bond and credit claim), the custom errors
each may legitimately raise, the ones that succeed only through a market or never, and which
function each action is aimed at (for guided coverage).

tests/campaign/test_campaign_coverage.py checks this table against the ABIs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.campaign.model import Stats

# Registry functions only a market may call: the attacker calls them directly (and must be
# refused); their successes are counted from the events the markets' calls make them emit.
INDIRECT = {
    "ProviderRegistry.tryReserve": "CollateralLocked",
    "ProviderRegistry.lockJobCollateral": "CollateralLocked",
    "ProviderRegistry.release": "CollateralReleased",
    "ProviderRegistry.recordOutcome": "LivenessAnswered",
    "ProviderRegistry.slash": "ProviderSlashed",
    "JobMarket.openJob": "JobOpened",
}
# Functions no walk can make succeed: one-shot wiring done by scripts/deploy.py, and giving up
# governance for good (only the attacker calls it, and must be refused).
ONE_SHOT = {"LeaseMarket.setJobMarket", "ProtocolConfig.renounceOwnership"}

OZ_OWNER = {"OwnableUnauthorizedAccount"}
ERC20 = {"ERC20InsufficientAllowance", "ERC20InsufficientBalance"}
# The payment (and stake) token refusing a blocklisted account, as USDC does. SafeERC20 bubbles
# the token's own revert data, so brownie decodes the token's error. Only calls that move tokens
# from the caller (deposits, stakes, bonds) or pay one party with a plain transfer (the caller's
# unstake, match fee, liveness bond back, credit claim; the tenant's refund on cancel) may raise
# it: every settlement payout is credited instead (PayoutCredits).
# The same token paused as a whole refuses every transfer with its own error: the same calls may
# meet it, and only while the walk holds the token paused.
PAUSED = "BlocklistPermitToken_Paused"
# A matching call by a caller without a full matcher bond (docs/matching-accountability.md).
NOT_BONDED = "MatcherBonds_NotBonded"
REFUSED = {"BlocklistPermitToken_Blocked", PAUSED}
# A verification claim's refusals: first come, drawn, in its blocks, its bond pulled when no credit pays it.
_CLAIM = (
    {
        "JobMarket_UnexpectedStatus",
        "Leasehold_MissingRole",
        "JobMarket_VerifierIsProvider",
        "JobMarket_AlreadyClaimed",
        "JobMarket_TermsMismatch",
        "JobMarket_ClaimWindowClosed",
        "JobMarket_NotSampled",
    }
    | ERC20
    | REFUSED
)
CLAIM = {"Leasehold_NoCredit"} | REFUSED
# A sweep pays the treasury with a plain transfer: a blocklisted treasury refuses it, and the fees wait.
SWEEP = {"Leasehold_NoFees"} | REFUSED

# A liveness answer without the work (the capacity proof's spot check): the walk expects it only of
# an answer it sent without the work, never of an honest one.
PROOF_REFUSED = {"LeaseMarket_LivenessProofInvalid", "LeaseMarket_LivenessProofLength"}

# Every custom error each function may legitimately raise; anything else is a failure.
ALLOWED = {
    "ProtocolConfig.setParams": {
        "ProtocolConfig_ParamOutOfBounds",
        "ProtocolConfig_UnbondingTooShort",
        "ProtocolConfig_SharesExceedWhole",
    }
    | OZ_OWNER,
    "ProtocolConfig.setGpuModel": {
        "ProtocolConfig_InvalidGpuModel",
        "ProtocolConfig_InvalidVram",
        "ProtocolConfig_InvalidTier",
        "ProtocolConfig_CollateralOutOfBounds",
    }
    | OZ_OWNER,
    "ProtocolConfig.setRole": {"ProtocolConfig_UnknownRole", "Leasehold_ZeroAddress"} | OZ_OWNER,
    "ProtocolConfig.setTreasury": {"Leasehold_ZeroAddress"} | OZ_OWNER,
    "ProtocolConfig.pause": {"EnforcedPause"} | OZ_OWNER,
    "ProtocolConfig.unpause": {"ExpectedPause"} | OZ_OWNER,
    "ProtocolConfig.transferOwnership": OZ_OWNER,
    "ProtocolConfig.acceptOwnership": OZ_OWNER,
    "ProtocolConfig.renounceOwnership": OZ_OWNER,
    "ProviderRegistry.registerProvider": {
        "Leasehold_Paused",
        "ProviderRegistry_AlreadyRegistered",
        "ProviderRegistry_InvalidRegion",
        "ProviderRegistry_InvalidMetadataURI",
    },
    "ProviderRegistry.updateProvider": {
        "ProviderRegistry_NotRegistered",
        "ProviderRegistry_InvalidRegion",
        "ProviderRegistry_InvalidMetadataURI",
        # A new region while stake is locked: the region is a term of the running matches.
        "ProviderRegistry_RegionLocked",
    },
    "ProviderRegistry.stake": {
        "ProviderRegistry_ZeroAmount",
        "ProviderRegistry_NotRegistered",
        "ProviderRegistry_StakeOverflow",
    }
    | ERC20
    | REFUSED,
    "ProviderRegistry.requestUnstake": {
        "ProviderRegistry_ZeroAmount",
        "ProviderRegistry_NotRegistered",
        "ProviderRegistry_InsufficientFreeStake",
    },
    "ProviderRegistry.withdrawUnstaked": {"ProviderRegistry_NothingUnbonding", "ProviderRegistry_UnbondingNotReady"}
    | REFUSED,
    "ProviderRegistry.addOffer": {
        "Leasehold_Paused",
        "ProviderRegistry_NotRegistered",
        "ProviderRegistry_GpuModelNotListed",
        "ProviderRegistry_InvalidUnits",
        "ProviderRegistry_InvalidPrice",
        "ProviderRegistry_InvalidMaxDuration",
    },
    "ProviderRegistry.updateOffer": {
        "ProviderRegistry_OfferNotFound",
        "ProviderRegistry_NotOfferOwner",
        "ProviderRegistry_OfferRemoved",
        "ProviderRegistry_InvalidUnits",
        "ProviderRegistry_InvalidPrice",
        "ProviderRegistry_InvalidMaxDuration",
        "ProviderRegistry_UnitsBelowInUse",
    },
    "ProviderRegistry.pauseOffer": {
        "ProviderRegistry_OfferNotFound",
        "ProviderRegistry_NotOfferOwner",
        "ProviderRegistry_OfferRemoved",
        "ProviderRegistry_OfferPausedAlready",
    },
    "ProviderRegistry.removeOffer": {
        "ProviderRegistry_OfferNotFound",
        "ProviderRegistry_NotOfferOwner",
        "ProviderRegistry_OfferRemoved",
    },
    "ProviderRegistry.tryReserve": {"Leasehold_MissingRole"},
    "ProviderRegistry.lockJobCollateral": {"Leasehold_MissingRole"},
    "ProviderRegistry.setOfferJobPolicy": {
        "ProviderRegistry_OfferNotFound",
        "ProviderRegistry_NotOfferOwner",
        "ProviderRegistry_OfferRemoved",
        "ProviderRegistry_InvalidJobPolicy",
    },
    "ProviderRegistry.release": {"Leasehold_MissingRole"},
    "ProviderRegistry.recordOutcome": {"Leasehold_MissingRole"},
    "ProviderRegistry.slash": {"Leasehold_MissingRole"},
    "LeaseMarket.createRequest": {
        "Leasehold_Paused",
        "LeaseMarket_InvalidUnits",
        "LeaseMarket_ZeroPrice",
        "LeaseMarket_DurationTooShort",
        "LeaseMarket_MatchDeadlineNotInFuture",
        "LeaseMarket_InvalidTier",
        "LeaseMarket_InvalidReputation",
        "LeaseMarket_JobTermsMismatch",
        "LeaseMarket_DepositTooSmall",
    }
    | ERC20
    | REFUSED,
    "LeaseMarket.cancelRequest": {
        "LeaseMarket_RequestNotFound",
        "LeaseMarket_RequestNotOpen",
        "LeaseMarket_CancelNotAllowed",
    }
    | REFUSED,
    "LeaseMarket.topUp": {"LeaseMarket_LeaseNotFound", "LeaseMarket_ZeroAmount", "LeaseMarket_LeaseNotActive"}
    | REFUSED,
    # MissingRole: the registry refuses a market whose MARKET_ROLE governance revoked.
    "LeaseMarket.matchRequests": {
        "MatcherBonds_NotBonded",
        "Leasehold_MissingRole",
        "Leasehold_Paused",
        "LeaseMarket_EmptyBatch",
    }
    | REFUSED,
    "LeaseMarket.withdrawEarnings": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_CallerNotProvider",
        "LeaseMarket_NothingToWithdraw",
    },
    "LeaseMarket.requestReclaim": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_CallerNotProvider",
        "LeaseMarket_LeaseNotActive",
        "LeaseMarket_ReclaimAlreadyRequested",
    },
    "LeaseMarket.respondLiveness": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_CallerNotProvider",
        "LeaseMarket_NoOpenChallenge",
        "LeaseMarket_ChallengeWindowClosed",
    }
    | PROOF_REFUSED
    | REFUSED,
    "LeaseMarket.closeLease": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_LeaseSettled",
        "LeaseMarket_ChallengeOpen",
        "LeaseMarket_ReclaimNoticeNotOver",
        "LeaseMarket_CloseNotAllowed",
    },
    "LeaseMarket.closeLeases": {"LeaseMarket_EmptyBatch", "LeaseMarket_BatchTooLarge"},
    "LeaseMarket.challengeLiveness": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_LeaseNotActive",
        "LeaseMarket_ChallengeOpen",
        "LeaseMarket_ChallengeTooSoon",
    }
    | ERC20
    | REFUSED,
    "LeaseMarket.resolveLiveness": {
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_NoOpenChallenge",
        "LeaseMarket_ChallengeWindowOpen",
    },
    "LeaseMarket.setJobMarket": {"LeaseMarket_CallerNotGovernance", "LeaseMarket_JobMarketAlreadySet"},
    "JobMarket.setWorkload": {"JobMarket_CallerNotGovernance", "JobMarket_InvalidWorkloadId"},
    "JobMarket.publishJobTerms": {
        "JobMarket_WorkloadNotRegistered",
        "JobMarket_InputHashMismatch",
        "JobMarket_InvalidInput",
        "JobMarket_StepsOutOfBounds",
        "JobMarket_ResultTimeoutOutOfBounds",
        "JobMarket_ChallengeWindowOutOfBounds",
        "JobMarket_TermsAlreadyPublished",
    },
    "JobMarket.openJob": {"JobMarket_CallerNotMarket"},
    "JobMarket.submitResult": {
        "JobMarket_UnexpectedStatus",
        "JobMarket_CallerNotProvider",
        "JobMarket_TermsMismatch",
        "JobMarket_ZeroTraceRoot",
        "JobMarket_InvalidTraceProof",
    },
    "JobMarket.claimVerification": _CLAIM,
    # The same claim, with the valid attestation's spot proof.
    "JobMarket.claimAndAttest": _CLAIM | {"JobMarket_InvalidSpotProof"},
    "JobMarket.attest": {
        "JobMarket_UnexpectedStatus",
        "Leasehold_MissingRole",
        "JobMarket_VerifierIsProvider",
        "JobMarket_AlreadyAttested",
        "JobMarket_TermsMismatch",
        "JobMarket_NotClaimant",
        "JobMarket_InvalidSpotProof",
    }
    | ERC20
    | REFUSED,
    "JobMarket.challenge": {"JobMarket_UnexpectedStatus", "JobMarket_ChallengerIsProvider", "JobMarket_TermsMismatch"}
    | ERC20
    | REFUSED,
    "JobMarket.reveal": {
        "JobMarket_UnexpectedPhase",
        "JobMarket_MoveDeadlinePassed",
        "JobMarket_CallerNotProvider",
        "JobMarket_InvalidTraceProof",
    },
    "JobMarket.respond": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlinePassed", "JobMarket_CallerNotChallenger"},
    "JobMarket.proveStep": {
        "JobMarket_UnexpectedPhase",
        "JobMarket_MoveDeadlinePassed",
        "JobMarket_TermsMismatch",
        "JobMarket_StateHashMismatch",
    },
    "JobMarket.voteOnStep": {
        "Leasehold_MissingRole",
        "JobMarket_UnexpectedPhase",
        "JobMarket_MoveDeadlinePassed",
        "JobMarket_ArbiterIsParty",
        "JobMarket_AlreadyVoted",
    }
    | ERC20
    | REFUSED,
    "JobMarket.claimArbiterPay": {"JobMarket_NothingToClaim"},
    "JobMarket.resolveVote": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlineNotPassed"},
    "JobMarket.claimTimeout": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlineNotPassed"},
    "JobMarket.finalizeJob": {"JobMarket_UnexpectedStatus"},
    "JobMarket.expireJob": {"JobMarket_UnexpectedStatus"},
    "ProviderRegistry.claimCredit": CLAIM,
    "LeaseMarket.claimCredit": CLAIM,
    "JobMarket.claimCredit": CLAIM,
    "LeaseMarket.sweepFees": SWEEP,
    "JobMarket.sweepFees": SWEEP,
}
ALLOWED["LeaseMarket.createRequestWithPermit"] = ALLOWED["LeaseMarket.createRequest"]
# The signed path: the matcher's role, the signature's own refusals, then createRequest's (the request
# is created from the signed spec and deposit) and the pair's, all in one transaction.
ALLOWED["LeaseMarket.matchSignedRequest"] = (
    {
        "MatcherBonds_NotBonded",
        "Leasehold_MissingRole",
        "SignedRequests_Expired",
        "SignedRequests_NonceUsed",
        "SignedRequests_NonceCancelled",
        "SignedRequests_InvalidSignature",
        "LeaseMarket_SignedRequestNotMatched",
    }
    | ALLOWED["LeaseMarket.createRequest"]
    | REFUSED
)
ALLOWED["LeaseMarket.cancelSignedRequest"] = {"SignedRequests_NonceUsed", "SignedRequests_NonceCancelled"}
# MatcherBonds: the challenge of a dominated match (handlers/matcher_bonds.py), a matcher bonding
# again after a won challenge took its bond below the minimum, and the credits of refused payouts.
ALLOWED["MatcherBonds.challengeMatch"] = {
    "LeaseMarket_RequestNotFound",
    "MatcherBonds_UnknownMatcher",
    "MatcherBonds_ChallengeWindowClosed",
    "MatcherBonds_AlreadyChallenged",
    "MatcherBonds_SameOffer",
    "MatcherBonds_OfferNotBetter",
    "MatcherBonds_OfferChangedSinceMatch",
    "MatcherBonds_ProviderChangedSinceMatch",
}
# Anyone, for an account the config names a settling market; the walk's markets always are.
ALLOWED["ProviderRegistry.cacheSettlingMarket"] = {"Leasehold_MissingRole"}
ALLOWED["MatcherBonds.bond"] = {"MatcherBonds_ZeroAmount"} | ERC20 | REFUSED
ALLOWED["MatcherBonds.claimCredit"] = CLAIM
FUNCTIONS = tuple(ALLOWED)

# The function an action is aimed at (or the functions, one per contract): guided coverage (`guidance`).
ACTION_TARGET = {
    "update_provider": "ProviderRegistry.updateProvider",
    "request_unstake": "ProviderRegistry.requestUnstake",
    "withdraw_unstaked": "ProviderRegistry.withdrawUnstaked",
    "update_offer": "ProviderRegistry.updateOffer",
    "pause_offer": "ProviderRegistry.pauseOffer",
    "set_offer_job_policy": "ProviderRegistry.setOfferJobPolicy",
    "remove_offer": "ProviderRegistry.removeOffer",
    "create_with_permit": "LeaseMarket.createRequestWithPermit",
    "top_up": "LeaseMarket.topUp",
    "withdraw_earnings": "LeaseMarket.withdrawEarnings",
    "request_reclaim": "LeaseMarket.requestReclaim",
    "close_lease": "LeaseMarket.closeLease",
    "close_leases": "LeaseMarket.closeLeases",
    "challenge_liveness": "LeaseMarket.challengeLiveness",
    "respond_liveness": "LeaseMarket.respondLiveness",
    "resolve_liveness": "LeaseMarket.resolveLiveness",
    "claim_verification": "JobMarket.claimVerification",
    "claim_and_attest": "JobMarket.claimAndAttest",
    "attest": "JobMarket.attest",
    "challenge_job": "JobMarket.challenge",
    "dispute_move": "JobMarket.proveStep",
    "vote": "JobMarket.voteOnStep",
    "resolve_vote": "JobMarket.resolveVote",
    "claim_arbiter_pay": "JobMarket.claimArbiterPay",
    "claim_timeout": "JobMarket.claimTimeout",
    "expire": "JobMarket.expireJob",
    "set_params": "ProtocolConfig.setParams",
    "set_gpu_model": "ProtocolConfig.setGpuModel",
    "set_role": "ProtocolConfig.setRole",
    "set_treasury": "ProtocolConfig.setTreasury",
    "cache_settling_market": "ProviderRegistry.cacheSettlingMarket",
    "pause": "ProtocolConfig.pause",
    "ownership": "ProtocolConfig.acceptOwnership",
    "set_workload": "JobMarket.setWorkload",
    "sign_and_match": "LeaseMarket.matchSignedRequest",
    "cancel_signed": "LeaseMarket.cancelSignedRequest",
    "challenge_match": "MatcherBonds.challengeMatch",
    "rebond": "MatcherBonds.bond",
    # An action aimed at one function on several contracts: guided by the least reached of them.
    "sweep_fees": ("LeaseMarket.sweepFees", "JobMarket.sweepFees"),
    "claim_credit": (
        "ProviderRegistry.claimCredit",
        "LeaseMarket.claimCredit",
        "JobMarket.claimCredit",
        "MatcherBonds.claimCredit",
    ),
}

_DISPUTE = {
    "JobMarket.reveal",
    "JobMarket.respond",
    "JobMarket.proveStep",
    "JobMarket.voteOnStep",
    "JobMarket.resolveVote",
    "JobMarket.claimArbiterPay",
    "JobMarket.claimTimeout",
}
_JOB = {"JobMarket.openJob", "JobMarket.submitResult", "JobMarket.attest", "JobMarket.challenge"}
_JOB |= {"JobMarket.finalizeJob", "JobMarket.expireJob", "JobMarket.claimCredit", "JobMarket.sweepFees"} | _DISPUTE
_CLAIMS = {
    "ProviderRegistry.claimCredit",
    "LeaseMarket.claimCredit",
    "JobMarket.claimCredit",
    "MatcherBonds.claimCredit",
}
# The functions an action leads to through the states it makes (a job to dispute, a vote to cast, a
# credit to claim), beyond its own target: while one of them has not gone through, the action is
# LEAD times as likely, so the walk climbs the chain to the rarest moves on any seed.
LEADS_TO = {
    "publish_and_request_job": _JOB,
    "match": _JOB | {"MatcherBonds.challengeMatch"},
    "submit_result": _JOB - {"JobMarket.openJob", "JobMarket.submitResult"},
    "attest": {"JobMarket.challenge"} | _DISPUTE,
    "challenge_job": _DISPUTE,
    "dispute_move": _DISPUTE,
    "vote": {"JobMarket.resolveVote", "JobMarket.claimArbiterPay"},
    "resolve_vote": {"JobMarket.claimArbiterPay"},
    # A timeout is claimed only once a move deadline passed: the abandoning solver's, or time moved to it.
    "abandon": {"JobMarket.claimTimeout"},
    "time_to_deadline": {"JobMarket.claimTimeout", "JobMarket.resolveVote"},
    "blocklist": _CLAIMS,
    "pause_token": _CLAIMS,
    "steer": {"MatcherBonds.challengeMatch", "MatcherBonds.bond", "MatcherBonds.claimCredit"},
    "create_rental": {"MatcherBonds.challengeMatch"},
    "add_offer": {"MatcherBonds.challengeMatch"},
    "challenge_match": {"MatcherBonds.bond", "MatcherBonds.claimCredit"},
}


# The cheaters' actions (handlers/cheaters.py), guided like a function by their move's counter.
CHEAT_TARGET = {
    "edge_job": "edge expiries",
    "sybil": "sybil challenges",
    "abandon": "disputes to abandon",
    "steer": "steered matches",
}


def guidance(action: str, stats: Stats, guide: float, lead: float) -> float:
    """How much likelier guided coverage makes `action` now, from the walk's counters alone (so the
    walk stays a function of its seed): `guide` times while its target function has never gone
    through, then less and less as it goes through (weighted by how rarely it has succeeded:
    1 + (guide - 1) / (1 + successes)), a cheater's action likewise by its moves (CHEAT_TARGET);
    and `lead` times more while a function it leads to (LEADS_TO) has never gone through."""
    weight = 1.0
    targets = ACTION_TARGET.get(action, ())
    if targets:
        targets = (targets,) if isinstance(targets, str) else targets
        weight = 1 + (guide - 1) / (1 + min(succeeded(stats, f) for f in targets))
    if action in CHEAT_TARGET:
        weight = 1 + (guide - 1) / (1 + stats.cheats[CHEAT_TARGET[action]])
    if any(not succeeded(stats, f) for f in LEADS_TO.get(action, ())):
        weight *= lead
    return weight


def must_succeed() -> list[str]:
    """Every function the walk must have called successfully at least once (directly or, for
    market-only registry and job-market calls, through the markets)."""
    return [f for f in FUNCTIONS if f not in ONE_SHOT]


def succeeded(stats: Stats, function: str) -> int:
    return stats.ok[function] + stats.indirect[function]
