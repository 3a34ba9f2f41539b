"""Scenario 4: a settler's transaction stuck in the pool is replaced at the same nonce.

A real settler closes an expired lease while its first version cannot be mined: once
because every block's base fee rises above its fee cap, once because mining stops. The
settler re-signs the same nonce with higher fees; exactly one version is mined, the
lease is closed once and its bounty paid once.
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
    pending_nonce,
    per_id,
    receipt_or_none,
    rental_leases,
    wait_for,
)
from protocol_setup import HOUR

GWEI = 10**9
# With the latest base fee at LOW_BASE_FEE the settler caps its first version at 2 * 1 + 1 (its
# priority fee) = 3 gwei; blocks at STUCK_BASE_FEE cannot include it, a bumped version fits.
LOW_BASE_FEE = 1 * GWEI
STUCK_BASE_FEE = 3_200_000_000


def test_stuck_close_under_a_rising_base_fee_is_replaced_and_mined_once(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, (lease_id,) = rental_leases(protocol, matcher_account, client_for, funded_key, count=1)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    with mining_paused(w3):
        mine_now(w3, LOW_BASE_FEE)
        settler = fault_keepers(SettlerKeeper, settler_key, transactions={"replace_after_seconds": 1})
        wait_for(lambda: pending_nonce(w3, settler_key.address) == 1, what="the first version in the pool")

        def mined_stuck_block():
            mine_now(w3, STUCK_BASE_FEE)
            return tenant.lease(lease_id).settled

        wait_for(mined_stuck_block, timeout=30, what="the replacement to be mined")
    settler.stop()

    _record_and_check(
        fault_report,
        "first version's fee cap below every new block's base fee",
        "settler's closeLease signed at 3 gwei, blocks then closed at a 3.2 gwei base fee",
        tenant,
        settler,
        settler_key,
        lease_id,
        protocol,
        w3,
        replacements=1,
    )


def test_close_sent_while_mining_is_paused_is_replaced_in_the_pool_and_mined_once(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, (lease_id,) = rental_leases(protocol, matcher_account, client_for, funded_key, count=1)
    advance(2 * HOUR)
    settler_key = funded_key(0)
    with mining_paused(w3):
        settler = fault_keepers(SettlerKeeper, settler_key, transactions={"replace_after_seconds": 1})
        wait_for(
            lambda: settler.metrics.value("tx_replaced_total", {"label": "close_lease"}) >= 2,
            timeout=30,
            what="two replacements in the paused pool",
        )
        mine_now(w3)
    wait_for(lambda: tenant.lease(lease_id).settled, what="the close to be mined")
    settler.stop()

    _record_and_check(
        fault_report,
        "mining paused while the transaction waits",
        "automine off: settler's closeLease held in the pool past replace_after_seconds, then one block mined",
        tenant,
        settler,
        settler_key,
        lease_id,
        protocol,
        w3,
        replacements=2,
    )


def _record_and_check(fault_report, case, injected, tenant, settler, settler_key, lease_id, protocol, w3, replacements):
    (entry,) = journal_entries(settler.config.transactions.state_dir, settler_key.address)
    receipts = [receipt_or_none(w3, tx_hash) for tx_hash in entry.tx_hashes]
    mined = [r for r in receipts if r is not None]
    nonces = {w3.eth.get_transaction(h)["nonce"] for h, r in zip(entry.tx_hashes, receipts) if r is not None}
    closed = per_id(tenant, tenant.market, "LeaseClosed", "leaseId", [lease_id])
    bounty = tenant.params()["settleBounty"]
    books = books_balance(tenant, protocol)
    replaced = settler.metrics.value("tx_replaced_total", {"label": "close_lease"})
    checks = dict(
        no_payment_lost=all(books.values()) and tenant.balance_of(tenant.payment_token, settler_key.address) == bounty,
        no_payment_twice=once_each(closed, [lease_id])
        and len(mined) == 1
        and w3.eth.get_transaction_count(settler_key.address) == 1,
        nothing_left_unsettled=tenant.lease(lease_id).settled and keeper_pending(settler) == [],
        fault_in_logs=len(settler.captured.events("tx_replaced")) >= 1,
        fault_in_metrics=replaced >= 1,
    )
    fault_report.record(
        4,
        case,
        injected,
        f"the first version never mined; {'a replacement' if replacements == 1 else 'replacements'} re-signed at "
        "the same nonce, logged (tx_replaced) and counted (tx_replaced_total); exactly one version mined, "
        "one LeaseClosed, the bounty paid once",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, books)
    assert len(entry.tx_hashes) >= 2 and nonces == {entry.nonce}
    assert entry.status == "mined"
