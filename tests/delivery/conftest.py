"""The delivery tests' fixtures: provider agents with `[role.delivery]` on the real protocol, tenants,
leases that commit to a manifest, and a Docker Engine of the session's own. The protocol, keys and
keeper configurations come from tests/conftest.py; helpers live in delivery_setup.py."""

import pytest

from keepers.client import RequestSpec
from keepers.config import KeeperConfig
from keepers.delivery.tenant import TenantDelivery
from keepers.ids import ZERO_BYTES32
from keepers.observability import make_logger
from keepers.roles.provider import ProviderAgent

from delivery_setup import H100, HOUR, USD, h100_offer


@pytest.fixture
def make_provider(keeper_config, funded_key, tmp_path):
    """A provider agent with delivery, set up (registered, offer listed, access server serving)."""
    agents = []

    def make(account=None, *, delivery=None, offers=None):
        account = account or funded_key()
        role = {
            "region": "eu-west",
            "stake": 10_000 * USD,
            "offers": offers or [h100_offer(3)],
            "delivery": {
                "work_dir": str(tmp_path / f"work-{account.address}"),
                "start_timeout_seconds": 10,
                "stop_grace_seconds": 2,
                **(delivery or {}),
            },
        }
        data, environ = keeper_config(account, role)
        agent = ProviderAgent(
            KeeperConfig.model_validate(data),
            environ=environ,
            name=f"provider-{len(agents)}",
            logger=make_logger(f"provider-{len(agents)}", "provider", "CRITICAL"),
        )
        agents.append(agent)
        agent.setup()
        return agent

    yield make
    for agent in agents:
        if agent.delivery is not None:
            agent.delivery.teardown_all("test_end")
        agent.stop()


@pytest.fixture
def tenant(funded_key, client_for):
    """A tenant's chain client and its delivery client."""
    key = funded_key()
    client = client_for(key)
    return client, TenantDelivery(client, key)


@pytest.fixture
def lease(protocol, matcher_account):
    """Posts the tenant's rental (committing to `manifest`, opting into re-match with `rematch`) and
    matches it with the agent's H100 offer."""

    def make(agent, tenant_client, manifest=None, *, units=1, deposit=100 * USD, duration=4 * HOUR, rematch=False):
        spec = RequestSpec(
            gpu_model=H100,
            units=units,
            max_price_per_unit_hour=10 * USD,
            max_duration_seconds=duration,
            match_deadline=tenant_client.now() + HOUR,
            manifest_hash=manifest.hash if manifest else ZERO_BYTES32,
            rematch=rematch,
        )
        request_id = tenant_client.request_id_of(tenant_client.create_request(spec, deposit))
        (offer,) = [o for o in tenant_client.offers_of(agent.account.address) if o.gpu_model == H100]
        tx = protocol[0].market.matchRequests([(request_id, offer.offer_id)], {"from": matcher_account})
        assert "LeaseStarted" in tx.events, tx.events
        return request_id

    return make


@pytest.fixture(scope="session")
def docker_engine():
    """A Docker Engine started for this session by PID, with the busybox test image built; stopped at the end."""
    from docker_engine import build_test_image, start_engine, stop_engine

    engine = start_engine()
    try:
        engine.image = build_test_image(engine)
        yield engine
    finally:
        stop_engine(engine)
