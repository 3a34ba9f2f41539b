"""What the keeper fault scenarios (4-8) share: keepers whose JSON logs the test reads
(tests/faults/conftest.py's `fault_keepers`), and the on-chain books every case is judged by.

Keepers run in-process (their scheduler threads) or as `leasehold keeper run` processes
against the session's Anvil. A wait polls the chain or a keeper, bounded in wall-clock
time; chain time moves only with `advance` (evm_increaseTime).
"""

import io
import json
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from web3.exceptions import TransactionNotFound

from keepers.contracts.types import DisputeResult
from keepers.journal import Journal
from scripts.market_report import ChainEvents, conservation

from helpers import ANY_JOB
from protocol_setup import H100, HOUR, USD

DEAD_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there


class LogCapture(io.TextIOBase):
    """A keeper's log stream kept in memory: one JSON record a line, read back by event name."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._partial = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            *done, self._partial = (self._partial + text).split("\n")
            self._lines.extend(done)
        return len(text)

    def records(self) -> list[dict]:
        with self._lock:
            lines = list(self._lines)
        return [json.loads(line) for line in lines if line.startswith("{")]

    def events(self, *names: str) -> list[dict]:
        return [record for record in self.records() if record.get("event") in names]


def read_log_file(path: Path) -> list[dict]:
    """The JSON records of a keeper process's log file (its stdout)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def wait_for(predicate, timeout: float = 60.0, what: str = "the keepers") -> None:
    """Waits (wall clock) for keeper threads or processes to act; chain time never moves here."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def advance(seconds: int) -> None:
    from brownie import chain

    chain.sleep(seconds)
    chain.mine()


@contextmanager
def mining_paused(w3):
    """Holds every transaction in the pool until the block closes with `mine_now`; restores automine."""
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        yield
    finally:
        w3.provider.make_request("evm_setAutomine", [True])


def mine_now(w3, base_fee_wei: int | None = None) -> None:
    if base_fee_wei is not None:
        w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base_fee_wei)])
    w3.provider.make_request("evm_mine", [])


def pending_nonce(w3, address: str) -> int:
    return w3.eth.get_transaction_count(address, "pending")


def metric(keepers, name: str, labels: dict | None = None) -> float:
    """A metric summed over keepers."""
    return sum(keeper.metrics.value(name, labels) for keeper in keepers)


def journal_pending(state_dir, address: str) -> list:
    journal = Journal(state_dir)
    try:
        return journal.pending(address)
    finally:
        journal.close()


def keeper_pending(keeper) -> list:
    return journal_pending(keeper.config.transactions.state_dir, keeper.account.address)


def journal_entries(state_dir, address: str) -> list:
    journal = Journal(state_dir)
    try:
        return journal.entries(address)
    finally:
        journal.close()


def receipt_or_none(w3, tx_hash):
    try:
        return w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


# ---------------------------------------------------------------------------------------- books


def books_balance(reader, protocol) -> dict[str, bool]:
    """scripts/market_report's conservation identities over every event since the deployment."""
    events = ChainEvents.read(reader.w3, [reader.market, reader.registry, reader.job_market], protocol[0].block_number)
    return conservation(
        events,
        reader.market,
        reader.registry,
        reader.job_market,
        lambda address: reader.balance_of(reader.payment_token, address),
    )


def per_id(reader, contract, event: str, key: str, ids) -> Counter:
    """How many `event`s each of `ids` has, read from the chain."""
    wanted = set(ids)
    logs = getattr(contract.events, event)().get_logs(from_block=0)
    return Counter(log["args"][key] for log in logs if log["args"][key] in wanted)


def once_each(counts: Counter, ids) -> bool:
    return all(counts[i] == 1 for i in ids) and set(counts) <= set(ids)


def job_endings(reader, job_ids) -> Counter:
    """Terminal events per job: finalized, expired, or a dispute the solver did not win."""
    ended = per_id(reader, reader.job_market, "JobFinalized", "jobId", job_ids)
    ended += per_id(reader, reader.job_market, "JobExpired", "jobId", job_ids)
    wanted = set(job_ids)
    for log in reader.job_market.events.DisputeResolved().get_logs(from_block=0):
        if log["args"]["jobId"] in wanted and log["args"]["result"] != DisputeResult.SOLVER_WON:
            ended[log["args"]["jobId"]] += 1
    return ended


# ---------------------------------------------------------------------------------------- work


def lease_deposit(client, *, units=1, max_price=3 * USD, duration=2 * HOUR) -> int:
    params = client.params()
    return params["matchFee"] + params["settleBounty"] + max_price * units * duration // HOUR


def rental_leases(
    protocol,
    matcher_account,
    client_for,
    funded_key,
    *,
    count,
    duration=HOUR,
    endpoint="http://127.0.0.1:1",
    match=True,
):
    """A provider with one H100 offer of `count` units and `count` requests of one unit from one tenant.

    Matched by the brownie matcher unless `match` is False. Returns (provider, tenant, request ids).
    """
    from keepers.client import RequestSpec

    provider = client_for(funded_key(100_000 * USD))
    provider.register_provider("eu-west", endpoint)
    provider.stake(count * 3_000 * USD)
    offer_id = provider.offer_id_of(provider.add_offer(H100, count, 2 * USD, 24 * HOUR))
    provider.set_offer_job_policy(offer_id, *ANY_JOB)  # takes every job (docs/verification.md)
    tenant = client_for(funded_key())
    ids = []
    for _ in range(count):
        spec = RequestSpec(
            gpu_model=H100,
            units=1,
            region=None,
            max_price_per_unit_hour=3 * USD,
            max_duration_seconds=duration,
            match_deadline=tenant.now() + HOUR,
        )
        ids.append(tenant.request_id_of(tenant.create_request(spec, lease_deposit(tenant, duration=duration))))
    if match:
        tx = protocol[0].market.matchRequests([(r, offer_id) for r in ids], {"from": matcher_account})
        assert len(tx.events["LeaseStarted"]) == count, tx.events
    return provider, tenant, ids


# ---------------------------------------------------------------------------------------- processes


def write_toml(data: dict, path: Path) -> Path:
    """A keeper config file from `keeper_config` data (flat sections of scalars and lists)."""
    lines = []
    for section, values in data.items():
        if values:
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    path.write_text("\n".join(lines) + "\n")
    return path


def scrape(url: str) -> dict[str, float]:
    """A keeper's /metrics as {sample with labels: value}."""
    from urllib.request import urlopen

    with urlopen(f"{url}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples
