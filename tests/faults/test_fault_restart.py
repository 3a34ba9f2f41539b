"""Scenario 1: the node stops under running keepers and comes back from its saved state.

The matcher and the settler work a copy of the session chain. Mid-run the copy is
stopped (SIGTERM: Anvil writes its state file and exits) and kept down until both
keepers have failed a run against it; then it is started again from that file on the
same port. The keepers are never restarted: they must report the outage, keep their
schedule (no crash, no tight retry loop) and finish the work that arrived meanwhile.
"""

from keepers.roles.matcher import MatcherKeeper
from keepers.roles.settler import SettlerKeeper
from scripts.deploy import bond_matcher

from chain_faults import (
    Books,
    KeeperRun,
    chain_copy,
    client_on,
    move_time,
    provider_with_offer,
    rental_request,
    wait_until,
)
from protocol_setup import HOUR

# A request gives up within 0.1 + 0.2 + 0.4 s of retries while the node is down; the run then fails.
QUICK_GIVE_UP = {"rpc_timeout_seconds": 2.0, "rpc_attempts": 4, "rpc_backoff_seconds": 0.1}
MATCHED, CLOSED = "MATCHED", "CLOSED"


def test_keepers_ride_out_a_node_restart_from_its_saved_state(
    fault_report, protocol, funded_key, client_for, keeper_config, accounts, anvil, tmp_path
):
    deployment, deployment_path = protocol
    provider_with_offer(client_for(funded_key()), units=8)
    matcher_key, settler_key, tenant_key = funded_key(), funded_key(), funded_key()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), matcher_key.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, matcher_key.address, payer=accounts[0])

    with chain_copy(anvil, tmp_path / "chain.json") as copy:
        run = KeeperRun(keeper_config)
        try:
            matcher = run.start(MatcherKeeper, matcher_key, rpc_url=copy.url, chain=QUICK_GIVE_UP)
            settler = run.start(SettlerKeeper, settler_key, rpc_url=copy.url, chain=QUICK_GIVE_UP)
            tenant = client_on(keeper_config, copy.url, tenant_key)
            before = [rental_request(tenant) for _ in range(2)]
            matched_before = wait_until(lambda: all(tenant.request(r).status == MATCHED for r in before))
            head_before = int(copy.node.rpc("eth_blockNumber"), 16)
            hash_before = copy.node.rpc("eth_getBlockByNumber", [hex(head_before), False])["hash"]
            runs_before = run.metric_all_labels("job_runs_total")

            copy.stop()
            both_failed = wait_until(
                lambda: all(
                    keeper.metrics.value("job_failures_total", {"job": job}) >= 1
                    for keeper, job in ((matcher, "match"), (settler, "settle"))
                ),
                timeout=20,
            )
            health_while_down = matcher.health.health()[0]
            copy.restart()
            same_chain = copy.node.rpc("eth_getBlockByNumber", [hex(head_before), False])["hash"] == hash_before

            after = [rental_request(tenant) for _ in range(2)]
            every = before + after
            matched_after = wait_until(lambda: all(tenant.request(r).status == MATCHED for r in every))
            move_time(copy.node, 3 * HOUR)
            closed = wait_until(lambda: all(tenant.lease(r).status == CLOSED for r in every))
            health_after = matcher.health.health()[0]
            runs_after = run.metric_all_labels("job_runs_total")
            failed_runs = run.metric_all_labels("job_failures_total")
            connection_errors = run.metric("rpc_errors_total", {"kind": "connection"})
            logged_errors = [r for r in run.log_events("rpc_error") if r["kind"] == "connection"]
            logged_failures = run.log_events("job_failed")
            books = Books(copy.url, deployment_path).check(every, settled=True)
        finally:
            run.stop()

    keepers_said_so = {
        name: len(logs.events("rpc_error")) > 0 and len(logs.events("job_failed")) > 0
        for name, logs in run.logs.items()
    }
    fault_report.record(
        1,
        "SIGTERM, state saved, restarted on the same port",
        injected=(
            f"Anvil stopped with SIGTERM after block {head_before} (2 leases matched), kept down until both keepers "
            f"failed a run, restarted from its --state file"
        ),
        observed=(
            f"chain resumed at the same head and hash: {'yes' if same_chain else 'no'}; /health answered "
            f"{health_while_down} while down, {health_after} after; {int(connection_errors)} connection errors and "
            f"{int(failed_runs)} failed runs, then {int(runs_after - runs_before)} good runs; "
            f"2 requests made after the restart matched, all 4 leases closed once"
        ),
        **books,
        fault_in_logs=all(keepers_said_so.values()) and len(logged_errors) == connection_errors,
        fault_in_metrics=both_failed and connection_errors > 0 and failed_runs == len(logged_failures),
    )
    assert matched_before and both_failed and same_chain and matched_after and closed
    assert health_while_down == 503 and health_after == 200
    assert books == {"no_payment_lost": True, "no_payment_twice": True, "nothing_left_unsettled": True}
    assert all(keepers_said_so.values()) and len(logged_errors) == connection_errors > 0
    assert failed_runs == len(logged_failures) > 0
    assert runs_after > runs_before


def test_keepers_redo_what_a_node_killed_before_its_next_save_forgot(
    fault_report, protocol, funded_key, client_for, keeper_config, accounts, anvil, tmp_path
):
    deployment, deployment_path = protocol
    provider_with_offer(client_for(funded_key()), units=8)
    matcher_key, settler_key = funded_key(), funded_key()
    tenant_keys = [funded_key(), funded_key()]
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), matcher_key.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, matcher_key.address, payer=accounts[0])

    with chain_copy(anvil, tmp_path / "chain.json") as copy:
        run = KeeperRun(keeper_config)
        try:
            run.start(MatcherKeeper, matcher_key, rpc_url=copy.url, chain=QUICK_GIVE_UP)
            run.start(SettlerKeeper, settler_key, rpc_url=copy.url, chain=QUICK_GIVE_UP)
            tenant, other = (client_on(keeper_config, copy.url, key) for key in tenant_keys)
            kept = rental_request(tenant)
            assert wait_until(lambda: tenant.request(kept).status == MATCHED)
            saved = copy.save()
            saved_head = int(copy.node.rpc("eth_blockNumber"), 16)
            lost = rental_request(tenant)
            assert wait_until(lambda: tenant.request(lost).status == MATCHED)
            lost_head = int(copy.node.rpc("eth_blockNumber"), 16)
            assert wait_until(lambda: all(k.view.indexer.scanned_block >= lost_head for k in run.keepers))

            copy.kill_and_restart_from(saved)
            back_at_save = int(copy.node.rpc("eth_blockNumber"), 16) == saved_head
            forgotten = Books(copy.url, deployment_path).market.functions.requestStatusOf(lost).call() == 0
            again = rental_request(other, units=2)
            matched = again == lost and wait_until(lambda: other.request(again).status == MATCHED)
            right = other.lease(again).tenant == other.address and other.lease(again).units == 2
            move_time(copy.node, 3 * HOUR)
            closed = wait_until(lambda: all(other.lease(r).status == CLOSED for r in (kept, again)))
            reorgs = run.metric_all_labels("reorgs_total")
            logged = run.log_events("reorg")
            books = Books(copy.url, deployment_path).check([kept, again], settled=True)
        finally:
            run.stop()

    indexers = 3  # matcher-view, settler-view, settler-jobs
    fault_report.record(
        1,
        "SIGKILL, restarted from an earlier periodic save",
        injected=(
            f"Anvil SIGKILLed at block {lost_head}, restarted from a dump taken at block {saved_head}: "
            f"request {lost} and the matcher's match of it are gone"
        ),
        observed=(
            f"chain back at block {saved_head}: {'yes' if back_at_save else 'no'}; every indexer saw its scanned "
            f"blocks vanish and rolled back ({int(reorgs)} rollbacks); request id {lost}, reused by another tenant, "
            f"matched for that tenant: {'yes' if matched and right else 'no'}; both leases closed once"
        ),
        **books,
        fault_in_logs=len(logged) >= indexers,
        fault_in_metrics=reorgs >= indexers,
    )
    assert back_at_save and forgotten and matched and right and closed
    assert books == {"no_payment_lost": True, "no_payment_twice": True, "nothing_left_unsettled": True}
    assert len(logged) >= indexers and reorgs >= indexers
