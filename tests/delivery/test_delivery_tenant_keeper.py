"""The tenant keeper on a real chain: it deploys its manifest after each match, watches the workload
through the access it was given, challenges a provider that goes dark, redeploys a workload its
provider gave up on, deploys again on the new lease after a re-match, and tops a lease up before its
balance runs dry within the horizon."""

import json
import os
import signal

import pytest
from brownie import chain

from keepers.config import KeeperConfig
from keepers.errors import ConfigError
from keepers.observability import make_logger
from keepers.roles.tenant import TenantKeeper

from delivery_setup import HOUR, USD, pid_alive, service_manifest, wait_for


@pytest.fixture
def tenant_keeper(keeper_config, tmp_path):
    built = []

    def make(account, manifest, **role):
        path = tmp_path / f"manifest-{len(built)}.json"
        path.write_text(json.dumps(manifest.model_dump(mode="json")))
        data, environ = keeper_config(account, {"manifest": str(path), **role})
        keeper = TenantKeeper(
            KeeperConfig.model_validate(data),
            environ={**environ, "DEMO_TOKEN": "t0k3n"},
            name=f"tenant-{len(built)}",
            logger=make_logger("tenant", "tenant", "CRITICAL"),
        )
        built.append(keeper)
        keeper.setup()
        return keeper

    yield make
    for keeper in built:
        keeper.stop()


def test_keeper_deploys_after_the_match_and_reaches_the_workload(
    make_provider, funded_key, client_for, lease, tenant_keeper
):
    agent = make_provider()
    key = funded_key()
    client = client_for(key)
    manifest = service_manifest(secrets=["API_TOKEN"])
    keeper = tenant_keeper(key, manifest, secrets_env={"API_TOKEN": "DEMO_TOKEN"})
    lease_id = lease(agent, client, manifest)
    other = lease(agent, client, None)  # committed to no manifest: not the keeper's to deploy

    keeper.tick()

    assert keeper.metrics.value("workloads_deployed_total") == 1
    assert set(agent.delivery.records) == {lease_id} and other not in keeper._access
    keeper.tick()
    assert keeper.metrics.value("workloads_reached_total") == 1


def test_keeper_redeploys_a_workload_its_provider_gave_up_on(
    make_provider, funded_key, client_for, lease, tenant_keeper
):
    agent = make_provider(delivery={"max_restarts": 0, "probe_failures_before_restart": 1})
    key = funded_key()
    client = client_for(key)
    manifest = service_manifest()
    keeper = tenant_keeper(key, manifest)
    lease_id = lease(agent, client, manifest)
    keeper.tick()
    pid = agent.delivery.records[lease_id].handle["pid"]
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid))
    agent.tick()
    assert agent.delivery.records[lease_id].failed

    keeper.tick()  # dark, and the provider says failed: forget the access
    keeper.tick()  # deploy again

    assert keeper.metrics.value("workloads_deployed_total") == 2
    assert agent.delivery.records[lease_id].serving and agent.delivery.records[lease_id].handle["pid"] != pid


def test_keeper_challenges_a_provider_gone_dark(make_provider, funded_key, client_for, lease, tenant_keeper):
    agent = make_provider()
    key = funded_key()
    client = client_for(key)
    manifest = service_manifest()
    keeper = tenant_keeper(key, manifest, failures_before_challenge=2)
    lease_id = lease(agent, client, manifest)
    keeper.tick()
    chain.sleep(HOUR)  # livenessSpacingSeconds after the start
    chain.mine()
    agent.delivery.teardown_all("machine_lost")  # the machine goes: workload and agent dark
    agent.stop()

    keeper.tick()
    assert not client.lease(lease_id).challenge_open  # one dark poll is not enough
    keeper.tick()

    assert client.lease(lease_id).challenge_open
    assert keeper.metrics.value("challenges_total") == 1


def test_keeper_deploys_again_after_its_provider_fails_and_the_request_is_rematched(
    protocol, matcher_account, make_provider, funded_key, client_for, lease, tenant_keeper
):
    market = protocol[0].market
    failing, other = make_provider(), make_provider()
    key = funded_key()
    client = client_for(key)
    manifest = service_manifest()
    keeper = tenant_keeper(key, manifest, failures_before_challenge=1)
    lease_id = lease(failing, client, manifest, rematch=True)
    keeper.tick()
    assert set(failing.delivery.records) == {lease_id}

    # The machine goes dark; the keeper challenges; nobody answers; anyone resolves.
    chain.sleep(HOUR)
    chain.mine()
    failing.delivery.teardown_all("machine_lost")
    failing.stop()
    keeper.tick()
    assert client.lease(lease_id).challenge_open
    chain.sleep(client.params()["livenessWindowSeconds"] + 1)
    tx = market.resolveLiveness(lease_id, {"from": matcher_account})
    reopened = tx.events["RequestReopened"][0]
    assert reopened["excludedProvider"] == failing.account.address and reopened["tenant"] == key.address

    # A matcher pairs the re-opened request: the failed provider's offers are skipped, the other's taken.
    offers = {agent: next(o.offer_id for o in client.offers_of(agent.account.address)) for agent in (failing, other)}
    new = reopened["requestId"]
    tx = market.matchRequests([(new, offers[failing]), (new, offers[other])], {"from": matcher_account})
    assert tx.events["MatchSkipped"][0]["offerId"] == offers[failing]
    assert tx.events["LeaseStarted"][0]["provider"] == other.account.address

    keeper.tick()  # the tenant does nothing: its keeper deploys on the new lease

    assert keeper.metrics.value("rematched_total") == 1
    assert keeper.metrics.value("workloads_deployed_total") == 2
    assert set(other.delivery.records) == {new} and other.delivery.records[new].serving
    keeper.tick()
    assert keeper.metrics.value("workloads_reached_total") == 1


def test_keeper_tops_up_within_the_horizon_and_within_its_budget(
    make_provider, funded_key, client_for, lease, tenant_keeper
):
    agent = make_provider()
    key = funded_key()
    client = client_for(key)
    manifest = service_manifest()
    keeper = tenant_keeper(key, manifest, top_up_horizon_seconds=2 * HOUR, top_up_budget=3 * USD)
    params = client.params()
    # 10 USD streams for 5 h at the offer's 2 USD an hour; the lease could run 24 h.
    lease_id = lease(
        agent, client, manifest, deposit=params["matchFee"] + params["settleBounty"] + 10 * USD, duration=24 * HOUR
    )
    keeper.tick()
    balance = client.lease(lease_id).balance
    keeper.tick()
    assert client.lease(lease_id).balance == balance  # 5 h left: more than the horizon

    chain.sleep(int(3.5 * HOUR))  # 1.5 h left
    chain.mine()
    keeper.tick()

    # Enough for 4 h would be 8 USD - 3 USD left; the budget allows 3 USD.
    assert client.lease(lease_id).balance == balance + 3 * USD
    assert keeper.metrics.value("topped_up_total") == 3 * USD
    keeper.tick()
    assert client.lease(lease_id).balance == balance + 3 * USD  # the budget is spent


def test_revert_when_a_secret_has_no_variable(funded_key, tenant_keeper):
    with pytest.raises(ConfigError) as refused:
        tenant_keeper(funded_key(), service_manifest(secrets=["API_TOKEN"]))
    assert str(refused.value) == "config error: role.secrets_env: no variable named for secret API_TOKEN"
