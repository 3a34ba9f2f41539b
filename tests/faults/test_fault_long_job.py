"""Scenario 8: a scheduled job whose run takes longer than its interval.

The settler's `settle` job runs every `poll_interval_seconds`. A run that outlasts it (a
receipt that does not come while mining is paused; a long batch of closes) must not be
joined by a second run working on the same leases: APScheduler's `max_instances=1` skips
the overlapping ticks (`job_skipped_total`), `coalesce` runs a late tick once, and the run
reports the overrun in one log line (`job_overrun`, `job_overruns_total`). Every lease is
closed by exactly one transaction; no simulation was refused for a lease already closing.
"""

from keepers.roles.settler import SettlerKeeper

from keeper_faults import (
    advance,
    books_balance,
    journal_entries,
    keeper_pending,
    mine_now,
    mining_paused,
    once_each,
    per_id,
    rental_leases,
    wait_for,
)
from protocol_setup import HOUR


def _judge(tenant, settler, settler_key, ids, protocol, w3):
    closed = per_id(tenant, tenant.market, "LeaseClosed", "leaseId", ids)
    books = books_balance(tenant, protocol)
    bounty = tenant.params()["settleBounty"]
    overruns = settler.captured.events("job_overrun")
    checks = dict(
        no_payment_lost=all(books.values())
        and tenant.balance_of(tenant.payment_token, settler_key.address) == len(ids) * bounty,
        no_payment_twice=once_each(closed, ids)
        and w3.eth.get_transaction_count(settler_key.address) == len(ids)
        and len(journal_entries(settler.config.transactions.state_dir, settler_key.address)) == len(ids)
        and settler.metrics.value("tx_refused_total", {"label": "close_lease"}) == 0,
        nothing_left_unsettled=all(tenant.lease(r).settled for r in ids) and keeper_pending(settler) == [],
        fault_in_logs=any(record["job"] == "settle" and record["ticks_skipped"] >= 1 for record in overruns),
        fault_in_metrics=settler.metrics.value("job_overruns_total", {"job": "settle"}) >= 1
        and settler.metrics.value("job_skipped_total", {"job": "settle"}) >= 1,
    )
    return checks, overruns, books


def test_run_waiting_on_a_receipt_for_many_intervals_is_not_joined_by_another(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, ids = rental_leases(protocol, matcher_account, client_for, funded_key, count=2)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    with mining_paused(w3):
        # A 0.2 s interval; one lease a close, so the run waits on a receipt for each.
        settler = fault_keepers(SettlerKeeper, settler_key, {"close_batch_size": 1})
        wait_for(
            lambda: settler.metrics.value("job_skipped_total", {"job": "settle"}) >= 5,
            what="ticks to come while the run waits for its receipt",
        )
        mine_now(w3)
    wait_for(lambda: all(tenant.lease(r).settled for r in ids), what="every lease closed")
    settler.stop()

    checks, overruns, books = _judge(tenant, settler, settler_key, ids, protocol, w3)
    fault_report.record(
        8,
        "run blocked on a receipt while mining is paused",
        "settler (0.2 s interval) sends a close with automine off; the run waits for its receipt over many ticks",
        "the overlapping ticks were skipped (job_skipped_total) and the run, once mined, logged the overrun "
        "(job_overrun) with the ticks it skipped (job_overruns_total); "
        "each lease closed by one transaction, no refused repeat",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, overruns, books)
    assert max(record["ticks_skipped"] for record in overruns) >= 5


def test_batch_run_longer_than_its_interval_closes_each_lease_once(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, ids = rental_leases(protocol, matcher_account, client_for, funded_key, count=10)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    settler = fault_keepers(SettlerKeeper, settler_key, {"close_batch_size": 1}, chain={"poll_interval_seconds": 0.05})
    wait_for(lambda: all(tenant.lease(r).settled for r in ids), what="every lease closed")
    settler.stop()

    checks, overruns, books = _judge(tenant, settler, settler_key, ids, protocol, w3)
    fault_report.record(
        8,
        "batch of closes longer than the interval",
        "settler with a 0.05 s interval finds ten expired leases in one run",
        "the run outlasted its interval: ticks skipped (job_skipped_total), the overrun logged (job_overrun) and "
        "counted; ten leases closed by ten transactions, none refused as already closed",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, overruns, books)
