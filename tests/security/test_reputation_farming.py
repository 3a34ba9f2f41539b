"""Issue 12, property 9: reputation that costs what it claims, shown on a real chain.

A farmer is a provider with a second account (`alt`) that rents its offer and challenges it. Only
outcomes that cost a third party something raise the score: a lease whose tenant paid at least
MIN_PAID (50 USD, fees included) over its life, a job above the same escrow. A self-answered
liveness challenge is recorded for uptime but adds nothing; a self-lease below the minimum adds
nothing. Reaching the cap costs the farmer OUTCOMES × (matchFee + protocolFee × MIN_PAID) in
tokens plus gas, the formula of docs/reputation.md.
"""

import pytest
from brownie import chain

from helpers import USD, event_args
from jobs.support import HOUR
from security.token_support import EU_WEST, H100, STAKE, fund, protocol, rental_spec

MIN_PAID = 50 * USD  # ReputationMath.MIN_PAID_OUTCOME
BASE, CAP, POINTS = 5000, 10_000, 100
OUTCOMES = (CAP - BASE) // POINTS  # 50
BPS = 10_000
# docs/reputation.md: the farmer's gas per counted self-lease (createRequest + closeLease), and
# the tolerance the measurement may drift by before the docs must be updated.
DOCS_GAS_PER_OUTCOME = 271_000
GAS_TOLERANCE = 0.05


@pytest.fixture(scope="module")
def farm(TestStablecoin, accounts):
    """The protocol with a farmer: one 1-unit offer priced so the shortest lease pays exactly the
    minimum, and its second account funded as a tenant and a challenger."""
    p = protocol(TestStablecoin.deploy({"from": accounts[0]}), accounts, eoa_provider=False)
    p.farmer, p.alt = accounts[2], accounts[3]
    fund(p, p.alt)
    p.registry.registerProvider(EU_WEST, "https://gpu.example.org/farm.json", {"from": p.farmer})
    p.stake_token.mint(p.farmer, STAKE, {"from": p.farmer})
    p.stake_token.approve(p.registry, 2**256 - 1, {"from": p.farmer})
    p.registry.stake(STAKE, {"from": p.farmer})
    params = p.config.params()
    p.min_seconds = params["minLeaseSeconds"]
    p.price = MIN_PAID * HOUR // p.min_seconds  # per unit-hour: the shortest lease pays MIN_PAID
    tx = p.registry.addOffer(H100, 1, p.price, 365 * 86_400, {"from": p.farmer})
    p.offer = event_args(tx, "OfferAdded")["offerId"]
    return p


def _self_lease(p, seconds, close_after=None):
    """The alt rents the farmer's offer for `seconds`, lets it expire (or closes it early, after
    `close_after`) and closes it itself; returns (lease id, the close, the farmer's gas: the alt's
    createRequest and closeLease)."""
    params = p.config.params()
    deposit = params["matchFee"] + params["settleBounty"] + p.price * seconds // HOUR
    spec = rental_spec(units=1, maxPricePerUnitHour=p.price, maxDurationSeconds=seconds)
    create = p.market.createRequest(spec, deposit, {"from": p.alt})
    lease = create.return_value
    p.market.matchRequests([(lease, p.offer)], {"from": p.matcher})
    chain.sleep(seconds + 1 if close_after is None else close_after)
    close = p.market.closeLease(lease, {"from": p.alt})
    return lease, close, create.gas_used + close.gas_used


def _wealth(p):
    return p.token.balanceOf(p.farmer) + p.token.balanceOf(p.alt)


def test_a_self_lease_below_the_minimum_does_not_raise_the_score(farm):
    p = farm
    _, close, _ = _self_lease(p, p.min_seconds, close_after=p.min_seconds // 2)  # about 25 USD paid

    closed = event_args(close, "LeaseClosed")
    assert 0 < closed["paid"] + closed["fee"] < MIN_PAID
    assert "OutcomeRecorded" not in close.events
    assert p.registry.provider(p.farmer)["leasesCompleted"] == 0
    assert p.registry.reputationOf(p.farmer) == BASE


def test_self_answered_challenges_do_not_raise_the_score(farm):
    p = farm
    params = p.config.params()
    deposit = params["matchFee"] + params["settleBounty"] + p.price * 24
    spec = rental_spec(units=1, maxPricePerUnitHour=p.price, maxDurationSeconds=24 * HOUR)
    lease = p.market.createRequest(spec, deposit, {"from": p.alt}).return_value
    p.market.matchRequests([(lease, p.offer)], {"from": p.matcher})

    for _ in range(5):
        chain.sleep(params["livenessSpacingSeconds"] + 1)
        p.market.challengeLiveness(lease, {"from": p.alt})
        answer = p.market.respondLiveness(lease, {"from": p.farmer})
        assert event_args(answer, "OutcomeRecorded")["provider"] == p.farmer  # still a recorded fact

    facts = p.registry.provider(p.farmer)
    assert facts["livenessAnswered"] == 5
    assert p.registry.uptimeOf(p.farmer) == CAP
    assert p.registry.reputationOf(p.farmer) == BASE


def test_a_lease_paying_the_minimum_raises_the_score(farm):
    p = farm
    _, close, _ = _self_lease(p, p.min_seconds)

    closed = event_args(close, "LeaseClosed")
    assert closed["paid"] + closed["fee"] == MIN_PAID
    assert event_args(close, "OutcomeRecorded")["provider"] == p.farmer
    assert p.registry.provider(p.farmer)["leasesCompleted"] == 1
    assert p.registry.reputationOf(p.farmer) == BASE + POINTS


def test_reaching_the_cap_costs_what_the_docs_state(farm):
    p = farm
    params = p.config.params()
    per_outcome = params["matchFee"] + MIN_PAID * params["protocolFeeBps"] // BPS
    before = _wealth(p)
    gas = 0

    for n in range(1, OUTCOMES + 1):
        _, _, used = _self_lease(p, p.min_seconds)
        gas += used
        assert p.registry.reputationOf(p.farmer) == min(CAP, BASE + n * POINTS)

    # Tokens: the match fee to the third-party matcher and the protocol fee, per counted lease.
    assert per_outcome == USD  # 0.5 USD + 1% of 50 USD under the defaults
    assert before - _wealth(p) == OUTCOMES * per_outcome
    # Gas: the farmer's two transactions per lease, within the tolerance of the docs' figure.
    assert abs(gas / OUTCOMES - DOCS_GAS_PER_OUTCOME) <= GAS_TOLERANCE * DOCS_GAS_PER_OUTCOME, gas // OUTCOMES
    # One more paid lease adds nothing: the cap.
    _self_lease(p, p.min_seconds)
    assert p.registry.reputationOf(p.farmer) == CAP
