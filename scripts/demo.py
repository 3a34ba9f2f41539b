"""The local market demo: the whole Leasehold market on an Anvil chain of its own.

    make demo [KEEP=1]   (python -m scripts.demo [--seed N] [--console] [--keep])

It starts Anvil, deploys the protocol, and starts every keeper as a separate
process through the `leasehold keeper run ROLE` command operators use: a
matcher, a settler, a prober, 20 provider agents (several GPU models, regions
and prices), two verifiers (one honest, one lazy that tries to attest without
executing), a whistleblower, two arbiters, and one more provider agent
configured to cheat (`fault_from_step`). Then it plays ten tenants sending a
stream of requests over 12 hours of chain time, moved with `evm_increaseTime`:
rentals, and verified jobs of the three workloads (the tenant publishes the
terms, then posts a JOB request). Three jobs go to the cheater: its hashchain
result is caught by the honest verifier (on-chain step proof), its matvec result
is one the lazy verifier tries to attest valid unseen (refused: it holds no trace,
so it has neither a claim nor a spot proof) and the honest verifier catches, its
matvec-256 result goes to the arbiters' vote. The demo draws every result for
verification (`verificationSampleBps` = 10,000), so each of its few jobs shows
the verified path.
Half-way it kills one provider agent, so the prober finds its endpoint dark,
challenges its leases, and the settler has it slashed when the liveness window
passes. At the end every lease and job is settled, every process it started is
stopped, and the books read back from the chain go to `reports/demo.json` with
a summary table.

Every rental delivers (docs/delivery.md): each request commits to the manifest of a
small HTTP service (scripts/delivery_service.py), each provider agent runs it on the
process backend once the tenant deploys it after the match, and the tenant reaches it
with the credential it was given (the first tenant's deploys are made by its tenant
keeper, `leasehold keeper run tenant`, after each match). Every rental opts into re-match
(docs/leases.md, "Re-match"): the killed provider's machine goes down with its workloads,
its leases are slashed and their unused deposits re-opened with it excluded, the matcher
matches them again with other providers, and the tenant keepers started for their tenants
(watching, deploying, sending nothing) redeploy on the new leases without the tenants
acting. The report counts the workloads launched, reached, torn down and re-matched, and
checks that none is left running.

With `--console` (as `make demo` runs it) the web console is served at a printed URL on
the same market, the matcher serving its signed-request order book; with `--keep` the
market and the console stay up after the scripted part until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.table import Table

from keepers.client import JobTerms, LeaseholdClient, RequestSpec
from keepers.contracts.types import DisputeResult, SkipReason
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manifest import parse_manifest
from keepers.delivery.tenant import TenantDelivery
from keepers.deployment import load_deployment
from keepers.devchain import REPO_ROOT, Anvil, free_port
from keepers.ids import to_bytes32
from keepers.jobs import TERMINAL, compute_trace
from keepers.journal import Journal
from keepers.observability import Metrics, make_logger
from keepers.sender import TransactionSender
from keepers.workloads import keccak256
from scripts.market_report import ChainEvents, conservation, gas_by_operation, summary

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
USD = 10**6
HOUR = 3600
STEP_SECONDS = 1200  # chain time per step: two liveness windows, so a dark provider is settled next step
STEPS = 36  # 12 hours
KILL_STEP = STEPS // 2
WAIT_SECONDS = 20.0  # wall-clock bound of any wait for the keepers
JOB_WAIT_SECONDS = 90.0  # a dispute game takes a few dozen keeper ticks

# Role accounts: index in Anvil's mnemonic.
GOVERNANCE, TREASURY, MATCHER, SETTLER, PROBER = 0, 1, 2, 3, 4
FIRST_PROVIDER, PROVIDERS = 5, 20
FIRST_TENANT, TENANTS = 25, 10
VERIFIER, LAZY_VERIFIER, WHISTLEBLOWER = 35, 36, 37
ARBITERS = (38, 39)
CHEATER = 40
ACCOUNTS = 41

# GPU model -> reference price per unit-hour (USD), as the market roughly prices them.
MODELS = {
    "nvidia-t4-16gb": 0.35,
    "nvidia-rtx-4090-24gb": 0.70,
    "nvidia-rtx-a6000-48gb": 0.90,
    "nvidia-l40s-48gb": 1.20,
    "nvidia-a100-80gb": 1.60,
    "nvidia-h100-80gb": 2.50,
}
VRAM = {
    "nvidia-t4-16gb": 16,
    "nvidia-rtx-4090-24gb": 24,
    "nvidia-rtx-a6000-48gb": 48,
    "nvidia-l40s-48gb": 48,
    "nvidia-a100-80gb": 80,
    "nvidia-h100-80gb": 80,
}
REGIONS = ["eu-west", "us-east", "us-west", "ap-south"]
NOWHERE = "sa-east"  # no provider serves it: such requests expire and are refunded

# Jobs: workload -> steps N (a dispute takes ⌈log2 N⌉ rounds). The honest verifier checks every
# workload, the lazy one tries to attest matvec unseen and is refused; the whistleblower checks
# every attested result.
JOB_STEPS = {"hashchain": 64, "matvec": 32, "matvec-256": 16}
HONEST_VERIFIER_WORKLOADS = ["hashchain", "matvec", "matvec-256"]
LAZY_VERIFIER_WORKLOADS = ["matvec"]
HONEST_JOBS = {2: "hashchain", 5: "matvec", 8: "matvec-256", 11: "hashchain", 14: "matvec", 23: "matvec-256"}
CHEAT_STEP = 4  # the three cheated jobs (one per workload) are posted together, so their games overlap
JOB_WINDOW_SECONDS = 600  # the shortest challenge window allowed
JOB_DEPOSIT = 20 * USD
JOB_MAX_PRICE = int(3.5 * USD)
# The cheater serves one region nobody else does, at a T4 price above every T4 rental's ceiling,
# so only the jobs sent to its region reach it.
CHEAT_REGION = "eu-north"
CHEAT_MODEL = "nvidia-t4-16gb"
CHEAT_PRICE = int(0.6 * USD)
CHEAT_FROM_STEP = 5


# The workload every rental commits to and runs: a small HTTP service on the process backend.
SERVICE = REPO_ROOT / "scripts" / "delivery_service.py"
MANIFEST = parse_manifest(
    {
        "command": [sys.executable, str(SERVICE)],
        "ports": [{"name": "http"}],
        "env": {"GREETING": "hello from a Leasehold rental"},
    }
)


def key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


def address_of(index: int) -> str:
    return Account.from_key(key_of(index)).address


@dataclass
class KeeperProcess:
    name: str
    role: str
    config_path: Path
    log_path: Path
    metrics_port: int
    key_env: dict[str, str]
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "keepers.cli",
                "keeper",
                "run",
                self.role,
                "--config",
                str(self.config_path),
                "--name",
                self.name,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.key_env},
            cwd=REPO_ROOT,
            start_new_session=True,
        )
        log.close()

    def kill(self) -> None:
        """Takes the process down hard, as a crashed machine would go."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> int | None:
        """SIGTERM, then waits: the keeper finishes what it was sending and exits."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode


# Wall-clock poll interval of each role: twenty provider agents share two cores with the rest.
POLL_SECONDS = {
    "matcher": 0.5,
    "settler": 0.5,
    "prober": 1.0,
    "provider": 1.5,
    "verifier": 0.5,
    "whistleblower": 0.5,
    "arbiter": 1.0,
    "cheater": 0.5,
    "tenant": 1.0,
}


def keeper_toml(
    rpc_url: str, deployment: Path, key_env: str, state_dir: Path, metrics_port: int, role: str, poll_seconds: float
) -> str:
    return f"""[chain]
rpc_url = "{rpc_url}"
chain_id = 31337
deployment = "{deployment}"
poll_interval_seconds = {poll_seconds}
confirmations = 0

[account]
private_key_env = "{key_env}"

[transactions]
state_dir = "{state_dir}"
replace_after_seconds = 30

[metrics]
port = {metrics_port}
stale_head_seconds = 1000000000

{role}"""


def provider_role(index: int, collateral: dict[str, int], work_dir: Path) -> tuple[str, dict]:
    model = list(MODELS)[index % len(MODELS)]
    units = 2 + index % 5
    price = int(MODELS[model] * (0.85 + 0.05 * (index % 7)) * USD)
    stake = units * collateral[model] * 3 // 2
    region = REGIONS[index % len(REGIONS)]
    text = f"""[role]
region = "{region}"
stake = {stake}
withdraw_interval_seconds = 5
min_withdraw = 1000000

[[role.offers]]
gpu_model = "{model}"
units = {units}
price_per_unit_hour = {price}
max_duration_seconds = {12 * HOUR}
job_steps_per_second = 1_000_000
job_min_result_timeout_seconds = 60

[role.delivery]
backend = "process"
host = "127.0.0.1"
port = {free_port()}
work_dir = "{work_dir}"
start_timeout_seconds = 30
"""
    return text, {
        "model": model,
        "units": units,
        "price": price,
        "region": region,
        "stake": stake,
        "work_dir": work_dir,
    }


class Book:
    """The driver's view of requests and leases; terminal records are read once and kept."""

    TERMINAL_REQUEST = ("MATCHED", "CANCELLED")

    def __init__(self, reader: LeaseholdClient) -> None:
        self.reader = reader
        self._requests: dict[int, object] = {}
        self._leases: dict[int, object] = {}

    def requests(self) -> list:
        count = self.reader.contracts.market.next_request_id() - 1
        stale = [
            i
            for i in range(1, count + 1)
            if i not in self._requests or self._requests[i].status not in self.TERMINAL_REQUEST
        ]
        for request_id in stale:
            self._requests[request_id] = self.reader.request(request_id)
        return [self._requests[i] for i in range(1, count + 1)]

    def leases(self) -> list:
        ids = [r.request_id for r in self.requests() if r.status == "MATCHED" and r.kind == "RENTAL"]
        stale = [i for i in ids if i not in self._leases or not self._leases[i].settled]
        for lease in self.reader.leases(stale):
            self._leases[lease.lease_id] = lease
        return [self._leases[i] for i in ids]


class Demo:
    def __init__(self, seed: int, workdir: Path, console: Console) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.workdir = workdir
        self.console = console
        self.keepers: list[KeeperProcess] = []
        self.providers: list[dict] = []
        self.request_ids: list[int] = []
        self.unmatchable: set[int] = set()
        self.killed: dict | None = None
        self.honest_outputs: dict[int, bytes] = {}  # job request id -> the honest h_N
        self.settled_jobs: set[int] = set()
        self.deliveries: dict[int, dict] = {}  # lease -> what its tenant was given (and whether it was reached)
        self.delivery_failures: list[str] = []
        self.lost_with_killed_provider = 0
        self.keeper_tenants: set[str] = {address_of(FIRST_TENANT)}  # tenants whose deploys their keeper makes

    # ------------------------------------------------------------------ set-up

    def deploy(self, anvil: Anvil) -> None:
        from brownie import accounts

        from scripts.deploy import bond_matcher, deploy, local_matcher_bond, write_deployment
        from scripts.localchain import brownie_on_anvil

        with brownie_on_anvil(anvil), contextlib.redirect_stdout(io.StringIO()):
            deployment = deploy(accounts[GOVERNANCE], treasury=accounts[TREASURY].address)
            config, token = deployment.config, deployment.payment_token
            config.setRole(config.MATCHER_ROLE(), accounts[MATCHER], True, {"from": accounts[GOVERNANCE]})
            bond_matcher(deployment.matcher_bonds, token, accounts[MATCHER], local_matcher_bond(token))
            for index in (VERIFIER, LAZY_VERIFIER):
                config.setRole(config.VERIFIER_ROLE(), accounts[index], True, {"from": accounts[GOVERNANCE]})
            # Every result drawn for verification: the demo's few jobs each show the verified path.
            params = config.params().dict()
            params["verificationSampleBps"] = 10_000
            config.setParams(tuple(params.values()), {"from": accounts[GOVERNANCE]})
            for index in ARBITERS:
                config.setRole(config.ARBITER_ROLE(), accounts[index], True, {"from": accounts[GOVERNANCE]})
            for index in [*range(FIRST_PROVIDER, FIRST_PROVIDER + PROVIDERS), CHEATER]:
                token.mint(accounts[index], 1_000_000 * USD, {"from": accounts[GOVERNANCE]})
            # Arbiters post a bond with each vote.
            funded = [PROBER, *range(FIRST_TENANT, FIRST_TENANT + TENANTS), VERIFIER, LAZY_VERIFIER, WHISTLEBLOWER]
            for index in [*funded, *ARBITERS]:
                token.mint(accounts[index], 100_000 * USD, {"from": accounts[GOVERNANCE]})
            self.deployment_path = write_deployment(deployment, self.workdir)

    def client(self, index: int, w3) -> LeaseholdClient:
        account = Account.from_key(key_of(index))
        state = self.workdir / "tenants" / str(index)
        logger = make_logger(f"tenant-{index}", "tenant", "WARNING", stream=io.StringIO())
        sender = TransactionSender(w3, account, _tx_config(state), Journal(state), Metrics(), logger, poll_seconds=0.05)
        return LeaseholdClient(w3, load_deployment(self.deployment_path, w3), sender)

    def start_keepers(self, anvil: Anvil, reader: LeaseholdClient) -> None:
        self.manifest_path = self.workdir / "manifest.json"
        self.manifest_path.write_text(json.dumps(MANIFEST.model_dump(mode="json")))
        config = reader.contracts.config
        catalogue = {model: config.gpu_model(_b32(model))["collateralPerUnit"] for model in MODELS}
        matcher_role = f"[role]\norderbook_port = {self.orderbook_port}\n"
        plan = [
            ("matcher", "matcher", MATCHER, matcher_role),
            ("settler", "settler", SETTLER, ""),
            ("prober", "prober", PROBER, "[role]\nfailures_before_challenge = 2\nprobe_timeout_seconds = 1\n"),
        ]
        for i in range(PROVIDERS):
            role_text, facts = provider_role(i, catalogue, self.workdir / "state" / f"provider-{i:02d}" / "workloads")
            facts["address"] = address_of(FIRST_PROVIDER + i)
            facts["name"] = f"provider-{i:02d}"
            self.providers.append(facts)
            plan.append((facts["name"], "provider", FIRST_PROVIDER + i, role_text))
        cheater_stake = 6 * catalogue[CHEAT_MODEL] * 3 // 2
        plan += [
            (
                "provider-cheat",
                "provider",
                CHEATER,
                f"""[role]
region = "{CHEAT_REGION}"
stake = {cheater_stake}
withdraw_interval_seconds = 5
min_withdraw = 1000000
fault_from_step = {CHEAT_FROM_STEP}

[[role.offers]]
gpu_model = "{CHEAT_MODEL}"
units = 6
price_per_unit_hour = {CHEAT_PRICE}
max_duration_seconds = {12 * HOUR}
job_steps_per_second = 1_000_000
job_min_result_timeout_seconds = 60
""",
            ),
            ("verifier", "verifier", VERIFIER, f"[role]\nworkloads = {json.dumps(HONEST_VERIFIER_WORKLOADS)}\n"),
            (
                "verifier-lazy",
                "verifier",
                LAZY_VERIFIER,
                f"[role]\nlazy = true\nworkloads = {json.dumps(LAZY_VERIFIER_WORKLOADS)}\n",
            ),
            ("whistleblower", "whistleblower", WHISTLEBLOWER, ""),
            self.tenant_keeper_plan(FIRST_TENANT),
            *((f"arbiter-{i}", "arbiter", index, "") for i, index in enumerate(ARBITERS, start=1)),
        ]
        for name, role, index, role_text in plan:
            self.start_keeper(anvil, name, role, index, role_text)

    def tenant_keeper_plan(self, index: int) -> tuple[str, str, int, str]:
        """A tenant keeper deploys its manifest after each match and re-match and watches it; the
        driver sends that tenant's transactions, so the keeper sends none (no challenges or top-ups)."""
        name = "tenant-keeper" if index == FIRST_TENANT else f"tenant-keeper-{index - FIRST_TENANT}"
        role_text = f"""[role]
manifest = "{self.manifest_path}"
challenge_dark_providers = false
"""
        return name, "tenant", index, role_text

    def start_keeper(self, anvil: Anvil, name: str, role: str, index: int, role_text: str) -> None:
        port = free_port()
        env_name = f"DEMO_KEY_{name.upper().replace('-', '_')}"
        config_path = self.workdir / f"{name}.toml"
        config_path.write_text(
            keeper_toml(
                anvil.url,
                self.deployment_path,
                env_name,
                self.workdir / "state" / name,
                port,
                role_text,
                POLL_SECONDS["cheater" if name == "provider-cheat" else role],
            )
        )
        keeper = KeeperProcess(
            name, role, config_path, self.workdir / "logs" / f"{name}.log", port, {env_name: key_of(index)}
        )
        keeper.start()
        self.keepers.append(keeper)

    # ------------------------------------------------------------------ the stream of tenants

    def make_request(self, tenant: LeaseholdClient, now: int, unmatchable: bool = False) -> int:
        rng = self.rng
        units = rng.choice([1, 1, 2, 2, 3])
        hours = rng.choice([1, 2, 2, 3, 4, 5])
        duration = hours * HOUR
        if rng.random() < 0.3:
            min_vram = rng.choice([24, 48, 80])
            model = None
            price_ceiling = max(p for m, p in MODELS.items() if VRAM[m] >= min_vram)
        else:
            min_vram = 0
            model = rng.choice(list(MODELS))
            price_ceiling = MODELS[model]
        max_price = int(price_ceiling * rng.uniform(1.15, 1.6) * USD)
        region = NOWHERE if unmatchable else (rng.choice(REGIONS) if rng.random() < 0.3 else None)
        spec = RequestSpec(
            units=units,
            max_price_per_unit_hour=max_price,
            max_duration_seconds=duration,
            match_deadline=now + 30 * 60,
            gpu_model=model,
            min_vram_gb=min_vram,
            region=region,
            manifest_hash=MANIFEST.hash,
            rematch=True,  # a provider that fails the lease is replaced without the tenant acting
        )
        params = tenant.params()
        fees = params["matchFee"] + params["settleBounty"]
        # Most tenants fund the whole lease; some only a little over the minimum, and run dry.
        funded_seconds = duration if rng.random() < 0.8 else int(params["minLeaseSeconds"] * 1.5)
        deposit = fees + -(-max_price * units * funded_seconds // HOUR)
        result = tenant.create_request(spec, deposit)
        request_id = tenant.request_id_of(result)
        self.request_ids.append(request_id)
        if unmatchable:
            self.unmatchable.add(request_id)
        return request_id

    def make_job(self, tenant: LeaseholdClient, now: int, workload: str, cheated: bool = False) -> int:
        """Publishes the terms of a job and posts its JOB request; a cheated one goes to the cheater's region."""
        salt = len(self.honest_outputs)
        if workload == "hashchain":
            input = keccak256(b"demo-input" + salt.to_bytes(4, "big"))
        else:
            width = 16 if workload == "matvec" else 256
            input = b"".join(
                self.rng.randrange(-2 << 16, 2 << 16).to_bytes(4, "big", signed=True) for _ in range(width)
            )
        terms = JobTerms(
            to_bytes32(workload),
            keccak256(input),
            to_bytes32(f"demo-job-{salt}"),
            JOB_STEPS[workload],
            HOUR,
            JOB_WINDOW_SECONDS,
        )
        terms_hash = tenant.terms_hash_of(tenant.publish_job_terms(terms, input))
        spec = RequestSpec(
            units=1,
            max_price_per_unit_hour=JOB_MAX_PRICE,
            max_duration_seconds=HOUR,
            match_deadline=now + 30 * 60,
            gpu_model=CHEAT_MODEL if cheated else None,
            region=CHEAT_REGION if cheated else self.rng.choice(REGIONS),
            kind="JOB",
            job_terms_hash=terms_hash,
        )
        request_id = tenant.request_id_of(tenant.create_request(spec, JOB_DEPOSIT))
        self.request_ids.append(request_id)
        self.honest_outputs[request_id] = compute_trace(terms, input).output_hash
        return request_id

    # ------------------------------------------------------------------ running

    def run(self, serve_console: bool = False, keep: bool = False) -> dict:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self.orderbook_port = free_port()
        with Anvil(accounts=ACCOUNTS, base_fee_wei=0) as anvil, contextlib.ExitStack() as stack:
            self.console.print(f"[bold]Leasehold demo[/bold]: Anvil on {anvil.url} (pid {anvil.pid}); deploying…")
            self.deploy(anvil)
            from web3 import HTTPProvider, Web3

            w3 = Web3(HTTPProvider(anvil.url, request_kwargs={"timeout": 30}))
            reader = LeaseholdClient(w3, load_deployment(self.deployment_path, w3), None)
            self.book = Book(reader)
            tenants = [self.client(FIRST_TENANT + i, w3) for i in range(TENANTS)]
            if serve_console:
                self.serve_console(stack, anvil)
            try:
                self.start_keepers(anvil, reader)
                self.console.print(
                    f"started {len(self.keepers)} keepers (matcher, settler, prober, "
                    f"{PROVIDERS} provider agents and a cheating one, two verifiers, a whistleblower, "
                    "two arbiters, a tenant keeper); waiting for their offers…"
                )
                self.wait_for("provider set-up", lambda: len(reader.offers()) >= PROVIDERS + 1, seconds=90)
                self.play(anvil, w3, reader, tenants)
                if keep:
                    self.console.print("[bold]The market and the console stay up: Ctrl-C stops them.[/bold]")
                    stop = threading.Event()
                    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
                    with contextlib.suppress(KeyboardInterrupt):
                        while not stop.wait(0.5):
                            pass
                    signal.signal(signal.SIGTERM, previous)
            finally:
                codes = {keeper.name: keeper.stop() for keeper in self.keepers}
                left_running = self.left_running()
            report = self.report(w3, reader)
            report["delivery"] = self.delivery_report(left_running)
            report["keeper_exit_codes"] = codes
            report["wall_seconds"] = round(time.monotonic() - started, 1)
        return report

    def serve_console(self, stack: contextlib.ExitStack, anvil: Anvil) -> None:
        """The web console on this market: dev accounts of the tenants and providers, the matcher's order book."""
        from scripts.console_server import ConsoleServer

        dev_accounts = [{"name": f"tenant-{i}", "address": address_of(FIRST_TENANT + i)} for i in range(TENANTS)]
        dev_accounts += [
            {"name": f"provider-{i:02d}", "address": address_of(FIRST_PROVIDER + i)} for i in range(PROVIDERS)
        ]
        config = {
            "rpcUrl": anvil.url,
            "orderBookUrl": f"http://127.0.0.1:{self.orderbook_port}",
            "deployment": json.loads(self.deployment_path.read_text()),
            "devAccounts": dev_accounts,
        }
        server = stack.enter_context(ConsoleServer(config))
        self.console.print(f"[bold]Console[/bold]: {server.url} (the page signs; the demo's matcher sends)")

    def play(self, anvil: Anvil, w3, reader: LeaseholdClient, tenants: list[LeaseholdClient]) -> None:
        schedule = self.request_schedule()
        challenged_healthy = False
        for step in range(STEPS):
            now = reader.now()
            fresh = [self.make_request(self.rng.choice(tenants), now) for _ in range(schedule[step])]
            if step in (3, 20):
                self.make_request(self.rng.choice(tenants), now, unmatchable=True)
            if step in HONEST_JOBS:
                fresh.append(self.make_job(self.rng.choice(tenants), now, HONEST_JOBS[step]))
            if step == CHEAT_STEP:
                fresh += [
                    self.make_job(self.rng.choice(tenants), now, workload, cheated=True) for workload in JOB_STEPS
                ]
            self.wait_for("matches", lambda fresh=fresh: self.matched_if_servable(reader, fresh))
            self.wait_for("deliveries", lambda: self.deliver(tenants))
            self.wait_for("jobs", lambda: self.jobs_at_rest(reader), seconds=JOB_WAIT_SECONDS)
            self.tenant_moves(step, reader, tenants)
            if not challenged_healthy and step >= 6:
                challenged_healthy = self.challenge_a_healthy_provider(reader, tenants[0])
            if step == KILL_STEP:
                self.kill_a_provider(anvil, reader)
            if self.killed is not None:
                self.wait_for("prober challenges", lambda: self.dark_leases_challenged(reader))
                # A slashed lease's deposit re-opens; the matcher matches it again elsewhere.
                self.wait_for("re-matches", lambda: self.matched_if_servable(reader, self.reopened()))
            self.wait_for("answers", lambda: self.live_challenges_answered(reader))
            self.advance(anvil, STEP_SECONDS)
            self.wait_for(
                "settlements",
                lambda: self.nothing_to_settle(reader) and self.jobs_at_rest(reader),
                seconds=JOB_WAIT_SECONDS,
            )
            self.progress(step, reader)
        # Let every lease run out and every job end, refund what never matched, and let the settler finish.
        for _ in range(12):
            if not [lease for lease in self.book.leases() if not lease.settled] and self.jobs_done(reader):
                break
            self.advance(anvil, HOUR)
            self.wait_for(
                "settlements",
                lambda: self.nothing_to_settle(reader) and self.jobs_at_rest(reader),
                seconds=JOB_WAIT_SECONDS,
            )
        for request in self.book.requests():
            if request.status in ("OPEN", "EXPIRED"):
                tenant = next(t for t in tenants if t.address == request.tenant)
                tenant.cancel_request(request.request_id)
        self.wait_for("workloads torn down", lambda: not self.workload_records())

    # ------------------------------------------------------------------ delivery

    def deliver(self, tenants: list[LeaseholdClient]) -> bool:
        """Each newly matched rental's tenant deploys the manifest and reaches the service with its credential.

        The first tenant runs the tenant keeper, which deploys on its own after each match: for its
        leases the driver only asks for the access the keeper was given. True once every active lease
        is delivered.
        """
        import requests

        waiting = False
        for lease in self.book.leases():
            if lease.lease_id in self.deliveries or lease.status != "ACTIVE":
                continue
            if self.killed is not None and lease.provider == self.killed["address"]:
                continue  # its machine is down: nothing can be deployed there
            tenant = next(t for t in tenants if t.address == lease.tenant)
            delivery = TenantDelivery(tenant, tenant.sender.account)
            by_keeper = tenant.address in self.keeper_tenants
            try:
                access = delivery.access(lease.lease_id) if by_keeper else delivery.deploy(lease.lease_id, MANIFEST)
            except DeliveryRefused as refusal:
                if by_keeper and refusal.status == 404:
                    waiting = True  # the keeper deploys at its next poll
                    continue
                self.delivery_failures.append(f"lease {lease.lease_id}: {refusal}")
                self.deliveries[lease.lease_id] = {
                    "provider": lease.provider,
                    "reached": False,
                    "launched": False,
                    "by_keeper": by_keeper,
                }
                continue
            try:
                answer = requests.get(
                    access["endpoints"]["http"], timeout=10, headers={"Authorization": f"Bearer {access['credential']}"}
                )
                reached = answer.status_code == 200 and answer.json()["lease_id"] == str(lease.lease_id)
            except (requests.RequestException, ValueError, KeyError):
                reached = False
            self.deliveries[lease.lease_id] = {
                "provider": lease.provider,
                "reached": reached,
                "launched": True,
                "by_keeper": by_keeper,
            }
        return not waiting

    def workload_records(self) -> list[Path]:
        """Records of workloads still held by the live provider agents (a torn-down workload has none)."""
        dead = self.killed["address"] if self.killed else None
        return [
            path
            for p in self.providers
            if p["address"] != dead
            for path in (p["work_dir"] / "records").glob("lease-*.json")
        ]

    def stop_killed_machine_workloads(self) -> None:
        """The killed provider's machine goes down with it: its workloads stop too."""
        victim = next(p for p in self.providers if p["address"] == self.killed["address"])
        for record in (victim["work_dir"] / "records").glob("lease-*.json"):
            handle = json.loads(record.read_text()).get("handle") or {}
            with contextlib.suppress(ProcessLookupError, KeyError):
                os.killpg(handle["pgid"], signal.SIGKILL)
                self.lost_with_killed_provider += 1

    def left_running(self) -> int:
        """Workload processes still alive after the demo (stopped here, and counted: it should be none)."""
        import psutil

        left = 0
        for process in psutil.process_iter(["cmdline", "cwd"]):
            with contextlib.suppress(psutil.Error):
                if str(SERVICE) in (process.info["cmdline"] or []) and str(process.info["cwd"] or "").startswith(
                    str(self.workdir)
                ):
                    left += 1
                    process.kill()
        return left

    def request_schedule(self) -> list[int]:
        """How many requests arrive at each step: 64 over the first 10 hours."""
        counts = [0] * STEPS
        for _ in range(64):
            counts[self.rng.randrange(0, STEPS * 10 // 12)] += 1
        return counts

    def tenant_moves(self, step: int, reader: LeaseholdClient, tenants: list[LeaseholdClient]) -> None:
        """Now and then a tenant tops up a running lease or closes one early."""
        active = [lease for lease in self.book.leases() if lease.status == "ACTIVE" and not lease.challenge_open]
        if not active:
            return
        lease = self.rng.choice(active)
        tenant = next(t for t in tenants if t.address == lease.tenant)
        if step % 5 == 4:
            tenant.top_up(lease.lease_id, 2 * USD)
        elif step % 6 == 3:
            tenant.close_lease(lease.lease_id)

    def challenge_a_healthy_provider(self, reader: LeaseholdClient, challenger: LeaseholdClient) -> bool:
        candidates = [lease for lease in self.book.leases() if lease.status == "ACTIVE" and not lease.challenge_open]
        if not candidates:
            return False
        challenger.challenge_liveness(candidates[0].lease_id)
        return True

    def reopened(self) -> list[int]:
        """The requests re-opened from leases their provider failed."""
        return [r.request_id for r in self.book.requests() if r.reopened_from]

    def kill_a_provider(self, anvil: Anvil, reader: LeaseholdClient) -> None:
        by_provider: dict[str, int] = {}
        for lease in self.book.leases():
            if lease.status == "ACTIVE":
                by_provider[lease.provider] = by_provider.get(lease.provider, 0) + 1
        victim = max(self.providers, key=lambda p: by_provider.get(p["address"], 0))  # never the cheater
        # Its tenants get a keeper, so their re-matched leases are redeployed without them acting.
        victims_tenants = {
            lease.tenant
            for lease in self.book.leases()
            if lease.status == "ACTIVE" and lease.provider == victim["address"]
        }
        for index in range(FIRST_TENANT, FIRST_TENANT + TENANTS):
            if address_of(index) in victims_tenants - self.keeper_tenants:
                self.start_keeper(anvil, *self.tenant_keeper_plan(index))
                self.keeper_tenants.add(address_of(index))
        keeper = next(k for k in self.keepers if k.name == victim["name"])
        keeper.kill()
        self.killed = {
            "name": victim["name"],
            "address": victim["address"],
            "leases": by_provider.get(victim["address"], 0),
        }
        self.stop_killed_machine_workloads()
        self.console.print(
            f"[red]step {KILL_STEP}: killed {victim['name']} ({victim['address']}) "
            f"with {self.killed['leases']} active leases[/red]"
        )

    # ------------------------------------------------------------------ conditions the driver waits for

    def matched_if_servable(self, reader: LeaseholdClient, request_ids: list[int]) -> bool:
        """Every request of this step is matched, or no live offer could serve it.

        A request left open after its step stays open until its deadline and is refunded
        at the end: the matcher may still match it when capacity frees up.
        """
        fresh = set(request_ids)
        waiting = [r for r in self.book.requests() if r.request_id in fresh and r.status == "OPEN"]
        return not waiting or not self._any_servable(reader, waiting)

    def _any_servable(self, reader: LeaseholdClient, requests) -> bool:
        offers = [o for o in reader.offers() if o.available and o.units > o.units_in_use]
        check = reader.contracts.registry.check_match
        for request in requests:
            terms = (
                request.tenant,
                _b32_or_zero(request.gpu_model),
                _b32_or_zero(request.region),
                request.price_per_unit_hour,
                request.duration_seconds,
                request.units,
                request.min_vram_gb,
                request.min_reputation,
                request.min_tier,
            )
            if any(check(offer.offer_id, terms) == SkipReason.NONE for offer in offers):
                return True
        return False

    def dark_leases_challenged(self, reader: LeaseholdClient) -> bool:
        """Every lease of the dead provider that may be challenged now is challenged.

        A lease may first be challenged livenessSpacingSeconds after it started.
        """
        earliest_start = reader.now() - reader.params()["livenessSpacingSeconds"]
        dark = [
            lease
            for lease in self.book.leases()
            if lease.provider == self.killed["address"]
            and lease.status == "ACTIVE"
            and lease.start_time <= earliest_start
        ]
        return all(lease.challenge_open for lease in dark)

    def live_challenges_answered(self, reader: LeaseholdClient) -> bool:
        dark = self.killed["address"] if self.killed else None
        return not [
            lease_info for lease_info in self.book.leases() if lease_info.challenge_open and lease_info.provider != dark
        ]

    def nothing_to_settle(self, reader: LeaseholdClient) -> bool:
        now = reader.now()
        window = reader.params()["livenessWindowSeconds"]
        for lease in self.book.leases():
            if lease.settled:
                continue
            if lease.status in ("EXPIRED", "INSOLVENT") and not lease.challenge_open:
                return False
            if lease.challenge_open and now > lease.challenged_at + window:
                return False
        return True

    def jobs_done(self, reader: LeaseholdClient) -> bool:
        """Every JOB request that became a job has ended (one never matched has status NONE)."""
        return all(reader.job(job_id).status in TERMINAL | {"NONE"} for job_id in self.honest_outputs)

    def jobs_at_rest(self, reader: LeaseholdClient) -> bool:
        """No job waits for a live keeper: only the clock (a window, a vote window) can move them on.

        A result must be in and attested (every workload has a verifier), a wrong result attested
        valid must be challenged, a dispute must wait for a dead solver or for the vote window
        after both arbiters voted, and nothing may be due for the settler.
        """
        now = reader.now()
        dead = self.killed["address"] if self.killed else None
        for job_id in self.honest_outputs:
            if job_id in self.settled_jobs:
                continue
            job = reader.job(job_id)
            if job.status == "NONE":
                continue  # not matched (yet): a request, waited for by matched_if_servable
            if job.status in TERMINAL:
                self.settled_jobs.add(job_id)
                continue
            if job.status == "MATCHED":
                if job.provider != dead:
                    return False
            elif job.status in ("LATE", "FINALIZABLE"):
                return False
            elif job.status == "SUBMITTED":
                if job.attestation == "NONE" or job.output_hash != self.honest_outputs[job_id]:
                    return False
            else:
                move = reader.next_move(job_id)
                if now > move.deadline:
                    return False
                if move.phase == "VOTE":
                    if not all(reader.has_voted(job_id, address_of(index)) for index in ARBITERS):
                        return False
                elif move.mover != dead:
                    return False
        return True

    def wait_for(self, what: str, condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                self.console.print(f"[yellow]still waiting for {what} after {seconds:.0f} s; going on[/yellow]")
                return
            time.sleep(0.25)  # wall-clock wait for other processes; chain time moves only by RPC

    @staticmethod
    def advance(anvil: Anvil, seconds: int) -> None:
        anvil.rpc("evm_increaseTime", [seconds])
        anvil.rpc("evm_mine")

    def progress(self, step: int, reader: LeaseholdClient) -> None:
        if step % 3 != 2:
            return
        leases = self.book.leases()
        active = sum(1 for lease in leases if lease.status == "ACTIVE")
        closed = sum(1 for lease in leases if lease.settled)
        challenged = sum(1 for lease in leases if lease.challenge_open)
        self.console.print(
            f"chain hour {(step + 1) * STEP_SECONDS / HOUR:4.1f}: requests {len(self.request_ids):3d} · "
            f"leases {len(leases):3d} (active {active:2d}, settled {closed:3d}, challenged {challenged}) · "
            f"jobs {len(self.honest_outputs)} (ended {len(self.settled_jobs)})"
        )

    # ------------------------------------------------------------------ the report

    def delivery_report(self, left_running: int) -> dict:
        launched = [lease for lease, d in self.deliveries.items() if d["launched"]]
        # Leases that started from a re-opened request: matched again after their provider failed.
        rematched = [r.request_id for r in self.book.requests() if r.reopened_from and r.status == "MATCHED"]
        held = {int(path.stem.removeprefix("lease-")) for path in self.workload_records()} & set(launched)
        # Every launched workload was torn down by its agent, went down with the killed machine, or is still held.
        return {
            "workloads_launched": len(launched),
            "workloads_reached": sum(1 for lease in launched if self.deliveries[lease]["reached"]),
            "deployed_by_tenant_keeper": sum(1 for lease in launched if self.deliveries[lease]["by_keeper"]),
            "workloads_torn_down": len(launched) - self.lost_with_killed_provider - len(held),
            "workloads_lost_with_killed_provider": self.lost_with_killed_provider,
            "workloads_still_held": len(held),
            "workloads_left_running": left_running,
            "deploys_refused": len(self.delivery_failures),
            "deploy_refusals": self.delivery_failures[:10],
            "re_matched": len(rematched),
            "re_matched_redeployed": sum(1 for lease in rematched if self.deliveries.get(lease, {}).get("launched")),
            "re_matched_reached": sum(1 for lease in rematched if self.deliveries.get(lease, {}).get("reached")),
        }

    @staticmethod
    def job_scenarios(events: ChainEvents) -> dict[str, bool]:
        """Whether each planned catch happened, read from the chain's events."""
        resolved = events["DisputeResolved"]
        won = {e["jobId"]: e["challenger"] for e in resolved if e["result"] == DisputeResult.CHALLENGER_WON}
        voted = {e["jobId"] for e in events["StepVoted"]}
        return {
            "cheater_caught_by_honest_verifier": any(
                challenger == address_of(VERIFIER) and job_id not in voted for job_id, challenger in won.items()
            ),
            # A lazy verifier holds no trace: it can neither claim and prove nor attest at all.
            "lazy_verifier_refused": not any(e["verifier"] == address_of(LAZY_VERIFIER) for e in events["Attested"]),
            "dispute_decided_by_arbiters": any(job_id in voted for job_id in won),
        }

    def report(self, w3, reader: LeaseholdClient) -> dict:
        contracts = [reader.config, reader.registry, reader.market, reader.job_market]
        deployment = load_deployment(self.deployment_path, w3)
        events = ChainEvents.read(w3, contracts, deployment.block_number)
        token = reader.contracts.payment_token
        checks = conservation(events, reader.market, reader.registry, reader.job_market, token.balance_of)
        report = summary(events)
        report["job_scenarios"] = self.job_scenarios(events)
        report["gas_by_operation"] = gas_by_operation(w3, contracts, deployment.block_number)
        report["conservation_checks"] = checks
        report["conservation_ok"] = all(checks.values())
        report["unsettled_leases"] = sum(1 for lease in self.book.leases() if not lease.settled)
        report["killed_provider"] = self.killed
        report["seed"] = self.seed
        report["token_decimals"] = 6
        return report


def _tx_config(state_dir: Path):
    from keepers.config import TransactionsConfig

    return TransactionsConfig(state_dir=state_dir, replace_after_seconds=30)


def _b32(text: str) -> bytes:
    return to_bytes32(text)


def _b32_or_zero(text: str) -> bytes:
    return to_bytes32(text) if text else b"\0" * 32


def print_summary(console: Console, report: dict) -> None:
    table = Table(title="Leasehold demo: the books, read back from the chain")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in (
        "providers",
        "requests",
        "leases_matched",
        "leases_closed",
        "liveness_challenges",
        "liveness_answered",
        "liveness_slashes",
        "unsettled_leases",
        "jobs_matched",
        "jobs_submitted",
        "jobs_finalized",
        "jobs_failed",
        "disputes",
        "disputes_won_by_challenger",
        "solver_slashes",
        "verifier_slashes",
        "arbiter_votes",
    ):
        table.add_row(key, str(report[key]))
    for key in (
        "paid_to_providers",
        "verifier_fees",
        "refunded_to_tenants",
        "slashed",
        "fees_to_treasury",
        "match_fees_to_matchers",
        "bounties_to_settlers",
    ):
        table.add_row(key, f"{report[key] / USD:,.2f} USD")
    for key, happened in report["job_scenarios"].items():
        table.add_row(key, "[green]yes[/green]" if happened else "[red]no[/red]")
    for key in (
        "workloads_launched",
        "workloads_reached",
        "deployed_by_tenant_keeper",
        "workloads_torn_down",
        "workloads_lost_with_killed_provider",
        "workloads_still_held",
        "workloads_left_running",
        "deploys_refused",
        "re_matched",
        "re_matched_redeployed",
    ):
        table.add_row(key, str(report["delivery"][key]))
    table.add_row("conservation_ok", "[green]true[/green]" if report["conservation_ok"] else "[red]false[/red]")
    table.add_row("wall time", f"{report['wall_seconds']} s")
    console.print(table)
    gas = Table(title="Gas by operation (receipts, including intrinsic gas)")
    for column in ("operation", "calls", "mean gas"):
        gas.add_column(column, justify="right" if column != "operation" else "left")
    for name, figures in report["gas_by_operation"].items():
        gas.add_row(name, str(figures["calls"]), f"{figures['mean_gas']:,}")
    console.print(gas)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local Leasehold market demo.")
    parser.add_argument("--seed", type=int, default=7, help="seed of the tenant stream (default 7)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "demo.json")
    parser.add_argument("--console", action="store_true", help="serve the web console (console/dist) on the market")
    parser.add_argument("--keep", action="store_true", help="after the scripted part, keep everything up until Ctrl-C")
    args = parser.parse_args(argv)
    console = Console(width=110)
    with tempfile.TemporaryDirectory(prefix="leasehold-demo-") as tmp:
        demo = Demo(args.seed, Path(tmp), console)
        report = demo.run(serve_console=args.console, keep=args.keep)
        logs_dir = args.out.parent / "demo-logs"
        logs_dir.mkdir(parents=True, exist_ok=True)
        for log in (Path(tmp) / "logs").glob("*.log"):
            (logs_dir / log.name).write_text(log.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print_summary(console, report)
    console.print(f"report: {args.out.relative_to(REPO_ROOT)}; keeper logs: {logs_dir.relative_to(REPO_ROOT)}/")
    delivery = report["delivery"]
    delivered = (
        delivery["workloads_launched"] > 0
        and delivery["workloads_left_running"] == delivery["workloads_still_held"] == 0
        # Every lease re-matched after the killed provider's failure runs the workload again.
        and delivery["re_matched_redeployed"] == delivery["re_matched"]
    )
    return 0 if report["conservation_ok"] and all(report["job_scenarios"].values()) and delivered else 1


if __name__ == "__main__":
    sys.exit(main())
