"""Registry fixtures: a registered, staked provider with one H100 offer."""

import pytest

from registry.support import EU_WEST, METADATA_URI, OFFER_MAX_DURATION, OFFER_PRICE, OFFER_UNITS, STAKE


@pytest.fixture(scope="module")
def registered(registry, provider):
    """`provider` registered in eu-west, nothing staked."""
    registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    return provider


@pytest.fixture(scope="module")
def staked(registry, token, registered):
    """`provider` registered with STAKE free stake."""
    token.mint(registered, STAKE, {"from": registered})
    token.approve(registry, 2**256 - 1, {"from": registered})
    registry.stake(STAKE, {"from": registered})
    return registered


@pytest.fixture(scope="module")
def offer_id(registry, staked, h100):
    """Offer 1: 8 H100 units at 2 USD per unit-hour, up to 30 days."""
    tx = registry.addOffer(h100, OFFER_UNITS, OFFER_PRICE, OFFER_MAX_DURATION, {"from": staked})
    return tx.return_value
