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
from functools import lru_cache

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address
from eth_utils.abi import collapse_if_tuple
from web3.contract import Contract
from web3.types import RPCEndpoint

from keepers.errors import KeeperError
from keepers.indexer import IndexedEvent

VIEW_EVENTS = (
    "RequestCreated",
    "RequestCancelled",
    "LeaseStarted",
    "JobHandedOver",
    "LeaseClosed",
    "LivenessChallenged",
    "LivenessAnswered",
    "LivenessResolved",
    "OfferAdded",
    "OfferRemoved",
)


def struct_call(contract: Contract, function: str, *args, block_identifier="latest") -> dict:
    """Calls a view returning one struct and names its fields from the ABI."""
    values = getattr(contract.functions, function)(*args).call(block_identifier=block_identifier)
    abi = next(item for item in contract.abi if item.get("type") == "function" and item["name"] == function)
    names = [component["name"] for component in abi["outputs"][0]["components"]]
    return dict(zip(names, values))


READ_BATCH = 100  # calls per JSON-RPC batch: public nodes refuse much larger ones


def batch_calls(w3, contract: Contract, function: str, args: list[tuple], *, block_identifier: int) -> list:
    """`function(*a)` for each `a` in `args` at one block: one value, or a tuple for a struct or several outputs.

    The calls go in JSON-RPC batches of READ_BATCH, encoded and decoded with types worked out
    once: a matcher tick reads every open request and offer, and one round trip per read,
    through web3's per-call ABI lookup, made its ticks take seconds (docs/performance.md).
    """
    if not args:
        return []
    abi = next(
        item for item in contract.abi
        if item.get("type") == "function" and item["name"] == function and len(item["inputs"]) == len(args[0])
    )
    selector = function_abi_to_4byte_selector(abi)
    input_types = [collapse_if_tuple(item) for item in abi["inputs"]]
    output_types = [collapse_if_tuple(item) for item in abi["outputs"]]
    convert = [_checksummed(item) for item in abi["outputs"]]
    block = hex(block_identifier)
    results: list = []
    for start in range(0, len(args), READ_BATCH):
        calls = [{"to": contract.address, "data": "0x" + (selector + abi_encode(input_types, a)).hex()}
                 for a in args[start:start + READ_BATCH]]
        requests = [(RPCEndpoint("eth_call"), [call, block]) for call in calls]
        responses = w3.provider.make_batch_request(requests)
        if isinstance(responses, dict):  # the node refused the whole batch
            raise KeeperError(f"rpc error: {function} batch: {responses.get('error')}")
        for response in responses:
            if "error" in response:
                raise KeeperError(f"rpc error: {function}: {response['error']}")
            values = [c(v) for c, v in zip(convert, abi_decode(output_types, bytes.fromhex(response["result"][2:])))]
            results.append(values[0] if len(values) == 1 else tuple(values))
    return results


@lru_cache(maxsize=4096)
def _checksum(address: str) -> str:
    return to_checksum_address(address)


def _checksummed(output: dict):
    """Converts a decoded value as web3 would: addresses checksummed, structs as tuples."""
    if output["type"] == "address":
        return _checksum
    if output["type"] == "tuple":
        fields = [_checksummed(component) for component in output["components"]]
        return lambda values: tuple(c(v) for c, v in zip(fields, values))
    return lambda value: value


def struct_names(contract: Contract, function: str) -> list[str]:
    """The field names of the one struct `function` returns."""
    abi = next(item for item in contract.abi if item.get("type") == "function" and item["name"] == function)
    return [component["name"] for component in abi["outputs"][0]["components"]]


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
            case "RequestCreated":
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
    """Keeps a `MarketState` current from the LeaseMarket's and ProviderRegistry's events."""

    def __init__(self, keeper, name: str) -> None:
        self.market = keeper.contract("LeaseMarket")
        self.registry = keeper.contract("ProviderRegistry")
        self.config = keeper.contract("ProtocolConfig")
        self.state = MarketState()
        self._events: list[IndexedEvent] = []
        # Memory only: forget any cursor a previous run left, so the scan starts at deployment.
        keeper.checkpoints.rollback(name, -1)
        self.indexer = keeper.indexer(
            [self.market, self.registry],
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
