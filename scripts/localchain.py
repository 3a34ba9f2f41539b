"""brownie, as a library, on an Anvil chain this process started by PID.

The demo and the gas script are plain Python programs (`python -m scripts.X`):
they start their own Anvil on a free port, point brownie's development network
at it, and stop it by PID when done.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

import brownie
from brownie import network, project, web3
from brownie.exceptions import TransactionError
from brownie.network.account import _PrivateKeyAccount
from brownie.network.transaction import TransactionReceipt
from web3.exceptions import TimeExhausted

from keepers.devchain import REPO_ROOT, Anvil

# brownie 1.22 warns about its own deprecated `rpc.*` calls (from `chain.*` and its threads): not
# ours to fix, and noise in every script's output. pyproject.toml filters it for the test suite.
warnings.filterwarnings("ignore", message=r"rpc\.\w+ should not be called directly", category=FutureWarning)


@contextlib.contextmanager
def brownie_on_anvil(anvil: Anvil) -> Iterator[object]:
    """Loads the brownie project and connects it to `anvil`; yields the project."""
    loaded = project.get_loaded_projects()
    build = loaded[0] if loaded else project.load(str(REPO_ROOT), name="Leasehold")
    build.load_config()
    brownie._CONFIG.networks["development"]["cmd_settings"]["port"] = anvil.port
    network.connect("development")
    try:
        with recovering_dropped():
            yield build
    finally:
        _wait_for_undo_snapshots()
        network.disconnect(kill_rpc=False)


def _wait_for_undo_snapshots() -> None:
    """Lets brownie finish the evm_snapshot it takes after each transaction, in a thread of its own.

    Disconnecting under such a thread makes it print a traceback about a closed connection.
    """
    # brownie is compiled, so its threads cannot be told apart by target; these scripts start
    # no threads of their own, so every other daemon thread is one of brownie's short-lived ones.
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(timeout=10)


# How long a read of the chain waits for what it reads (a receipt, a block) before it gives up
# with a HarnessError. Generous: a loaded machine mines late, but a chain that never serves a
# mined transaction is a broken harness, and must not be taken for a protocol finding.
READ_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.05


class HarnessError(RuntimeError):
    """The harness could not read from the chain what it needed in time: not a protocol finding."""


def wait_for_receipt(txid: str, timeout: float | None = None):
    """The transaction's receipt once the chain serves it, or a HarnessError after `timeout` s."""
    timeout = READ_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        return web3.eth.wait_for_transaction_receipt(txid, timeout=timeout, poll_latency=POLL_SECONDS)
    except TimeExhausted:
        raise HarnessError(f"no receipt for transaction {txid} after {timeout:g} s") from None


@contextlib.contextmanager
def recovering_dropped() -> Iterator[None]:
    """Takes a transaction brownie calls dropped from Anvil instead, where it was mined.

    Now and then, more often on a loaded machine, brownie on Anvil reports a mined transaction
    as "dropped without known replacement": it looks the hash up, Anvil has already advanced the
    sender's nonce but not yet stored the block, and brownie takes the nonce for a replacement.
    Anvil serves the transaction and its receipt a moment later: a fresh receipt object for the
    same hash is the real outcome (a revert still raises, as brownie checks the status after).

    The fresh object is built only once the chain serves the receipt (waiting at most
    READ_TIMEOUT_SECONDS, then a HarnessError): built at once, its own confirmation could meet
    the same race (the nonce ahead, the receipt not yet there), call it dropped again and hand
    back a receipt with no status, block or logs, whose `timestamp` is None. That was the
    campaign's "block time None != model" stop at seed 11, step 18,212 (issue 18).
    Every script on `brownie_on_anvil` has it, and so has the test session (tests/conftest.py).
    """
    original = _PrivateKeyAccount._await_confirmation

    def await_confirmation(self, receipt, required_confs, gas_strategy, gas_iter):
        try:
            return original(self, receipt, required_confs, gas_strategy, gas_iter)
        except TransactionError as error:
            if "dropped" not in str(error):
                raise
            wait_for_receipt(receipt.txid)
            fresh = TransactionReceipt(receipt.txid, sender=self, silent=True, name=receipt._full_name())
            if fresh.status < 0:
                raise HarnessError(
                    f"transaction {receipt.txid} has a receipt but brownie reads it as {fresh.status.name}"
                ) from None
            return fresh

    _PrivateKeyAccount._await_confirmation = await_confirmation
    try:
        yield
    finally:
        _PrivateKeyAccount._await_confirmation = original
