"""What a walk must reach to count as covering the protocol: every function going through, the
refusals only bad actors reach, every cheater's move, the token's blocklist and pause, won and
refused match challenges. `gaps` lists what a walk has not reached yet, from its counters alone.

The quick pass (tests/campaign/test_campaign.py) requires `gaps(walk) == []`; `scripts.fuzz` prints
the step at which a walk reached everything (or what it missed), so the guidance can be measured
seed by seed (docs/campaign.md, "Seed-robust coverage").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scripts.campaign.functions import ONE_SHOT, must_succeed, succeeded

if TYPE_CHECKING:
    from scripts.campaign.walk import Campaign

# The refusals the walk must meet: only a caller without the role, a non-owner, an unknown lease,
# a blocklisted or paused token, a claim with no credit reach them.
REFUSALS = (
    "Leasehold_MissingRole",
    "OwnableUnauthorizedAccount",
    "LeaseMarket_LeaseNotFound",
    "BlocklistPermitToken_Blocked",
    "BlocklistPermitToken_Paused",
    "Leasehold_NoCredit",
)
# The signature attacks on the signed-request path, each refused with its own error.
SIGNED_REFUSALS = ("SignedRequests_NonceUsed", "SignedRequests_Expired", "SignedRequests_InvalidSignature")
# Every cheating class's move (handlers/cheaters.py).
CHEATS = ("edge requests", "edge expiries", "sybil challenges", "disputes to abandon", "steered matches")


# Guided coverage beyond functions (walk.py `do_step`): the action that reaches each of these is
# GUIDE times as likely while one of them is missing (functions.py `guidance` does the same for a
# function that has not gone through), and some pick their arguments toward it (signed_requests.py).
REACHES = {
    "sign_and_match": (*SIGNED_REFUSALS, "a used nonce"),
    "cancel_signed": ("a cancelled nonce",),
    "attack": (
        "LeaseMarket.setJobMarket refused",
        "ProtocolConfig.renounceOwnership refused",
        "Leasehold_MissingRole",
        "OwnableUnauthorizedAccount",
    ),
    "pause_token": ("a whole-token pause", "BlocklistPermitToken_Paused"),
    "blocklist": ("BlocklistPermitToken_Blocked", "a credited payout", "a blocklist move"),
    "claim_credit": ("Leasehold_NoCredit",),
    "challenge_match": ("a won match challenge", "a refused match challenge"),
    "set_role": ("a role move",),
}


def reaches_a_gap(action: str, missing: set[str]) -> bool:
    """Whether `action` reaches one of the `missing` things (REACHES)."""
    return any(item in missing for item in REACHES.get(action, ()))


def gaps(walk: Campaign) -> list[str]:
    """What the walk has not reached yet, one short name each (empty once it reached everything)."""
    stats = walk.stats
    missing = [name for name in must_succeed() if not succeeded(stats, name)]
    missing += [f"{name} refused" for name in sorted(ONE_SHOT) if not stats.reverted[name]]
    missing += [error for error in REFUSALS if not stats.errors[error]]
    signed = {error for (name, error) in stats.refusals if name == "LeaseMarket.matchSignedRequest"}
    missing += [error for error in SIGNED_REFUSALS if error not in signed]
    missing += [f"a {state} nonce" for state in ("used", "cancelled") if state not in walk.sig_nonces.values()]
    missing += [f"cheat: {move}" for move in CHEATS if not stats.cheats[move]]
    counters = {
        "a slash": stats.slashes,
        "a time move": stats.time_moves,
        "a blocklist move": stats.blocklist_moves,
        "a credited payout": stats.credits,
        "a role move": stats.role_moves,
        "a whole-token pause": stats.token_pauses,
        "a won match challenge": stats.match_challenges,
        "a refused match challenge": stats.reverted["MatcherBonds.challengeMatch"],
    }
    missing += [name for name, count in counters.items() if not count]
    return missing
