"""Contract events from `eth_getLogs`, delivered once per canonical block, re-delivered after a re-org.

The indexer persists only its cursor: the last scanned block and its hash, plus
the cursors of recent chunks within `lookback` blocks. Each poll first compares
those hashes with the node's chain; on a mismatch it rolls the cursor back to
the newest block still canonical, tells the consumer (`on_rollback(block)`:
forget everything learnt above `block`) and scans again from there. Consumers
must therefore be idempotent.

A node that refuses an `eth_getLogs` range as too wide (public RPCs cap blocks
or results) gets half of it, again until it answers; the indexer then keeps the
span that worked for the rest of its run instead of probing wider ranges again.
Each split and each re-org is logged and counted (docs/keepers.md, "Re-orgs").
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic
from eth_utils.abi import collapse_if_tuple
from web3 import Web3
from web3.contract import Contract
from web3.datastructures import AttributeDict
from web3.exceptions import BlockNotFound, Web3RPCError
from web3.types import RPCEndpoint

from keepers.abi_words import checksum, in_place_reader, word_decoder
from keepers.observability import Metrics

# What nodes say when a getLogs range or result set is too large for them.
_RANGE_REFUSALS = (
    "query returned more than",
    "block range",
    "limit exceeded",
    "range too large",
    "too many blocks",
    "response size",
    "exceed",
    "-32005",
)


@dataclass(frozen=True)
class IndexedEvent:
    name: str
    args: dict[str, Any]
    address: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


class CheckpointStore:
    """Scan cursors of any number of named indexers, in one SQLite file."""

    FILE_NAME = "checkpoints.sqlite"

    def __init__(self, state_dir: Path | str) -> None:
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(state_dir / self.FILE_NAME, check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS checkpoints ("
            " indexer TEXT NOT NULL, block_number INTEGER NOT NULL, block_hash TEXT NOT NULL,"
            " PRIMARY KEY (indexer, block_number))"
        )

    def recent(self, indexer: str) -> list[tuple[int, str]]:
        """Stored (block number, hash) pairs, newest first."""
        with self._lock:
            return self._db.execute(
                "SELECT block_number, block_hash FROM checkpoints WHERE indexer = ? ORDER BY block_number DESC",
                (indexer,),
            ).fetchall()

    def latest(self, indexer: str) -> tuple[int, str] | None:
        recent = self.recent(indexer)
        return recent[0] if recent else None

    def save(self, indexer: str, block_number: int, block_hash: str, keep_from: int) -> None:
        """Stores a cursor and forgets those below `keep_from` (the newest is always kept)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO checkpoints (indexer, block_number, block_hash) VALUES (?, ?, ?)",
                (indexer, block_number, block_hash),
            )
            self._db.execute(
                "DELETE FROM checkpoints WHERE indexer = ? AND block_number < ? AND block_number < ?",
                (indexer, keep_from, block_number),
            )

    def rollback(self, indexer: str, block_number: int) -> None:
        """Forgets every cursor above `block_number`."""
        with self._lock:
            self._db.execute("DELETE FROM checkpoints WHERE indexer = ? AND block_number > ?", (indexer, block_number))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class EventIndexer:
    """Scans the events of `contracts` (all of their events, or only `event_names`)."""

    def __init__(
        self,
        w3: Web3,
        contracts: Sequence[Contract],
        checkpoints: CheckpointStore,
        *,
        name: str,
        start_block: int,
        chunk_blocks: int,
        confirmations: int,
        lookback: int,
        on_event: Callable[[IndexedEvent], None],
        on_rollback: Callable[[int], None],
        logger,
        event_names: Iterable[str] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.w3 = w3
        self.checkpoints = checkpoints
        self.name = name
        self.start_block = start_block
        self.max_chunk_blocks = chunk_blocks
        self.chunk_blocks = chunk_blocks
        self.confirmations = confirmations
        self.lookback = lookback
        self.on_event = on_event
        self.on_rollback = on_rollback
        self.log = logger
        self.metrics = metrics
        wanted = set(event_names) if event_names is not None else None
        self._decoders: dict[tuple[str, str], tuple[str, _LogDecoder]] = {}  # (address, topic), lower-case hex
        for contract in contracts:
            for element in contract.abi:
                if (
                    element.get("type") == "event"
                    and not element.get("anonymous")
                    and (wanted is None or element["name"] in wanted)
                ):
                    topic = "0x" + event_abi_to_log_topic(element).hex()
                    self._decoders[(contract.address.lower(), topic)] = (contract.address, _LogDecoder(element))
        self._addresses = sorted({address for address, _ in self._decoders.values()})
        self._topics = sorted({topic for _, topic in self._decoders})

    @property
    def scanned_block(self) -> int:
        """The last block whose events were delivered (start_block - 1 before the first scan)."""
        latest = self.checkpoints.latest(self.name)
        return latest[0] if latest else self.start_block - 1

    def poll(self) -> int:
        """Handles any re-org, then delivers the events up to head - confirmations; returns how many."""
        self._rewind_past_reorg()
        target = self.w3.eth.block_number - self.confirmations
        delivered = 0
        from_block = self.scanned_block + 1
        while from_block <= target:
            to_block = min(from_block + self.chunk_blocks - 1, target)
            # The end block's hash is read before its logs: a re-org after this read leaves a
            # stored hash that no longer matches, which the next poll detects.
            end_hash = self.w3.eth.get_block(to_block)["hash"].to_0x_hex()
            try:
                logs = self._get_logs(from_block, to_block)
            except Exception as error:  # nodes refuse large ranges with many error types; see _is_range_refusal
                if not _is_range_refusal(error) or to_block == from_block:
                    raise
                self.chunk_blocks = max(1, (to_block - from_block + 1) // 2)
                if self.metrics is not None:
                    self.metrics.getlogs_range_splits.labels(self.name).inc()
                self.log.warning(
                    "node refused the log range, halving it",
                    extra={
                        "event": "logs_chunk_halved",
                        "indexer": self.name,
                        "from_block": from_block,
                        "to_block": to_block,
                        "chunk_blocks": self.chunk_blocks,
                        "error": str(error),
                    },
                )
                continue
            for log in sorted(logs, key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16))):
                self.on_event(self._decode(log))
                delivered += 1
            self.checkpoints.save(self.name, to_block, end_hash, keep_from=to_block - self.lookback)
            from_block = to_block + 1
        return delivered

    def _rewind_past_reorg(self) -> None:
        stored = self.checkpoints.recent(self.name)
        for block_number, block_hash in stored:
            if self._canonical_hash(block_number) == block_hash:
                if block_number != stored[0][0]:
                    self._roll_back_to(block_number, stored[0][0])
                return
        if stored:
            fork_floor = max(self.start_block - 1, stored[-1][0] - self.lookback)
            self.log.error(
                "re-org deeper than the stored look-back; rescanning from below it",
                extra={"event": "reorg_deep", "indexer": self.name, "rescan_from": fork_floor + 1},
            )
            self._roll_back_to(fork_floor, stored[0][0])

    def _roll_back_to(self, block_number: int, previous_block: int) -> None:
        self.checkpoints.rollback(self.name, block_number)
        if block_number >= self.start_block:
            self.checkpoints.save(self.name, block_number, self._canonical_hash(block_number), keep_from=0)
        if self.metrics is not None:
            self.metrics.reorgs.labels(self.name).inc()
            self.metrics.reorg_rolled_back_blocks.labels(self.name).inc(previous_block - block_number)
        self.log.warning(
            "re-org: rolling back",
            extra={"event": "reorg", "indexer": self.name, "from_block": previous_block, "to_block": block_number},
        )
        self.on_rollback(block_number)

    def _canonical_hash(self, block_number: int) -> str | None:
        try:
            return self.w3.eth.get_block(block_number)["hash"].to_0x_hex()
        except BlockNotFound:  # the new chain is shorter than the old one
            return None

    def _get_logs(self, from_block: int, to_block: int) -> list[dict[str, Any]]:
        """eth_getLogs as the node's JSON: web3's result formatters cost more than decoding the logs did."""
        response = self.w3.provider.make_request(
            RPCEndpoint("eth_getLogs"),
            [
                {
                    "fromBlock": hex(from_block),
                    "toBlock": hex(to_block),
                    "address": self._addresses,
                    "topics": [self._topics],
                }
            ],
        )
        if "error" in response:
            raise Web3RPCError(str(response["error"]), rpc_response=response)
        return response["result"]

    def _decode(self, log: dict[str, Any]) -> IndexedEvent:
        address, decoder = self._decoders[(log["address"].lower(), log["topics"][0].lower())]
        return IndexedEvent(
            name=decoder.name,
            args=decoder.args(log["topics"], bytes.fromhex(log["data"][2:])),
            address=address,
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"],
            tx_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
        )


class _LogDecoder:
    """Decodes one event's logs to the same values as web3's `process_log`, several times faster.

    web3 re-derives the ABI types and walks every value through generic normalizers for each
    log; a catch-up spent most of its time there (docs/performance.md). Here the types are
    worked out once; values laid out in place are read word by word, the rest with one
    `abi_decode`; addresses come checksummed (cached), structs as AttributeDict, as from web3.
    """

    def __init__(self, abi: dict) -> None:
        self.name = abi["name"]
        inputs = abi["inputs"]
        # A dynamic or struct value in a topic is its keccak hash: web3 gives those bytes.
        self._indexed = [
            (i["name"], i["type"] if _is_static_value(i["type"]) else "bytes32") for i in inputs if i["indexed"]
        ]
        data = [i for i in inputs if not i["indexed"]]
        self._data_names = [i["name"] for i in data]
        self._data_types = [collapse_if_tuple(i) for i in data]
        self._data_converters = [_converter(i) for i in data]
        # Events whose values all lie in place (no string, bytes or array) are read word by word.
        readers = [in_place_reader(i, _attribute_struct) for i in data]
        self._in_place = None if None in readers else list(zip(self._data_names, readers))
        self._topic_decoders = [word_decoder(kind, _converter({"type": kind})) for _, kind in self._indexed]

    def args(self, topics: list[str], data: bytes) -> dict[str, Any]:
        """The named values of a log, from its topics (hex strings) and its data."""
        args: dict[str, Any] = {}
        for (name, _), decode, topic in zip(self._indexed, self._topic_decoders, topics[1:]):
            args[name] = decode(bytes.fromhex(topic[2:]))
        if self._in_place is not None:
            offset = 0
            for name, (words, read) in self._in_place:
                args[name] = read(data, offset)
                offset += 32 * words
            return args
        values = abi_decode(self._data_types, data)
        for name, convert, value in zip(self._data_names, self._data_converters, values):
            args[name] = convert(value)
        return args


def _is_static_value(kind: str) -> bool:
    return not (kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("tuple"))


def _attribute_struct(names: list[str], values: list[Any]) -> AttributeDict:
    return AttributeDict(dict(zip(names, values)))


def _converter(abi_input: dict) -> Callable[[Any], Any]:
    kind = abi_input["type"]
    if kind.endswith("]"):
        item = _converter({**abi_input, "type": kind[: kind.rindex("[")]})
        return lambda values: tuple(item(value) for value in values)
    if kind == "tuple":
        fields = [(component["name"], _converter(component)) for component in abi_input["components"]]
        return lambda values: AttributeDict({name: convert(v) for (name, convert), v in zip(fields, values)})
    if kind == "address":
        return checksum
    return lambda value: value


def _is_range_refusal(error: Exception) -> bool:
    if isinstance(error, requests.HTTPError) and getattr(error.response, "status_code", None) == 413:
        return True
    text = str(error).lower()
    return any(pattern in text for pattern in _RANGE_REFUSALS)
