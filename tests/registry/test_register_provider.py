"""ProviderRegistry.registerProvider, updateProvider and the provider views."""

from helpers import ZERO_ADDRESS, b32, reverts_with, reverts_with_args
from registry.support import EU_WEST, METADATA_URI, US_EAST


def test_when_provider_registers_then_profile_is_stored(registry, provider, chain):
    tx = registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    facts = registry.provider(provider)
    assert registry.isRegistered(provider) is True
    assert facts["region"] == EU_WEST
    assert facts["registeredAt"] == chain[tx.block_number].timestamp
    assert facts["freeStake"] == facts["lockedStake"] == facts["unbondingStake"] == 0
    assert registry.metadataURI(provider) == METADATA_URI
    assert tx.events["ProviderRegistered"] == {"provider": provider, "region": EU_WEST, "metadataURI": METADATA_URI}


def test_when_provider_registers_then_reputation_starts_at_base(registry, provider):
    registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    assert registry.reputationOf(provider) == 5000
    assert registry.uptimeOf(provider) == 10000


def test_when_account_never_registered_then_views_are_empty(registry, stranger):
    assert registry.isRegistered(stranger) is False
    assert registry.reputationOf(stranger) == 0
    assert registry.decayedPenaltyOf(stranger) == 0
    assert registry.metadataURI(stranger) == ""


def test_when_uri_is_256_bytes_then_accepted(registry, provider):
    registry.registerProvider(EU_WEST, "u" * 256, {"from": provider})
    assert registry.metadataURI(provider) == "u" * 256


def test_revert_when_already_registered(registry, provider):
    registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    with reverts_with_args("ProviderRegistry_AlreadyRegistered", provider.address):
        registry.registerProvider(US_EAST, METADATA_URI, {"from": provider})


def test_revert_when_region_zero(registry, provider):
    with reverts_with("ProviderRegistry_InvalidRegion"):
        registry.registerProvider(b32(""), METADATA_URI, {"from": provider})


def test_revert_when_uri_empty(registry, provider):
    with reverts_with_args("ProviderRegistry_InvalidMetadataURI", 0, 256):
        registry.registerProvider(EU_WEST, "", {"from": provider})


def test_revert_when_uri_longer_than_256_bytes(registry, provider):
    with reverts_with_args("ProviderRegistry_InvalidMetadataURI", 257, 256):
        registry.registerProvider(EU_WEST, "u" * 257, {"from": provider})


def test_revert_when_paused(registry, config, governance, provider):
    config.pause({"from": governance})
    with reverts_with("Leasehold_Paused"):
        registry.registerProvider(EU_WEST, METADATA_URI, {"from": provider})
    assert registry.isRegistered(provider) is False


def test_when_provider_updates_then_profile_is_replaced(registry, registered):
    tx = registry.updateProvider(US_EAST, "ipfs://new", {"from": registered})
    assert registry.provider(registered)["region"] == US_EAST
    assert registry.metadataURI(registered) == "ipfs://new"
    assert tx.events["ProviderUpdated"] == {"provider": registered, "region": US_EAST, "metadataURI": "ipfs://new"}


def test_when_paused_then_provider_can_still_update(registry, config, governance, registered):
    config.pause({"from": governance})
    registry.updateProvider(US_EAST, METADATA_URI, {"from": registered})
    assert registry.provider(registered)["region"] == US_EAST


def test_revert_when_unregistered_account_updates(registry, stranger):
    with reverts_with_args("ProviderRegistry_NotRegistered", stranger.address):
        registry.updateProvider(US_EAST, METADATA_URI, {"from": stranger})


def test_revert_when_update_region_zero(registry, registered):
    with reverts_with("ProviderRegistry_InvalidRegion"):
        registry.updateProvider(b32(""), METADATA_URI, {"from": registered})


def test_revert_when_update_uri_too_long(registry, registered):
    with reverts_with_args("ProviderRegistry_InvalidMetadataURI", 300, 256):
        registry.updateProvider(EU_WEST, "u" * 300, {"from": registered})


def test_constructor_wires_config_and_token(registry, config, token):
    assert registry.config() == config
    assert registry.stakeToken() == token
    assert registry.offerCount() == 0
    assert registry.totalStake() == 0


def test_revert_when_constructed_with_zero_token(ProviderRegistry, config, governance):
    with reverts_with("Leasehold_ZeroAddress"):
        ProviderRegistry.deploy(config, ZERO_ADDRESS, {"from": governance})
