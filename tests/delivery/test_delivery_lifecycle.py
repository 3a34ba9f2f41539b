"""Teardown, reconciliation and health on a real chain: a workload is stopped and its files removed
within one poll of its lease ending (closed, expired, insolvent, terminated); a restarted agent
adopts the live leases' workloads and removes the ended ones'; a failed workload is restarted up
to a limit, and a liveness challenge is answered only while the lease's workload serves."""

import os
import signal

from brownie import chain

from delivery_setup import HOUR, USD, get, pid_alive, service_manifest, wait_for


def _deployed(agent, tenant, lease, **lease_options):
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest, **lease_options)
    answer = delivery.deploy(lease_id, manifest)
    return lease_id, answer, agent.delivery.records[lease_id].handle["pid"]


def _assert_torn_down(agent, lease_id, pid, reason):
    assert not pid_alive(pid)
    assert lease_id not in agent.delivery.records
    assert not agent.delivery.backend.lease_dir(lease_id).exists()
    assert not (agent.delivery.records_dir / f"lease-{lease_id}.json").exists()
    assert agent.metrics.value("workloads_torn_down_total", {"reason": reason}) == 1


def _kill(pid):
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid))


# ---------------------------------------------------------------- teardown within one poll


def test_given_tenant_closes_the_lease_when_agent_polls_then_workload_is_gone(make_provider, tenant, lease):
    agent = make_provider()
    lease_id, _, pid = _deployed(agent, tenant, lease)
    tenant[0].close_lease(lease_id)
    assert pid_alive(pid)
    agent.tick()
    _assert_torn_down(agent, lease_id, pid, "closed")


def test_given_lease_expired_when_agent_polls_then_workload_is_gone(make_provider, tenant, lease):
    agent = make_provider()
    lease_id, _, pid = _deployed(agent, tenant, lease, duration=2 * HOUR)
    chain.sleep(2 * HOUR + 1)
    chain.mine()
    agent.tick()
    _assert_torn_down(agent, lease_id, pid, "expired")


def test_given_lease_insolvent_when_agent_polls_then_workload_is_gone(make_provider, tenant, lease):
    agent = make_provider()
    params = tenant[0].params()
    # 10 USD streams for 5 h at the offer's 2 USD an hour; the lease could run 24 h.
    deposit = params["matchFee"] + params["settleBounty"] + 10 * USD
    lease_id, _, pid = _deployed(agent, tenant, lease, duration=24 * HOUR, deposit=deposit)
    chain.sleep(4 * HOUR)
    chain.mine()
    agent.tick()
    assert pid_alive(pid)  # still paid for
    chain.sleep(HOUR + 1)
    chain.mine()
    assert tenant[0].lease(lease_id).status == "INSOLVENT"
    agent.tick()
    _assert_torn_down(agent, lease_id, pid, "insolvent")


def test_given_failed_workload_when_challenged_then_unanswered_terminated_and_torn_down(
    make_provider, tenant, lease, funded_key, client_for
):
    agent = make_provider(delivery={"max_restarts": 0, "probe_failures_before_restart": 1})
    lease_id, _, pid = _deployed(agent, tenant, lease)
    _kill(pid)
    agent.tick()  # the probe fails; no restart is allowed
    assert agent.delivery.records[lease_id].failed and not agent.delivery.may_answer(lease_id)
    chain.sleep(HOUR)  # livenessSpacingSeconds after the start
    chain.mine()
    challenger = client_for(funded_key())
    challenger.challenge_liveness(lease_id)
    agent.tick()
    assert tenant[0].lease(lease_id).challenge_open  # not answered: the workload does not serve
    assert agent.metrics.value("challenges_answered_total") == 0
    chain.sleep(challenger.params()["livenessWindowSeconds"] + 1)
    chain.mine()
    challenger.resolve_liveness(lease_id)
    assert tenant[0].lease(lease_id).status == "TERMINATED"
    agent.tick()
    _assert_torn_down(agent, lease_id, pid, "terminated")


# ---------------------------------------------------------------- health


def test_given_workload_died_when_agent_polls_then_restarted_on_the_same_endpoint(make_provider, tenant, lease):
    agent = make_provider(delivery={"probe_failures_before_restart": 2, "max_restarts": 1})
    lease_id, answer, pid = _deployed(agent, tenant, lease)
    _kill(pid)
    agent.tick()
    assert agent.delivery.records[lease_id].handle["pid"] == pid  # one failed probe: not yet
    assert not agent.delivery.may_answer(lease_id)
    agent.tick()
    record = agent.delivery.records[lease_id]
    assert record.handle["pid"] != pid and record.restarts == 1 and record.serving
    assert get(answer["endpoints"]["http"], answer["credential"]).status_code == 200
    assert agent.metrics.value("workloads_restarted_total") == 1
    assert tenant[1].access(lease_id)["restarts"] == 1

    _kill(record.handle["pid"])  # the limit is used up now
    agent.tick()
    agent.tick()
    assert agent.delivery.records[lease_id].failed
    assert tenant[1].access(lease_id)["status"] == "failed"
    # The tenant may deploy again: a fresh start with a new credential.
    again = tenant[1].deploy(lease_id, service_manifest())
    assert again["status"] == "serving" and again["credential"] != answer["credential"]


def test_given_serving_workload_when_challenged_then_answered(make_provider, tenant, lease, funded_key, client_for):
    agent = make_provider()
    lease_id, _, _ = _deployed(agent, tenant, lease)
    chain.sleep(HOUR)
    chain.mine()
    client_for(funded_key()).challenge_liveness(lease_id)
    agent.tick()
    assert not tenant[0].lease(lease_id).challenge_open
    assert agent.metrics.value("challenges_answered_total") == 1


# ---------------------------------------------------------------- reconciliation after a restart


def test_restarted_agent_adopts_live_workloads_restarts_dead_ones_and_removes_ended_ones(
    make_provider, funded_key, tenant, lease
):
    account = funded_key()
    first = make_provider(account)
    live, live_answer, live_pid = _deployed(first, tenant, lease)
    died, _, died_pid = _deployed(first, tenant, lease)
    ended, _, ended_pid = _deployed(first, tenant, lease)
    first.stop()  # the agent goes; its workloads run on
    assert pid_alive(live_pid) and pid_alive(ended_pid)
    _kill(died_pid)
    tenant[0].close_lease(ended)

    second = make_provider(account)

    assert pid_alive(live_pid) and second.delivery.records[live].handle["pid"] == live_pid
    assert second.delivery.records[died].handle["pid"] != died_pid and second.delivery.records[died].serving
    assert ended not in second.delivery.records and not pid_alive(ended_pid)
    assert not second.delivery.backend.lease_dir(ended).exists()
    assert get(live_answer["endpoints"]["http"], live_answer["credential"]).status_code == 200
    assert tenant[1].access(live)["credential"] == live_answer["credential"]  # the new access server knows it
