"""The campaign's reads of the chain wait for what they read, and a read that never comes is a
harness error, not an invariant violation (issue 18).

The seed-11 stop ("block time None != model") came from this path: under load Anvil advances a
sender's nonce before it serves the block and receipt of the transaction; brownie then calls the
mined transaction dropped, and `recovering_dropped` built a fresh receipt at once, whose own
confirmation met the same race and came back Dropped, with no block, so `timestamp` None. Here
the race is made exact: automine off (the block is late or never comes) and the sender's nonce
read one ahead, as Anvil served it.
"""

import threading

import brownie
import pytest
from brownie import accounts, web3
from brownie.network.transaction import TransactionReceipt

from scripts import localchain
from scripts.campaign import Campaign, CampaignFailure, HarnessFailure, without_undo_snapshots
from scripts.campaign.chain import block_time, chain_time, mined
from scripts.localchain import HarnessError

LATE_BLOCK_SECONDS = 0.3


@pytest.fixture
def manual_mining(anvil):
    """Blocks come only when the test mines them; automine is back on afterwards."""
    anvil.rpc("evm_setAutomine", [False])
    try:
        yield anvil
    finally:
        anvil.rpc("evm_setAutomine", [True])
        anvil.rpc("evm_mine")


@pytest.fixture
def nonce_ahead(monkeypatch):
    """The sender's nonce as Anvil serves it mid-mining: one past the pending transaction."""
    real = web3.eth.get_transaction_count

    def ahead(address, *args):
        return real(address, *args) + 1

    def arm():
        monkeypatch.setattr(web3.eth, "get_transaction_count", ahead)

    return arm


def pending_transfer(nonce_ahead):
    """A transfer sent but not mined, whose sender's nonce the node already shows as spent."""
    sender = accounts[0]
    nonce = sender.nonce
    nonce_ahead()
    return sender, sender.transfer(accounts[1], 1, nonce=nonce, required_confs=0)


def mine_later(anvil) -> threading.Timer:
    timer = threading.Timer(LATE_BLOCK_SECONDS, anvil.rpc, ("evm_mine",))
    timer.start()
    return timer


def test_given_the_race_a_receipt_read_at_once_has_no_block_time(manual_mining, nonce_ahead):
    # The old recovery's read, kept as the proof of the root cause: Dropped, and no block time.
    _, tx = pending_transfer(nonce_ahead)
    fresh = TransactionReceipt(tx.txid, sender=accounts[0], silent=True)
    assert fresh.status < 0
    assert fresh.timestamp is None


def test_when_brownie_calls_a_late_transaction_dropped_the_recovery_waits_for_its_block(manual_mining, nonce_ahead):
    sender, tx = pending_transfer(nonce_ahead)
    timer = mine_later(manual_mining)
    # brownie's own wait calls it dropped; the recovery (tests/conftest.py) waits for the receipt.
    receipt = sender._await_confirmation(tx, 1, None, None)
    timer.join()
    assert receipt.status == 1
    assert receipt.timestamp == web3.eth.get_block(receipt.block_number)["timestamp"]


def test_when_the_block_never_comes_the_recovery_fails_as_a_harness_error(manual_mining, nonce_ahead, monkeypatch):
    monkeypatch.setattr(localchain, "READ_TIMEOUT_SECONDS", LATE_BLOCK_SECONDS)
    sender, tx = pending_transfer(nonce_ahead)
    with pytest.raises(HarnessError, match="no receipt") as raised:
        sender._await_confirmation(tx, 1, None, None)
    assert not isinstance(raised.value, AssertionError)  # never taken for an invariant violation


def test_mined_reads_again_a_receipt_brownie_left_unconfirmed(manual_mining):
    tx = accounts[0].transfer(accounts[1], 1, required_confs=0)
    assert tx.status < 0
    timer = mine_later(manual_mining)
    receipt = mined(tx)
    timer.join()
    assert receipt.status == 1 and receipt.block_number is not None


def test_block_time_waits_for_a_late_block(manual_mining):
    number = web3.eth.block_number + 1
    timer = mine_later(manual_mining)
    at = block_time(number)
    timer.join()
    assert at == web3.eth.get_block(number)["timestamp"]


def test_block_time_of_a_block_never_mined_is_a_harness_error(manual_mining):
    with pytest.raises(HarnessError, match="not served"):
        block_time(web3.eth.block_number + 1, timeout=LATE_BLOCK_SECONDS)


def test_a_harness_error_inside_a_step_stops_the_walk_as_a_harness_failure(anvil, monkeypatch):
    with without_undo_snapshots():
        campaign = Campaign(5)
        try:

            def unserved(*args, **kwargs):
                raise HarnessError("block 1 not served after 0 s")

            monkeypatch.setattr("scripts.campaign.handlers.base.block_time", unserved)
            with pytest.raises(HarnessFailure) as raised:
                campaign.run(50)
        finally:
            campaign.close()
    assert not isinstance(raised.value, CampaignFailure)
    assert f"--steps {raised.value.step + 1} --seed 5" in str(raised.value)


WALK_STEPS = 150


def walk_digests(seed: int, start_time: int) -> tuple[list[str], str]:
    digests = []
    with without_undo_snapshots():
        campaign = Campaign(seed, start_time=start_time)
        try:
            campaign.run(WALK_STEPS, on_step=lambda c: digests.append(c.digest) if c.step % 50 == 0 else None)
        finally:
            campaign.close()
    return digests, campaign.digest


def test_one_seed_walks_the_same_walk_twice_and_another_seed_does_not(anvil):
    start = chain_time() + 1_000
    brownie.chain.snapshot()
    first = walk_digests(3, start)
    brownie.chain.revert()
    again = walk_digests(3, start)
    brownie.chain.revert()
    other = walk_digests(4, start)
    assert first == again
    assert first[1] != other[1]
