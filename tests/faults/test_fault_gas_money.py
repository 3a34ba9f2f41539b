"""Scenario 7: a settler whose account runs out of gas money, then is refunded.

The sender refuses, before taking a nonce, a transaction the balance cannot pay for at
its fee cap: nothing is signed or journaled, the keeper logs one readable line for the
whole episode, counts every refusal (`insufficient_funds_total`), raises the
`out_of_funds` gauge and answers 503 on /health. Its jobs keep running; once ether
arrives it closes every lease it could not, each once.
"""

import json
import math
from urllib.error import HTTPError
from urllib.request import urlopen

from keepers.roles.settler import SettlerKeeper

from keeper_faults import (
    advance,
    books_balance,
    journal_entries,
    keeper_pending,
    once_each,
    per_id,
    rental_leases,
    wait_for,
)
from protocol_setup import HOUR

GWEI = 10**9
REFUND = 10**20


def _health(keeper) -> tuple[int, dict]:
    try:
        with urlopen(f"{keeper.health.url}/health", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def _set_balance(w3, address, wei):
    w3.provider.make_request("anvil_setBalance", [address, hex(wei)])


def _run(protocol, matcher_account, client_for, funded_key, fault_keepers, w3, *, leases, balance, batch):
    """Starts a settler holding `balance(settler_key, lease_ids)` wei over expired leases, closing them
    `batch` at a time; returns what it saw."""
    label = "close_leases" if batch > 1 else "close_lease"
    transactions = math.ceil(leases / batch)
    _, tenant, ids = rental_leases(protocol, matcher_account, client_for, funded_key, count=leases)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    _set_balance(w3, settler_key.address, balance(settler_key, tenant, ids))
    settler = fault_keepers(SettlerKeeper, settler_key, {"close_batch_size": batch})
    # Several ticks, not several refusals: the settler sends up to max_in_flight closes per tick.
    wait_for(
        lambda: (
            settler.metrics.value("insufficient_funds_total", {"label": label}) >= 3
            and settler.metrics.value("job_failures_total", {"job": "settle"}) >= 3
        ),
        what="the settler to hit the empty account on several ticks",
    )
    during = dict(
        health=_health(settler),
        gauge=settler.metrics.value("out_of_funds"),
        settled=sum(tenant.lease(r).settled for r in ids),
        running=settler.scheduler.running,
        sent=w3.eth.get_transaction_count(settler_key.address),
    )
    _set_balance(w3, settler_key.address, REFUND)
    wait_for(lambda: all(tenant.lease(r).settled for r in ids), what="every lease closed after the refund")
    after_health = _health(settler)
    settler.stop()

    closed = per_id(tenant, tenant.market, "LeaseClosed", "leaseId", ids)
    books = books_balance(tenant, protocol)
    bounty = tenant.params()["settleBounty"]
    episodes = settler.captured.events("insufficient_funds")
    checks = dict(
        no_payment_lost=all(books.values())
        and tenant.balance_of(tenant.payment_token, settler_key.address) == leases * bounty,
        no_payment_twice=once_each(closed, ids)
        and w3.eth.get_transaction_count(settler_key.address) == transactions
        and len(journal_entries(settler.config.transactions.state_dir, settler_key.address)) == transactions,
        nothing_left_unsettled=all(tenant.lease(r).settled for r in ids)
        and keeper_pending(settler) == []
        and during["running"],
        fault_in_logs=len(episodes) == 1 and len(settler.captured.events("funds_restored")) == 1,
        fault_in_metrics=during["gauge"] == 1
        and during["health"][0] == 503
        and during["health"][1]["status"] == "out_of_funds"
        and settler.metrics.value("out_of_funds") == 0
        and after_health[0] == 200,
    )
    line = episodes[0]["message"].replace(settler_key.address, "<keeper account>") if episodes else "-"
    return checks, during, line, books, settler


def test_settler_with_an_empty_account_reports_it_and_closes_everything_once_refunded(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    checks, during, line, books, settler = _run(
        protocol,
        matcher_account,
        client_for,
        funded_key,
        fault_keepers,
        w3,
        leases=2,
        balance=lambda *_: 0,
        batch=50,  # the default: both leases in one closeLeases
    )
    fault_report.record(
        7,
        "empty account before the work",
        "anvil_setBalance 0 on the settler's account, two leases expired, then 1e20 wei sent",
        "every tick's batch close refused before signing (insufficient_funds_total, out_of_funds 1), one log line "
        f'"{line}", /health {during["health"][0]} '
        f"{during['health'][1].get('status')}; keeper kept ticking; "
        "after the refund both leases closed once, in one transaction",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, during, books)
    assert during["settled"] == 0 and during["sent"] == 0
    assert settler.metrics.value("job_failures_total", {"job": "settle"}) >= 3
    assert "cannot pay for gas: balance 0 wei" in line


def test_settler_that_runs_dry_mid_batch_keeps_the_rest_and_finishes_once_refunded(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    def one_close(settler_key, tenant, ids):
        # The sender needs gas * 1.2 (its headroom) at a 1 gwei fee cap (zero base fee + its tip):
        # half again as much pays the first close and leaves too little for a second.
        gas = tenant.market.functions.closeLease(ids[0]).estimate_gas({"from": settler_key.address})
        return math.ceil(gas * 1.2) * GWEI * 3 // 2

    checks, during, _line, books, _settler = _run(
        protocol,
        matcher_account,
        client_for,
        funded_key,
        fault_keepers,
        w3,
        leases=3,
        balance=one_close,
        batch=1,  # one closeLease a lease, so the money can run out between transactions
    )
    fault_report.record(
        7,
        "account runs dry mid-batch",
        "settler closing one lease a transaction (close_batch_size 1); its account holds gas money for one of "
        "three expired leases' closes, then 1e20 wei sent",
        f"{during['settled']} lease closed, the rest refused before signing with one log line and "
        f"/health {during['health'][0]} {during['health'][1].get('status')}; "
        "after the refund the other two closed once each",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, during, books)
    assert during["settled"] == 1 and during["sent"] == 1
