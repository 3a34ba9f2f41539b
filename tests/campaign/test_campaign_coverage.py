"""The campaign's table of functions covers every state-changing function of the four contracts.

A function added to ProtocolConfig, ProviderRegistry, LeaseMarket or JobMarket without a campaign
action (and its declared errors in `ALLOWED`) fails here, before any walk runs.
"""

import json
from pathlib import Path
from types import SimpleNamespace

from scripts.campaign import ALLOWED, FUNCTIONS, INDIRECT, ONE_SHOT, Campaign, must_succeed
from scripts.campaign.constants import GUIDE, LEAD
from scripts.campaign.coverage import CHEATS, REACHES, REFUSALS, SIGNED_REFUSALS, gaps, reaches_a_gap
from scripts.campaign.functions import ACTION_TARGET, LEADS_TO, guidance
from scripts.campaign.handlers.matcher_bonds import MatcherBondActions
from scripts.campaign.model import Stats

BUILD = Path(__file__).resolve().parents[2] / "build" / "contracts"
CONTRACTS = ("ProtocolConfig", "ProviderRegistry", "LeaseMarket", "JobMarket", "MatcherBonds")
# Functions no action drives, each with the reason why (none today: the market-only registry hooks and
# `openJob` are in FUNCTIONS, the attacker calls them and the markets make them succeed: INDIRECT; the
# one-shot wiring and renouncing are in FUNCTIONS as must-be-refused: ONE_SHOT; the signed-request path
# is walked by scripts/campaign/handlers/signed_requests.py). A function added here must say why.
# MatcherBonds: the walk challenges matches, bonds again after a won challenge and claims credits;
# the rest is its set-up and governance, left as deployed.
EXCLUDED: dict[str, str] = {
    "MatcherBonds.bondFor": "the set-up bonds both matchers with it (governance pays); `bond` is walked",
    "MatcherBonds.requestUnbond": "a matcher leaving is not walked: both stay bonded for the whole walk",
    "MatcherBonds.withdrawUnbonded": "a matcher leaving is not walked: both stay bonded for the whole walk",
    "MatcherBonds.setParams": "the bond parameters stay as deployed (the walk's challenge model reads them once)",
    "MatcherBonds.setLeaseMarket": "one-shot wiring by scripts/deploy.py",
}


def state_changing() -> set[str]:
    names = set()
    for contract in CONTRACTS:
        abi = json.loads((BUILD / f"{contract}.json").read_text())["abi"]
        names |= {
            f"{contract}.{item['name']}"
            for item in abi
            if item["type"] == "function" and item["stateMutability"] in ("nonpayable", "payable")
        }
    return names


def test_every_state_changing_function_has_a_campaign_action():
    missing = sorted(state_changing() - set(FUNCTIONS) - set(EXCLUDED))
    assert missing == [], f"no campaign action for: {missing}"


def test_the_campaign_names_no_function_the_contracts_lack():
    stale = sorted((set(FUNCTIONS) | set(EXCLUDED) | set(INDIRECT) | ONE_SHOT) - state_changing())
    assert stale == [], stale


def test_every_campaign_function_declares_its_errors():
    assert all(ALLOWED[name] for name in FUNCTIONS)


def test_the_payout_credit_claim_is_driven_on_each_contract():
    claims = {name for name in FUNCTIONS if name.endswith(".claimCredit")}
    assert claims == {
        "ProviderRegistry.claimCredit",
        "LeaseMarket.claimCredit",
        "JobMarket.claimCredit",
        "MatcherBonds.claimCredit",
    }


def test_guidance_favours_what_has_rarely_gone_through_and_what_leads_to_it():
    stats = Stats()
    assert guidance("vote", stats, GUIDE, LEAD) == GUIDE * LEAD  # never voted, nothing resolved
    stats.ok["JobMarket.voteOnStep"] = 1
    assert guidance("vote", stats, GUIDE, LEAD) == (1 + (GUIDE - 1) / 2) * LEAD
    stats.ok["JobMarket.resolveVote"] = stats.ok["JobMarket.claimArbiterPay"] = 1
    stats.ok["JobMarket.voteOnStep"] = 99
    assert guidance("vote", stats, GUIDE, LEAD) == 1 + (GUIDE - 1) / 100
    assert guidance("time_small", stats, GUIDE, LEAD) == 1  # neither a target nor a lead


def test_guidance_names_only_functions_and_actions_the_walk_has():
    targets = {f for t in ACTION_TARGET.values() for f in ((t,) if isinstance(t, str) else t)}
    assert targets <= set(FUNCTIONS)
    assert set().union(*LEADS_TO.values()) <= set(FUNCTIONS)


def test_coverage_gaps_name_everything_a_walk_has_not_reached_and_nothing_once_it_has():
    walk = SimpleNamespace(stats=Stats(), sig_nonces={})
    missing = gaps(walk)
    assert set(must_succeed()) <= set(missing)
    assert {f"cheat: {move}" for move in CHEATS} <= set(missing)
    assert {"a won match challenge", "a whole-token pause", "SignedRequests_Expired"} <= set(missing)
    stats = walk.stats
    for name in must_succeed():
        stats.ok[name] = 1
    for name in ONE_SHOT:
        stats.reverted[name] = 1
    for error in REFUSALS:
        stats.errors[error] = 1
    for error in SIGNED_REFUSALS:
        stats.refusals[("LeaseMarket.matchSignedRequest", error)] = 1
    for move in CHEATS:
        stats.cheats[move] = 1
    stats.slashes = stats.time_moves = stats.blocklist_moves = stats.credits = stats.role_moves = 1
    stats.token_pauses = stats.match_challenges = stats.reverted["MatcherBonds.challengeMatch"] = 1
    walk.sig_nonces = {1: "used", 2: "cancelled"}
    assert gaps(walk) == []
    # A market-only function counts once it went through a market.
    stats.ok["ProviderRegistry.slash"] = 0
    assert gaps(walk) == ["ProviderRegistry.slash"]
    stats.indirect["ProviderRegistry.slash"] = 1
    assert gaps(walk) == []


def test_an_action_is_steered_to_what_it_reaches_while_that_is_missing():
    everything = set(gaps(SimpleNamespace(stats=Stats(), sig_nonces={})))
    # REACHES names only what `gaps` can report, and only actions the walk has.
    assert {item for items in REACHES.values() for item in items} <= everything
    assert set(REACHES) <= {f.removeprefix("act_") for f in dir(Campaign) if f.startswith("act_")}
    assert reaches_a_gap("sign_and_match", {"SignedRequests_Expired"})
    assert not reaches_a_gap("sign_and_match", {"a whole-token pause"})
    assert not reaches_a_gap("time_small", everything)


def test_a_bond_again_after_a_challenge_took_the_whole_bond_is_a_gas_kind_of_its_own():
    # `make fuzz STEPS=50000 SEED=1` stopped at step 31,821: a re-bond of a bond a won challenge had
    # emptied wrote a fresh storage slot, 17,088 gas over the ceiling set by re-bonds of cut bonds.
    books = SimpleNamespace(matcher_bonds={"m": 0, "n": 992 * 10**6})
    assert MatcherBondActions._bond_gas_tag(books, "m") == "empty bond"
    assert MatcherBondActions._bond_gas_tag(books, "n") is None
