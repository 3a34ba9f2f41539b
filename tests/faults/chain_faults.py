"""What the chain and RPC fault scenarios (1-3) share: keepers whose logs are kept, and the checks
on chain that say whether a payment was lost, made twice or left unsettled.

The keeper test fixtures (protocol, funded keys, keeper configs, clients) come from
tests/conftest.py.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from web3 import HTTPProvider, Web3

from keepers.client import RequestSpec, connect
from keepers.config import KeeperConfig
from keepers.deployment import load_deployment
from keepers.devchain import Anvil
from keepers.observability import make_logger
from scripts.market_report import ChainEvents, conservation

from helpers import ANY_JOB
from protocol_setup import H100, HOUR, USD

ERC20_BALANCE_ABI = [
    {
        "type": "function",
        "name": "balanceOf",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
]
LEASE_ACTIVE, LEASE_CLOSED = 1, 4  # Market.LeaseStatus


def wait_until(predicate, timeout: float = 30.0) -> bool:
    """Polls `predicate` until true or `timeout`; a keeper thread does the work, chain time does not move.

    Returns the outcome instead of asserting, so a case is recorded before it fails.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


class KeeperLogs:
    """One keeper's JSON log lines, kept in memory for the checks."""

    def __init__(self, name: str, role: str) -> None:
        self.stream = io.StringIO()
        self.logger = make_logger(name, role, "INFO", self.stream)

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line.startswith("{")]

    def events(self, name: str) -> list[dict]:
        return [record for record in self.records() if record.get("event") == name]


class KeeperRun:
    """Keepers of any role, started in-process with their logs kept; all stopped at the end."""

    def __init__(self, keeper_config) -> None:
        self.keeper_config = keeper_config
        self.keepers = []
        self.logs = {}

    def start(self, role_class, account, *, rpc_url: str | None = None, chain: dict | None = None, role=None):
        data, environ = self.keeper_config(account, role)
        if rpc_url is not None:
            data["chain"]["rpc_url"] = rpc_url
        data["chain"].update(chain or {})
        name = f"{role_class.role}-{len(self.keepers)}"
        logs = KeeperLogs(name, role_class.role)
        keeper = role_class(KeeperConfig.model_validate(data), environ=environ, name=name, logger=logs.logger)
        self.keepers.append(keeper)
        self.logs[name] = logs
        keeper.start()
        return keeper

    def metric(self, name: str, labels: dict | None = None) -> float:
        return sum(keeper.metrics.value(name, labels) for keeper in self.keepers)

    def metric_all_labels(self, name: str) -> float:
        """A sample summed over every keeper and every label value."""
        return sum(
            sample.value
            for keeper in self.keepers
            for family in keeper.metrics.registry.collect()
            for sample in family.samples
            if sample.name == name
        )

    def log_events(self, name: str) -> list[dict]:
        return [record for logs in self.logs.values() for record in logs.events(name)]

    def stop(self) -> None:
        for keeper in self.keepers:
            keeper.stop()


class ChainCopy:
    """A second Anvil started from the session chain's current state, saving its state to `state_path` on exit.

    The session chain belongs to brownie's snapshots; a copy can be stopped, restarted and
    re-orged freely. Blocks and hashes carry over a dump and a load, Anvil's clock offset
    does not: after each start the copy's clock is set just past its last block, as a
    chain's clock never runs backwards.
    """

    def __init__(self, anvil: Anvil, state_path: Path) -> None:
        self.state_path = state_path
        self.node = anvil
        state_path.write_bytes(self.save())
        self.node = Anvil(state_path=state_path).start()
        keep_clock_monotonic(self.node)

    @property
    def url(self) -> str:
        return self.node.url

    def stop(self) -> None:
        """SIGTERM: Anvil writes its state to `state_path` and exits."""
        self.node.stop()

    def restart(self) -> None:
        """Starts Anvil again on the same port from the state it saved."""
        self.node = Anvil(port=self.node.port, state_path=self.state_path).start()
        keep_clock_monotonic(self.node)

    def save(self) -> bytes:
        """What a periodic state dump would hold right now."""
        return gzip.decompress(bytes.fromhex(self.node.rpc("anvil_dumpState")[2:]))

    def kill_and_restart_from(self, saved: bytes) -> None:
        """SIGKILL (nothing written on exit), then a start from an earlier dump: blocks after it are gone."""
        os.killpg(self.node.process.pid, signal.SIGKILL)
        self.node.process.wait()
        self.node.stop()
        self.state_path.write_bytes(saved)
        self.restart()


@contextmanager
def chain_copy(anvil: Anvil, state_path: Path):
    copy = ChainCopy(anvil, state_path)
    try:
        yield copy
    finally:
        copy.stop()


def keep_clock_monotonic(node: Anvil) -> None:
    latest = int(node.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    node.rpc("evm_setTime", [latest + 1])


def move_time(node: Anvil, seconds: int) -> None:
    node.rpc("evm_increaseTime", [seconds])
    node.rpc("evm_mine")


def client_on(keeper_config, url: str, account):
    """A LeaseholdClient signing as `account` on the node at `url`."""
    data, environ = keeper_config(account)
    data["chain"]["rpc_url"] = url
    return connect(KeeperConfig.model_validate(data), environ, make_logger("test", "client", "CRITICAL"))


def provider_with_offer(client, *, region="eu-west", units=8, price=2 * USD) -> int:
    client.register_provider(region, "http://127.0.0.1:1")
    client.stake(units * 3_000 * USD)
    offer_id = client.offer_id_of(client.add_offer(H100, units, price, 24 * HOUR))
    client.set_offer_job_policy(offer_id, *ANY_JOB)  # takes every job (docs/verification.md)
    return offer_id


def rental_request(client, *, units=1, max_price=3 * USD, duration=2 * HOUR) -> int:
    """A request any 2 USD H100 offer fits; returns its id."""
    spec = RequestSpec(
        gpu_model=H100,
        units=units,
        region=None,
        max_price_per_unit_hour=max_price,
        max_duration_seconds=duration,
        match_deadline=client.now() + 4 * HOUR,
    )
    params = client.params()
    deposit = params["matchFee"] + params["settleBounty"] + max_price * units * duration // HOUR
    return client.request_id_of(client.create_request(spec, deposit))


class Books:
    """The market read back from the chain at `rpc_url`: the checks every fault case records."""

    def __init__(self, rpc_url: str, deployment_path: Path) -> None:
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
        self.deployment = load_deployment(deployment_path, self.w3)
        names = ("LeaseMarket", "ProviderRegistry", "JobMarket", "ProtocolConfig")
        self.market, self.registry, self.job_market, self.config = (self.deployment.contract(self.w3, n) for n in names)
        token = self.deployment.contract(self.w3, "PaymentToken")
        self.token = self.w3.eth.contract(address=token.address, abi=ERC20_BALANCE_ABI)

    def events(self) -> ChainEvents:
        return ChainEvents.read(self.w3, [self.market, self.registry, self.job_market], self.deployment.block_number)

    def created_block(self, request_id: int) -> int:
        (log,) = self.market.events.RequestCreated().get_logs(
            from_block=self.deployment.block_number, argument_filters={"requestId": request_id}
        )
        return log["blockNumber"]

    def conserved(self, events: ChainEvents) -> dict[str, bool]:
        return conservation(
            events,
            self.market,
            self.registry,
            self.job_market,
            lambda owner: self.token.functions.balanceOf(owner).call(),
        )

    def check(self, request_ids, *, settled: bool) -> dict[str, bool]:
        """The three promises about money, for the requests a case made.

        - nothing lost: every token identity of scripts/market_report.py holds, and each
          request was matched (its deposit did not sit unclaimed);
        - nothing twice: at most one LeaseStarted and one LeaseClosed per request;
        - nothing unsettled: every lease of the case is closed (when `settled`) or still running.
        """
        events = self.events()
        started = Counter(e["leaseId"] for e in events["LeaseStarted"])
        closed = Counter(e["leaseId"] for e in events["LeaseClosed"])
        ours = set(request_ids)
        want = LEASE_CLOSED if settled else LEASE_ACTIVE
        return {
            "no_payment_lost": all(self.conserved(events).values()) and all(started[r] == 1 for r in ours),
            "no_payment_twice": all(n == 1 for n in started.values()) and all(n == 1 for n in closed.values()),
            "nothing_left_unsettled": all(
                self.market.functions.statusOf(r).call() == want and closed[r] == (1 if settled else 0) for r in ours
            ),
        }
