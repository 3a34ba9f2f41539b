"""A matcher's order book of EIP-712 signed requests, served over HTTP.

Anyone posts a signed request (`POST /signed-requests`) and anyone reads the open ones
(`GET /signed-requests`); matchers read each other's books (`pull_from`) so no single matcher
owns the order flow. A posted request is checked before it is kept: the chain and market it was
signed for, the deadlines, the nonce unused on-chain, and an ordinary account's signature
recovered off-chain (a contract wallet's ERC-1271 answer is checked by the contract at match).
A refusal is one readable line in `{"error": ...}` with HTTP 400.

The wire format (numbers above 2**53 as decimal strings) is what the SDK's `postSignedRequest`
sends: {"chainId", "market", "request": {"tenant", "spec": {...}, "deposit", "nonce", "deadline"},
"signature", "permit": {"deadline", "v", "r", "s"}}.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import is_address, to_checksum_address
from web3 import Web3

from keepers.contracts.deployed import Contracts
from keepers.contracts.types import NonceStatus
from keepers.deployment import Deployment
from keepers.errors import KeeperError
from keepers.signed_requests import SPEC_FIELDS, typed_data

MAX_BODY_BYTES = 16_384
NONCE_UNUSED = NonceStatus.UNUSED


class OrderBookError(KeeperError, ValueError):
    """A posted signed request that the book refuses."""


@dataclass(frozen=True)
class SignedOrder:
    """A checked signed request, ready for `matchSignedRequest`."""

    key: str  # tenant:nonce
    wire: dict
    request: tuple
    permit: tuple
    signature: bytes

    @property
    def tenant(self) -> str:
        return self.request[0]


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise OrderBookError(f"order book: {name} must be an integer or a decimal string")
    try:
        number = int(value, 0) if isinstance(value, str) else value
    except ValueError:
        raise OrderBookError(f"order book: {name} is not a number: {value!r}") from None
    if number < 0 or number >= 2**256:
        raise OrderBookError(f"order book: {name} is out of range")
    return number


def _bool(value, name: str) -> bool:
    # Absent is false: a wire order from before the field opted out of re-match.
    if value is None or isinstance(value, bool):
        return bool(value)
    raise OrderBookError(f"order book: {name} must be true or false")


def _bytes(value, name: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise OrderBookError(f"order book: {name} must be 0x-prefixed hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        raise OrderBookError(f"order book: {name} is not hex") from None
    if length is not None and len(raw) != length:
        raise OrderBookError(f"order book: {name} must be {length} bytes, not {len(raw)}")
    return raw


def parse_order(wire: dict, chain_id: int, market: str) -> SignedOrder:
    """The wire form checked for shape, chain, market and signer; on-chain state is not read here."""
    if not isinstance(wire, dict):
        raise OrderBookError("order book: the body must be a JSON object")
    if _int(wire.get("chainId"), "chainId") != chain_id:
        raise OrderBookError(f"order book: signed for chain {wire.get('chainId')}, this book serves {chain_id}")
    if not is_address(wire.get("market")) or to_checksum_address(wire["market"]) != market:
        raise OrderBookError(f"order book: signed for market {wire.get('market')}, this book serves {market}")
    body = wire.get("request")
    if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
        raise OrderBookError("order book: request and request.spec must be objects")
    if not is_address(body.get("tenant")):
        raise OrderBookError("order book: request.tenant is not an address")
    tenant = to_checksum_address(body["tenant"])
    spec = {}
    for name, kind in SPEC_FIELDS:
        value = body["spec"].get(name)
        if kind == "bool":
            spec[name] = _bool(value, f"spec.{name}")
        else:
            spec[name] = _bytes(value, f"spec.{name}", 32) if kind == "bytes32" else _int(value, f"spec.{name}")
    deposit, nonce, deadline = (_int(body.get(n), n) for n in ("deposit", "nonce", "deadline"))
    signature = _bytes(wire.get("signature"), "signature")
    permit_wire = wire.get("permit") or {"deadline": 0, "v": 0, "r": "0x" + "00" * 32, "s": "0x" + "00" * 32}
    permit = (
        _int(permit_wire.get("deadline"), "permit.deadline"),
        _int(permit_wire.get("v"), "permit.v"),
        _bytes(permit_wire.get("r"), "permit.r", 32),
        _bytes(permit_wire.get("s"), "permit.s", 32),
    )
    request = (tenant, tuple(spec[name] for name, _ in SPEC_FIELDS), deposit, nonce, deadline)
    return SignedOrder(f"{tenant.lower()}:{nonce}", wire, request, permit, signature)


def recover_signer(order: SignedOrder, chain_id: int, market: str) -> str | None:
    tenant, spec, deposit, nonce, deadline = order.request
    data = typed_data(chain_id, market, tenant, spec, deposit, nonce, deadline)
    try:
        return Account.recover_message(encode_typed_data(full_message=data), signature=order.signature)
    except Exception:
        return None


class OrderBook:
    """The open signed requests this matcher knows, checked against the chain when added."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        self.w3 = w3
        self.chain_id = deployment.chain_id
        self.market = Contracts(w3, deployment).market
        self._orders: dict[str, SignedOrder] = {}
        self._lock = threading.Lock()

    def add(self, wire: dict) -> SignedOrder:
        order = parse_order(wire, self.chain_id, self.market.address)
        tenant, spec, _deposit, nonce, deadline = order.request
        now = self.w3.eth.get_block("latest")["timestamp"]
        if deadline < now:
            raise OrderBookError(f"order book: the signature expired at {deadline} (chain time {now})")
        if spec[8] <= now:
            raise OrderBookError(f"order book: the match deadline {spec[8]} has passed (chain time {now})")
        if self.market.nonce_status(tenant, nonce) != NONCE_UNUSED:
            raise OrderBookError(f"order book: nonce {nonce} of {tenant} is already used or cancelled")
        if not self.w3.eth.get_code(tenant) and recover_signer(order, self.chain_id, self.market.address) != tenant:
            raise OrderBookError(f"order book: the signature is not {tenant}'s")
        with self._lock:
            if order.key in self._orders:
                raise OrderBookError(f"order book: nonce {nonce} of {tenant} is already in the book")
            self._orders[order.key] = order
        return order

    def open_orders(self) -> list[SignedOrder]:
        with self._lock:
            return list(self._orders.values())

    def prune(self, now: int) -> None:
        """Drops the orders whose signature or match deadline has passed at chain time `now`."""
        with self._lock:
            for key, order in list(self._orders.items()):
                if order.request[4] < now or order.request[1][8] < now:
                    del self._orders[key]

    def drop(self, key: str) -> None:
        with self._lock:
            self._orders.pop(key, None)

    def pull_from(self, url: str, timeout: float = 5.0) -> int:
        """Adds the open orders of another matcher's book at `url`; returns how many were new."""
        with urllib.request.urlopen(url.rstrip("/") + "/signed-requests", timeout=timeout) as response:
            listed = json.loads(response.read(MAX_BODY_BYTES * 64))
        added = 0
        for wire in listed.get("orders", []):
            try:
                self.add(wire)
                added += 1
            except OrderBookError:
                continue  # used, expired or already known: the other book is not ours to trust
        return added


class _Handler(BaseHTTPRequestHandler):
    book: OrderBook

    def log_message(self, *args) -> None:  # requests are not worth a line each
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.end_headers()

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/signed-requests":
            return self._answer(404, {"error": f"order book: no such path {self.path}"})
        self._answer(200, {"orders": [order.wire for order in self.book.open_orders()]})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/signed-requests":
            return self._answer(404, {"error": f"order book: no such path {self.path}"})
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY_BYTES:
            return self._answer(400, {"error": f"order book: body must be 1 to {MAX_BODY_BYTES} bytes"})
        try:
            order = self.book.add(json.loads(self.rfile.read(length)))
        except json.JSONDecodeError:
            return self._answer(400, {"error": "order book: the body is not JSON"})
        except OrderBookError as error:
            return self._answer(400, {"error": str(error)})
        self._answer(201, {"key": order.key})


class OrderBookServer:
    """Serves `book` on 127.0.0.1:`port` in a thread; optionally matches its orders with `match`."""

    def __init__(self, book: OrderBook, port: int = 0, match=None, interval_seconds: float = 0.2) -> None:
        handler = type("Handler", (_Handler,), {"book": book})
        self.book = book
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._match = match
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @classmethod
    def for_devnet(cls, rpc_url: str, deployment_path: Path, matcher_key: str, port: int = 0) -> OrderBookServer:
        """A book on a local chain whose orders dev matcher `matcher_key` matches with the cheapest offer."""
        w3 = Web3(Web3.HTTPProvider(rpc_url))
        deployment = Deployment.load(deployment_path)
        book = OrderBook(w3, deployment)
        return cls(book, port, match=CheapestOfferMatcher(w3, deployment, book, Account.from_key(matcher_key)))

    def __enter__(self) -> OrderBookServer:
        self._threads.append(threading.Thread(target=self.httpd.serve_forever, daemon=True))
        if self._match is not None:
            self._threads.append(threading.Thread(target=self._match_loop, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def _match_loop(self) -> None:
        while not self._stop.wait(self._interval):
            self._match.run_once()

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=10)


class CheapestOfferMatcher:
    """Matches each open order with the cheapest offer that can serve it now (a local stand-in for
    the matcher keeper's batch assignment), simulating before sending; drops orders that can no
    longer be matched (used, cancelled or expired)."""

    def __init__(self, w3: Web3, deployment: Deployment, book: OrderBook, account) -> None:
        self.w3, self.book, self.account = w3, book, account
        contracts = Contracts(w3, deployment)
        self.market, self.registry = contracts.market, contracts.registry
        self.last_error: dict[str, str] = {}

    def run_once(self) -> None:
        for order in self.book.open_orders():
            now = self.w3.eth.get_block("latest")["timestamp"]
            tenant, spec, _deposit, nonce, deadline = order.request
            if deadline < now or spec[8] < now or self.market.nonce_status(tenant, nonce) != NONCE_UNUSED:
                self.book.drop(order.key)
                continue
            offer_id = self._cheapest_offer(order)
            if offer_id is None:
                continue
            call = self.market.match_signed_request(order.request, order.permit, order.signature, offer_id).function
            try:
                call.call({"from": self.account.address})
                tx = call.build_transaction({"from": self.account.address, "nonce": self._nonce()})
                signed = self.account.sign_transaction(tx)
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
                receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
            except Exception as error:
                self.last_error[order.key] = str(error)
                continue
            if receipt["status"] == 1:
                self.book.drop(order.key)

    def _nonce(self) -> int:
        return self.w3.eth.get_transaction_count(self.account.address, "pending")

    def _cheapest_offer(self, order: SignedOrder) -> int | None:
        tenant, spec, _deposit, _nonce, _deadline = order.request
        terms = (tenant, spec[0], spec[3], spec[6], spec[7], spec[2], spec[1], spec[5], spec[4])
        best = None
        for offer_id in range(1, self.registry.offer_count() + 1):
            if self.registry.check_match(offer_id, terms) != 0:
                continue
            price = self.registry.offer(offer_id)[7]  # pricePerUnitHour
            if best is None or price < best[0]:
                best = (price, offer_id)
        return None if best is None else best[1]
