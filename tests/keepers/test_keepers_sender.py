import threading

import pytest

from keepers.contracts.transact import Transact
from keepers.journal import TxStatus
from keepers.observability import Metrics
from keepers.sender import Refused, TransactionFailed

from keeper_helpers import LOW_BASE_FEE, STUCK_BASE_FEE, FakeClock, automine_off, mine_with_base_fee

GWEI = 10**9


def test_send_mines_and_journals(w3, token, make_sender, keeper_account):
    sender = make_sender()
    result = sender.send(Transact(token.functions.mint(keeper_account.address, 7), label="mint"))
    assert token.functions.balanceOf(keeper_account.address).call() == 7
    assert result.replacements == 0
    assert w3.eth.get_transaction(result.tx_hash)["nonce"] == result.nonce
    entry = sender.journal.get(1)
    assert entry.status == TxStatus.MINED and entry.tx_hashes == [result.tx_hash]
    assert entry.block_number == result.block_number
    assert sender.metrics.value("tx_sent_total", {"label": "mint"}) == 1
    assert sender.metrics.value("account_balance_wei") == float(w3.eth.get_balance(keeper_account.address))


def test_refuses_reverting_call_with_custom_error_and_sends_nothing(w3, token, make_sender, keeper_account):
    sender = make_sender()
    nonce_before = w3.eth.get_transaction_count(keeper_account.address)
    with pytest.raises(Refused) as refused:
        sender.send(Transact(token.functions.transfer(w3.eth.accounts[1], 5), label="transfer"))
    assert refused.value.error_name == "ERC20InsufficientBalance"
    assert refused.value.error_args == (keeper_account.address, 0, 5)
    assert str(refused.value) == (
        f"transfer: refused, the call would revert with ERC20InsufficientBalance({keeper_account.address}, 0, 5)"
    )
    assert w3.eth.get_transaction_count(keeper_account.address, "pending") == nonce_before
    assert sender.journal.pending(keeper_account.address) == []
    assert sender.metrics.value("tx_refused_total", {"label": "transfer"}) == 1
    assert sender.metrics.value("tx_sent_total", {"label": "transfer"}) == 0


def test_a_bounded_gas_limit_skips_the_estimate_and_a_revert_shows_in_the_receipt(
    w3, token, make_sender, keeper_account, monkeypatch
):
    """`send(gas=...)`: the caller bounded the gas (the matcher's batches), so the node executes the call
    once; a call that reverts is mined, raised as `TransactionFailed` with its receipt and journaled REVERTED."""
    sender = make_sender()
    estimates = []
    estimate_gas = sender.w3.eth.estimate_gas
    monkeypatch.setattr(sender.w3.eth, "estimate_gas", lambda *a, **k: (estimates.append(a), estimate_gas(*a, **k))[1])
    result = sender.send(Transact(token.functions.mint(keeper_account.address, 7), label="mint"), gas=100_000)
    assert w3.eth.get_transaction(result.tx_hash)["gas"] == 100_000
    assert token.functions.balanceOf(keeper_account.address).call() == 7

    with pytest.raises(TransactionFailed) as failed:
        sender.send(Transact(token.functions.transfer(w3.eth.accounts[1], 8), label="transfer"), gas=100_000)
    assert failed.value.receipt["status"] == 0
    assert sender.journal.get(2).status == TxStatus.REVERTED
    assert sender.metrics.value("tx_failed_total", {"label": "transfer"}) == 1
    assert estimates == []
    assert token.functions.balanceOf(keeper_account.address).call() == 7


def test_receipts_come_as_web3_formats_them(w3, token, make_sender, keeper_account):
    """The sender formats receipt logs itself (web3's formatters were most of a large batch's receipt time):
    the same receipt, field for field, as `get_transaction_receipt`, logs and a revert's included."""
    sender = make_sender()
    mined = sender.send(Transact(token.functions.mint(keeper_account.address, 7), label="mint"))
    with pytest.raises(TransactionFailed) as failed:
        sender.send(Transact(token.functions.transfer(w3.eth.accounts[1], 8), label="transfer"), gas=100_000)
    for tx_hash in (mined.tx_hash, failed.value.receipt["transactionHash"].to_0x_hex()):
        ours, web3s = sender._receipt(tx_hash), w3.eth.get_transaction_receipt(tx_hash)
        assert ours == web3s
        assert [type(log) for log in ours["logs"]] == [type(log) for log in web3s["logs"]]
    assert len(mined.receipt["logs"]) == 1
    assert sender._receipt("0x" + "ab" * 32) is None


def test_a_receipt_is_looked_for_within_milliseconds_then_at_doubling_intervals(w3, token, make_sender, keeper_account):
    """A receipt not there at once is looked for 10 ms later, then 20, 40 ms... up to the poll interval (1 s
    here): waiting a whole interval first added a second to a match whenever the node answered first."""
    clock = FakeClock()
    waits = []

    def on_sleep():
        waits.append(round(clock.now - sum(waits), 6))
        if len(waits) == 8:
            w3.provider.make_request("evm_mine", [])

    clock.on_sleep = on_sleep
    sender = make_sender(clock=clock)
    with automine_off(w3):
        sender.send(Transact(token.functions.mint(keeper_account.address, 3), label="mint"))
    assert waits == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0]


def test_concurrent_sends_get_consecutive_nonces(w3, token, make_sender, keeper_account):
    sender = make_sender()
    first_nonce = w3.eth.get_transaction_count(keeper_account.address)
    results, errors = [], []

    def mint(amount):
        try:
            minted = Transact(token.functions.mint(keeper_account.address, amount), label=f"mint-{amount}")
            results.append(sender.send(minted))
        except Exception as error:  # collected so the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=mint, args=(amount,)) for amount in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(result.nonce for result in results) == list(range(first_nonce, first_nonce + 6))
    assert w3.eth.get_transaction_count(keeper_account.address) == first_nonce + 6
    assert token.functions.balanceOf(keeper_account.address).call() == sum(range(1, 7))


def test_stuck_transaction_is_replaced_at_same_nonce(w3, token, make_sender, keeper_account):
    clock = FakeClock()
    sender = make_sender(clock=clock)
    nonce = w3.eth.get_transaction_count(keeper_account.address)
    mine_with_base_fee(w3, LOW_BASE_FEE)
    # Every poll mines a block whose base fee is above the first version's cap.
    clock.on_sleep = lambda: mine_with_base_fee(w3, STUCK_BASE_FEE)
    with automine_off(w3):
        result = sender.send(Transact(token.functions.mint(keeper_account.address, 9), label="mint"))
    entry = sender.journal.get(1)
    assert result.nonce == nonce and result.replacements == 1
    assert len(entry.tx_hashes) == 2 and result.tx_hash == entry.tx_hashes[1]
    mined = w3.eth.get_transaction(result.tx_hash)
    assert mined["nonce"] == nonce
    assert mined["maxPriorityFeePerGas"] >= 1.1 * GWEI
    assert sender.metrics.value("tx_replaced_total", {"label": "mint"}) == 1
    assert token.functions.balanceOf(keeper_account.address).call() == 9
    assert w3.eth.get_transaction_count(keeper_account.address) == nonce + 1


def test_restart_does_not_resend_a_mined_transaction(w3, token, make_sender, keeper_account):
    crashing = FakeClock()
    crashing.on_sleep = _crash
    sender = make_sender(clock=crashing)
    nonce = w3.eth.get_transaction_count(keeper_account.address)
    with automine_off(w3):
        with pytest.raises(KeeperCrashed):
            sender.send(Transact(token.functions.mint(keeper_account.address, 4), label="mint"))
        (pending,) = sender.journal.pending(keeper_account.address)
        w3.provider.make_request("evm_mine", [])
    restarted = make_sender(metrics=Metrics())
    (recovered,) = restarted.recover()
    assert recovered.id == pending.id and recovered.status == TxStatus.MINED
    assert w3.eth.get_transaction_count(keeper_account.address, "pending") == nonce + 1
    assert restarted.metrics.value("tx_sent_total", {"label": "mint"}) == 0
    assert restarted.metrics.value("tx_replaced_total", {"label": "mint"}) == 0
    assert token.functions.balanceOf(keeper_account.address).call() == 4


def test_restart_replaces_a_still_pending_nonce_instead_of_sending_anew(w3, token, make_sender, keeper_account):
    crashing = FakeClock()
    crashing.on_sleep = _crash
    sender = make_sender(clock=crashing)
    nonce = w3.eth.get_transaction_count(keeper_account.address)
    clock = FakeClock()
    clock.on_sleep = lambda: mine_with_base_fee(w3, STUCK_BASE_FEE)
    mine_with_base_fee(w3, LOW_BASE_FEE)
    with automine_off(w3):
        with pytest.raises(KeeperCrashed):
            sender.send(Transact(token.functions.mint(keeper_account.address, 4), label="mint"))
        restarted = make_sender(clock=clock, metrics=Metrics())
        (recovered,) = restarted.recover()
    assert recovered.status == TxStatus.MINED and len(recovered.tx_hashes) == 2
    assert w3.eth.get_transaction(recovered.tx_hashes[1])["nonce"] == nonce
    assert w3.eth.get_transaction_count(keeper_account.address) == nonce + 1
    assert restarted.metrics.value("tx_replaced_total", {"label": "mint"}) == 1
    assert token.functions.balanceOf(keeper_account.address).call() == 4


def test_restart_rebroadcasts_at_once_a_nonce_the_node_lost(w3, token, make_sender, keeper_account):
    crashing = FakeClock()
    crashing.on_sleep = _crash
    sender = make_sender(clock=crashing)
    nonce = w3.eth.get_transaction_count(keeper_account.address)
    with automine_off(w3):
        with pytest.raises(KeeperCrashed):
            sender.send(Transact(token.functions.mint(keeper_account.address, 4), label="mint"))
        w3.provider.make_request("anvil_dropAllTransactions", [])
    restarted = make_sender(metrics=Metrics())
    (recovered,) = restarted.recover()
    assert recovered.status == TxStatus.MINED and len(recovered.tx_hashes) == 2
    assert w3.eth.get_transaction(recovered.tx_hashes[1])["nonce"] == nonce
    assert token.functions.balanceOf(keeper_account.address).call() == 4


class KeeperCrashed(Exception):
    """Stands for the process dying right after the broadcast."""


def _crash():
    raise KeeperCrashed
