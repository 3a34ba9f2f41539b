"""The matcher: reads every open request and offer at one block, solves the batch, submits it.

Each tick pins a block, reads the books at that block, scores every feasible
pair with a seed taken from that block's hash, solves the whole batch as one
assignment (keepers/matching) and sends `matchRequests` in chunks (`match_requests` in the
metrics and logs, as every action is labelled in snake_case). The chain
re-checks each pair; a pair another matcher took first comes back as a
`MatchSkipped` event, and the rest of the batch still lands. `replay(block)`
recomputes the batch a tick at that block proposed (docs/matching.md).

With `orderbook_port` set, the matcher also serves a signed-request order book
(keepers/orderbook.py), reads its peers' books each pass, plans the signed
requests in the same assignment as the on-chain ones (with negative ids, as
they have no request id yet) and submits each with `matchSignedRequest`.
A live pass only: `replay` sees the chain, where signed requests appear once matched.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
from apscheduler.jobstores.base import JobLookupError
from eth_utils import event_abi_to_log_topic
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict, Field
from web3 import AsyncWeb3, WebSocketProvider
from web3.logs import DISCARD

from keepers.contracts.transact import simulate
from keepers.contracts.types import ZERO_ADDRESS, RequestKind, RequestStatus, SkipReason
from keepers.errors import KeeperError
from keepers.lifecycle import Keeper
from keepers.market_view import MarketState, MarketView
from keepers.matching import Codebook, OfferBook, ProviderBook, RequestBook, Weights, match, optimality_gap, warm_up
from keepers.matching.repair import undominated
from keepers.matching.scoring import seed_from_block_hash
from keepers.orderbook import OrderBook, OrderBookServer, SignedOrder
from keepers.sender import Refused, TransactionFailed

BPS = 10_000
# Upper bounds on what `matchRequests` spends (docs/keepers.md, "Matcher"): the transaction's base
# (intrinsic gas, calldata head, the matcher's bond and room, the credit write) and each pair by kind,
# every storage touch cold and every counter new. tests/keepers/test_keepers_matcher_gas.py measures the
# worst batches against them: a bound below a real pair fails it.
# Measured: a rental pair about 64,000, a JOB pair 141,000, the base 56,000 (75,000 with a JOB pair;
# about 35,000 more on a matcher's first batch).
MATCH_GAS_BASE = 120_000
MATCH_GAS_PER_PAIR = {RequestKind.RENTAL: 100_000, RequestKind.JOB: 200_000}


def ceiling_value(kind: int, deposit: int, max_price: int, units: int, duration_seconds: int) -> int:
    """What a request's match may put at stake, as `LeaseMarket` checks it against the matcher's
    exposure room: a RENTAL's value at its price ceiling, a JOB's deposit."""
    if kind == RequestKind.JOB:
        return deposit
    return max_price * units * duration_seconds // 3600


class WeightsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: float = Field(default=Weights.match, ge=0, le=100)
    price: float = Field(default=Weights.price, ge=0, le=100)
    region: float = Field(default=Weights.region, ge=0, le=100)
    uptime: float = Field(default=Weights.uptime, ge=0, le=100)
    reputation: float = Field(default=Weights.reputation, ge=0, le=100)
    capacity: float = Field(default=Weights.capacity, ge=0, le=100)
    slash_rate: float = Field(default=Weights.slash_rate, ge=0, le=100)
    stake: float = Field(default=Weights.stake, ge=0, le=100)
    randomness: float = Field(default=Weights.randomness, ge=0, le=100)


class MatcherConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    batch_size: int = Field(default=40, ge=1, le=500)
    # Batches of one pass sent at once. They hold disjoint requests and the plan already shares
    # the offers' units and the providers' stake among them, so none waits on another's receipt;
    # one at a time, the keeper idled through every batch's estimate and block (docs/performance.md).
    max_in_flight: int = Field(default=4, ge=1, le=32)
    top_k: int = Field(default=16, ge=1, le=1000)
    # Column generation (docs/matching.md, "The assignment"): rounds of pricing, pairs added per request and round.
    pricing_rounds: int = Field(default=3, ge=0, le=50)
    pricing_k: int = Field(default=8, ge=1, le=1000)
    # Pairs per request the first scoring keeps for pricing to read back; 0 scans every round.
    pool_k: int = Field(default=128, ge=0, le=10_000)
    milp_max_pairs: int = Field(default=2_000, ge=0)
    shard_max_pairs: int = Field(default=20_000, ge=1)
    rounds: int = Field(default=3, ge=1, le=10)
    solver_time_limit_seconds: float = Field(default=2.0, gt=0, le=60)
    # The assignment's method (docs/matching.md, "The assignment"): the primal-dual auction, HiGHS's
    # relaxation, or the auction with HiGHS after it when its gap is above 1% on a small enough market.
    solver: Literal["hybrid", "auction", "relaxation"] = "hybrid"
    # How often to look for a new block; a pass runs when one brings requests or offers (see wake()).
    wake_interval_seconds: float = Field(default=0.25, gt=0, le=60)
    # A websocket endpoint (ws:// or wss://) whose new heads wake the matcher at once, instead of
    # at the next wake interval (whose polling stays, as the fallback when the socket fails).
    heads_url: str | None = Field(default=None, pattern=r"^wss?://")
    # Give each batch the gas bound of its pairs (MATCH_GAS_BASE + MATCH_GAS_PER_PAIR) instead of
    # estimating it: the node executes the batch once, not twice (the estimate, then the block). A batch
    # whose bound passes the block gas limit is estimated; one that reverts anyway is reported from its
    # receipt, its requests stay open, and the matcher estimates until it restarts.
    bounded_gas: bool = True
    weights: WeightsConfig = WeightsConfig()
    # Serve a signed-request order book on 127.0.0.1:<port> (0: any free port; absent: none), and
    # read these other matchers' books (base URLs) each pass.
    orderbook_port: int | None = Field(default=None, ge=0, le=65_535)
    orderbook_peers: list[str] = []


class HeadSubscription(threading.Thread):
    """Calls `on_head` for every new head an `eth_subscribe("newHeads")` over a websocket delivers.

    web3 7's AsyncWeb3 on a WebSocketProvider, in an event loop of its own in
    this daemon thread. A failed or closed socket is logged and retried every
    `RETRY_SECONDS`; meanwhile the matcher's wake interval polls as before.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, url: str, on_head, log) -> None:
        super().__init__(name="matcher-heads", daemon=True)
        self.url, self.on_head, self.log = url, on_head, log
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._task = self._loop.create_task(self._follow())
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    async def _follow(self) -> None:
        while not self._stopping.is_set():
            try:
                async with AsyncWeb3(WebSocketProvider(self.url)) as w3:
                    await w3.eth.subscribe("newHeads")
                    self.log.info("subscribed to new heads", extra={"event": "heads_subscribed", "url": self.url})
                    async for _ in w3.socket.process_subscriptions():
                        self.on_head()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any socket failure falls back to polling
                self.log.warning(
                    "new heads subscription failed; polling until it is back",
                    extra={"event": "heads_subscription_failed", "url": self.url, "error": str(error)},
                )
            if not self._stopping.is_set():
                await asyncio.sleep(self.RETRY_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self.join(timeout=5)


@dataclass(frozen=True)
class BatchPlan:
    """What one tick proposes, with everything needed to replay it."""

    block_number: int
    seed: int
    pairs: list[tuple[int, int]]  # (request id, offer id), by request id
    total_score: float
    method: str
    upper_bound: float | None = None  # proven bound on the optimum over every feasible pair, when known
    # The on-chain requests' structs as read for the plan, by id: what a request puts at stake and its kind
    # are fixed once it is posted, so sending needs no second read of them.
    orders: dict[int, dict] = field(default_factory=dict, repr=False, compare=False)
    # Wall seconds of each stage of the solve (`Assignment.stage_seconds`): what the batch's time went on.
    stage_seconds: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def optimality_gap(self) -> float | None:
        return optimality_gap(self.total_score, self.upper_bound)


class MatcherKeeper(Keeper):
    role = "matcher"
    required_role = "MATCHER_ROLE"
    RoleConfig = MatcherConfig

    def setup(self, *, bond: bool = True) -> None:
        """`bond=False` for a replay (`leasehold market replay-match`), which reads and sends nothing:
        anyone may audit a batch without being a matcher."""
        if bond:
            self._ensure_bonded()
        self.view = MarketView(self, name="matcher-view")
        self.weights = Weights(**self.role_config.weights.model_dump())
        # numba's loops compile (or load from its cache) here, not in the first batch's time limit.
        compiled = warm_up()
        self.log.info("matcher compiled", extra={"event": "matcher_compiled", "seconds": round(compiled, 3)})
        self.matches = self.metrics.counter("matches", "Pairs the chain accepted from this matcher")
        self.skipped = self.metrics.counter("matches_skipped", "Pairs the chain skipped", ("reason",))
        # The last batch's quality against its proven bound (docs/matching.md, "A bound you can trust").
        registry = self.metrics.registry
        self.batch_score = Gauge("matcher_batch_score", "Total score of the last planned batch", registry=registry)
        self.batch_bound = Gauge(
            "matcher_upper_bound", "Proven upper bound on the last batch's optimum (NaN if none)", registry=registry
        )
        self.batch_gap = Gauge(
            "matcher_optimality_gap",
            "Last batch's (bound - score) / bound: the most it can fall short of the optimum (NaN if no bound)",
            registry=registry,
        )
        events = {e["name"]: event_abi_to_log_topic(e) for e in self.view.market.abi if e.get("type") == "event"}
        self._match_topics = {events["LeaseStarted"], events["JobHandedOver"]}
        self._skip_topic = events["MatchSkipped"]
        self._last_head: int | None = None
        self._last_pass = float("-inf")
        self._seen_requests: set[int] = set()
        self._seen_offers: set[int] = set()
        self._request_kinds: dict[int, int] = {}  # this pass's planned requests, for their gas bound
        self._block_gas_limit = 0
        self._bound_gas = self.role_config.bounded_gas
        self.orderbook: OrderBookServer | None = None
        if self.role_config.orderbook_port is not None:
            book = OrderBook(self.w3, self.deployment)
            self.orderbook = OrderBookServer(book, self.role_config.orderbook_port).__enter__()
            self.log.info("order book served", extra={"event": "orderbook_started", "url": self.orderbook.url})
        self.add_job("match", self.wake, self.role_config.wake_interval_seconds)
        self._heads: HeadSubscription | None = None
        if self.role_config.heads_url is not None:
            self._heads = HeadSubscription(self.role_config.heads_url, self._on_head, self.log)
            self._heads.start()

    def _on_head(self) -> None:
        """A new head: the match job runs now rather than at its next interval (never two at once)."""
        with contextlib.suppress(JobLookupError):  # stopping: the job is gone
            self.scheduler.modify_job("match", next_run_time=datetime.now(UTC))

    def _ensure_bonded(self) -> None:
        """Matching needs a bond in MatcherBonds (docs/matching-accountability.md): bond what is
        missing from the account's own payment tokens, or refuse to start with the reason."""
        bonds, token = self.contracts.matcher_bonds, self.contracts.payment_token
        me = self.account.address
        if bonds.is_matcher(me):
            return
        min_bond = bonds.params()[0]
        amount, unbonding = bonds.bond_of(me)[:2]
        short = min_bond - (amount - unbonding)
        held = token.balance_of(me)
        if held < short:
            raise KeeperError(
                f"bond error: account {me} needs {short} more payment-token units bonded in MatcherBonds "
                f"{bonds.address} to match and holds {held}; fund it, or bond for it with bondFor"
            )
        if token.allowance(me, bonds.address) < short:
            self.sender.send(token.approve(bonds.address, short))
        self.sender.send(bonds.bond(short))
        self.log.info("matcher bonded", extra={"event": "matcher_bonded", "amount": short})

    def stop(self) -> None:
        if self.__dict__.get("_heads") is not None:
            self._heads.stop()
        if self.__dict__.get("orderbook") is not None:
            self.orderbook.__exit__(None, None, None)
        super().stop()

    def signed_orders(self) -> list[SignedOrder]:
        """The order book's open signed requests, after reading the peers' books."""
        if self.orderbook is None:
            return []
        for url in self.role_config.orderbook_peers:
            try:
                self.orderbook.book.pull_from(url)
            except (OSError, ValueError) as error:
                self.log.warning(
                    "peer order book unreadable",
                    extra={"event": "orderbook_peer_failed", "url": url, "error": str(error)},
                )
        self.orderbook.book.prune(self.w3.eth.get_block("latest")["timestamp"])
        return self.orderbook.book.open_orders()

    def wake(self) -> None:
        """Runs a pass as soon as a block brings new requests or offers, and every poll interval anyway.

        An idle wake costs one eth_blockNumber. A request waits for the next wake rather than
        the next poll (which with the default 5 s made the median match take over 5 s,
        docs/performance.md); the poll interval still bounds how late a pass sees capacity
        freed by a closed lease or a request whose deadline passed.
        """
        head = self.w3.eth.block_number
        due = self.clock() - self._last_pass >= self.config.chain.poll_interval_seconds
        if head == self._last_head and not due:
            return
        self._last_head = head
        self.view.refresh()
        state = self.view.state
        signed = self.orderbook is not None and bool(self.orderbook.book.open_orders())
        if due or signed or state.open_requests - self._seen_requests or state.offers - self._seen_offers:
            self._last_pass = self.clock()
            self._seen_requests, self._seen_offers = set(state.open_requests), set(state.offers)
            self.tick()

    def tick(self) -> None:
        """One pass: reads the books, plans the batch, sends it."""
        self.view.refresh()
        signed = self.signed_orders()
        if not self.view.state.open_requests and not signed:
            return
        plan = self.plan(self.w3.eth.block_number, signed=signed)
        if not plan.pairs or self._stale(plan.block_number):
            return
        self.log.info(
            "batch planned",
            extra={
                "event": "batch_planned",
                "block_number": plan.block_number,
                "seed": plan.seed,
                "pairs": len(plan.pairs),
                "total_score": round(plan.total_score, 6),
                "method": plan.method,
                "upper_bound": None if plan.upper_bound is None else round(plan.upper_bound, 6),
                "optimality_gap": None if plan.optimality_gap is None else round(plan.optimality_gap, 6),
                "stage_seconds": {stage: round(seconds, 4) for stage, seconds in plan.stage_seconds.items()},
            },
        )
        self.batch_score.set(plan.total_score)
        self.batch_bound.set(float("nan") if plan.upper_bound is None else plan.upper_bound)
        self.batch_gap.set(float("nan") if plan.optimality_gap is None else plan.optimality_gap)
        orders = {request_id: plan.orders[request_id] for request_id, _ in plan.pairs if request_id > 0}
        self._request_kinds = {request_id: order["kind"] for request_id, order in orders.items()}
        self._block_gas_limit = self.w3.eth.get_block("latest")["gasLimit"]
        planned = self.within_exposure(plan.pairs, signed, orders)
        for request_id, offer_id in planned:
            if request_id < 0:
                self.submit_signed(signed[-request_id - 1], offer_id)
        pairs = [pair for pair in planned if pair[0] > 0]
        size = self.role_config.batch_size
        self.submit_all([pairs[start : start + size] for start in range(0, len(pairs), size)])

    def exposure_room(self) -> int:
        """The lease value this matcher may still match in its exposure window: half its active bond
        less what it matched since the window opened, all of it once the window ended
        (docs/matching-accountability.md, "The exposure cap")."""
        me = self.account.address
        _, cap, _ = self.contracts.matcher_bonds.match_terms_of(me)
        exposure, ends_at = self.view.market.exposure_of(me)
        if self.w3.eth.get_block("latest")["timestamp"] >= ends_at:
            exposure = 0
        return max(cap - exposure, 0)

    def within_exposure(
        self, pairs: list[tuple[int, int]], signed: list[SignedOrder] = (), orders: dict[int, dict] | None = None
    ) -> list[tuple[int, int]]:
        """The planned pairs, in order, while their value fits the exposure room: the chain skips a pair
        whose value at the request's ceiling exceeds what is left (EXPOSURE_CAP). Each kept pair is
        counted at its ceiling (a RENTAL's price × units × duration, a JOB's deposit), at least what the
        chain charges, so no kept pair is skipped; the rest wait for the next window. `orders`: the
        on-chain requests' structs when the caller read them already."""
        room = self.exposure_room()
        if orders is None:
            ids = [request_id for request_id, _ in pairs if request_id > 0]
            orders = dict(zip(ids, self.view.market.request_structs(ids, block="latest"))) if ids else {}
        kept, dropped = [], []
        for request_id, offer_id in pairs:
            if request_id > 0:
                order = orders[request_id]
                value = ceiling_value(
                    order["kind"], order["escrow"], order["pricePerUnitHour"], order["units"], order["durationSeconds"]
                )
            else:
                spec, deposit = signed[-request_id - 1].request[1], signed[-request_id - 1].request[2]
                value = ceiling_value(spec[9], deposit, spec[6], spec[2], spec[7])
            if value > room:
                dropped.append(request_id)
                continue
            room -= value
            kept.append((request_id, offer_id))
        if dropped:
            self.log.warning(
                "pairs above the matcher's exposure room left for the next window",
                extra={"event": "exposure_cap", "request_ids": dropped, "room": room},
            )
        return kept

    def _stale(self, block_number: int) -> bool:
        """Whether the chain's clock moved half the match challenge grace past the block the books were
        read at. A cheaper offer that appeared since then would have stood the whole grace by the time
        the batch lands, and prove a match dominated (docs/matching-accountability.md): the pass is
        dropped and the next one plans from fresh books. With no grace there is nothing to keep within."""
        grace = self.contracts.matcher_bonds.params()[4]
        if grace == 0:
            return False
        read_at = self.w3.eth.get_block(block_number)["timestamp"]
        now = self.w3.eth.get_block("latest")["timestamp"]
        if 2 * (now - read_at) < grace:
            return False
        self.log.warning(
            "plan older than half the match challenge grace: dropped, the next pass replans",
            extra={"event": "plan_stale", "block_number": block_number, "age_seconds": now - read_at, "grace": grace},
        )
        return True

    def submit_signed(self, order: SignedOrder, offer_id: int) -> None:
        """Posts and matches one signed request; a refusal drops it once it can never land."""
        transact = self.contracts.market.match_signed_request(order.request, order.permit, order.signature, offer_id)
        try:
            result = self.sender.send(transact)
        except Refused as refusal:
            self.log.warning(
                "signed request refused",
                extra={"event": "signed_refused", "key": order.key, "error": refusal.error_name},
            )
            if refusal.error_name.startswith("SignedRequests_"):
                self.orderbook.book.drop(order.key)
            return
        self.orderbook.book.drop(order.key)
        self.matches.inc()
        self.log.info(
            "signed request matched",
            extra={"event": "signed_matched", "key": order.key, "offer_id": offer_id, "tx_hash": result.tx_hash},
        )

    def submit_all(self, batches: list[list[tuple[int, int]]]) -> None:
        """Sends the pass's batches, up to `max_in_flight` at once."""
        in_flight = min(self.role_config.max_in_flight, len(batches))
        if in_flight == 1:
            for pairs in batches:
                self.submit(pairs)
            return
        self.sender  # noqa: B018 -- built here, once: the cached property is not safe to build from several threads
        with ThreadPoolExecutor(in_flight, thread_name_prefix=f"{self.name}-match") as pool:
            list(pool.map(self.submit, batches))  # waits for every batch; re-raises the first failure

    def gas_bound(self, pairs: list[tuple[int, int]]) -> int | None:
        """The batch's gas limit from MATCH_GAS_BASE and MATCH_GAS_PER_PAIR, or None to estimate it:
        bounds off (`bounded_gas`, or since a bounded batch failed), a request of this pass's plan
        unknown, or a bound above the block gas limit."""
        if not self._bound_gas or any(request_id not in self._request_kinds for request_id, _ in pairs):
            return None
        gas = MATCH_GAS_BASE + sum(MATCH_GAS_PER_PAIR[self._request_kinds[request_id]] for request_id, _ in pairs)
        return gas if gas <= self._block_gas_limit else None

    def submit(self, pairs: list[tuple[int, int]]) -> None:
        market = self.view.market
        transact = market.match_requests(pairs)
        gas = self.gas_bound(pairs)
        try:
            result = self.sender.send(transact, gas=gas)
        except Refused as refusal:
            self.log.warning("batch refused", extra={"event": "batch_refused", "error": refusal.error_name})
            return
        except TransactionFailed as failure:
            if failure.receipt is None:
                raise
            self._reverted(transact, pairs, gas, failure.receipt)
            return
        # Counted by topic: decoding every log of a large batch with web3 cost a third of its submit time.
        ours = [log for log in result.receipt["logs"] if log["address"] == market.address and log["topics"]]
        matched = sum(bytes(log["topics"][0]) in self._match_topics for log in ours)
        skipped = [log for log in ours if bytes(log["topics"][0]) == self._skip_topic]
        self.matches.inc(matched)
        skips = market.contract.events.MatchSkipped().process_receipt({"logs": skipped}, errors=DISCARD)
        for event in skips:
            self.skipped.labels(str(event["args"]["reason"])).inc()
        # REQUEST_NOT_OPEN: matched (or cancelled) since the plan.
        taken = [e["args"]["requestId"] for e in skips if e["args"]["reason"] == SkipReason.REQUEST_NOT_OPEN]
        if taken:
            # Another matcher's batch landed first; the chain skipped these pairs and kept the rest.
            self.metrics.races_lost.labels(transact.label).inc(len(taken))
            self.log.info(
                "requests already matched by another matcher",
                extra={
                    "event": "match_race_lost",
                    "action": transact.label,
                    "request_ids": taken,
                    "tx_hash": result.tx_hash,
                },
            )
        self.log.info(
            "batch submitted",
            extra={
                "event": "batch_submitted",
                "tx_hash": result.tx_hash,
                "matched": matched,
                "skipped": len(skipped),
                "gas_used": result.gas_used,
            },
        )

    def _reverted(self, transact, pairs: list[tuple[int, int]], gas: int | None, receipt) -> None:
        """A batch sent without its simulation reverted on chain: nothing matched and its requests stay
        open for the next pass. Logged with the reason the call gives now (an error name), or as out of
        gas when it used its whole bound; either way the matcher estimates its batches from now on."""
        self._bound_gas = False
        if gas is not None and receipt["gasUsed"] >= gas:
            reason = f"out of gas at its bound of {gas}"
        else:
            try:
                simulate(self.w3, transact, self.account.address)
                reason = "reverted; the call passes now"
            except Refused as refusal:
                reason = refusal.error_name
        self.log.error(
            "batch reverted on chain; its requests stay open and batches are estimated from now on",
            extra={
                "event": "batch_reverted",
                "tx_hash": receipt["transactionHash"].to_0x_hex(),
                "pairs": len(pairs),
                "gas_limit": gas,
                "gas_used": receipt["gasUsed"],
                "reason": reason,
            },
        )

    # ---------------------------------------------------------------- planning

    def plan(self, block_number: int, state: MarketState | None = None, signed: list[SignedOrder] = ()) -> BatchPlan:
        """The batch for the chain at `block_number`; deterministic, hence replayable.

        `state` is the view's sets at that block; by default the current ones (a live tick).
        `signed` are signed requests planned with them, as request ids -1, -2, ...
        """
        block = self.w3.eth.get_block(block_number)
        seed = seed_from_block_hash(bytes(block["hash"]))
        orders: dict[int, dict] = {}
        books = self._books(block_number, block["timestamp"], state or self.view.state, signed, orders)
        if books is None:
            return BatchPlan(block_number, seed, [], 0.0, "empty")
        requests, offers, providers = books
        _, assignment = match(
            requests,
            offers,
            providers,
            self.weights,
            seed,
            top_k=self.role_config.top_k,
            time_limit_seconds=self.role_config.solver_time_limit_seconds,
            milp_max_pairs=self.role_config.milp_max_pairs,
            shard_max_pairs=self.role_config.shard_max_pairs,
            rounds=self.role_config.rounds,
            pricing_rounds=self.role_config.pricing_rounds,
            pricing_k=self.role_config.pricing_k,
            pool_k=self.role_config.pool_k,
            solver=self.role_config.solver,
        )
        # No pair a match challenge could win on these books: a strictly cheaper offer left free
        # takes the request instead (docs/matching-accountability.md). The score is the assignment's.
        request_rows, offer_rows = undominated(requests, offers, providers, assignment.request, assignment.offer)
        pairs = sorted(zip(requests.ids[request_rows].tolist(), offers.ids[offer_rows].tolist()))
        return BatchPlan(
            block_number,
            seed,
            pairs,
            assignment.total_score,
            assignment.method,
            assignment.upper_bound,
            orders,
            assignment.stage_seconds,
        )

    def _job_terms(self, block: int, terms_hashes: list[bytes], has_job_market: bool) -> dict:
        """What the job market recorded for each JOB request's terms, and the job collateral rule, at `block`."""
        if not terms_hashes or not has_job_market:
            return {"records": {}, "collateral_bps": 0}
        hashes = list(dict.fromkeys(bytes(h) for h in terms_hashes))
        records = self.view.job_market.terms_records(hashes, block=block)
        return {
            "records": dict(zip(hashes, records)),
            "collateral_bps": self.view.config.params(block=block)["jobCollateralBps"],
        }

    @staticmethod
    def _job_columns(kind: int, terms_hash: bytes, deposit: int, job_terms: dict) -> tuple | None:
        """(steps, result timeout, collateral needed) of a request; zeros for a RENTAL; None when no match
        could take it (no job market, or its terms unpublished: the chain would skip it)."""
        if kind != RequestKind.JOB:
            return (0, 0, 0)
        record = job_terms["records"].get(bytes(terms_hash))
        if record is None or record["challengeWindowSeconds"] == 0:
            return None
        return (record["steps"], record["resultTimeoutSeconds"], deposit * job_terms["collateral_bps"] // BPS)

    def replay(self, block_number: int) -> BatchPlan:
        """The batch a tick at `block_number` proposed: the view as it was then, the chain as it was then."""
        self.view.refresh()
        return self.plan(block_number, self.view.state_at(block_number))

    def _books(
        self, block: int, now: int, state: MarketState, signed: list[SignedOrder] = (), read: dict | None = None
    ) -> tuple[RequestBook, OfferBook, ProviderBook] | None:
        """The books at `block`; `read`, when given, receives the open requests' structs by id."""
        market, registry, config = self.view.market, self.view.registry, self.view.config
        addresses = Codebook(zero=ZERO_ADDRESS)
        models = Codebook(zero=b"\0" * 32)
        regions = Codebook(zero=b"\0" * 32)
        has_job_market = market.job_market(block=block) != ZERO_ADDRESS

        request_ids = sorted(state.open_requests)
        orders = market.request_structs(request_ids, block=block)
        if read is not None:
            read.update(zip(request_ids, orders))
        signed_specs = [order.request[1] for order in signed]
        job_terms = self._job_terms(
            block,
            [o["jobTermsHash"] for o in orders if o["kind"] == RequestKind.JOB]
            + [spec[10] for spec in signed_specs if spec[9] == RequestKind.JOB],
            has_job_market,
        )
        request_rows = []
        for request_id, order in zip(request_ids, orders):
            if order["status"] != RequestStatus.OPEN or order["matchDeadline"] < now:
                continue
            job = self._job_columns(order["kind"], order["jobTermsHash"], order["escrow"], job_terms)
            if job is None:
                continue
            request_rows.append(
                (
                    request_id,
                    addresses.code(order["tenant"]),
                    models.code(order["gpuModel"]),
                    order["minVramGB"],
                    order["units"],
                    regions.code(order["region"]),
                    order["minTier"],
                    order["minReputation"],
                    order["pricePerUnitHour"],
                    order["durationSeconds"],
                    *job,
                    addresses.code(order["excludedProvider"]),
                )
            )
        for index, order in enumerate(signed):
            tenant, spec = order.request[0], order.request[1]
            job = self._job_columns(spec[9], spec[10], order.request[2], job_terms)
            if spec[8] < now or job is None:
                continue
            request_rows.append(
                (
                    -index - 1,
                    addresses.code(tenant),
                    models.code(spec[0]),
                    spec[1],
                    spec[2],
                    regions.code(spec[3]),
                    spec[4],
                    spec[5],
                    spec[6],
                    spec[7],
                    *job,
                    0,  # a signed request is new: it excludes no one
                )
            )
        if not request_rows:
            return None

        offer_ids = sorted(state.offers)
        live = [
            (offer_id, offer)
            for offer_id, offer in zip(offer_ids, registry.offer_structs(offer_ids, block=block))
            if not (offer["paused"] or offer["removed"] or offer["units"] <= offer["unitsInUse"])
        ]
        if not live:
            return None
        model_ids = sorted({offer["gpuModel"] for _, offer in live})
        catalogue = dict(zip(model_ids, config.gpu_models(model_ids, block=block)))
        owners = list(dict.fromkeys(offer["provider"] for _, offer in live))
        facts_of = registry.providers(owners, block=block)
        reputations = registry.reputations(owners, block=block)
        uptimes = registry.uptimes(owners, block=block)
        provider_rows = {owner: row for row, owner in enumerate(owners)}
        provider_facts = [
            (
                addresses.code(owner),
                facts["freeStake"],
                reputation,
                uptime,
                facts["slashCount"],
                facts["leasesCompleted"] + facts["jobsFinalized"],
                facts["region"],
            )
            for owner, facts, reputation, uptime in zip(owners, facts_of, reputations, uptimes)
        ]
        offer_rows = []
        for offer_id, offer in live:
            model = catalogue[offer["gpuModel"]]
            row = provider_rows[offer["provider"]]
            offer_rows.append(
                (
                    offer_id,
                    row,
                    models.code(offer["gpuModel"]),
                    model["vramGB"],
                    model["tier"],
                    regions.code(provider_facts[row][6]),
                    offer["pricePerUnitHour"],
                    offer["maxDurationSeconds"],
                    offer["units"],
                    offer["units"] - offer["unitsInUse"],
                    model["collateralPerUnit"],
                    offer["jobStepsPerSecond"],
                    offer["jobMinResultTimeoutSeconds"],
                )
            )

        requests = RequestBook(*_columns(request_rows, amounts={8, 12}))
        offers = OfferBook(*_columns(offer_rows, amounts={6, 10}))
        providers = ProviderBook(*_columns([facts[:6] for facts in provider_facts], amounts={1}))
        return requests, offers, providers


def _columns(rows: list[tuple], amounts: set[int]) -> list[np.ndarray]:
    """Row tuples as column arrays: token amounts as float64 (they may pass 2**63), the rest int64."""
    return [
        np.asarray([row[i] for row in rows], dtype=np.float64 if i in amounts else np.int64)
        for i in range(len(rows[0]))
    ]
