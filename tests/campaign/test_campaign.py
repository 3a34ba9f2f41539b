"""The quick pass of the stateful campaign over the whole protocol (scripts/campaign/).

One seeded walk of QUICK_STEPS steps (more, up to COVER_STEPS, only while it has not reached
everything coverage.py asks for) over every external function of the four contracts by
every kind of actor, with time moves, checking the ten invariants of PROTOCOL.md §7 after every
step. `make fuzz` runs the long walk; docs/campaign.md describes both.
"""

import os

import pytest

from scripts.campaign import (
    FUNCTIONS,
    ONE_SHOT,
    Campaign,
    CampaignFailure,
    must_succeed,
    succeeded,
    without_undo_snapshots,
)
from scripts.campaign.coverage import gaps
from scripts.campaign.profits import STEER, UNITS

# 1,500 rather than 1,000 since the walk also blocklists parties and claims credits: at 1,000 the
# rarest dispute moves (a timeout claim, an on-chain step proof) were not always reached; 2,000
# since the signed-request path and the cheaters take their share of the steps: at 1,500 no
# LeaseMarket credit was claimed; 3,000 since the walk pauses the whole token, challenges matches
# and claims sampled verifications (issues 12 and 18): at 2,000 seeds 1, 3, 6 and 11 each missed a
# function or a cheater's move (docs/campaign.md). CAMPAIGN_STEPS sets another length.
QUICK_STEPS = int(os.environ.get("CAMPAIGN_STEPS", "3000"))
# Seed 1, `make fuzz`'s default, not a seed picked for what it reaches: the guidance steers a walk
# toward everything coverage.py `gaps` asks for (seeds 1 to 8 measured in docs/campaign.md).
# CAMPAIGN_SEED runs the quick pass on another seed.
SEED = int(os.environ.get("CAMPAIGN_SEED", "1"))
# A walk that has not reached everything by QUICK_STEPS goes on, 100 steps at a time, while
# something is still missing, up to COVER_STEPS: the guidance reaches everything within
# QUICK_STEPS on most seeds, not yet on every one (docs/campaign.md, "Seed-robust coverage").
COVER_STEPS = 2 * QUICK_STEPS


@pytest.fixture(scope="module")
def walk(anvil):
    """The walk, run once for the module; a violation fails the test that runs it."""
    anvil.rpc("anvil_setNextBlockBaseFeePerGas", ["0x0"])
    with without_undo_snapshots():
        campaign = Campaign(SEED)
        try:
            campaign.run(QUICK_STEPS)
            while campaign.covered_at is None and campaign.step < COVER_STEPS:
                campaign.run(100)
        finally:
            campaign.close()
    return campaign


def test_campaign_keeps_every_invariant_for_the_whole_walk(walk):
    # Campaign.run raises CampaignFailure (seed, step, reproduction command) on any violation,
    # so reaching here means none; the counters prove the checks ran after every step.
    assert QUICK_STEPS <= walk.stats.steps == walk.step <= COVER_STEPS
    assert walk.stats.checks == walk.stats.steps


def test_campaign_calls_every_function_successfully(walk):
    stats = walk.stats
    missing = [name for name in must_succeed() if not succeeded(stats, name)]
    assert missing == [], f"never went through in {walk.step} steps: {missing}"


def test_campaign_reaches_everything_the_coverage_asks_for(walk):
    # Every function, every cheater's move, the refusals only bad actors reach, the token's
    # blocklist and pause, won and refused match challenges (coverage.py `gaps`).
    assert gaps(walk) == [], f"not reached in {walk.step} steps (seed {SEED}): {gaps(walk)}"
    assert walk.covered_at is not None and walk.covered_at <= COVER_STEPS


def test_campaign_is_refused_only_with_declared_errors(walk):
    # Every refusal was checked against the function's declared errors when it happened; here,
    # the walk also met the refusals that only bad actors and bad arguments reach.
    stats = walk.stats
    assert sum(stats.reverted.values()) > 0
    # An answer without the work (a bot on a dark GPU) is refused by the capacity proof's spot check.
    for error in (
        "Leasehold_MissingRole",
        "OwnableUnauthorizedAccount",
        "LeaseMarket_LeaseNotFound",
        "LeaseMarket_LivenessProofInvalid",
    ):
        assert stats.errors[error] > 0, error
    for name in ONE_SHOT:
        assert stats.ok[name] == 0 and stats.reverted[name] > 0, name


def test_campaign_reaches_slashes_and_disputes(walk):
    stats = walk.stats
    assert stats.slashes > 0
    assert stats.time_moves > 0
    assert set(FUNCTIONS) >= set(stats.ok)


def test_campaign_check_fails_when_a_contract_holds_other_than_the_ghost_says(walk):
    # The checks bite: one token off in the ghost ledger and invariant 1 fails.
    walk.ledger[walk.market.address] += 1
    try:
        with pytest.raises(AssertionError, match="LeaseMarket balance"):
            walk._check_invariants()
    finally:
        walk.ledger[walk.market.address] -= 1


def test_campaign_check_fails_when_a_market_accrued_other_fees_than_the_ghost_says(walk):
    # One fee unit off in the ghost accrual: invariant 1 (what the market owes) and the accrual check fail.
    walk.fees[walk.jm.address] += 1
    try:
        with pytest.raises(AssertionError, match="JobMarket holds"):
            walk._check_invariants()
    finally:
        walk.fees[walk.jm.address] -= 1
        if not walk.fees[walk.jm.address]:
            del walk.fees[walk.jm.address]


def test_campaign_check_fails_when_the_stake_books_disagree(walk):
    provider = next(p for p in walk.providers.values() if p.registered)
    provider.free += 1
    try:
        with pytest.raises(AssertionError, match="ProviderRegistry holds"):
            walk._check_invariants()
    finally:
        provider.free -= 1


def test_campaign_credits_refused_payouts_and_pays_the_claims(walk):
    # The token refused settlement payouts to blocklisted parties, they were credited, and the
    # credits were claimed (each claim checked against the ghost credit and re-tried once).
    stats = walk.stats
    assert stats.blocklist_moves > 0
    assert stats.credits > 0 and stats.credited > 0
    assert sum(stats.ok[f] for f in FUNCTIONS if f.endswith(".claimCredit")) > 0
    assert stats.errors["BlocklistPermitToken_Blocked"] > 0
    assert stats.errors["Leasehold_NoCredit"] > 0


def test_campaign_check_fails_when_a_credit_is_off(walk):
    contract, account = walk.market.address, walk.tenants[0].address
    walk.credits[(contract, account)] += 1
    walk._touched_credits = {(contract, account)}
    try:
        with pytest.raises(AssertionError, match="LeaseMarket holds"):
            walk._check_invariants()
    finally:
        walk.credits[(contract, account)] -= 1
        walk._touched_credits = set()


def test_campaign_walks_the_signed_request_path(walk):
    # Signed requests matched and nonces cancelled, and every signature attack refused with its own
    # error: a replayed nonce, a cancelled one, a lapsed deadline, a forged signature.
    stats = walk.stats
    assert stats.ok["LeaseMarket.matchSignedRequest"] > 0
    assert stats.ok["LeaseMarket.cancelSignedRequest"] > 0
    refused = {error for (name, error) in stats.refusals if name == "LeaseMarket.matchSignedRequest"}
    assert {"SignedRequests_NonceUsed", "SignedRequests_Expired", "SignedRequests_InvalidSignature"} <= refused
    assert "used" in walk.sig_nonces.values() and "cancelled" in walk.sig_nonces.values()


def test_campaign_walks_the_cheaters(walk):
    # Every cheating class made its moves, and governance revoked and gave back roles mid-flight.
    cheats = walk.stats.cheats
    for move in ("edge requests", "edge expiries", "sybil challenges", "disputes to abandon", "steered matches"):
        assert cheats[move] > 0, f"{move}: {dict(cheats)}"
    assert walk.stats.role_moves > 0


def test_cheating_loses_is_reported_and_becomes_an_invariant_at_the_switch(walk):
    rows = walk.class_profits()
    assert [row.name for row in rows] == list(UNITS)
    saved = walk.steering
    # What won match challenges took from the steering matcher's bond is booked against steering.
    slashed = -walk.gains[STEER]
    try:
        # A steered tenant that overpaid more than the challenges took makes steering profit; the
        # switched-on check then fails.
        walk.steering = slashed + 1
        assert walk.class_profits()[3].profits
        with pytest.raises(AssertionError, match="cheating profits against honest play"):
            walk.check_cheating_loses()
        walk.steering = slashed
        assert not walk.class_profits()[3].profits
    finally:
        walk.steering = saved


def test_a_cheating_class_that_profits_ends_the_walk_as_a_violation_with_its_reproduction(walk):
    # CHEATING_MUST_LOSE is on: a class that profits at the end of a walk is a finding (exit 1 in
    # scripts.fuzz) with the command that replays it; switched off, it is only reported.
    saved = walk.steering, walk.cheating_must_lose
    try:
        walk.steering = -walk.gains[STEER] + 1  # the steered tenants overpaid one unit more than was won back
        walk.cheating_must_lose = True
        with pytest.raises(CampaignFailure, match="cheating loses: cheating profits against honest play: matcher"):
            walk.run(0)
        with pytest.raises(CampaignFailure, match=r"reproduce: .* --seed \d+ --cheating-must-lose$"):
            walk.run(0)
        walk.cheating_must_lose = False
        walk.run(0)
    finally:
        walk.steering, walk.cheating_must_lose = saved


def test_a_ring_moving_tokens_between_its_own_accounts_makes_no_profit(walk):
    before = walk.class_profits()[0].gain
    walk.ledger[walk.edge_tenant.address] -= 5
    walk.ledger[walk.edge_expirer.address] += 5
    try:
        assert walk.class_profits()[0].gain == before
        walk.ledger[walk.edge_expirer.address] += 1
        assert walk.class_profits()[0].gain == before + 1
    finally:
        walk.ledger[walk.edge_tenant.address] += 5
        walk.ledger[walk.edge_expirer.address] -= 6


def test_campaign_pauses_the_token_and_conserves_money_through_credits(walk):
    # The token halted as a whole: calls that pull or pay with a plain transfer were refused with
    # its own error (each only while the model held it paused), settlements were credited, and no
    # balance moved (books.py `_move` fails a step that moves tokens while it is paused).
    stats = walk.stats
    assert stats.token_pauses > 0
    assert stats.errors["BlocklistPermitToken_Paused"] > 0


def test_campaign_challenges_matches_and_pays_from_the_bond(walk):
    # Won match challenges paid the tenant, the challenger and the treasury from the matcher's bond,
    # each checked against `match_challenge_award`; refused ones took nothing (every bond is read
    # and compared every step), and a matcher left short bonded again.
    stats = walk.stats
    assert stats.match_challenges > 0 and stats.ok["MatcherBonds.challengeMatch"] == stats.match_challenges
    assert stats.reverted["MatcherBonds.challengeMatch"] > 0
    assert stats.ok["MatcherBonds.bond"] > 0


def test_campaign_check_fails_when_a_matcher_bond_is_off(walk):
    matcher = walk.matcher.address
    walk.matcher_bonds[matcher] += 1
    try:
        with pytest.raises(AssertionError, match="MatcherBonds holds"):
            walk._check_invariants()
    finally:
        walk.matcher_bonds[matcher] -= 1


def test_campaign_check_fails_when_tokens_move_while_the_token_is_paused(walk):
    walk.token_paused = True
    try:
        with pytest.raises(AssertionError, match="while the token is paused"):
            walk._move(walk.tenants[0].address, walk.market.address, 1)
    finally:
        walk.token_paused = False


def test_guidance_steers_toward_the_preconditions_of_what_is_missing(walk):
    # A blocked account holding a credit on a contract whose claimCredit has not gone through is
    # unblocked sooner (it can then claim); the abandoning solver is steered to while it has had no
    # dispute to abandon. Both read the walk's books and counters only.
    account, stats = walk.whistleblowers[0].address, walk.stats
    key, claim = (walk.registry.address, account), "ProviderRegistry.claimCredit"
    blocked, credit, claims, abandoned = set(walk.blocked), walk.credits[key], stats.ok[claim], stats.cheats.copy()
    try:
        walk.blocked.add(account)
        walk.credits[key] += 1
        stats.ok[claim], stats.indirect[claim] = 0, 0
        assert account in walk._held_credits()
        stats.ok[claim] = 1
        assert account not in walk._held_credits()
        stats.cheats["disputes to abandon"] = 0
        assert walk._abandon_wanted() == walk.providers[walk.abandoning].registered
        stats.cheats["disputes to abandon"] = 1
        assert not walk._abandon_wanted()
    finally:
        walk.blocked, stats.ok[claim], stats.cheats = blocked, claims, abandoned
        walk.credits[key] = credit
        if not credit:
            del walk.credits[key]


def test_a_matcher_left_short_of_its_bond_is_refused_not_bonded_whatever_the_call(walk):
    # `make fuzz STEPS=50000 SEED=1` stopped at step 16,756: won match challenges had left the honest
    # matcher 8 USD short of the minimum bond, and the attacker's empty batch sent as that matcher was
    # expected to meet EmptyBatch, Paused or MissingRole; the market checks the caller's bond first.
    # A caller the model holds short must meet `MatcherBonds_NotBonded`, and only it. Last in this
    # module: governance mines blocks here.
    governance = next(a for a in (walk.gov, walk.gov2) if a.address == walk.config.owner())
    saved = dict(walk.bond_params)
    short = dict(saved, minBond=walk.matcher_bonds[walk.matcher.address] + 1)
    refused = ("LeaseMarket.matchRequests", "MatcherBonds_NotBonded")
    walk.bonds.setParams(tuple(short.values()), {"from": governance})
    walk.bond_params = short
    try:
        before = walk.stats.refusals[refused]
        empty = {"LeaseMarket_EmptyBatch", "Leasehold_Paused", "Leasehold_MissingRole"}
        assert walk._match_pairs([], walk.matcher, expect=empty) is None
        assert walk.stats.refusals[refused] == before + 1
    finally:
        walk.bonds.setParams(tuple(saved.values()), {"from": governance})
        walk.bond_params = saved
    if walk.matcher_bonds[walk.matcher.address] >= saved["minBond"]:
        # Bonded (the minimum as before), the same call meets its own refusal, never NotBonded.
        assert walk._match_pairs([], walk.matcher, expect=empty) is None
        assert walk.stats.refusals[refused] == before + 1
