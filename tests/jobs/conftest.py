"""Job market fixtures: the whole protocol (config, registry, LeaseMarket, JobMarket) wired as
the deploy script wires it, the reference workloads registered, two providers with an H100
offer each, a verifier, three arbiters and funded parties. Module-scoped: built once per module,
every test reverts to it."""

from types import SimpleNamespace

import pytest

from jobs.support import (
    EU_WEST,
    FUNDS,
    HASHCHAIN,
    MATVEC,
    MATVEC256,
    OFFER_PRICE,
    OFFER_UNITS,
    STAKE,
    Driver,
)
from helpers import ZERO_ADDRESS, register_with_offer

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="module")
def lease_market(market):
    """The shared `market` fixture, under the name job tests read better with."""
    return market


@pytest.fixture(scope="module")
def hashchain_verifier(HashchainStepVerifier, governance):
    return HashchainStepVerifier.deploy({"from": governance})


@pytest.fixture(scope="module")
def matvec_verifier(MatvecStepVerifier, governance):
    return MatvecStepVerifier.deploy({"from": governance})


@pytest.fixture(scope="module")
def job_market(JobMarket, config, registry, token, lease_market, governance, hashchain_verifier, matvec_verifier):
    contract = JobMarket.deploy(config, registry, token, lease_market, {"from": governance})
    config.setRole(config.MARKET_ROLE(), contract, True, {"from": governance})
    lease_market.setJobMarket(contract, {"from": governance})
    contract.setWorkload(HASHCHAIN, hashchain_verifier, False, {"from": governance})
    contract.setWorkload(MATVEC, matvec_verifier, False, {"from": governance})
    contract.setWorkload(MATVEC256, ZERO_ADDRESS, True, {"from": governance})
    return contract


@pytest.fixture(scope="module")
def verifier(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def challenger(accounts):
    return accounts[9]


@pytest.fixture(scope="module")
def arbiters(accounts):
    return [accounts.add() for _ in range(3)]


def _provider_with_offer(registry, token, account, gpu_model):
    return register_with_offer(
        registry, token, account, region=EU_WEST, metadata_uri="https://gpu.example.org/p.json", stake=STAKE,
        gpu_model=gpu_model, units=OFFER_UNITS, price=OFFER_PRICE, max_duration=30 * 86_400,
    )


@pytest.fixture(scope="module")
def ctx(
    config, registry, token, lease_market, job_market, governance, treasury, provider, provider2, tenant,
    matcher, stranger, verifier, challenger, arbiters, h100, hashchain_verifier, matvec_verifier,
):
    """Everything a job test needs, in one namespace, with a Driver for the parties' moves."""
    offer = _provider_with_offer(registry, token, provider, h100)
    offer2 = _provider_with_offer(registry, token, provider2, h100)
    config.setRole(config.VERIFIER_ROLE(), verifier, True, {"from": governance})
    for arbiter in arbiters:
        config.setRole(config.ARBITER_ROLE(), arbiter, True, {"from": governance})
    for account in (tenant, stranger, verifier, challenger, provider, provider2):
        token.mint(account, FUNDS, {"from": account})
        token.approve(job_market, MAX_UINT, {"from": account})
        token.approve(lease_market, MAX_UINT, {"from": account})
    salts = iter(range(1, 10**6))
    namespace = SimpleNamespace(
        config=config, registry=registry, token=token, market=lease_market, job_market=job_market,
        governance=governance, treasury=treasury, provider=provider, provider2=provider2, tenant=tenant,
        matcher=matcher, stranger=stranger, verifier=verifier, challenger=challenger, arbiters=arbiters,
        offer=offer, offer2=offer2, hashchain_verifier=hashchain_verifier, matvec_verifier=matvec_verifier,
        next_salt=lambda: next(salts),
    )
    namespace.driver = Driver(namespace)
    return namespace


@pytest.fixture(scope="module")
def driver(ctx):
    return ctx.driver
