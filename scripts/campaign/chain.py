"""The campaign's reads of the chain: each waits for what it reads, within a bounded time.

A receipt, a block or a view the chain does not serve within READ_TIMEOUT_SECONDS raises
scripts.localchain.HarnessError, which the walk reports as a harness error, never as an invariant
violation: under load, Anvil may advance a sender's nonce before it serves the block and the
receipt (docs/campaign.md, "Harness errors").
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import brownie.network.account as brownie_account
from brownie import web3
from brownie.network.transaction import TransactionReceipt
from web3.exceptions import BlockNotFound

from scripts import localchain
from scripts.campaign.failures import require
from scripts.localchain import HarnessError, wait_for_receipt


def rpc(method: str, params: list):
    """One JSON-RPC call; an error answer is the harness's (a cheat code the node refused)."""
    response = web3.provider.make_request(method, params)
    if "error" in response:
        raise HarnessError(f"{method}: {response['error']}")
    return response.get("result")


def chain_time() -> int:
    return web3.eth.get_block("latest")["timestamp"]


def block_time(number: int, timeout: float | None = None) -> int:
    """The timestamp of block `number`, once the chain serves that block."""
    timeout = localchain.READ_TIMEOUT_SECONDS if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while True:
        try:
            return web3.eth.get_block(number)["timestamp"]
        except BlockNotFound:
            if time.monotonic() >= deadline:
                raise HarnessError(f"block {number} not served after {timeout:g} s") from None
            time.sleep(localchain.POLL_SECONDS)


def mined(tx, timeout: float | None = None):
    """A sent transaction's receipt with its status, block and logs read from the chain.

    brownie hands back a receipt it could not confirm (status Pending or Dropped: no block, no
    logs, `timestamp` None) when it lost a race with the node; read it again once the chain
    serves it, or fail as a harness error.
    """
    if tx.status >= 0:
        return tx
    wait_for_receipt(tx.txid, timeout)
    fresh = TransactionReceipt(tx.txid, sender=tx.sender, silent=True, name=tx._full_name())
    if fresh.status < 0:
        raise HarnessError(f"transaction {tx.txid} has a receipt but brownie reads it as {fresh.status.name}")
    return fresh


def read_batch(calls: list[tuple]) -> list:
    """Reads many views in one JSON-RPC batch (one round trip, no per-call chain-id lookups).

    A batch the node does not answer is a harness error; a view that reverts is a finding.
    """
    if not calls:
        return []
    batch = [("eth_call", [{"to": fn._address, "data": fn.encode_input(*args)}, "latest"]) for fn, *args in calls]
    responses = web3.provider.make_batch_request(batch)
    if isinstance(responses, dict):
        raise HarnessError(f"view batch failed: {responses}")
    if len(responses) != len(calls):
        raise HarnessError(f"view batch of {len(calls)} answered {len(responses)} times")
    responses = sorted(responses, key=lambda r: r["id"])
    values = []
    for (fn, *args), response in zip(calls, responses):
        require("error" not in response, f"view {fn._name}{tuple(args)} failed: {response.get('error')}")
        values.append(fn.decode_output(response["result"]))
    return values


@contextlib.contextmanager
def without_undo_snapshots() -> Iterator[None]:
    """Stops brownie from taking an evm_snapshot after every transaction (for `chain.undo`).

    A walk of 50,000 transactions would otherwise keep 50,000 snapshots of the whole chain state
    in Anvil's memory. `brownie.network.account` is plain Python and builds a fresh `Chain()` for
    each transaction, so swapping that name is enough; everything else still reaches the real one.
    """
    real = brownie_account.Chain

    class _NoUndo:
        def __init__(self):
            self._chain = real()

        def _add_to_undo_buffer(self, *args):
            return None

        def __getattr__(self, name):
            return getattr(self._chain, name)

    brownie_account.Chain = _NoUndo
    try:
        yield
    finally:
        brownie_account.Chain = real
