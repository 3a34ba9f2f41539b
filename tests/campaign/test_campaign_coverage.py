"""The campaign's table of functions covers every state-changing function of the four contracts.

A function added to ProtocolConfig, ProviderRegistry, LeaseMarket or JobMarket without a campaign
action (and its declared errors in `ALLOWED`) fails here, before any walk runs.
"""

import json
from pathlib import Path

from scripts.campaign import ALLOWED, FUNCTIONS, INDIRECT, ONE_SHOT
from scripts.campaign.constants import GUIDE, LEAD
from scripts.campaign.functions import ACTION_TARGET, LEADS_TO, guidance
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
