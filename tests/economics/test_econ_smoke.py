"""The economics simulation (scripts/econ, `make econ`) at a small size on the test chain.

Its books must balance to the token unit: every agent's change of wealth (tokens, stake,
credits) plus the protocol's is zero, and each contract holds exactly what it owes, so a
simulation that lost track of a payment fails here. The measured profits must also agree with
the formulas where the outcome is certain (no randomness in them), and the attacks that work
on today's protocol must show as paying: a run that shows them losing would be wrong.
"""

import pytest
from web3 import HTTPProvider, Web3

from keepers.contracts.types import MIN_PAID_OUTCOME
from scripts.econ.report import render, strategy_rows
from scripts.econ.run import simulate
from scripts.econ.strategies import FARM_OUTCOMES, STRATEGIES

JOBS, LEASES = 20, 10


@pytest.fixture(scope="module")
def results(protocol, accounts, anvil):
    """One small run on the protocol as scripts/deploy.py deploys it (tests/conftest.py)."""
    _, deployment_path = protocol
    w3 = Web3(HTTPProvider(anvil.url, request_kwargs={"timeout": 120}))
    return simulate(
        w3, deployment_path, accounts[0].address, jobs_n=JOBS, leases_n=LEASES, seed=7, progress=lambda _: None
    )


@pytest.fixture(scope="module")
def rows(results):
    return strategy_rows(results)


def test_the_books_balance_to_the_token_unit(results):
    books = results.books
    assert books["agents_delta"] != 0  # money moved between the agents and the protocol
    assert books["residual"] == 0
    assert books["unowed_LeaseMarket"] == 0
    assert books["unowed_JobMarket"] == 0
    assert books["unowed_ProviderRegistry"] == 0


def test_the_run_has_the_sizes_it_was_asked(results):
    stats = results.job_stats
    assert stats.jobs == JOBS
    assert results.lease_stats["leases"] == LEASES
    assert stats.finalized + stats.slashed + stats.expired + stats.voided == JOBS


@pytest.mark.parametrize(
    "key", ["solver-honest", "verifier-honest", "tenant-infeasible", "tenant-void", "solver-victim"]
)
def test_a_certain_outcome_is_what_its_formula_says(results, rows, key):
    """No randomness reaches these: the measured profit per unit is the formula's, to a cent."""
    row = rows[key]
    assert row["L2"].mean == pytest.approx(STRATEGIES[key].formula(results.inputs("L2")).value, abs=0.01)


@pytest.mark.parametrize("key", ["tenant-infeasible", "tenant-void", "verifier-lazy", "matcher-steering"])
def test_an_attack_that_works_today_shows_as_paying(rows, key):
    row = rows[key]
    assert row["L2_diff"] is not None and row["L2_diff"].low > 0


def test_the_report_names_every_strategy_played(results):
    text = render(results, ["--jobs", str(JOBS)])
    for key in STRATEGIES:
        if results.world.of(key):
            assert f"`{key}`" in text
    assert "| residual | 0 |" in text


def test_a_farmer_reaches_the_cap_only_by_paying_its_fees(results):
    """Issue 12, property 9: every counted self-lease pays the match fee and the protocol fee on
    the reputation minimum (docs/reputation.md); the farm reaches the cap at exactly that price."""
    p = results.world.params
    per_outcome = p["matchFee"] + MIN_PAID_OUTCOME * p["protocolFeeBps"] // 10_000
    assert results.farm
    for farm in results.farm.values():
        assert farm["reputation"] == 10_000
        assert farm["tokens"] == FARM_OUTCOMES * per_outcome
