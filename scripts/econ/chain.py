"""The simulation's one way to the chain: rounds of transactions sent in JSON-RPC batches.

Every call is a `keepers.contracts` `Transact` (built in calls.py); this module only encodes it,
sends it from an agent's address (Anvil impersonates every address, so no key signs) and reads
the receipts. A round is a set of transactions that do not depend on each other, sent with
automining off, then mined block by block until all are in: thousands take seconds. Inside a
block Anvil orders by priority fee, so a front-runner is a transaction with a higher one.
Time moves with evm_increaseTime and evm_mine, never with sleeps.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import requests
from web3 import Web3

from keepers.contracts.transact import Transact

BATCH = 200  # requests per JSON-RPC batch
GAS_LIMIT = 3_000_000  # per transaction; a match batch names its own
ETHER = 10**18


class SimulationError(RuntimeError):
    """A transaction the simulation needed reverted, or the chain did not mine what was sent."""


@dataclass
class Tx:
    """One call of one agent. `expect_revert`: a race the agent may lose (the loser still pays gas)."""

    sender: str
    transact: Transact
    tag: object = None
    priority: int = 1  # wei of priority fee: a front-runner sets more
    gas: int = GAS_LIMIT
    expect_revert: bool = False


@dataclass
class Outcome:
    tx: Tx
    ok: bool
    gas_used: int
    receipt: dict


@dataclass
class GasBook:
    """Gas used per address and per label, from receipts."""

    by_sender: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_label: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    transactions: int = 0
    reverted: int = 0


class Chain:
    """Rounds of transactions on one Anvil chain."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.url = w3.provider.endpoint_uri
        self.session = requests.Session()
        self.nonces: dict[str, int] = {}
        self.gas = GasBook()

    # ---------------------------------------------------------------- raw JSON-RPC

    def rpc(self, method: str, params: list | None = None):
        reply = self.session.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=300
        ).json()
        if "error" in reply:
            raise SimulationError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls: list[tuple[str, list]]) -> list[dict]:
        replies: list[dict] = []
        for start in range(0, len(calls), BATCH):
            body = [
                {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
                for i, (method, params) in enumerate(calls[start : start + BATCH])
            ]
            answer = self.session.post(self.url, json=body, timeout=300).json()
            replies += sorted(answer, key=lambda reply: reply["id"])
        return replies

    # ---------------------------------------------------------------- accounts and time

    def impersonate_all(self, on: bool) -> None:
        self.rpc("anvil_autoImpersonateAccount", [on])

    def fund_ether(self, addresses: list[str]) -> None:
        self.batch([("anvil_setBalance", [address, hex(1_000 * ETHER)]) for address in addresses])

    def now(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def advance(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", [int(seconds)])
        self.rpc("evm_mine")

    # ---------------------------------------------------------------- rounds

    def round(self, txs: list[Tx]) -> list[Outcome]:
        """Sends `txs` (independent of each other, or ordered by sender), mines them, returns outcomes
        in order. Raises on a revert no transaction expected."""
        if not txs:
            return []
        sends = []
        for tx in txs:
            nonce = self.nonces.get(tx.sender)
            if nonce is None:
                nonce = int(self.rpc("eth_getTransactionCount", [tx.sender, "pending"]), 16)
            self.nonces[tx.sender] = nonce + 1
            function = tx.transact.function
            sends.append(
                (
                    "eth_sendTransaction",
                    [
                        {
                            "from": tx.sender,
                            "to": function.address,
                            "data": function._encode_transaction_data(),
                            "gas": hex(tx.gas),
                            "maxFeePerGas": hex(tx.priority),
                            "maxPriorityFeePerGas": hex(tx.priority),
                            "nonce": hex(nonce),
                            "value": hex(tx.transact.value),
                        }
                    ],
                )
            )
        self.rpc("evm_setAutomine", [False])
        try:
            replies = self.batch(sends)
            refused = [reply["error"] for reply in replies if "error" in reply]
            if refused:
                self.nonces.clear()
                raise SimulationError(f"{len(refused)} of {len(txs)} transactions refused by the node: {refused[0]}")
            hashes = [reply["result"] for reply in replies]
            deadline = time.monotonic() + 600
            while int(self.rpc("txpool_status")["pending"], 16) > 0:
                if time.monotonic() > deadline:
                    raise SimulationError(f"{len(txs)} transactions not all mined after 600 s")
                self.rpc("evm_mine")
        finally:
            self.rpc("evm_setAutomine", [True])
        receipts = [reply["result"] for reply in self.batch([("eth_getTransactionReceipt", [h]) for h in hashes])]
        outcomes = []
        for tx, receipt in zip(txs, receipts):
            if receipt is None:
                raise SimulationError(f"{tx.transact.label} of {tx.sender} ({tx.tag}) has no receipt")
            ok = int(receipt["status"], 16) == 1
            gas_used = int(receipt["gasUsed"], 16)
            self.gas.by_sender[tx.sender] += gas_used
            self.gas.by_label[tx.transact.label].append(gas_used)
            self.gas.transactions += 1
            if not ok:
                self.gas.reverted += 1
                if not tx.expect_revert:
                    raise SimulationError(f"{tx.transact.label} by {tx.sender} ({tx.tag}) reverted unexpectedly")
            outcomes.append(Outcome(tx, ok, gas_used, receipt))
        return outcomes

    def one(self, tx: Tx) -> Outcome:
        return self.round([tx])[0]


def indexed_ids(outcome: Outcome, wrapper, event: str) -> list[int]:
    """The first indexed argument (an id) of every `event` that `wrapper`'s contract emitted in
    the transaction, read from the raw receipt's topics."""
    from eth_utils import event_abi_to_log_topic

    abi = next(item for item in wrapper.abi if item.get("type") == "event" and item["name"] == event)
    topic = "0x" + event_abi_to_log_topic(abi).hex()
    address = wrapper.address.lower()
    return [
        int(log["topics"][1], 16)
        for log in outcome.receipt["logs"]
        if log["address"].lower() == address and log["topics"] and log["topics"][0].lower() == topic
    ]
