"""One simulation: agents on a deployed protocol, job waves, lease waves, then the books.

`simulate` needs only a web3 connection to a chain where scripts/deploy.py deployed the
protocol (the deployment file) and the governance account Anvil holds unlocked: the CLI
(`python -m scripts.econ`) starts its own Anvil, the smoke test uses the test session's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from web3 import Web3

from keepers.deployment import load_deployment
from scripts.econ import jobs, leases
from scripts.econ.strategies import Inputs
from scripts.econ.world import World


@dataclass
class Results:
    world: World
    job_stats: jobs.JobStats
    lease_stats: dict
    farm: dict
    books: dict
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)

    def inputs(self, network: str) -> Inputs:
        world = self.world
        models = {m: world.collateral_per_unit(m) for m in (jobs.JOB_MODEL, jobs.BIG_JOB_MODEL, leases.MODEL)}
        honest = len(world.of("sentinel-honest"))
        lazy = len(world.of("sentinel-lazy"))
        return Inputs(
            params=world.params,
            collateral=models,
            job_price=jobs.JOB_PRICE,
            big_job_price=jobs.BIG_JOB_PRICE,
            job_model=jobs.JOB_MODEL,
            big_job_model=jobs.BIG_JOB_MODEL,
            infeasible_units=jobs.INFEASIBLE_UNITS,
            honest_verifier_share=honest / max(1, honest + lazy),
            check_rate=jobs.CHECK_RATE,
            whistleblowers=len(world.of("whistleblower")),
            lease_price=leases.PRICE,
            ceiling_price=leases.CEILING,
            lease_hours=leases.LEASE_HOURS,
            challenges_per_lease=len(leases.LIVENESS_HOURS) - 0.5,
            lease_hours_mean=leases.MEAN_LEASE_HOURS,
            rep_leases_per_farmer=self.lease_stats.get("leases", 0)
            * leases.MIN_REPUTATION_SHARE
            / max(1, len(world.of("farmer"))),
            min_reputation=leases.MIN_REPUTATION,
            voted_void_share=jobs.VOTED_VOID_TENANTS / max(1, len(world.of("tenant-void"))),
            arbiters=len(world.of("arbiter-honest")),
            challenger_reward=world.c.matcher_bonds.params()[1],
            offline_share=self.lease_stats.get("slashed", 0) / max(1, self.lease_stats.get("challenges", 0)),
            checked_wrong_share=world.counters.get("checks_wrong", 0) / max(1, world.counters.get("checks", 0)),
            sentinel_mix={k.split("/", 1)[1]: v for k, v in world.counters.items() if k.startswith("sentinel/")},
            big_mix={k.split("/", 1)[1]: v for k, v in world.counters.items() if k.startswith("big/")},
            min_reputation_share=leases.MIN_REPUTATION_SHARE,
            gas={label: int(median(values)) for label, values in world.chain.gas.by_label.items()},
            network=network,
        )


def simulate(
    w3: Web3,
    deployment_path: Path,
    governance: str,
    *,
    jobs_n: int,
    leases_n: int,
    seed: int,
    progress=print,
) -> Results:
    started = time.monotonic()
    phases = {}
    world = World(w3, load_deployment(deployment_path, w3), governance, seed)
    world.chain.impersonate_all(True)
    try:
        jobs.setup(world)
        leases.setup(world)
        world.fund_all()
        jobs.provision(world)
        leases.provision(world)
        world.snapshot()
        phases["setup"] = time.monotonic() - started
        progress(f"setup: {len(world.agents)} agents in {phases['setup']:.1f} s")

        t = time.monotonic()
        farm = leases.farm(world)
        phases["farming"] = time.monotonic() - t
        progress(f"farming: {farm} in {phases['farming']:.1f} s")

        t = time.monotonic()
        job_stats = jobs.JobStats()
        wave = 0
        while job_stats.jobs < jobs_n:
            size = min(jobs.WAVE, jobs_n - job_stats.jobs)
            size = max(size, len(world.of("tenant-infeasible")) + len(world.of("tenant-void")) + 1)
            jobs.run_wave(world, wave, size, job_stats)
            wave += 1
            progress(
                f"jobs: {job_stats.jobs}/{jobs_n} ({job_stats.disputes} disputes, "
                f"{world.chain.gas.transactions} transactions) {time.monotonic() - t:.1f} s"
            )
        phases["jobs"] = time.monotonic() - t

        t = time.monotonic()
        lease_stats: dict = {}
        wave = 0
        while lease_stats.get("leases", 0) < leases_n:
            leases.run_wave(world, wave, min(leases.WAVE, leases_n - lease_stats.get("leases", 0)), lease_stats)
            wave += 1
            progress(
                f"leases: {lease_stats['leases']}/{leases_n} ({lease_stats.get('slashed', 0)} slashed, "
                f"{world.chain.gas.transactions} transactions) {time.monotonic() - t:.1f} s"
            )
        phases["leases"] = time.monotonic() - t
        books = world.conservation()
    finally:
        world.chain.impersonate_all(False)
    return Results(world, job_stats, lease_stats, farm, books, time.monotonic() - started, phases)
