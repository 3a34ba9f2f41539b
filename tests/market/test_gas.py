"""Gas of every lease market operation, in steady state (every party already holds tokens, as on
a live market), against regression ceilings. Run with -s to print the figures."""

import pytest

from scripts.deploy import bond_matcher

from helpers import respond_liveness
from market.support import DEPOSIT, LIVENESS_SPACING, order, sleep_to, spec

# Measured figures plus a little headroom; see docs/gas.md for the aims and where the gas goes.
CEILINGS = {
    "createRequest": 166_000,
    "matchRequests (1 pair)": 142_000,
    "matchRequests (per pair, batch of 20)": 70_000,
    "withdrawEarnings": 62_000,
    "closeLease (tenant)": 114_000,
    "closeLeases (per lease, batch of 20)": 50_500,
    "topUp": 65_000,
    # Runs in the linked LeaseLiveness, reads six parameter slots and keeps the capacity proof's seed.
    "challengeLiveness": 131_000,
    # The capacity proof's spot check: 8 leaves of 16 keccak steps and their Merkle paths
    # (depth 6 at 2 units, 8 at 8), the paths in calldata.
    "respondLiveness": 134_000,
    "respondLiveness (8 units)": 146_000,
}


@pytest.fixture(scope="module")
def warm(token, provider, provider2, treasury, matcher, accounts):
    for account in (provider, provider2, treasury, matcher, accounts[8]):
        token.mint(account, 1, {"from": account})


def test_gas_of_every_operation(
    market, registry, matcher_bonds, token, funded, matcher, provider, stranger, offer_id, warm
):
    seen = {}
    # Twenty-two leases in one window: a bond whose exposure cap (half of it) holds them all.
    bond_matcher(matcher_bonds, token, matcher, 100_000 * 10**6)
    token.mint(provider, 200_000 * 10**6, {"from": provider})
    registry.stake(200_000 * 10**6, {"from": provider})
    registry.updateOffer(offer_id, 1024, 2 * 10**6, 30 * 86_400, {"from": provider})

    # The first request fills the market's balance slot, its match the matcher's credit slot (match
    # fees are credited): the figures below are a market in steady state.
    first = market.createRequest(spec(), DEPOSIT, {"from": funded}).return_value
    market.matchRequests([(first, offer_id)], {"from": matcher})
    tx = market.createRequest(spec(), DEPOSIT, {"from": funded})
    seen["createRequest"] = tx.gas_used
    tx = market.matchRequests([(tx.return_value, offer_id)], {"from": matcher})
    seen["matchRequests (1 pair)"] = tx.gas_used
    lease = tx.events["LeaseStarted"][0]["leaseId"]
    tx = market.createRequest(spec(units=8), DEPOSIT, {"from": funded})
    eight = market.matchRequests([(tx.return_value, offer_id)], {"from": matcher}).events["LeaseStarted"][0]["leaseId"]

    ids = [market.createRequest(spec(units=1), DEPOSIT, {"from": funded}).return_value for _ in range(20)]
    tx = market.matchRequests([(i, offer_id) for i in ids], {"from": matcher})
    assert len(tx.events["LeaseStarted"]) == 20
    seen["matchRequests (per pair, batch of 20)"] = tx.gas_used // 20

    start = order(market, lease)["startTime"]
    sleep_to(start + 600)
    market.withdrawEarnings(lease, {"from": provider})
    sleep_to(start + 1200)
    seen["withdrawEarnings"] = market.withdrawEarnings(lease, {"from": provider}).gas_used
    seen["topUp"] = market.topUp(lease, 10**6, {"from": stranger}).gas_used
    sleep_to(start + LIVENESS_SPACING)
    seen["challengeLiveness"] = market.challengeLiveness(lease, {"from": stranger}).gas_used
    seen["respondLiveness"] = respond_liveness(market, lease, provider).gas_used
    market.challengeLiveness(eight, {"from": stranger})
    seen["respondLiveness (8 units)"] = respond_liveness(market, eight, provider).gas_used
    seen["closeLease (tenant)"] = market.closeLease(lease, {"from": funded}).gas_used
    sleep_to(order(market, ids[-1])["startTime"] + order(market, ids[-1])["durationSeconds"])
    tx = market.closeLeases(ids, {"from": stranger})
    assert len(tx.events["LeaseClosed"]) == 20
    seen["closeLeases (per lease, batch of 20)"] = tx.gas_used // 20

    for name, gas in seen.items():
        print(f"{name:40s} {gas:>8,d}  (ceiling {CEILINGS[name]:,d})")
    for name, gas in seen.items():
        assert gas <= CEILINGS[name], (name, gas)
