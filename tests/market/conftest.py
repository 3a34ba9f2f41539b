"""Lease market fixtures: the market wired into config and registry, a provider with one H100
offer, a funded tenant and, per test, an open request and a running lease."""

import pytest

from helpers import register_with_offer
from market.support import (
    DEPOSIT,
    EU_WEST,
    JOB_TERMS,
    OFFER_MAX_DURATION,
    OFFER_PRICE,
    OFFER_UNITS,
    STAKE,
    spec,
)

METADATA_URI = "https://gpu.example.org/provider.json"
TENANT_FUNDS = 1_000_000 * 10**6


def _register_with_offer(registry, token, account, gpu_model, region=EU_WEST):
    return register_with_offer(
        registry,
        token,
        account,
        region=region,
        metadata_uri=METADATA_URI,
        stake=STAKE,
        gpu_model=gpu_model,
        units=OFFER_UNITS,
        price=OFFER_PRICE,
        max_duration=OFFER_MAX_DURATION,
    )


@pytest.fixture(scope="module")
def offer_id(registry, token, provider, h100):
    """Offer 1: `provider` in eu-west, 8 H100 units at 2 USD per unit-hour, up to 30 days."""
    return _register_with_offer(registry, token, provider, h100)


@pytest.fixture(scope="module")
def offer2_id(registry, token, provider2, h100, offer_id):
    """Offer 2: `provider2` in us-east, the same terms."""
    return _register_with_offer(registry, token, provider2, h100, region="0x" + b"us-east".ljust(32, b"\0").hex())


@pytest.fixture(scope="module")
def funded(token, market, tenant, stranger):
    """The tenant and the stranger hold payment tokens and have approved the market."""
    for account in (tenant, stranger):
        token.mint(account, TENANT_FUNDS, {"from": account})
        token.approve(market, 2**256 - 1, {"from": account})
    return tenant


@pytest.fixture
def request_id(market, funded, offer_id):
    """An open request: the default spec, the default deposit."""
    return market.createRequest(spec(), DEPOSIT, {"from": funded}).return_value


@pytest.fixture
def lease_id(market, funded, offer_id, matcher):
    """A running lease: a default request matched with offer 1."""
    rid = market.createRequest(spec(), DEPOSIT, {"from": funded}).return_value
    market.matchRequests([(rid, offer_id)], {"from": matcher})
    return rid


@pytest.fixture(scope="module")
def job_market(RecordingJobMarket, market, token, governance):
    contract = RecordingJobMarket.deploy(token, {"from": governance})
    contract.publish(JOB_TERMS, {"from": governance})
    market.setJobMarket(contract, {"from": governance})
    return contract
