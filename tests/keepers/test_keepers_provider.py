import json
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
from brownie import chain

from keepers.config import KeeperConfig
from keepers.errors import ConfigError
from keepers.observability import make_logger
from keepers.roles.provider import ProviderAgent

from protocol_setup import H100, H100_COLLATERAL, HOUR, USD, open_lease

ENDPOINT = "http://gpu-1.example.net:9100"
RTX = "nvidia-rtx-4090-24gb"


def role(**overrides):
    settings = {
        "region": "eu-west",
        "endpoint": ENDPOINT,
        "stake": 7_000 * USD,
        "offers": [
            {"gpu_model": H100, "units": 2, "price_per_unit_hour": 2 * USD, "max_duration_seconds": 24 * HOUR},
            {"gpu_model": RTX, "units": 4, "price_per_unit_hour": USD // 2, "max_duration_seconds": 12 * HOUR},
        ],
        "withdraw_interval_seconds": 3_600,
        "min_withdraw": 1,
    }
    return {**settings, **overrides}


@pytest.fixture
def make_agent(keeper_config):
    agents = []

    def make(account, **overrides):
        data, environ = keeper_config(account, role(**overrides))
        agent = ProviderAgent(
            KeeperConfig.model_validate(data),
            environ=environ,
            name="provider-test",
            logger=make_logger("provider-test", "provider", "CRITICAL"),
        )
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


@contextmanager
def running(agent):
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()


def wait_for(predicate, timeout=20.0):
    """Waits (wall clock) for a keeper thread to act; chain time never moves here."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the keeper"
        time.sleep(0.1)


def test_setup_registers_stakes_and_lists_the_configured_offers(funded_key, client_for, make_agent):
    account = funded_key()
    with running(make_agent(account)) as agent:
        sent = agent.setup_sent
    assert sent == ["register_provider", "approve", "stake", "add_offer", "add_offer"]
    client = client_for(account)
    info = client.provider_info(account.address)
    assert (info.region, info.metadata_uri, info.free_stake) == ("eu-west", ENDPOINT, 7_000 * USD)
    offers = {o.gpu_model: o for o in client.offers_of(account.address)}
    assert (offers[H100].units, offers[H100].price_per_unit_hour, offers[H100].max_duration_seconds) == (
        2,
        2 * USD,
        24 * HOUR,
    )
    assert (offers[RTX].units, offers[RTX].price_per_unit_hour, offers[RTX].max_duration_seconds) == (
        4,
        USD // 2,
        12 * HOUR,
    )


def test_setup_run_twice_sends_nothing_the_second_time(w3, funded_key, make_agent):
    account = funded_key()
    with running(make_agent(account)):
        pass
    nonce = w3.eth.get_transaction_count(account.address)
    with running(make_agent(account)) as again:
        assert again.setup_sent == []
    assert w3.eth.get_transaction_count(account.address) == nonce


def test_setup_sends_only_the_differences(funded_key, client_for, make_agent):
    account = funded_key()
    with running(make_agent(account)):
        pass
    client = client_for(account)
    (h100,) = [o for o in client.offers_of(account.address) if o.gpu_model == H100]
    client.pause_offer(h100.offer_id)
    changed = [*role()["offers"][:1], {**role()["offers"][1], "price_per_unit_hour": USD}]
    with running(make_agent(account, stake=9_000 * USD, offers=changed, endpoint=ENDPOINT + "/v2")) as agent:
        sent = agent.setup_sent
    assert sent == ["update_provider", "approve", "stake", "pause_offer", "update_offer"]
    info = client.provider_info(account.address)
    assert (info.metadata_uri, info.free_stake) == (ENDPOINT + "/v2", 9_000 * USD)
    offers = {o.gpu_model: o for o in client.offers_of(account.address)}
    assert not offers[H100].paused and offers[RTX].price_per_unit_hour == USD
    assert len(client.offers_of(account.address, include_removed=True)) == 2


def test_endpoint_defaults_to_the_health_server_and_goes_dark_when_stopped(funded_key, client_for, make_agent):
    account = funded_key()
    agent = make_agent(account, endpoint=None)
    with running(agent):
        endpoint = client_for(account).provider_info(account.address).metadata_uri
        assert endpoint == agent.health.url
        with urllib.request.urlopen(endpoint + "/health", timeout=5) as response:
            assert json.loads(response.read())["status"] == "ok"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint + "/health", timeout=5)


def test_endpoint_is_required_when_listening_on_every_interface(funded_key, keeper_config):
    data, environ = keeper_config(funded_key(), role(endpoint=None))
    data["metrics"]["host"] = "0.0.0.0"
    agent = ProviderAgent(
        KeeperConfig.model_validate(data), environ=environ, logger=make_logger("t", "provider", "CRITICAL")
    )
    try:
        with pytest.raises(ConfigError, match=r"^config error: role.endpoint: required when metrics.host is 0.0.0.0"):
            agent.start()
    finally:
        agent.stop()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"region": "x" * 33},
            "role.region: value error, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' must be 1 to 32 ASCII characters, not 33",
        ),
        ({"endpoint": "gpu.example"}, "role.endpoint: value error, 'gpu.example' must be an http:// or https:// URL"),
        ({"stake": -1}, "role.stake: input should be greater than or equal to 0"),
        ({"colour": "red"}, "role.colour: extra inputs are not permitted"),
    ],
)
def test_bad_role_config_is_one_line(funded_key, keeper_config, overrides, message):
    data, environ = keeper_config(funded_key(), role(**overrides))
    with pytest.raises(ConfigError) as raised:
        ProviderAgent(KeeperConfig.model_validate(data), environ=environ)
    assert str(raised.value) == f"config error: {message}"


def test_duplicate_offer_models_are_refused(funded_key, keeper_config):
    offers = [role()["offers"][0], {**role()["offers"][0], "units": 1}]
    data, environ = keeper_config(funded_key(), role(offers=offers))
    with pytest.raises(ConfigError, match=f"one entry per gpu_model; repeated: {H100}"):
        ProviderAgent(KeeperConfig.model_validate(data), environ=environ)


def test_agent_answers_a_liveness_challenge_on_its_lease(protocol, matcher_account, funded_key, client_for, make_agent):
    deployment = protocol[0]
    account = funded_key(7_000 * USD)  # exactly the stake: its token balance starts at 0
    agent = make_agent(account)
    with running(agent):
        provider, tenant, challenger = client_for(account), client_for(funded_key()), client_for(funded_key())
        lease_id = open_lease(deployment.market, matcher_account, provider, tenant)
        chain.sleep(HOUR)  # livenessSpacingSeconds after the start
        chain.mine()
        bond = challenger.params()["livenessBond"]
        challenged = challenger.challenge_liveness(lease_id)
        wait_for(lambda: not provider.lease(lease_id).challenge_open)
        wait_for(lambda: agent.metrics.value("challenges_answered_total") == 1)
    logs = provider.market.events.LivenessAnswered().get_logs(from_block=challenged.block_number)
    assert [(log["args"]["leaseId"], log["args"]["provider"], log["args"]["bond"]) for log in logs] == [
        (lease_id, account.address, bond)
    ]
    assert provider.balance_of(provider.payment_token) == bond
    assert provider.provider_info(account.address).liveness_answered == 1


def test_agent_ignores_challenges_of_other_providers_leases(
    protocol, matcher_account, funded_key, client_for, make_agent
):
    deployment = protocol[0]
    other = client_for(funded_key())
    other.register_provider("us-east", "http://other.example")
    other.stake(H100_COLLATERAL)
    other.add_offer(H100, 1, USD, 24 * HOUR)
    agent = make_agent(funded_key(), offers=[])
    with running(agent):
        lease_id = open_lease(deployment.market, matcher_account, other, client_for(funded_key()))
        chain.sleep(HOUR)
        chain.mine()
        client_for(funded_key()).challenge_liveness(lease_id)
        agent.answer_challenges()
        assert other.lease(lease_id).challenge_open
        assert agent.metrics.value("challenges_answered_total") == 0


def test_agent_withdraws_earnings_after_chain_time_moves(protocol, matcher_account, funded_key, client_for, make_agent):
    deployment = protocol[0]
    account = funded_key(7_000 * USD)  # exactly the stake: its token balance starts at 0
    agent = make_agent(account)
    with running(agent):
        provider, tenant = client_for(account), client_for(funded_key())
        lease_id = open_lease(deployment.market, matcher_account, provider, tenant)
        # The gauge is counted on the withdraw schedule, whose first run may precede the match.
        agent.withdraw_earnings()
        assert agent.metrics.value("leases_active") == 1
        chain.sleep(HOUR)
        chain.mine()
        streamed = provider.lease(lease_id).withdrawable
        agent.withdraw_earnings()
    (log,) = provider.market.events.EarningsWithdrawn().get_logs(from_block=0)
    lease = provider.lease(lease_id)
    assert log["args"]["leaseId"] == lease_id and streamed >= 2 * USD  # an hour at 2 USD
    assert log["args"]["amount"] + log["args"]["fee"] == lease.withdrawn >= streamed
    assert log["args"]["fee"] == lease.withdrawn * lease.protocol_fee_bps // 10_000
    assert provider.balance_of(provider.payment_token) == log["args"]["amount"]
    assert agent.metrics.value("earnings_withdrawn_total") == log["args"]["amount"]


def test_agent_leaves_earnings_below_min_withdraw(protocol, matcher_account, funded_key, client_for, make_agent):
    deployment = protocol[0]
    account = funded_key(7_000 * USD)  # exactly the stake: its token balance starts at 0
    agent = make_agent(account, min_withdraw=1_000 * USD)
    with running(agent):
        provider = client_for(account)
        lease_id = open_lease(deployment.market, matcher_account, provider, client_for(funded_key()))
        chain.sleep(HOUR)
        chain.mine()
        agent.withdraw_earnings()
    assert provider.lease(lease_id).withdrawn == 0
    assert agent.metrics.value("earnings_withdrawn_total") == 0
