"""The job market's players, in waves of jobs that start together.

A wave: tenants publish terms and post JOB requests; the matcher pairs each with a solver's
offer, and the market skips a pair outside the offer's job policy (an infeasible job's tenant
then cancels its request);
solvers submit (honest, or a trace corrupted from a random step); the hash of each result's
block draws it for verification with probability s, and an honest verifier claims a drawn job,
re-executes it and attests it with its spot proof (a lazy one is refused); each whistleblower
re-executes an attested result with probability q and challenges a wrong one;
every dispute is played to its end (bisection, step proof or vote); after the window a
third-party settler finalizes. Each strategy's branch is named after it (strategies.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from keepers.contracts.structs import JobTerms, RequestSpec
from keepers.contracts.types import Attestation, JobStatus, Phase
from keepers.ids import to_bytes32
from keepers.jobs import Trace, compute_trace, is_drawn
from keepers.workloads import keccak256
from scripts.econ import calls
from scripts.econ.chain import Tx, indexed_ids
from scripts.econ.costs import COMPUTE_COST_SHARE, USD, usd
from scripts.econ.world import Agent, World

JOB_PRICE = 100 * USD  # P: a standard job's escrow, on one H100 unit
BIG_JOB_PRICE = 1_000 * USD  # P_big: a big job's escrow, on one T4 unit
JOB_MODEL = "nvidia-h100-80gb"
BIG_JOB_MODEL = "nvidia-t4-16gb"
INFEASIBLE_UNITS = 8  # all 8 units of an H100 server (issue 12, attack 1)
OFFER_PRICE = 2 * USD  # per unit-hour; a JOB request's ceiling
STEPS = 64
WINDOW = 600  # challenge window, the minimum
RESULT_TIMEOUT = 3600
# Every solver's offers take jobs at this throughput after this setup time (its job policy): the
# standard, big and void terms fit, the infeasible ones (2^maxBisectionRounds steps in 60 s) do not.
JOB_STEPS_PER_SECOND = 1
JOB_SETUP_SECONDS = 60
VOID_WORKLOAD, VOID_STEPS = "matvec-256", 4
MATCH_BATCH = 40

# Agents per strategy; sizes of a wave. The strategies whose outcome hangs on a rare event (a big
# cheat's draw, a colluder's catch) get more agents, so that the bootstrap over agents has enough
# of them to resample.
ROSTER = {
    "solver-honest": 8,
    "solver-victim": 3,
    "solver-cheat": 8,
    "solver-self-report": 8,
    "solver-collude": 16,
    "solver-grief": 4,
    "solver-honest-big": 4,
    "solver-big-cheat": 16,
    "verifier-honest": 3,
    "verifier-lazy": 3,
    "verifier-big": 3,
    "sentinel-honest": 6,
    "sentinel-lazy": 6,
    "whistleblower": 4,
    "tenant-honest": 8,
    "tenant-exposed": 8,
    "tenant-infeasible": 3,
    "tenant-void": 3,
    "settler-jobs": 2,
    "arbiter-honest": 3,
}
# The arbiters vote on the void disputes of the first tenant-void agent (a third of them) and
# are absent from the rest: the attack loses either way, and the committee's pay is measured.
VOTED_VOID_TENANTS = 1
WITH_ALT = {"solver-self-report", "solver-collude", "solver-grief", "tenant-void"}
CHECK_RATE = 0.05  # q: each whistleblower re-executes an attested result with this probability
CHEATERS = ("solver-cheat", "solver-self-report", "solver-collude", "solver-big-cheat")
# Who claims a drawn job. A verifier claims before it knows whether the result is right, so it
# meets the results of the market it serves as they come. Three markets:
# - the clean pool: the standard jobs of the first CLEAN_SOLVERS honest solvers (a cheat rate of
#   zero, the measure of the verifier's dilemma), verified by verifier-honest;
# - the sentinel pool: every other drawn standard job (the other honest solvers', the cheaters',
#   the self-reporters' and the griefers'), verified by sentinel-honest, as a real claimant of the
#   whole market is;
# - big jobs (honest and cheating alike), verified by verifier-big.
# A colluder's drawn job is claimed first by its own second account. A lazy verifier of each of
# the first two pools tries to attest every drawn job of its pool valid unread; without the trace
# it has no spot proof and no claim, so the contract refuses it.
CLEAN_POOL = ("verifier-honest", "verifier-lazy")
SENTINEL_POOL = ("sentinel-honest", "sentinel-lazy")
BIG_POOL = ("verifier-big",)
CLEAN_SOLVERS = 1
WAVE = 200
# A wave's jobs besides the tenants' attacks, by solver strategy (weights; the honest solvers take
# what rounding leaves, every other strategy at least one job). Most jobs are honest, as in a real
# market, so that the sentinel pool's cheat rate stays below a verifier's break-even
# 1 − k·s/v; the rare-event strategies get the volume their intervals need.
JOB_MIX = {
    "solver-honest": 113,
    "solver-collude": 44,
    "solver-big-cheat": 20,
    "solver-cheat": 5,
    "solver-self-report": 5,
    "solver-grief": 3,
    "solver-honest-big": 4,
}
BIG_SOLVERS = ("solver-honest-big", "solver-big-cheat")


@dataclass
class Job:
    kind: str  # regular, big, infeasible, void
    tenant: Agent
    solver: Agent
    terms: JobTerms
    input: bytes
    price: int
    job_id: int = 0
    honest: Trace | None = None
    submitted: Trace | None = None
    verifier: Agent | None = None
    challenger: str | None = None
    challenger_agent: Agent | None = None
    status: int = 0
    drawn: bool = False

    @property
    def wrong(self) -> bool:
        return self.submitted is not None and self.submitted.output_hash != self.honest.output_hash


@dataclass
class JobStats:
    jobs: int = 0
    finalized: int = 0
    wrong_finalized: int = 0
    slashed: int = 0
    expired: int = 0
    refused: int = 0  # JOB pairs the market skipped: terms outside the offer's job policy
    voided: int = 0
    disputes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def setup(world: World) -> None:
    for strategy, count in ROSTER.items():
        for n in range(count):
            world.add(f"{strategy}-{n}", strategy, alt=strategy in WITH_ALT)
    world.add("job-matcher", "matcher-honest")


def provision(world: World) -> None:
    """Roles, registration, stake and offers (after `fund_all`)."""
    c, chain = world.c, world.chain
    solvers = [a for a in world.agents.values() if a.strategy.startswith("solver-")]
    world.bond_matchers([world.agents["job-matcher"]])
    verifiers = [a for key in CLEAN_POOL + SENTINEL_POOL + BIG_POOL for a in world.of(key)]
    colluders = [Agent(a.name + "/alt", a.strategy, a.alt) for a in world.of("solver-collude")]
    world.grant("VERIFIER", verifiers + colluders)
    world.grant("ARBITER", world.of("arbiter-honest"))
    chain.round([Tx(s.address, calls.register(c, "eu-west", f"https://{s.name}.example")) for s in solvers])
    chain.round([Tx(s.address, calls.stake(c, 5_000_000 * USD)) for s in solvers])
    adds = []
    for s in solvers:
        model = BIG_JOB_MODEL if "big" in s.strategy else JOB_MODEL
        adds.append(Tx(s.address, calls.add_offer(c, model, 1024, OFFER_PRICE, 30 * 86400), tag=(s, model)))
    for outcome in chain.round(adds):
        solver, model = outcome.tx.tag
        solver.offers[model] = indexed_ids(outcome, c.registry, "OfferAdded")[0]
    chain.round(
        [
            Tx(s.address, calls.set_job_policy(c, offer, JOB_STEPS_PER_SECOND, JOB_SETUP_SECONDS))
            for s in solvers
            for offer in s.offers.values()
        ]
    )


def _terms(world: World, kind: str, salt: str) -> tuple[JobTerms, bytes]:
    seed = to_bytes32(salt[-31:])
    if kind == "void":
        input = b"".join(((i % 7) << 12).to_bytes(4, "big") for i in range(256))
        return JobTerms(to_bytes32(VOID_WORKLOAD), keccak256(input), seed, VOID_STEPS, RESULT_TIMEOUT, WINDOW), input
    input = keccak256(salt.encode())
    if kind == "infeasible":  # the tenant's trap: the most steps, the shortest timeout (attack 1)
        steps = 1 << world.params["maxBisectionRounds"]
        return JobTerms(to_bytes32("hashchain"), keccak256(input), seed, steps, 60, WINDOW), input
    return JobTerms(to_bytes32("hashchain"), keccak256(input), seed, STEPS, RESULT_TIMEOUT, WINDOW), input


def _deposit(world: World, price: int) -> int:
    """The price, the matcher's fee and the settle bounty the job market reserves at the match."""
    return price + world.params["matchFee"] + world.params["settleBounty"]


def _plan_wave(world: World, wave: int, size: int) -> list[Job]:
    """Which tenant posts which job, and which solver the matcher gives it (round robin)."""
    rng = world.rng
    jobs = []
    victims = world.of("solver-victim")
    for n, t in enumerate(world.of("tenant-infeasible")):
        jobs.append(("infeasible", t, victims[(wave + n) % len(victims)], JOB_PRICE))
    for n, t in enumerate(world.of("tenant-void")):
        jobs.append(("void", t, victims[(wave + n + 1) % len(victims)], JOB_PRICE))
    for key, count in job_mix(size - len(jobs)).items():
        agents = world.of(key)
        for _ in range(count):
            # Round robin within the strategy, across waves.
            solver = agents[world.counters[f"round-robin/{key}"] % len(agents)]
            world.counters[f"round-robin/{key}"] += 1
            big = key in BIG_SOLVERS
            # Tenants of honest solvers are the honest baseline; the others meet the cheaters.
            exposed = solver.strategy in CHEATERS or solver.strategy == "solver-grief"
            tenant = rng.choice(world.of("tenant-exposed" if exposed else "tenant-honest"))
            jobs.append(("big" if big else "regular", tenant, solver, BIG_JOB_PRICE if big else JOB_PRICE))
    planned = []
    for n, (kind, tenant, solver, price) in enumerate(jobs):
        terms, input = _terms(world, kind, f"econ-{world.seed}-{wave}-{n}")
        planned.append(Job(kind, tenant, solver, terms, input, price))
    return planned


def job_mix(rest: int) -> dict[str, int]:
    """How many of `rest` jobs each solver strategy gets: its JOB_MIX weight's share (at least one),
    the honest solvers the remainder."""
    if rest < len(JOB_MIX):
        return {"solver-honest": rest}
    total = sum(JOB_MIX.values())
    counts = {key: max(1, math.floor(weight * rest / total)) for key, weight in JOB_MIX.items()}
    counts["solver-honest"] = 0
    counts["solver-honest"] = max(1, rest - sum(counts.values()))
    return counts


def _model_units(job: Job) -> tuple[str, int]:
    if job.kind == "big":
        return BIG_JOB_MODEL, 1
    return JOB_MODEL, INFEASIBLE_UNITS if job.kind == "infeasible" else 1


def _in_turn(world: World, stratum: str, agents: list[Agent]) -> Agent:
    """The next of `agents` for a drawn job of `stratum` (its pool, its kind, right or wrong, its
    solver's cheat): each verifier of a pool takes its turn within every stratum, so each meets the
    same mix of results (stratified, not drawn at random: an honest verifier's pay turns on how
    many wrong results it meets, and a random share between a few agents hid the lazy one's loss
    on L1 in run-to-run spread). The expected value is the same either way."""
    n = world.counters[f"verifier-turn/{stratum}"]
    world.counters[f"verifier-turn/{stratum}"] += 1
    return agents[n % len(agents)]


def run_wave(world: World, wave: int, size: int, stats: JobStats) -> None:
    c, chain = world.c, world.chain
    jobs = _plan_wave(world, wave, size)

    # Tenants: terms, then requests naming them (one round: each tenant's nonces keep the order).
    now = chain.now()
    txs = []
    for job in jobs:
        txs.append(Tx(job.tenant.address, calls.publish_terms(c, job.terms, job.input)))
        model, units = _model_units(job)
        spec = RequestSpec(
            units=units,
            max_price_per_unit_hour=OFFER_PRICE,
            max_duration_seconds=3600,
            match_deadline=now + 86400,
            gpu_model=model,
            kind="JOB",
            job_terms_hash=c.job_market.hash_terms(job.terms),
        )
        txs.append(Tx(job.tenant.address, calls.create_request(c, spec, _deposit(world, job.price)), tag=job))
    for outcome in chain.round(txs):
        if outcome.tx.tag is not None:
            outcome.tx.tag.job_id = indexed_ids(outcome, c.market, "RequestCreated")[0]

    # The matcher proposes every pair; the market must open all but the infeasible ones, which
    # it skips (JOB_TERMS_REFUSED: outside the offer's job policy).
    matcher = world.agents["job-matcher"]
    pairs = [(job.job_id, job.solver.offers[_model_units(job)[0]]) for job in jobs]
    batches = [pairs[i : i + MATCH_BATCH] for i in range(0, len(pairs), MATCH_BATCH)]
    opened = set()
    for outcome in chain.round([Tx(matcher.address, calls.match(c, b), gas=15_000_000) for b in batches]):
        opened.update(indexed_ids(outcome, c.job_market, "JobOpened"))
    infeasible = [job for job in jobs if job.kind == "infeasible"]
    wrong = [job.job_id for job in jobs if (job.job_id in opened) == (job.kind == "infeasible")]
    if wrong:
        raise RuntimeError(f"wave {wave}: requests {wrong[:5]} matched or skipped against the job policies")
    for job in jobs:
        job.tenant.units += 1
        stats.jobs += 1
        stats.by_kind[job.kind] = stats.by_kind.get(job.kind, 0) + 1
        if job.kind != "infeasible":
            job.solver.units += 1
            matcher.units += 1

    # tenant-infeasible: its trap (2^24 steps in 60 s) is outside every offer's job policy, so
    # the pair was skipped; the tenant cancels the request for its whole deposit.
    chain.round([Tx(job.tenant.address, calls.cancel_request(c, job.job_id)) for job in infeasible])
    stats.refused += len(infeasible)

    # Solvers submit: honest ones compute (k·P off-chain), cheaters corrupt a random step and
    # compute nothing.
    live = [job for job in jobs if job.kind != "infeasible"]
    txs = []
    for job in live:
        job.honest = compute_trace(job.terms, job.input)
        if job.solver.strategy in CHEATERS:
            job.submitted = compute_trace(job.terms, job.input, world.rng.randint(1, job.terms.steps))
        else:
            job.submitted = job.honest
            job.solver.offchain_usd -= COMPUTE_COST_SHARE * usd(job.price)
        txs.append(Tx(job.solver.address, calls.submit_result(c, job.job_id, job.terms, job.submitted)))
    chain.round(txs)

    # Sampled verification (issue 12, property 3): the hash of each result's block draws it with
    # probability s (verificationSampleBps, fixed at the job's match); nobody verifies the others.
    # A drawn job of a colluding solver is claimed first by its second account, which holds the
    # solver's trace and claims and attests valid with the spot proof in one call (claimAndAttest).
    # Any other drawn job is claimed by an honest verifier of its pool (CLEAN_POOL, SENTINEL_POOL,
    # BIG_POOL above), before it knows whether the result is right; it
    # then re-executes (k·P): a right result it attests valid with its spot proof (the claim and the
    # attestation in one call, claimAndAttest, as the verifier keeper does), a wrong one
    # invalid (opening the dispute). A self-reporter's second account front-runs the claim with its
    # own challenge: the claim is refused and the verifier, which re-executes only once it holds the
    # claim, has spent only the gas. A lazy verifier of the pool tries to attest the drawn job valid
    # unread: it holds no trace and no claim, so the contract refuses it.
    pools = {
        "clean": [a for key in CLEAN_POOL for a in world.of(key)],
        "sentinel": [a for key in SENTINEL_POOL for a in world.of(key)],
        "big": [a for key in BIG_POOL for a in world.of(key)],
    }
    clean_solvers = {a.name for a in world.of("solver-honest")[:CLEAN_SOLVERS]}
    first, second = [], []
    block_hashes: dict[int, bytes] = {}
    for job in live:
        if job.kind == "void":
            continue
        facts = c.job_market.job(job.job_id)
        submit_block, sample_bps = facts["submitBlock"], facts["sampleBps"]  # the rate fixed at the match
        if submit_block not in block_hashes:
            block_hashes[submit_block] = bytes(chain.w3.eth.get_block(submit_block)["hash"])
        if not is_drawn(block_hashes[submit_block], job.job_id, sample_bps):
            continue
        world.counters["drawn"] += 1
        job.drawn = True
        if job.solver.strategy == "solver-collude":
            first.append(
                Tx(
                    job.solver.alt,
                    calls.claim_and_attest(c, job.job_id, job.terms, job.submitted, job.solver.alt),
                    priority=3,
                )
            )
            continue
        name = "big" if job.kind == "big" else "clean" if job.solver.name in clean_solvers else "sentinel"
        pool = pools[name]
        suffix = {"solver-self-report": "/sr", "solver-grief": "/grief"}.get(job.solver.strategy, "")
        stratum = f"{name}/{job.kind}/{'wrong' if job.wrong else 'right'}{suffix}"
        verifier = _in_turn(
            world, stratum, [a for a in pool if a.strategy.endswith("-honest") or a.strategy == "verifier-big"]
        )
        lazies = [a for a in pool if a.strategy.endswith("-lazy")]
        if lazies:
            lazy = _in_turn(world, stratum + "/lazy", lazies)
            lazy.units += 1
            first.append(Tx(lazy.address, calls.attest(c, job.job_id, job.terms, True), expect_revert=True))
        if name != "clean":
            world.counters[stratum] += 1
        job.verifier = verifier
        verifier.units += 1
        if job.wrong and job.solver.strategy == "solver-self-report":
            # Its second account front-runs the claim with its own challenge: the claim and the
            # dispute the verifier would have opened are refused, before it re-executed anything.
            first.append(
                Tx(job.solver.alt, calls.challenge(c, job.job_id, job.terms), tag=("challenge", job), priority=3)
            )
            first.append(Tx(verifier.address, calls.claim_verification(c, job.job_id, job.terms), expect_revert=True))
            continue
        verifier.offchain_usd -= COMPUTE_COST_SHARE * usd(job.price)
        # Claimed either way: as the claimant it alone may attest (flagging is not paid: property 5).
        if not job.wrong:
            # It holds the re-executed trace: the claim and the attestation in one call.
            first.append(
                Tx(verifier.address, calls.claim_and_attest(c, job.job_id, job.terms, job.submitted, verifier.address))
            )
        else:
            first.append(Tx(verifier.address, calls.claim_verification(c, job.job_id, job.terms)))
            second.append(Tx(verifier.address, calls.attest(c, job.job_id, job.terms, False), tag=("attest", job)))
    outcomes = chain.round(first) + chain.round(second)
    for outcome in outcomes:
        kind_job = outcome.tx.tag
        if kind_job and outcome.ok:
            job = kind_job[1]
            job.challenger = outcome.tx.sender
            job.challenger_agent = job.solver if kind_job[0] == "challenge" else job.verifier

    # Whistleblowers: each re-executes an attested, undisputed result (a drawn job attested
    # valid) with probability q (k·P), standard and big alike, independently of the others, and
    # challenges a wrong one. A job's slash pays no finder any more (property 5), so this check
    # rate is the model's, not one the protocol pays for. The first challenge wins, later ones
    # revert; a self-reporter's second account front-runs.
    # The rare catch is stratified (a systematic sample): each solver's attested results are
    # checked by at least one whistleblower at the rate d_w = 1 − (1 − q)^W, spread evenly over
    # them from a random start (`_checked`), and who checks a selected result is drawn with the
    # law of W independent checks given at least one. Every result is still checked with
    # probability d_w and by each whistleblower with probability q; what the stratification
    # removes is the luck of a colluder meeting more or fewer catches than its share.
    # tenant-void: the tenant's second account challenges its honest solver's arbiter-mode job.
    whistleblowers = world.of("whistleblower")
    txs = []
    for job in live:
        if job.kind == "void":
            txs.append(Tx(job.tenant.alt, calls.challenge(c, job.job_id, job.terms), tag=("void", job)))
            continue
        if job.solver.strategy == "solver-grief":
            txs.append(Tx(job.solver.alt, calls.challenge(c, job.job_id, job.terms), tag=("grief", job)))
            continue
        if not job.drawn or job.challenger is not None or not _attested(c, job):
            continue
        catchers = []
        for w in _checkers(world, job.solver, whistleblowers):
            w.units += 1
            w.offchain_usd -= COMPUTE_COST_SHARE * usd(job.price)
            world.counters["checks"] += 1
            world.counters["checks_wrong"] += job.wrong
            if job.wrong:
                catchers.append(w)
        if not catchers:
            continue
        if job.solver.strategy == "solver-self-report":
            txs.append(Tx(job.solver.alt, calls.challenge(c, job.job_id, job.terms), tag=("self", job), priority=3))
        for w in catchers:
            txs.append(
                Tx(
                    w.address,
                    calls.challenge(c, job.job_id, job.terms),
                    tag=("wb", job, w),
                    priority=2,
                    expect_revert=True,
                )
            )
    for outcome in chain.round(txs):
        tag = outcome.tx.tag
        if outcome.ok and tag:
            job = tag[1]
            if job.challenger is None:
                job.challenger = outcome.tx.sender
                job.challenger_agent = {"void": job.tenant, "self": job.solver, "grief": job.solver}.get(tag[0]) or tag[
                    2
                ]

    disputed = [job for job in live if job.challenger is not None]
    stats.disputes += len(disputed)
    stats.voided += _play_disputes(world, disputed)

    # After the window (a dispute the solver side won resumes it for at least a move timeout):
    # a third-party settler finalizes (and pays gas for it). The undrawn jobs first: their levy
    # funds the verifier pool that pays the drawn ones' verifiers, as a market's history would (a
    # wave's verifiers are not paid short because their jobs happened to settle first).
    chain.advance(max(WINDOW, world.params["moveTimeoutSeconds"]) + 1)
    statuses = {job.job_id: c.job_market.status_of(job.job_id) for job in live}
    settlers = world.of("settler-jobs")
    finalizable = [j for j in live if statuses[j.job_id] == JobStatus.FINALIZABLE]
    n = 0
    for drawn in (False, True):
        txs = []
        for job in (j for j in finalizable if j.drawn == drawn):
            settler = settlers[n % len(settlers)]
            settler.units += 1
            n += 1
            txs.append(Tx(settler.address, calls.finalize_job(c, job.job_id)))
        chain.round(txs)

    # Outcomes; a tenant values a correct result at what it paid for it (V = P + m + settle
    # bounty: no surplus, so that an honest tenant breaks even less gas), a wrong one at nothing.
    for job in jobs:
        if job.kind == "infeasible":
            continue  # never opened: its request was cancelled
        job.status = c.job_market.status_of(job.job_id)
        if job.status == JobStatus.FINALIZED:
            stats.finalized += 1
            if job.wrong:
                stats.wrong_finalized += 1
            else:
                job.tenant.offchain_usd += usd(_deposit(world, job.price))
        elif job.status == JobStatus.SLASHED:
            stats.slashed += 1
        elif job.status != JobStatus.EXPIRED:
            raise RuntimeError(f"job {job.job_id} ({job.kind}) left {JobStatus(job.status).name}")


def _play_disputes(world: World, disputed: list[Job]) -> int:
    """Bisection to the end: the solver reveals from the trace it committed to; an honest challenger
    answers from the honest trace; tenant-void's challenger agrees with every reveal, which leads
    to the arbiters' vote. An honest committee votes on a third of them and is paid; on the
    rest nobody votes and a settler resolves: no majority is the challenger's loss (VOIDED, the
    window resumes, the solver is paid after it). Returns the number of votes without a majority.

    solver-grief: the solver never reveals and its second account, the challenger, never answers.
    An honest verifier that attested the (right) result holds the trace and reveals for the
    solver; a lazy one has nothing to reveal from. Once the move timed out a settler claims it:
    for the solver side when the verifier defended (the challenger's bond lost, w of it to the
    verifier), else for the challenger (the solver slashed, the verifier's bond burnt: issue 12,
    attack 2, against a verifier that did not check)."""
    c, chain = world.c, world.chain
    open_ = list(disputed)
    voting = []
    grief = []
    while open_:
        txs = []
        still = []
        for job in open_:
            d = c.job_market.dispute(job.job_id)
            phase, lo, hi = d["phase"], d["lo"], d["hi"]
            mid = (lo + hi) // 2
            if job.solver.strategy == "solver-grief":
                defends = job.verifier is not None and job.verifier.strategy.endswith("-honest")
                if phase == Phase.REVEAL and defends:
                    txs.append(Tx(job.verifier.address, calls.reveal(c, job.job_id, job.submitted, mid)))
                grief.append(job)
                continue
            if phase == Phase.REVEAL:
                txs.append(Tx(job.solver.address, calls.reveal(c, job.job_id, job.submitted, mid)))
            elif phase == Phase.RESPOND:
                agree = True if job.kind == "void" else job.honest.hashes[mid] == job.submitted.hashes[mid]
                txs.append(Tx(job.challenger, calls.respond(c, job.job_id, agree)))
            elif phase == Phase.PROVE:
                txs.append(Tx(job.solver.address, calls.prove_step(c, job.job_id, job.terms, job.submitted, lo)))
                continue
            elif phase == Phase.VOTE:
                voting.append(job)
                continue
            else:
                continue
            still.append(job)
        chain.round(txs)
        open_ = still
    # arbiter-honest: re-executes the disputed prefix (here the whole job: the challenger agreed
    # with every reveal, so the last step is voted on, k·P), votes with the truth (bonded) and,
    # once resolved, claims its bond and its share of the fee.
    arbiters = world.of("arbiter-honest")
    voted_by = {a.name for a in world.of("tenant-void")[:VOTED_VOID_TENANTS]}
    committee = [job for job in voting if job.tenant.name in voted_by]
    txs = []
    for job in committee:
        for arbiter in arbiters:
            arbiter.units += 1
            arbiter.offchain_usd -= COMPUTE_COST_SHARE * usd(job.price)
            txs.append(
                Tx(arbiter.address, calls.vote(c, job.job_id, job.honest.hashes[-1] == job.submitted.hashes[-1]))
            )
    chain.round(txs)
    numbers = {job.job_id: c.job_market.dispute(job.job_id)["number"] for job in committee}
    settlers = world.of("settler-jobs")
    if voting or grief:
        p = world.params
        chain.advance(max(p["arbiterVoteWindowSeconds"] if voting else 0, p["moveTimeoutSeconds"] if grief else 0) + 1)
        txs = []
        for n, job in enumerate(voting + grief):
            settler = settlers[n % len(settlers)]
            settler.units += 1
            settle = calls.resolve_vote if job in voting else calls.claim_timeout
            txs.append(Tx(settler.address, settle(c, job.job_id)))
        chain.round(txs)
    chain.round(
        [
            Tx(a.address, calls.claim_arbiter_pay(c, job.job_id, numbers[job.job_id]))
            for job in committee
            for a in arbiters
        ]
    )
    return len(voting) - len(committee)


def _checkers(world: World, solver: Agent, whistleblowers: list[Agent]) -> list[Agent]:
    """The whistleblowers that re-execute the next attested result of `solver`: none unless the
    solver's systematic sample at d_w = 1 − (1 − q)^W selects it (from a random start drawn once
    per solver), then each whistleblower independently with q, drawn again until at least one."""
    if not whistleblowers:
        return []
    d_w = 1 - (1 - CHECK_RATE) ** len(whistleblowers)
    start = world.check_starts.setdefault(solver.name, world.rng.random())
    n = world.counters[f"attested/{solver.name}"]
    world.counters[f"attested/{solver.name}"] += 1
    if math.floor(start + (n + 1) * d_w) == math.floor(start + n * d_w):
        return []
    while True:
        picked = [w for w in whistleblowers if world.rng.random() < CHECK_RATE]
        if picked:
            return picked


def _attested(c, job: Job) -> bool:
    """Whether a verifier attested the job's result valid (only a drawn job's claimant can)."""
    return c.job_market.job(job.job_id)["attestation"] == Attestation.VALID
