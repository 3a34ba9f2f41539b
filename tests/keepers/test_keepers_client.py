import pytest

from keepers.client import RequestSpec
from keepers.ids import IdError, from_bytes32, to_bytes32
from keepers.sender import Refused

from protocol_setup import H100, HOUR, USD, open_lease, rental_spec


def test_to_bytes32_pads_ascii_and_round_trips():
    assert to_bytes32("eu-west") == b"eu-west" + b"\0" * 25
    assert from_bytes32(to_bytes32("nvidia-h100-80gb")) == "nvidia-h100-80gb"
    assert from_bytes32(b"\0" * 32) == ""


@pytest.mark.parametrize("text", ["", "x" * 33, "gpu-é"])
def test_to_bytes32_refuses_what_does_not_fit(text):
    with pytest.raises(IdError, match=r"^id error: "):
        to_bytes32(text)


def test_ensure_allowance_approves_only_when_short(protocol, funded_key, client_for):
    client = client_for(funded_key())
    spender = client.registry.address
    assert client.ensure_allowance(client.stake_token, spender, 5 * USD) is not None
    assert client.ensure_allowance(client.stake_token, spender, 5 * USD) is None
    assert client.ensure_allowance(client.stake_token, spender, 4 * USD) is None
    assert client.stake_token.functions.allowance(client.address, spender).call() == 5 * USD


def test_provider_calls_read_back(protocol, funded_key, client_for):
    client = client_for(funded_key())
    client.register_provider("eu-west", "http://gpu.example:9100")
    client.stake(4_000 * USD)
    offer_id = client.offer_id_of(client.add_offer(H100, 2, 3 * USD, 24 * HOUR))
    client.update_offer(offer_id, 1, 2 * USD, 12 * HOUR)
    client.pause_offer(offer_id)
    client.request_unstake(500 * USD)

    info = client.provider_info(client.address)
    assert (info.registered, info.region, info.metadata_uri) == (True, "eu-west", "http://gpu.example:9100")
    assert (info.free_stake, info.unbonding_stake, info.active_stake) == (3_500 * USD, 500 * USD, 3_500 * USD)
    (offer,) = client.offers_of(client.address)
    assert (offer.offer_id, offer.gpu_model, offer.units, offer.price_per_unit_hour) == (offer_id, H100, 1, 2 * USD)
    assert (offer.max_duration_seconds, offer.paused, offer.available) == (12 * HOUR, True, False)

    client.remove_offer(offer_id)
    assert client.offers_of(client.address) == []
    assert client.offers_of(client.address, include_removed=True)[0].removed


def test_refusal_names_the_custom_error(protocol, funded_key, client_for):
    client = client_for(funded_key())
    with pytest.raises(Refused) as refused:
        client.stake(5 * USD)
    assert refused.value.error_name == "ProviderRegistry_NotRegistered"
    with pytest.raises(
        Refused, match=r"getLease\(9\): refused, the call would revert with LeaseMarket_LeaseNotFound\(9\)"
    ):
        client.lease(9)


def test_request_and_lease_round_trip(protocol, matcher_account, funded_key, client_for):
    market = protocol[0].market
    provider, tenant = client_for(funded_key()), client_for(funded_key())
    provider.register_provider("eu-west", "http://gpu.example:9100")
    provider.stake(6_000 * USD)  # two H100 units of collateral
    provider.add_offer(H100, 2, 2 * USD, 24 * HOUR)

    open_id = tenant.request_id_of(tenant.create_request(rental_spec(tenant, region="eu-west"), 50 * USD))
    request = tenant.request(open_id)
    assert (request.status, request.kind, request.gpu_model, request.region) == ("OPEN", "RENTAL", H100, "eu-west")
    assert (request.units, request.price_per_unit_hour, request.escrow) == (1, 10 * USD, 50 * USD)

    lease_id = open_lease(market, matcher_account, provider, tenant, units=2)
    lease = provider.lease(lease_id)
    assert (lease.status, lease.close_reason, lease.provider, lease.tenant) == (
        "ACTIVE",
        "NONE",
        provider.address,
        tenant.address,
    )
    assert (lease.units, lease.price_per_unit_hour, lease.end_time - lease.start_time) == (2, 2 * USD, 4 * HOUR)
    assert not lease.challenge_open
    assert [lease_info.lease_id for lease_info in provider.leases_of(provider.address)] == [lease_id]
    assert [r.request_id for r in tenant.requests()] == [open_id, lease_id]

    tenant.top_up(lease_id, 10 * USD)
    assert tenant.lease(lease_id).balance == lease.balance + 10 * USD
    tenant.close_lease(lease_id)
    closed = tenant.lease(lease_id)
    assert (closed.status, closed.close_reason) == ("CLOSED", "TENANT")
    tenant.cancel_request(open_id)
    assert tenant.request(open_id).status == "CANCELLED"


def test_request_spec_any_model_and_region_encode_as_zero():
    spec = RequestSpec(units=1, max_price_per_unit_hour=1, max_duration_seconds=HOUR, match_deadline=5, min_vram_gb=40)
    encoded = spec.as_tuple()
    assert encoded[0] == b"\0" * 32 and encoded[3] == b"\0" * 32 and encoded[1] == 40
