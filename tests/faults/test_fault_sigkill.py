"""Scenario 6: a keeper process SIGKILLed between sending a transaction and seeing its receipt.

`leasehold keeper run settler` closes expired leases while mining is paused, so its first
close sits in the pool with no receipt; the process group is SIGKILLed there. While it is
dead the node either mines that transaction or loses it. The restarted process settles the
journaled nonce first (recording the mined hash, or re-signing the same nonce), then closes
the rest: one transaction per lease, none repeated, nothing left pending.
"""

import os
import signal
import subprocess
import sys

from keepers.devchain import REPO_ROOT

from keeper_faults import (
    advance,
    books_balance,
    journal_entries,
    journal_pending,
    mine_now,
    mining_paused,
    once_each,
    pending_nonce,
    per_id,
    read_log_file,
    rental_leases,
    scrape,
    wait_for,
    write_toml,
)
from protocol_setup import HOUR

LEASES = 3


def _spawn(config_path, environ, log_path):
    command = [sys.executable, "-m", "keepers.cli", "keeper", "run", "settler", "--config", str(config_path)]
    with log_path.open("w") as log:
        return subprocess.Popen(
            command,
            env={**os.environ, **environ},
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _kill_and_restart(protocol, matcher_account, client_for, funded_key, keeper_config, w3, tmp_path, while_dead):
    """Runs the scenario; `while_dead(w3)` is what the node does with the orphaned transaction."""
    _, tenant, leases = rental_leases(protocol, matcher_account, client_for, funded_key, count=LEASES)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    # One close in flight at a time, one lease a close, so the kill lands between exactly one send
    # and its receipt with more closes still to come.
    data, environ = keeper_config(settler_key, {"max_in_flight": 1, "close_batch_size": 1})
    state_dir = data["transactions"]["state_dir"]
    config_path = write_toml(data, tmp_path / "settler.toml")

    with mining_paused(w3):
        first = _spawn(config_path, environ, tmp_path / "first.log")
        try:
            wait_for(lambda: pending_nonce(w3, settler_key.address) == 1, what="the first close in the pool")
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        orphans = journal_pending(state_dir, settler_key.address)
        while_dead(w3)

    second = _spawn(config_path, environ, tmp_path / "second.log")
    try:
        wait_for(
            lambda: any(r.get("event") == "keeper_started" for r in read_log_file(tmp_path / "second.log")),
            what="the restarted keeper",
        )
        wait_for(lambda: all(tenant.lease(r).settled for r in leases), what="every lease closed")
        (started,) = [r for r in read_log_file(tmp_path / "second.log") if r.get("event") == "keeper_started"]
        samples = scrape(started["health_url"])
    finally:
        second.send_signal(signal.SIGTERM)
        exit_code = second.wait(timeout=30)

    records = read_log_file(tmp_path / "second.log")
    entries = journal_entries(state_dir, settler_key.address)
    closed = per_id(tenant, tenant.market, "LeaseClosed", "leaseId", leases)
    books = books_balance(tenant, protocol)
    bounty = tenant.params()["settleBounty"]
    recovered = samples.get('leasehold_tx_recovered_total{status="mined"}', 0)
    checks = dict(
        no_payment_lost=all(books.values())
        and tenant.balance_of(tenant.payment_token, settler_key.address) == LEASES * bounty,
        no_payment_twice=once_each(closed, leases)
        and w3.eth.get_transaction_count(settler_key.address) == LEASES
        and len(entries) == LEASES,
        nothing_left_unsettled=all(tenant.lease(r).settled for r in leases)
        and journal_pending(state_dir, settler_key.address) == []
        and exit_code == 0,
        fault_in_logs=any(r.get("event") == "journal_pending" for r in records)
        and any(r.get("event") == "tx_recovered" and r.get("status") == "mined" for r in records),
        fault_in_metrics=recovered == 1,
    )
    return checks, orphans, entries, books


def test_killed_settler_whose_transaction_was_mined_while_dead_records_it_and_sends_no_duplicate(
    protocol, matcher_account, client_for, funded_key, keeper_config, w3, tmp_path, fault_report
):
    checks, orphans, entries, books = _kill_and_restart(
        protocol, matcher_account, client_for, funded_key, keeper_config, w3, tmp_path, while_dead=mine_now
    )
    fault_report.record(
        6,
        "transaction mined while the keeper was dead",
        f"SIGKILL with closeLease nonce {orphans[0].nonce if orphans else '-'} in the pool (automine off), "
        "then a block mined before the restart",
        f"restart found {len(orphans)} pending journal entry, saw its receipt and marked it mined without "
        f"re-sending (tx_recovered_total{{status=mined}}); {len(entries)} transactions for {LEASES} leases",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, books)
    assert len(orphans) == 1 and entries[0].tx_hashes == orphans[0].tx_hashes  # recorded, not re-signed


def test_killed_settler_whose_transaction_the_node_lost_resends_the_same_nonce(
    protocol, matcher_account, client_for, funded_key, keeper_config, w3, tmp_path, fault_report
):
    def lose_it(w3):
        w3.provider.make_request("anvil_dropAllTransactions", [])

    checks, orphans, entries, books = _kill_and_restart(
        protocol, matcher_account, client_for, funded_key, keeper_config, w3, tmp_path, while_dead=lose_it
    )
    fault_report.record(
        6,
        "transaction lost from the pool while the keeper was dead",
        f"SIGKILL with closeLease nonce {orphans[0].nonce if orphans else '-'} in the pool, "
        "then anvil_dropAllTransactions before the restart",
        f"restart re-signed the journaled nonce (now {len(entries[0].tx_hashes) if entries else 0} hashes) "
        f"instead of a new one and saw it mined (tx_recovered_total{{status=mined}}); "
        f"{len(entries)} transactions for {LEASES} leases",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, books)
    assert len(orphans) == 1 and entries[0].nonce == orphans[0].nonce and len(entries[0].tx_hashes) == 2
