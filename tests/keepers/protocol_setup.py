"""Constants and helpers of the keeper tests: requests, leases and providers made through a client.

The deployed protocol, funded keys, keeper configurations and clients are fixtures of
tests/conftest.py (tests/faults uses them too); `cli` is a fixture of tests/keepers/conftest.py.
"""

import json

from keepers.client import RequestSpec

from helpers import ANY_JOB

USD = 10**6
HOUR = 3_600
H100 = "nvidia-h100-80gb"
H100_COLLATERAL = 3_000 * USD  # deployments/gpu-catalogue.json, whole tokens scaled by 6 decimals


def rental_spec(client, *, units=1, max_price=10 * USD, duration=4 * HOUR, region=None) -> RequestSpec:
    return RequestSpec(
        gpu_model=H100,
        units=units,
        region=region,
        max_price_per_unit_hour=max_price,
        max_duration_seconds=duration,
        match_deadline=client.now() + HOUR,
    )


def open_lease(market, matcher, provider_client, tenant_client, *, units=1, deposit=100 * USD) -> int:
    """Matches a new request of the tenant with the provider's first live H100 offer; returns the lease id.

    `market` is the brownie LeaseMarket and `matcher` a brownie account holding MATCHER_ROLE.
    """
    (offer,) = [o for o in provider_client.offers_of(provider_client.address) if o.gpu_model == H100]
    request_id = tenant_client.request_id_of(
        tenant_client.create_request(rental_spec(tenant_client, units=units), deposit)
    )
    tx = market.matchRequests([(request_id, offer.offer_id)], {"from": matcher})
    assert "LeaseStarted" in tx.events, tx.events
    return request_id


def toml(data: dict) -> str:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def ok_json(result):
    code, out, err = result
    assert (code, err) == (0, ""), err
    return json.loads(out)


def provider_with_offer(client, *, region, model=H100, units=4, price=2 * USD, endpoint="http://127.0.0.1:1"):
    client.register_provider(region, endpoint)
    client.stake(units * 3_000 * USD)
    offer_id = client.offer_id_of(client.add_offer(model, units, price, 24 * HOUR))
    client.set_offer_job_policy(offer_id, *ANY_JOB)  # takes every job (docs/verification.md)
    return offer_id


def request(client, *, units=1, max_price=3 * USD, duration=2 * HOUR, region=None, model=H100, deposit=None):
    spec = RequestSpec(
        gpu_model=model,
        units=units,
        region=region,
        max_price_per_unit_hour=max_price,
        max_duration_seconds=duration,
        match_deadline=client.now() + HOUR,
    )
    params = client.params()
    deposit = deposit or params["matchFee"] + params["settleBounty"] + max_price * units * duration // HOUR
    return client.request_id_of(client.create_request(spec, deposit))
