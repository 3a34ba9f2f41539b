"""Fixtures of the hostile-input and front-running suites.

`world` extends tests/conftest.py's `ctx` (the job suite's protocol); the row type, the
whole-chain checker and the helpers that open leases live in hostile_support.py.
"""

from types import SimpleNamespace

import pytest


@pytest.fixture(scope="module")
def world(ctx, accounts, market_caller):
    """The job suite's protocol (config, registry, LeaseMarket, JobMarket, workloads, two
    providers with an H100 offer each, a verifier, arbiters, funded parties) plus an account
    that holds nothing and approved nothing (`pauper`), the registry's test market caller, and
    address labels for readable state diffs."""
    w = SimpleNamespace(**vars(ctx))
    w.market_caller = market_caller
    w.pauper = accounts.add()
    w.labels = {
        str(contract.address).lower(): name
        for name, contract in (
            ("config", w.config),
            ("registry", w.registry),
            ("market", w.market),
            ("job_market", w.job_market),
            ("token", w.token),
        )
    }
    return w
