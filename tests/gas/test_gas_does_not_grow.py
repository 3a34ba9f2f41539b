"""PROTOCOL.md §7 invariant 10: no operation costs more in a larger market.

The quick form of `make gas`: the same script of operations beside 1 and 20
existing offers and running leases (docs/gas.md has 1, 500 and 5,000). Prints the table.
"""

import pytest

from scripts.gas import measure, table

GROWTH_ALLOWED = 1.05  # warm and cold slots may differ by one access between runs, never by more
BATCH_CLOSE = "closeLeases (20 leases), per lease"
SINGLE_CLOSE = "closeLease (expired, by a settler)"


@pytest.fixture(scope="module")
def runs():
    runs = [measure(1), measure(20)]
    print("\n" + table(runs))
    return runs


def test_no_operation_costs_more_beside_twenty_existing_leases_and_offers(runs):
    small, large = runs
    assert small.gas.keys() == large.gas.keys() and len(small.gas) >= 15
    grown = {op: (small.gas[op], large.gas[op]) for op in small.gas if large.gas[op] > small.gas[op] * GROWTH_ALLOWED}
    assert grown == {}


def test_a_lease_closed_in_a_batch_of_twenty_costs_less_than_one_closed_alone(runs):
    # The batch pays the intrinsic gas, the bounty transfer and the cold first touches once for all
    # twenty: at least the 21,000 intrinsic gas less a lease, whatever the market's size.
    for run in runs:
        assert run.gas[BATCH_CLOSE] < run.gas[SINGLE_CLOSE] - 21_000
