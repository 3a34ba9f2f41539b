"""What the settling and matching roles know of the market, rebuilt from events.

The view is memory only: at every start it rescans the market's and the
registry's events from the deployment block (pymaker's rule: persist only the
cursor of what you sent; caches are rebuilt from logs). It keeps the ordered
events it has seen, so a re-org simply drops the events above the fork block
and replays the rest. The chain stays the truth: every action re-reads the
state it acts on, and the sender simulates before it sends.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from keepers.indexer import IndexedEvent

VIEW_EVENTS = (
    "RequestCreated",
    "RequestCancelled",
    "RequestReopened",
    "LeaseStarted",
    "JobHandedOver",
    "LeaseClosed",
    "LivenessChallenged",
    "LivenessAnswered",
    "LivenessResolved",
    "OfferAdded",
    "OfferRemoved",
)


@dataclass
class LeaseFacts:
    provider: str
    end_time: int
    challenge_deadline: int | None = None  # set while a liveness challenge is open


@dataclass
class MarketState:
    """Sets derived from an ordered list of events; rebuilt whole after a re-org."""

    open_requests: set[int] = field(default_factory=set)
    leases: dict[int, LeaseFacts] = field(default_factory=dict)
    offers: set[int] = field(default_factory=set)

    def apply(self, event: IndexedEvent) -> None:
        args = event.args
        match event.name:
            case "RequestCreated" | "RequestReopened":
                self.open_requests.add(args["requestId"])
            case "RequestCancelled" | "JobHandedOver":
                self.open_requests.discard(args["requestId"])
            case "LeaseStarted":
                self.open_requests.discard(args["leaseId"])
                self.leases[args["leaseId"]] = LeaseFacts(args["provider"], args["endTime"])
            case "LeaseClosed" | "LivenessResolved":
                self.leases.pop(args["leaseId"], None)
            case "LivenessChallenged":
                if args["leaseId"] in self.leases:
                    self.leases[args["leaseId"]].challenge_deadline = args["deadline"]
            case "LivenessAnswered":
                if args["leaseId"] in self.leases:
                    self.leases[args["leaseId"]].challenge_deadline = None
            case "OfferAdded":
                self.offers.add(args["offerId"])
            case "OfferRemoved":
                self.offers.discard(args["offerId"])

    def leases_by_provider(self) -> dict[str, list[int]]:
        grouped: dict[str, list[int]] = defaultdict(list)
        for lease_id, facts in self.leases.items():
            grouped[facts.provider].append(lease_id)
        return grouped


class MarketView:
    """Keeps a `MarketState` current from the LeaseMarket's and ProviderRegistry's events.

    `market`, `registry` and `config` are the keeper's typed wrappers (keepers/contracts).
    """

    def __init__(self, keeper, name: str) -> None:
        self.market = keeper.contracts.market
        self.registry = keeper.contracts.registry
        self.config = keeper.contracts.config
        self.job_market = keeper.contracts.job_market
        self.state = MarketState()
        self._events: list[IndexedEvent] = []
        # Memory only: forget any cursor a previous run left, so the scan starts at deployment.
        keeper.checkpoints.rollback(name, -1)
        self.indexer = keeper.indexer(
            [self.market.contract, self.registry.contract],
            name=name,
            on_event=self._on_event,
            on_rollback=self._on_rollback,
            event_names=VIEW_EVENTS,
        )

    def refresh(self) -> int:
        """Reads new events; returns how many arrived."""
        return self.indexer.poll()

    def state_at(self, block_number: int) -> MarketState:
        """The sets as they were at the end of `block_number` (for replaying a past decision)."""
        state = MarketState()
        for event in self._events:
            if event.block_number > block_number:
                break
            state.apply(event)
        return state

    def _on_event(self, event: IndexedEvent) -> None:
        self._events.append(event)
        self.state.apply(event)

    def _on_rollback(self, block_number: int) -> None:
        self._events = [event for event in self._events if event.block_number <= block_number]
        self.state = MarketState()
        for event in self._events:
            self.state.apply(event)
