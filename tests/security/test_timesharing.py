"""Issue 12, property 7's residual: a provider that re-lets the leased GPU and takes it back only for
each proof (docs/security.md, accepted limits).

The capacity proof shows the capacity exists, not that it serves this tenant, so a timesharer
passes every challenge; what catches it is the tenant's keeper, which finds its workload
unreachable, challenges and closes. The tenant's own challenge pays the provider nothing: its bond
comes back to the tenant on the answer. So the timesharer is paid for the hour before it was
caught and pays the answer's gas, and nothing else moves (the books below); with the bond its own
it was paid for the very check that caught it, and on L1 that made timesharing pay (+2.84 USD a
lease in docs/economics.md before this change). The other side: a tenant that challenges its
honest provider every hour to make it pay gas gets nothing from it but its own gas bill.
"""

import pytest
from brownie import chain

from helpers import event_args, respond_liveness
from security.token_support import DEPOSIT, open_lease, protocol

L1_GWEI, ETH_USD = 20, 3_000  # scripts/econ/costs.py


def _usd_of_gas(gas: int) -> float:
    return gas * L1_GWEI * 1e-9 * ETH_USD


@pytest.fixture(scope="module")
def p(TestStablecoin, accounts):
    return protocol(TestStablecoin.deploy({"from": accounts[0]}), accounts)


def _balances(p):
    return p.token.balanceOf(p.tenant), p.token.balanceOf(p.provider)


def test_a_timesharer_caught_by_its_tenant_is_paid_the_hour_and_not_the_bond(p):
    tenant_before, provider_before = _balances(p)
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)

    # The tenant's keeper found the workload unreachable: it challenges; the timesharer takes the
    # GPU back for the proof and answers; the workload still unreachable, the tenant closes.
    bond = event_args(p.market.challengeLiveness(lease, {"from": p.tenant}), "LivenessChallenged")["bond"]
    assert bond > 0
    answer = respond_liveness(p.market, lease, p.provider)
    close = p.market.closeLease(lease, {"from": p.tenant})

    assert event_args(answer, "LivenessAnswered")["bondTo"] == p.tenant
    closed = event_args(close, "LeaseClosed")
    tenant_after, provider_after = _balances(p)
    # The provider got the hour's pay and nothing more; the tenant lost that pay, its fee and the
    # match fee, not its bond.
    assert provider_after - provider_before == closed["paid"]
    assert tenant_after - tenant_before == -DEPOSIT + closed["refunded"] + closed["bounty"]
    # The answer cost the timesharer its gas: on L1 more than the bond it no longer collects.
    assert _usd_of_gas(answer.gas_used) > bond / 10**6


def test_a_stranger_s_challenge_still_pays_the_provider_that_answers(p):
    """The watchers' challenges are unchanged: their bond is the answering provider's."""
    lease = open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    bond = event_args(p.market.challengeLiveness(lease, {"from": p.challenger}), "LivenessChallenged")["bond"]
    provider_before = p.token.balanceOf(p.provider)
    answer = respond_liveness(p.market, lease, p.provider)
    assert event_args(answer, "LivenessAnswered")["bondTo"] == p.provider
    assert p.token.balanceOf(p.provider) == provider_before + bond


def test_a_tenant_challenging_its_honest_provider_every_hour_only_pays_gas(p):
    """Griefing: each challenge costs the tenant some four fifths of the gas its answer costs the
    provider (about 106,000 against 133,000), the spacing allows one an hour, and no token moves
    but the lease's own pay."""
    tenant_before, provider_before = _balances(p)
    lease = open_lease(p, p.offer)
    spacing = p.config.params()["livenessSpacingSeconds"]
    challenge_gas = answer_gas = 0
    for _ in range(3):
        chain.sleep(spacing + 1)
        challenge_gas += p.market.challengeLiveness(lease, {"from": p.tenant}).gas_used
        answer_gas += respond_liveness(p.market, lease, p.provider).gas_used
    closed = event_args(p.market.closeLease(lease, {"from": p.tenant}), "LeaseClosed")

    tenant_after, provider_after = _balances(p)
    assert provider_after - provider_before == closed["paid"]
    assert tenant_after - tenant_before == -DEPOSIT + closed["refunded"] + closed["bounty"]
    # The griefer buys nothing and pays most of what it costs its victim.
    assert challenge_gas > 0.75 * answer_gas
