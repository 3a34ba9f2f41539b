"""The one place that sends transactions.

`TransactionSender.send(call)` takes the `Transact` a contract wrapper built
(keepers/contracts), simulates it and refuses one that
would revert (naming the contract's custom error; a caller that bounds the gas
itself skips this, and sees a revert in the receipt), assigns the nonce under a
lock, prices it with EIP-1559 fees under a ceiling, journals it before the
broadcast, waits for the receipt and re-signs the same nonce with higher fees
when it is stuck. `recover()` finishes what a previous run left pending.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3._utils.method_formatters import receipt_formatter
from web3.datastructures import AttributeDict
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import RPCEndpoint, TxReceipt

from keepers.abi_words import checksum
from keepers.config import TransactionsConfig
from keepers.contracts.reverts import Refused, RevertDecoder
from keepers.contracts.transact import Transact
from keepers.errors import InsufficientFunds, KeeperError
from keepers.journal import Journal, JournalEntry, TxStatus
from keepers.observability import Metrics

GWEI = 10**9
# Messages nodes use when a transaction with this hash or nonce is already known or used.
_ALREADY_KNOWN = ("already known", "already imported", "known transaction")
# Messages refusing a replacement: the old version was mined meanwhile, or the node wants a higher fee.
_REPLACEMENT_NOT_ACCEPTED = ("nonce too low", "nonce has already been used", "replacement transaction underpriced")
# How nodes refuse a transaction the sender's balance cannot pay for (geth, Anvil, Erigon, Nethermind).
_INSUFFICIENT_FUNDS = ("insufficient funds",)


class TransactionFailed(KeeperError):
    """The transaction was sent but reverted on chain, was dropped, or stayed unmined."""

    def __init__(self, label: str, nonce: int | None, reason: str, receipt: TxReceipt | None = None) -> None:
        self.label = label
        self.nonce = nonce
        self.receipt = receipt
        super().__init__(f"{label}: transaction at nonce {nonce} failed: {reason}")


@dataclass(frozen=True)
class SendResult:
    label: str
    nonce: int
    tx_hash: str
    block_number: int
    gas_used: int
    replacements: int
    receipt: TxReceipt


class TransactionSender:
    """Sends transactions for one account. Thread-safe: keeper jobs may send concurrently."""

    GAS_HEADROOM = 1.2  # estimates miss state changes between simulation and inclusion
    # A branch taken at inclusion but not at simulation costs fresh storage slots, not a
    # percentage: a close simulated in the lease's first second pays the provider nothing,
    # mined a second later it pays (a zero-to-non-zero balance, ~22k gas each). Unused gas
    # is not charged, so the margin costs nothing but block space.
    GAS_MARGIN = 60_000
    RECEIPT_LAG_POLLS = 3  # looks for a receipt after its nonce shows as used, before calling it dropped
    # The first look for a receipt after a broadcast waits this long, each next one twice as long up to
    # `poll_seconds`: on a fast chain the receipt is there within milliseconds, and a whole first
    # poll interval (1 s) added a second to a match's latency whenever the node answered the broadcast
    # before it had mined it (docs/performance.md).
    FIRST_POLL_SECONDS = 0.01

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        config: TransactionsConfig,
        journal: Journal,
        metrics: Metrics,
        logger,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 1.0,
        backoff_seconds: float = 0.5,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.config = config
        self.journal = journal
        self.metrics = metrics
        self.log = logger
        self.clock = clock
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        self.backoff_seconds = backoff_seconds
        self.chain_id = self._rpc(lambda: w3.eth.chain_id)
        self._nonce_lock = threading.Lock()
        self._next_nonce: int | None = None
        self._in_flight_cost = 0  # gas money (at fee caps) and value of sent transactions not yet settled

    @property
    def address(self) -> str:
        return self.account.address

    # ---------------------------------------------------------------- sending

    def send(self, transact: Transact, *, gas: int | None = None) -> SendResult:
        """Simulates, signs, broadcasts and waits for the call. Raises `Refused` or `TransactionFailed`.

        Metrics, logs and the journal name it by `transact.label`. `gas`, a limit the caller has
        bounded from above (the matcher's per-pair bound), skips the estimate and with it the
        simulation: the node then executes the call once, not twice, and a revert shows only in
        the receipt (`TransactionFailed` with it, the journal's entry REVERTED).
        """
        label, value = transact.label, transact.value
        to, data = self._encode(transact)
        call = {"from": self.address, "to": to, "data": data, "value": value}
        if gas is None:
            # The estimate is the simulation: it reverts with the call's own revert data, and a
            # separate eth_call would run the whole transaction once more on the node.
            decoder = RevertDecoder(transact.contract_abi)
            estimate = self._simulate(lambda: self.w3.eth.estimate_gas(call, "pending"), decoder, label)
            gas = math.ceil(estimate * self.GAS_HEADROOM) + self.GAS_MARGIN
        max_fee, priority_fee = self._fees()
        cost = gas * max_fee + value
        with self._nonce_lock:
            # Checked under the lock and net of what this account's transactions still in flight may
            # spend: keeper jobs send from several threads, and each alone would see enough money.
            self._check_funds(label, cost, reserved=self._in_flight_cost)
            nonce = self._take_nonce()
            tx = {
                **call,
                "gas": gas,
                "nonce": nonce,
                "chainId": self.chain_id,
                "type": 2,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": priority_fee,
            }
            entry_id = self.journal.record(label, self.address, nonce, tx)
            try:
                tx_hash = self._sign_and_broadcast(entry_id, tx)
            except Web3RPCError as error:
                self._next_nonce = None  # the node refused it, so the node decides the next nonce
                self.journal.finish(entry_id, TxStatus.UNSENT)
                if any(text in str(error).lower() for text in _INSUFFICIENT_FUNDS):
                    self._out_of_funds(label, None)
                self.metrics.tx_failed.labels(label).inc()
                raise
            except Exception:
                # The node may have it: the entry stays pending for `recover()` on the next start.
                self._next_nonce = None
                self.metrics.tx_failed.labels(label).inc()
                raise
            self._next_nonce = nonce + 1
            self._in_flight_cost += cost
        self.metrics.tx_sent.labels(label).inc()
        self.log.info(
            "transaction sent",
            extra={"event": "tx_sent", "label": label, "nonce": nonce, "tx_hash": tx_hash, "max_fee_wei": max_fee},
        )
        try:
            return self._await(self.journal.get(entry_id))
        finally:
            with self._nonce_lock:
                self._in_flight_cost -= cost

    def recover(self) -> list[JournalEntry]:
        """Settles every entry a previous run left pending; never signs a new nonce for them.

        A mined hash is recorded, not resent; a nonce still open is waited for and
        replaced at the same nonce; a nonce used by someone else is marked dropped.
        """
        recovered = []
        for entry in self.journal.pending(self.address):
            self.log.warning(
                "recovering a transaction the previous run left pending",
                extra={"event": "tx_recover", "label": entry.label, "nonce": entry.nonce, "tx_hashes": entry.tx_hashes},
            )
            try:
                self._await(entry, rebroadcast_now=not self._known_to_node(entry.tx_hashes))
            except TransactionFailed as error:
                self.log.warning(str(error), extra={"event": "tx_recover_failed", "label": entry.label})
            settled = self.journal.get(entry.id)
            self.metrics.tx_recovered.labels(settled.status.value).inc()
            self.log.info(
                "journaled transaction recovered",
                extra={
                    "event": "tx_recovered",
                    "label": entry.label,
                    "nonce": entry.nonce,
                    "status": settled.status.value,
                },
            )
            recovered.append(settled)
        with self._nonce_lock:
            self._next_nonce = None
        return recovered

    def resync_nonce(self) -> None:
        """Forgets the cached next nonce: a re-org may have taken our mined transactions with its blocks,
        and counting on from them would leave a gap no later transaction can be mined past."""
        with self._nonce_lock:
            self._next_nonce = None

    # ---------------------------------------------------------------- waiting and replacing

    def _await(self, entry: JournalEntry, *, rebroadcast_now: bool = False) -> SendResult:
        tx, hashes, label = dict(entry.tx), list(entry.tx_hashes), entry.label
        replacements = 0
        deadline = self.clock() if rebroadcast_now else self.clock() + self.config.replace_after_seconds
        wait = min(self.FIRST_POLL_SECONDS, self.poll_seconds)
        while True:
            receipt = self._find_receipt(hashes)
            if receipt is not None:
                return self._finish(entry, receipt, replacements)
            if self._rpc(lambda: self.w3.eth.get_transaction_count(self.address, "latest")) > entry.nonce:
                # The nonce is used, but by none of our hashes (a receipt lags or someone else used it).
                # A busy node can show the new nonce a moment before the receipt: look a few times.
                for _ in range(self.RECEIPT_LAG_POLLS):
                    receipt = self._find_receipt(hashes)
                    if receipt is not None:
                        return self._finish(entry, receipt, replacements)
                    self.sleep(self.poll_seconds)
                self.journal.finish(entry.id, TxStatus.DROPPED)
                self.metrics.tx_failed.labels(label).inc()
                raise TransactionFailed(label, entry.nonce, "nonce used by a transaction that is not ours")
            if self.clock() >= deadline:
                if replacements >= self.config.max_retries:
                    self.metrics.tx_failed.labels(label).inc()
                    raise TransactionFailed(
                        label, entry.nonce, f"not mined after {replacements} replacements; left pending in the journal"
                    )
                replacements += 1
                tx = self._replace(entry.id, tx, label) or tx
                hashes = self.journal.get(entry.id).tx_hashes
                deadline = self.clock() + self.config.replace_after_seconds
            self.sleep(wait)
            wait = min(2 * wait, self.poll_seconds)

    def _replace(self, entry_id: int, tx: dict[str, Any], label: str) -> dict[str, Any] | None:
        bumped = self._bumped_fees(tx)
        if bumped is None:
            self.log.warning(
                "stuck transaction not replaced: fee ceiling reached",
                extra={"event": "tx_fee_ceiling", "label": label, "nonce": tx["nonce"]},
            )
            return None
        replacement = {**tx, "maxFeePerGas": bumped[0], "maxPriorityFeePerGas": bumped[1]}
        try:
            tx_hash = self._sign_and_broadcast(entry_id, replacement)
        except Web3RPCError as error:
            if any(text in str(error).lower() for text in _REPLACEMENT_NOT_ACCEPTED):
                return None  # keep waiting: a mined version shows its receipt, a pending one gets the next bump
            raise
        self.metrics.tx_replaced.labels(label).inc()
        self.log.info(
            "stuck transaction replaced",
            extra={
                "event": "tx_replaced",
                "label": label,
                "nonce": tx["nonce"],
                "tx_hash": tx_hash,
                "max_fee_wei": bumped[0],
                "priority_fee_wei": bumped[1],
            },
        )
        return replacement

    def _finish(self, entry: JournalEntry, receipt: TxReceipt, replacements: int) -> SendResult:
        tx_hash = receipt["transactionHash"].to_0x_hex()
        # Not a sign the account can pay again: with sends in flight from several threads, an
        # earlier transaction's receipt may arrive after a later one was refused for money.
        self._observe_balance()
        if receipt["status"] != 1:
            self.journal.finish(entry.id, TxStatus.REVERTED, receipt["blockNumber"])
            self.metrics.tx_failed.labels(entry.label).inc()
            self.log.error(
                "transaction reverted on chain",
                extra={"event": "tx_reverted", "label": entry.label, "nonce": entry.nonce, "tx_hash": tx_hash},
            )
            raise TransactionFailed(entry.label, entry.nonce, f"reverted on chain in {tx_hash}", receipt)
        self.journal.finish(entry.id, TxStatus.MINED, receipt["blockNumber"])
        self.log.info(
            "transaction mined",
            extra={
                "event": "tx_mined",
                "label": entry.label,
                "nonce": entry.nonce,
                "tx_hash": tx_hash,
                "block_number": receipt["blockNumber"],
                "gas_used": receipt["gasUsed"],
            },
        )
        return SendResult(
            entry.label, entry.nonce, tx_hash, receipt["blockNumber"], receipt["gasUsed"], replacements, receipt
        )

    # ---------------------------------------------------------------- pieces

    def _simulate(self, call: Callable[[], Any], decoder: RevertDecoder, label: str) -> Any:
        try:
            return self._rpc(call)
        except ContractLogicError as error:
            refusal = decoder.refusal(label, error)
            self.metrics.tx_refused.labels(label).inc()
            self.log.warning(str(refusal), extra={"event": "tx_refused", "label": label, "error": refusal.error_name})
            raise refusal from None

    def _check_funds(self, label: str, needed: int, reserved: int = 0) -> None:
        """Refuses, before a nonce is taken, a transaction the account's balance cannot cover at its fee
        cap once `reserved` (what its transactions in flight may still spend) is set aside."""
        balance = self._rpc(lambda: self.w3.eth.get_balance(self.address, "pending"))
        self.metrics.account_balance_wei.set(balance)
        if balance - reserved < needed:
            self._out_of_funds(label, needed + reserved, balance)
        self._funds_back()

    def _out_of_funds(self, label: str, needed: int | None, balance: int | None = None) -> None:
        """Counts the refusal and raises `InsufficientFunds`; logs only the first of a run of them."""
        if balance is None:
            balance = self._rpc(lambda: self.w3.eth.get_balance(self.address, "pending"))
        error = InsufficientFunds(label, self.address, balance, needed)
        self.metrics.insufficient_funds.labels(label).inc()
        if not self.metrics.value("out_of_funds"):
            self.metrics.out_of_funds.set(1)
            self.log.error(
                str(error),
                extra={
                    "event": "insufficient_funds",
                    "label": label,
                    "balance_wei": balance,
                    "needed_wei": needed,
                },
            )
        raise error

    def _funds_back(self) -> None:
        if self.metrics.value("out_of_funds"):
            self.metrics.out_of_funds.set(0)
            self.log.info("account can pay for gas again; sending resumes", extra={"event": "funds_restored"})

    def _sign_and_broadcast(self, entry_id: int, tx: dict[str, Any]) -> str:
        signed = self.account.sign_transaction(tx)
        tx_hash = signed.hash.to_0x_hex()
        self.journal.add_hash(entry_id, tx_hash, tx)
        try:
            self._rpc(lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction))
        except Web3RPCError as error:
            # "nonce too low" for bytes the node already holds: an earlier try of this same request
            # reached the node and only its answer was lost (the provider retried it).
            if not any(text in str(error).lower() for text in _ALREADY_KNOWN) and not (
                "nonce too low" in str(error).lower() and self._known_to_node([tx_hash])
            ):
                raise
        return tx_hash

    def _take_nonce(self) -> int:
        chain_pending = self._rpc(lambda: self.w3.eth.get_transaction_count(self.address, "pending"))
        if self._next_nonce is None or chain_pending > self._next_nonce:
            return chain_pending
        return self._next_nonce

    def _fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas): twice the latest base fee plus the tip, under the ceiling."""
        base_fee = self._rpc(lambda: self.w3.eth.get_block("latest")).get("baseFeePerGas", 0)
        ceiling = int(self.config.max_fee_gwei * GWEI)
        max_fee = min(2 * base_fee + int(self.config.priority_fee_gwei * GWEI), ceiling)
        return max_fee, min(int(self.config.priority_fee_gwei * GWEI), max_fee)

    def _bumped_fees(self, tx: dict[str, Any]) -> tuple[int, int] | None:
        """Both fees raised by at least fee_bump_percent (nodes want +10% on each), or None above the ceiling."""
        factor = 1 + self.config.fee_bump_percent / 100
        max_fee = max(math.ceil(tx["maxFeePerGas"] * factor), tx["maxFeePerGas"] + 1)
        priority_fee = max(math.ceil(tx["maxPriorityFeePerGas"] * factor), tx["maxPriorityFeePerGas"] + 1)
        current_max, current_priority = self._fees()
        max_fee, priority_fee = max(max_fee, current_max), max(priority_fee, current_priority)
        if max_fee > int(self.config.max_fee_gwei * GWEI):
            return None
        return max_fee, min(priority_fee, max_fee)

    def _find_receipt(self, hashes: list[str]) -> TxReceipt | None:
        for tx_hash in hashes:
            receipt = self._rpc(lambda tx_hash=tx_hash: self._receipt(tx_hash))
            if receipt is not None:
                return receipt
        return None

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        """The receipt as web3's `get_transaction_receipt` gives it (None: not mined), its logs formatted
        here: web3's generic formatters and AttributeDict middleware took 130 ms over a 200-pair match
        batch's 400 logs, more than the node took to execute it (docs/performance.md)."""
        response = self.w3.provider.make_request(RPCEndpoint("eth_getTransactionReceipt"), [tx_hash])
        if "error" in response:
            raise Web3RPCError(str(response["error"]), rpc_response=response)
        raw = response["result"]
        if raw is None:
            return None
        receipt = dict(receipt_formatter({**raw, "logs": []}))
        receipt["logs"] = [_log_entry(log) for log in raw["logs"]]
        return AttributeDict(receipt)

    def _known_to_node(self, hashes: list[str]) -> bool:
        for tx_hash in hashes:
            try:
                self._rpc(lambda tx_hash=tx_hash: self.w3.eth.get_transaction(tx_hash))
                return True
            except TransactionNotFound:
                continue
        return False

    def _observe_balance(self) -> None:
        self.metrics.account_balance_wei.set(self._rpc(lambda: self.w3.eth.get_balance(self.address)))

    def _encode(self, transact: Transact) -> tuple[str, str]:
        # Every field given, so web3 asks the node nothing: this only encodes `to` and `data`.
        offline = {
            "from": self.address,
            "value": transact.value,
            "gas": 0,
            "nonce": 0,
            "chainId": self.chain_id,
            "maxFeePerGas": 0,
            "maxPriorityFeePerGas": 0,
        }
        built = transact.function.build_transaction(offline)
        return built["to"], built["data"]

    def _rpc(self, call: Callable[[], Any]) -> Any:
        """Runs `call`, retrying connection errors and HTTP 5xx with exponential backoff."""
        attempt = 0
        while True:
            try:
                return call()
            except (requests.ConnectionError, requests.Timeout, requests.HTTPError) as error:
                status = getattr(getattr(error, "response", None), "status_code", None)
                if (status is not None and status < 500) or attempt >= self.config.max_retries:
                    raise
                delay = self.backoff_seconds * 2**attempt
                attempt += 1
                self.log.warning(
                    "rpc error, retrying",
                    extra={"event": "rpc_retry", "attempt": attempt, "delay_seconds": delay, "error": str(error)},
                )
                self.sleep(delay)


def _log_entry(raw: dict[str, Any]) -> AttributeDict:
    """One receipt log as web3's log entry formatter makes it (tests/keepers/test_keepers_sender.py)."""
    log = dict(raw)
    for key in ("blockHash", "transactionHash"):
        if raw.get(key) is not None:
            log[key] = HexBytes(raw[key])
    for key in ("blockNumber", "transactionIndex"):
        if raw.get(key) is not None:
            log[key] = int(raw[key], 16)
    log["logIndex"] = int(raw["logIndex"], 16)
    log["address"] = checksum(raw["address"])
    log["topics"] = [HexBytes(topic) for topic in raw["topics"]]
    log["data"] = HexBytes(raw["data"])
    return AttributeDict(log)


def send_or_skip(
    log, action: str, send: Callable[[], SendResult], *, metrics: Metrics | None = None, **subject
) -> SendResult | None:
    """Sends; an action another keeper (or the clock) got to first is skipped, logged and counted.

    A refused simulation is a race lost or a deadline just passed: nothing was sent. A
    transaction that passed its simulation and then reverted on chain lost a race inside the
    block: it cost its gas once, and the next tick no longer sees the work. Both count in
    `metrics.races_lost{action}`. `subject` (lease_id=…, job_id=…) goes into every log record.
    """
    try:
        result = send()
    except Refused as refusal:
        if metrics is not None:
            metrics.races_lost.labels(action).inc()
        log.info(
            "action not possible now",
            extra={"event": "action_refused", "action": action, **subject, "error": refusal.error_name},
        )
        return None
    except TransactionFailed as failure:
        if failure.receipt is None:
            raise
        if metrics is not None:
            metrics.races_lost.labels(action).inc()
        log.warning(
            "action reverted on chain after its simulation passed: another keeper got there first",
            extra={
                "event": "action_lost_on_chain",
                "action": action,
                **subject,
                "tx_hash": failure.receipt["transactionHash"].to_0x_hex(),
            },
        )
        return None
    log.info("action sent", extra={"event": "action_sent", "action": action, **subject, "tx_hash": result.tx_hash})
    return result
