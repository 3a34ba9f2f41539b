"""The matcher at market scale (issue 7, part 1).

For each size, a seeded synthetic market (keepers/matching/synthetic.py) is
matched the way the matcher keeper does it: `match` with the keeper's default
solver (the hybrid: the primal-dual auction, the local improvement, and where
its gap is above 1% the compiled packing, then on small pools HiGHS's
repacking and relaxation route; docs/matching.md), with the keeper's default settings except the solver's time
limit, raised so that a loaded machine never cuts a run short (the figures
then show what the algorithm reaches, and the time it takes).

Quality is the total score over a proven upper bound on the optimum of the
whole market: the dual of the linear relaxation over every feasible pair,
found by column generation run to the end (`columns.relax`; weak duality, with
every feasible pair priced). An exact solver is not tractable at these sizes:
HiGHS's 0/1 programme over the 1,000 x 10,000 candidates did not prove
optimality in 20 s (the hard shapes below are measured against the exact
optimum at 1,000 x 10,000, which HiGHS proves on them in minutes).

Baselines run in the same process on the same market: the matcher without
pricing (each request's top 32 pairs, then rounds: the method before column
generation), first-come greedy and score greedy over the first round's top-k
candidates, and SciPy's `linear_sum_assignment`
on the dense requests x offers score matrix where it fits in memory (each
offer then serves at most one request; provider stake is enforced afterwards).

Peak memory is the peak resident set size (VmHWM) of a fresh process that
builds the market and matches it once.

The hard shapes (keepers/matching/shapes.py: scarce, multi-unit, heavy-tailed,
region-fragmented, near-ties) are matched at the keeper's default settings,
2 s limit included, by each of the matcher's solvers side by side (the default
hybrid, the auction alone, HiGHS's relaxation route alone), at 1,000 x 10,000 against the exact 0/1 optimum over every
feasible pair (HiGHS, `EXACT_SECONDS` allowed) and at 10,000 x 100,000 against
the relaxation over every feasible pair, in wall and CPU time with the load
average beside them; run them alone with `python -m scripts.bench.matcher
[--shapes scarce,...] [--sizes 1000x10000,10000x100000]`. Last, the
region-fragmented shape at 100,000 x 1,000,000 (`measure_scale`), once, in a
fresh process, against the matcher's own proven bound.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from keepers.matching import (
    Candidates,
    Weights,
    candidates,
    first_come_greedy,
    greedy_by_score,
    match,
    optimality_gap,
    relaxation_bound,
    solve,
    warm_up,
)
from keepers.matching.bounds import knapsack_bound
from keepers.matching.columns import relax
from keepers.matching.shapes import SHAPES
from keepers.matching.synthetic import generate
from keepers.roles.matcher import MatcherConfig

ROOT = Path(__file__).resolve().parents[2]
SIZES = ((1_000, 10_000), (10_000, 100_000))
QUICK_SIZES = ((200, 2_000), (1_000, 10_000))
TIME_AIM_SECONDS = {(1_000, 10_000): 0.5, (10_000, 100_000): 5.0}
QUALITY_AIM = 0.99
MEMORY_AIM_BYTES = 2 * 2**30
SOLVER_TIME_LIMIT_SECONDS = 600.0
# The hard shapes are matched by each of the matcher's solvers at its default settings, the default first.
SHAPE_SOLVERS = ("hybrid", "auction", "relaxation")
SOLVER_LABELS = {
    "hybrid": "matcher, hybrid (default)",
    "auction": "auction alone",
    "relaxation": "HiGHS relaxation route (before issue 17's auction)",
}
DENSE_MAX_BYTES = 2 * 2**30  # linear_sum_assignment's dense matrix must stay within the memory aim
BOUND_MAX_ROUNDS = 100  # pricing rounds for the bound: in practice it ends far sooner, with no pair left to add
NO_PRICING_TOP_K = 32  # the previous method's candidate lists
SHAPE_SIZES = ((1_000, 10_000), (10_000, 100_000))  # the hard shapes (keepers/matching/shapes.py)
EXACT_MAX_REQUESTS = 1_000  # up to this size the bound is the exact 0/1 solve; past it, the relaxation's
# The knapsack bound's subgradient steps past 1,000 x 10,000 (docs/matching.md, "A tighter bound"): some 9 s of
# CPU each at 10,000 x 100,000; on the scarce shape 8 steps of 0.02 times Polyak's length took 10,402.2 to 10,401.6.
KNAPSACK_STEPS = 8
KNAPSACK_STEP_LENGTH = 0.02
EXACT_SECONDS = 300.0  # the benchmark's own 0/1 solve over every feasible pair
# Issue 17's largest size, on the shape the issue measured there.
SCALE_SHAPE = "region-fragmented"
SCALE_SIZE = (100_000, 1_000_000)
SCALE_AIM_SECONDS = 60.0
SCALE_AIM_BYTES = 8 * 10**9
# Issue 17's aims for every hard shape at the keeper's defaults: the wall time of a batch on this 2-core machine
# and the share of the best proven bound.
SHAPE_TIME_AIM_SECONDS = {(1_000, 10_000): 0.15, (10_000, 100_000): 3.0}


def _settings() -> dict:
    config = MatcherConfig()
    return {
        "top_k": config.top_k,
        "pricing_rounds": config.pricing_rounds,
        "pricing_k": config.pricing_k,
        "pool_k": config.pool_k,
        "milp_max_pairs": config.milp_max_pairs,
        "shard_max_pairs": config.shard_max_pairs,
        "rounds": config.rounds,
        "solver": config.solver,
        "solver_time_limit_seconds": SOLVER_TIME_LIMIT_SECONDS,
        "weights": config.weights.model_dump(),
    }


def _match(market, settings: dict, seed: int):
    """What one matcher tick does with the books: (candidates, assignment, wall s, cpu s).

    numba's loops are compiled (or loaded from their cache) first, outside the figures, as the keeper does at
    start; `run` reports that time on its own (`compile_seconds`).
    """
    warm_up()
    wall, cpu = time.perf_counter(), time.process_time()
    found, assignment = match(
        market.requests,
        market.offers,
        market.providers,
        Weights(**settings["weights"]),
        seed,
        top_k=settings["top_k"],
        time_limit_seconds=settings["solver_time_limit_seconds"],
        milp_max_pairs=settings["milp_max_pairs"],
        shard_max_pairs=settings["shard_max_pairs"],
        rounds=settings["rounds"],
        pricing_rounds=settings["pricing_rounds"],
        pricing_k=settings["pricing_k"],
        pool_k=settings["pool_k"],
        solver=settings.get("solver", "relaxation"),
    )
    return found, assignment, time.perf_counter() - wall, time.process_time() - cpu


def _scoring_seconds(market, settings: dict, seed: int, runs: int) -> tuple[Candidates, float]:
    """The first round's top-k candidates, and the median time of the first scoring: the scoring share of a tick.

    The matcher's first scoring keeps each request's pool (`pool_k` best pairs), so that is what is
    timed; the baselines take the top-k candidates.
    """
    weights = Weights(**settings["weights"])
    size = max(settings["top_k"], settings["pool_k"])
    _, seconds = _timed(
        lambda: candidates(market.requests, market.offers, market.providers, weights, seed, top_k=size, by_score=True),
        runs,
    )
    return candidates(market.requests, market.offers, market.providers, weights, seed, top_k=settings["top_k"]), seconds


def _timed(step, runs: int) -> tuple[object, float]:
    """The last result and the median wall time of `runs` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def _upper_bound(market, settings: dict, seed: int) -> dict:
    """The relaxation over every feasible pair by column generation run to the end, and its proven bound."""
    relaxed = relax(
        market.requests,
        market.offers,
        market.providers,
        Weights(**settings["weights"]),
        seed,
        settings["top_k"],
        settings["pricing_k"],
        BOUND_MAX_ROUNDS,
        time.monotonic() + SOLVER_TIME_LIMIT_SECONDS,
    )
    return {
        "bound": relaxed.bound,
        "relaxation": relaxed.objective,
        "rounds": relaxed.rounds,
        "pairs": len(relaxed.candidates),
    }


def _without_pricing(market, settings: dict, seed: int) -> tuple[object, float, float]:
    """The matcher before column generation: top 32 pairs per request, `solve`, then rounds. (assignment, wall, cpu)."""
    wall, cpu = time.perf_counter(), time.process_time()
    _, assignment = match(
        market.requests,
        market.offers,
        market.providers,
        Weights(**settings["weights"]),
        seed,
        top_k=NO_PRICING_TOP_K,
        time_limit_seconds=settings["solver_time_limit_seconds"],
        milp_max_pairs=settings["milp_max_pairs"],
        shard_max_pairs=settings["shard_max_pairs"],
        rounds=settings["rounds"],
        pricing_rounds=0,
    )
    return assignment, time.perf_counter() - wall, time.process_time() - cpu


def _dense_assignment(market, settings: dict, seed: int):
    """linear_sum_assignment on every feasible pair's score; each offer serves at most one request."""
    every = candidates(
        market.requests, market.offers, market.providers, Weights(**settings["weights"]), seed, top_k=len(market.offers)
    )
    matrix = np.zeros((len(market.requests), len(market.offers)))
    matrix[every.request, every.offer] = every.score
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    chosen = matrix[rows, cols] > 0
    picked = Candidates(rows[chosen], cols[chosen], matrix[rows, cols][chosen])
    # The dense problem knows nothing of stake shared by a provider's offers: enforce it, best pair first.
    return greedy_by_score(market.requests, market.offers, market.providers, picked)


def _high_water_bytes() -> int:
    """Peak resident set size of this process image (Linux VmHWM).

    Not `ru_maxrss`: Linux carries that over from the parent across fork and
    exec, so a child of a bench that holds a large market would report the
    parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status: peak memory is measured on Linux only")


def _peak_memory(n_requests: int, n_offers: int, seed: int) -> dict:
    """Peak RSS of a fresh process that builds the market and matches it once."""
    return _peak_memory_of(
        "from keepers.matching.synthetic import generate\n"
        f"market = generate({n_requests}, {n_offers}, {seed})\n"
        "settings = _settings()\n",
        seed,
    )


def _peak_memory_shape(name: str, n_requests: int, n_offers: int, seed: int) -> dict:
    """Peak RSS of a fresh process that builds a hard shape and matches it once at the keeper's defaults."""
    return _peak_memory_of(
        "from keepers.roles.matcher import MatcherConfig\n"
        "from keepers.matching.shapes import SHAPES\n"
        f"market = SHAPES[{name!r}]({n_requests}, {n_offers}, {seed})\n"
        "settings = {**_settings(), 'solver_time_limit_seconds': MatcherConfig().solver_time_limit_seconds}\n",
        seed,
    )


def _peak_memory_of(market_code: str, seed: int) -> dict:
    """Peak RSS of a fresh process that runs `market_code` (which sets `market` and `settings`) and matches once;
    and its peak before matching."""
    code = (
        "import json\n"
        "from scripts.bench.matcher import _high_water_bytes, _match, _settings\n"
        f"{market_code}"
        "before = _high_water_bytes()\n"
        f"_match(market, settings, {seed})\n"
        "print(json.dumps({'before_match_bytes': before, 'peak_bytes': _high_water_bytes()}))\n"
    )
    return _run_fresh(code)


def _run_fresh(code: str, env: dict | None = None) -> dict:
    """What a fresh Python process running `code` prints last, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_jit() -> dict:
    """The matcher's numba loops (scoring, the local improvement, the auction): their compile in a fresh process
    with an empty cache, then their load from that cache in another, in wall and CPU seconds. The keeper pays one
    of them at start (`keepers.matching.warm_up`), not in a batch, and so does this benchmark (`_match`)."""
    code = (
        "import json, time\n"
        "from keepers.matching import warm_up\n"
        "cpu = time.process_time()\n"
        "wall = warm_up()\n"
        "print(json.dumps({'wall_seconds': wall, 'cpu_seconds': time.process_time() - cpu}))\n"
    )
    load = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as cache:
        compiled = _run_fresh(code, {"NUMBA_CACHE_DIR": cache})
        cached = _run_fresh(code, {"NUMBA_CACHE_DIR": cache})
    return {"compile": compiled, "cached": cached, "load_average": load}


def render_jit(jit: dict) -> str:
    compiled, cached = jit["compile"], jit["cached"]
    return (
        f"The matcher's numba loops (scoring, the local improvement, the auction) compile in "
        f"{compiled['wall_seconds']:.1f} s "
        f"wall, {compiled['cpu_seconds']:.1f} s CPU, in a fresh process with an empty cache, and load from that "
        f"cache in {cached['wall_seconds']:.2f} s wall, {cached['cpu_seconds']:.2f} s CPU (load average "
        f"{jit['load_average']}); the keeper does one or the other at start (`keepers.matching.warm_up`; "
        "`make install` fills the cache), and so does this benchmark before it times anything: no figure here "
        "includes it.\n"
    )


def _timed_entry(name: str, runs: list[tuple], scoring_median: float) -> dict:
    """A method's row from its runs, each (assignment, wall s, cpu s): median times, the last run's result."""
    last = runs[-1][0]
    wall = statistics.median(run[1] for run in runs)
    return {
        "name": name,
        "assignment_seconds": wall - scoring_median,
        "total_seconds": wall,
        "total_score": last.total_score,
        "matched": len(last),
        "method": last.method,
        "cpu_seconds": statistics.median(run[2] for run in runs),
    }


def _measure(n_requests: int, n_offers: int, seed: int, runs: int) -> dict:
    settings = _settings()
    market = generate(n_requests, n_offers, seed)
    walls, cpus = [], []
    for _ in range(runs):
        found, assignment, wall, cpu = _match(market, settings, seed)
        walls.append(wall)
        cpus.append(cpu)
    first_round, scoring_median = _scoring_seconds(market, settings, seed, runs)
    relaxation = _upper_bound(market, settings, seed)
    bound = relaxation["bound"]
    methods = [
        {
            "name": "matcher (this code)",
            "assignment_seconds": statistics.median(walls) - scoring_median,
            "total_seconds": statistics.median(walls),
            "total_score": assignment.total_score,
            "matched": len(assignment),
            "method": assignment.method,
            "cpu_seconds": statistics.median(cpus),
        }
    ]
    highs = [_match(market, {**settings, "solver": "relaxation"}, seed)[1:] for _ in range(runs)]
    methods.append(_timed_entry("HiGHS relaxation route (solver = relaxation)", highs, scoring_median))
    previous = [_without_pricing(market, settings, seed) for _ in range(runs)]
    methods.append(_timed_entry("matcher without pricing (top 32, then rounds)", previous, scoring_median))
    for name, baseline in (("first-come greedy", first_come_greedy), ("score greedy", greedy_by_score)):
        result, seconds = _timed(
            lambda baseline=baseline: baseline(market.requests, market.offers, market.providers, first_round), runs
        )
        methods.append(
            {
                "name": name,
                "assignment_seconds": seconds,
                "total_seconds": scoring_median + seconds,
                "total_score": result.total_score,
                "matched": len(result),
                "method": result.method,
            }
        )
    dense_bytes = n_requests * n_offers * 8
    if dense_bytes <= DENSE_MAX_BYTES:
        result, seconds = _timed(lambda: _dense_assignment(market, settings, seed), runs)
        methods.append(
            {
                "name": "SciPy linear_sum_assignment (dense)",
                "assignment_seconds": seconds,
                "total_seconds": seconds,
                "total_score": result.total_score,
                "matched": len(result),
                "method": "dense",
            }
        )
    else:
        methods.append({"name": "SciPy linear_sum_assignment (dense)", "does_not_fit_bytes": dense_bytes})
    for entry in methods:
        if "total_score" in entry:
            entry["fraction_of_bound"] = entry["total_score"] / bound if bound > 0 else 1.0
    return {
        "requests": n_requests,
        "offers": n_offers,
        "providers": len(market.providers),
        "candidate_pairs": len(found),
        "upper_bound": bound,
        "relaxation": relaxation["relaxation"],
        "bound_rounds": relaxation["rounds"],
        "bound_pairs": relaxation["pairs"],
        "bound_kind": "dual of the linear relaxation over every feasible pair, by column generation (proven)",
        "scoring_seconds": scoring_median,
        "assignment_seconds": statistics.median(walls) - scoring_median,
        "wall_seconds": statistics.median(walls),
        "cpu_seconds": statistics.median(cpus),
        "time_aim_seconds": TIME_AIM_SECONDS.get((n_requests, n_offers)),
        "memory": _peak_memory(n_requests, n_offers, seed),
        "methods": methods,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _measure_shape(name: str, n_requests: int, n_offers: int, seed: int, runs: int) -> dict:
    """One hard shape at the keeper's default settings (its 2 s time limit included), against the best proven bound.

    Up to `EXACT_MAX_REQUESTS` requests the bound is the smaller of HiGHS's dual bound on the exact 0/1
    programme over every feasible pair (`EXACT_SECONDS` allowed; when it proves optimality, the optimum
    itself) and the linear relaxation over every feasible pair. Past it, the bound is the relaxation over
    every feasible pair by column generation run to the end (`columns.relax`, one master; the dual is
    feasible for every pair), and the bound's own gap (how far the 0/1 optimum may lie under it) is that of
    the same shape at the smaller size. Wall and CPU seconds are medians of `runs`, with the load average
    at the start of the shape: the machine is shared, and the 2 s limit is on wall time.
    """
    settings = {**_settings(), "solver_time_limit_seconds": MatcherConfig().solver_time_limit_seconds}
    load_before = [round(x, 2) for x in os.getloadavg()]
    market = SHAPES[name](n_requests, n_offers, seed)
    weights = Weights(**settings["weights"])
    solved = []
    for solver in SHAPE_SOLVERS:
        cpus, walls, stages = [], [], []
        for _ in range(runs):
            _, assignment, wall, cpu = _match(market, {**settings, "solver": solver}, seed)
            cpus.append(cpu)
            walls.append(wall)
            stages.append(assignment.stage_seconds)
        solved.append(
            {
                "name": SOLVER_LABELS[solver],
                "solver": solver,
                "total_score": assignment.total_score,
                "matched": len(assignment),
                "method": assignment.method,
                "cpu_seconds": statistics.median(cpus),
                "wall_seconds": statistics.median(walls),
                "reported_bound": assignment.upper_bound,
                "reported_gap": optimality_gap(assignment.total_score, assignment.upper_bound),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                # Each stage's median wall seconds over the runs that reached it (`Assignment.stage_seconds`).
                "stage_seconds": {
                    stage: statistics.median(run[stage] for run in stages if stage in run)
                    for stage in dict.fromkeys(stage for run in stages for stage in run)
                },
            }
        )
    solved[0]["memory"] = _peak_memory_shape(name, n_requests, n_offers, seed)
    first_round = candidates(market.requests, market.offers, market.providers, weights, seed, top_k=settings["top_k"])
    if n_requests > EXACT_MAX_REQUESTS:
        started = time.process_time()
        relaxed = relax(
            market.requests,
            market.offers,
            market.providers,
            weights,
            seed,
            settings["top_k"],
            settings["pricing_k"],
            BOUND_MAX_ROUNDS,
            time.monotonic() + SOLVER_TIME_LIMIT_SECONDS,
            pool_k=settings["pool_k"],
        )
        lp, exact, methods = relaxed.bound, None, list(solved)
        # Whole requests in each provider's knapsack at the relaxation's prices: below the LP by what only
        # fractions of requests could pack (docs/matching.md, "A tighter bound").
        knapsack = knapsack_bound(
            market.requests,
            market.offers,
            market.providers,
            weights,
            seed,
            *relaxed.prices,
            steps=KNAPSACK_STEPS,
            target=max(entry["total_score"] for entry in solved),
            length=KNAPSACK_STEP_LENGTH,
        ).bound
        bound_cpu = time.process_time() - started
        feasible_pairs = None
    else:
        every = candidates(market.requests, market.offers, market.providers, weights, seed, top_k=len(market.offers))
        knapsack = None
        feasible_pairs = len(every)
        lp = relaxation_bound(market.requests, market.offers, market.providers, every)
        started = time.process_time()
        exact = solve(market.requests, market.offers, market.providers, every, EXACT_SECONDS, 10**9, 10**9)
        bound_cpu = time.process_time() - started
        methods = [
            *solved,
            {
                "name": "exact 0/1 over every pair (HiGHS)",
                "total_score": exact.total_score,
                "matched": len(exact),
                "method": exact.method,
                "cpu_seconds": bound_cpu,
            },
        ]
    greedies = (("score greedy (top-k)", greedy_by_score), ("first-come greedy (top-k)", first_come_greedy))
    for label, baseline in greedies:
        started = time.process_time()
        result = baseline(market.requests, market.offers, market.providers, first_round)
        methods.append(
            {
                "name": label,
                "total_score": result.total_score,
                "matched": len(result),
                "method": result.method,
                "cpu_seconds": time.process_time() - started,
            }
        )
    if n_requests * n_offers * 8 <= DENSE_MAX_BYTES:
        started = time.process_time()
        result = _dense_assignment(market, settings, seed)
        methods.append(
            {
                "name": "SciPy linear_sum_assignment (dense)",
                "total_score": result.total_score,
                "matched": len(result),
                "method": "dense",
                "cpu_seconds": time.process_time() - started,
            }
        )
    bound = min(b for b in (lp, knapsack, None if exact is None else exact.upper_bound) if b is not None)
    for entry in methods:
        entry["fraction_of_bound"] = entry["total_score"] / bound if bound > 0 else 1.0
    return {
        "shape": name,
        "requests": n_requests,
        "offers": n_offers,
        "feasible_pairs": feasible_pairs,
        "lp_bound": lp,
        "knapsack_bound": knapsack,
        "exact_bound": None if exact is None else exact.upper_bound,
        "exact_proven": exact is not None and exact.method == "optimal",
        "bound": bound,
        "bound_cpu_seconds": bound_cpu,
        "methods": methods,
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def run_shapes(seed: int, runs: int, sizes=SHAPE_SIZES) -> list[dict]:
    return [_measure_shape(name, n, m, seed, runs) for n, m in sizes for name in SHAPES]


def run(seed: int, runs: int, quick: bool) -> dict:
    sizes = QUICK_SIZES if quick else SIZES
    return {
        # First in the process: numba's compilation, or its load from the on-disk cache once compiled.
        "compile_seconds": warm_up(),
        # In fresh processes: the compile from an empty cache, then the load from it.
        "jit": measure_jit(),
        "settings": _settings(),
        "runs": runs,
        "sizes": [_measure(n_requests, n_offers, seed, runs) for n_requests, n_offers in sizes],
        "shapes": run_shapes(seed, runs, ((200, 2_000),) if quick else SHAPE_SIZES),
        "scale": measure_scale(SCALE_SHAPE, *((2_000, 20_000) if quick else SCALE_SIZE), seed),
    }


def measure_scale(name: str, n_requests: int, n_offers: int, seed: int) -> dict:
    """One shape at the issue's largest size, matched once at the keeper's defaults in a fresh process.

    No bound but the matcher's own is tractable here (the relaxation over every feasible pair would need
    HiGHS over some hundred million pairs), so the share is of that proven bound: a floor on the share
    of the optimum. Wall and CPU time, and the process's peak resident memory.
    """
    code = (
        "import json, os, time\n"
        "from keepers.roles.matcher import MatcherConfig\n"
        "from keepers.matching.shapes import SHAPES\n"
        "from scripts.bench.matcher import _high_water_bytes, _match, _settings\n"
        f"market = SHAPES[{name!r}]({n_requests}, {n_offers}, {seed})\n"
        "before = _high_water_bytes()\n"
        "settings = {**_settings(), 'solver_time_limit_seconds': MatcherConfig().solver_time_limit_seconds}\n"
        "load = os.getloadavg()[0]\n"
        f"_, a, wall, cpu = _match(market, settings, {seed})\n"
        "print(json.dumps({'matched': len(a), 'total_score': a.total_score, 'bound': a.upper_bound,\n"
        "    'method': a.method, 'wall_seconds': wall, 'cpu_seconds': cpu, 'before_match_bytes': before,\n"
        "    'peak_bytes': _high_water_bytes(), 'load_average': [round(load, 2), round(os.getloadavg()[0], 2)]}))\n"
    )
    return {"shape": name, "requests": n_requests, "offers": n_offers, **_run_fresh(code)}


def _scale_label(scale: dict) -> str:
    largest = (scale["requests"], scale["offers"]) == SCALE_SIZE
    return "issue 17's largest size" if largest else "a quick run's stand-in for issue 17's largest size"


def _met(met: bool) -> str:
    return "**met**" if met else "**not met**"


def render_scale(scale: dict) -> str:
    share = scale["total_score"] / scale["bound"] if scale["bound"] else float("nan")
    peak = scale["peak_bytes"]
    return (
        "\n".join(
            [
                "### At scale",
                "",
                f"The {scale['shape']} shape at {scale['requests']:,} × {scale['offers']:,} ({_scale_label(scale)}), "
                "matched once at the keeper's defaults in a fresh process. Only the matcher's own proven bound is "
                "tractable at this size, so the share is of that bound, a floor on the share of the optimum.",
                "",
                "| market | method | wall | CPU | peak memory (before matching) | matched | total score "
                "| own bound | share of it | load average (1 min) before, after |",
                "|---|---|---|---|---|---|---|---|---|---|",
                f"| {scale['requests']:,} × {scale['offers']:,} | {scale['method']} | {scale['wall_seconds']:.1f} s "
                f"| {scale['cpu_seconds']:.1f} s | {peak / 2**30:.2f} GiB ({_mib(scale['before_match_bytes'])}) "
                f"| {scale['matched']:,} | {scale['total_score']:,.1f} | {scale['bound']:,.1f} | {share:.2%} "
                f"| {scale['load_average'][0]}, {scale['load_average'][1]} |",
                "",
                f"Aims: ≤ {SCALE_AIM_SECONDS:.0f} s: {_met(scale['wall_seconds'] <= SCALE_AIM_SECONDS)}; "
                f"≤ 8 GB: {_met(peak <= SCALE_AIM_BYTES)}.",
            ]
        )
        + "\n"
    )


def _mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


def _aims(size: dict) -> list[str]:
    lines = []
    matcher = size["methods"][0]
    label = f"{size['requests']:,} × {size['offers']:,}"
    aim = size["time_aim_seconds"]
    if aim is not None:
        if size["wall_seconds"] <= aim:
            lines.append(f"- {label}, time ≤ {aim} s: **met** ({size['wall_seconds']:.2f} s).")
        else:
            limit = "scoring" if size["scoring_seconds"] >= size["assignment_seconds"] else "the assignment"
            lines.append(
                f"- {label}, time ≤ {aim} s: **not met**, {size['wall_seconds']:.2f} s "
                f"(scoring {size['scoring_seconds']:.2f} s, assignment {size['assignment_seconds']:.2f} s); "
                f"{limit} limits it. The process had {size['cpu_seconds']:.2f} s of CPU in that time "
                f"(load average {', '.join(str(x) for x in size['load_average_after'])} when the size finished)."
            )
    fraction = matcher["fraction_of_bound"]
    verdict = "**met**" if fraction >= QUALITY_AIM else "**not shown**"
    lines.append(f"- {label}, ≥ 99% of the optimum: {verdict} ({fraction:.2%} of a proven upper bound).")
    peak = size["memory"]["peak_bytes"]
    verdict = "**met**" if peak <= MEMORY_AIM_BYTES else "**not met**"
    lines.append(f"- {label}, peak memory ≤ 2 GB: {verdict} ({_mib(peak)}).")
    return lines


def _solver_text(settings: dict) -> str:
    """How the matcher under test assigns, from the settings the report recorded."""
    if settings.get("solver", "relaxation") == "relaxation":
        return (
            f"each request's top {settings['top_k']} pairs, then column generation, up to "
            f"{settings['pricing_rounds']} rounds that price every feasible pair and add each request's "
            f"{settings['pricing_k']} best by reduced score{_pool_text(settings)}; the relaxation rounded; then up to "
            f"{settings['rounds']} rounds for requests left unserved; milp_max_pairs {settings['milp_max_pairs']}, "
            f"shard_max_pairs {settings['shard_max_pairs']}"
        )
    return (
        f"the primal-dual auction over each request's {settings['pool_k']} best pairs, up to "
        f"{settings['pricing_rounds']} pricing rounds over every feasible pair adding each request's "
        f"{settings['pricing_k']} best of positive profit and proving the bound (past the first, only on pools of up "
        "to 250,000 pairs and while the pairs they add move the auction), then the local improvement; where the gap "
        "to that bound is above 1%, the compiled packing provider by provider (on pools past 250,000 pairs one "
        "improvement pass and one packing sweep, else four and two), and where it is still above 1% on a pool of at "
        "most 20,000 pairs, HiGHS's repacking part by part and its relaxation route"
    )


def _pool_text(settings: dict) -> str:
    """How pricing read the pairs; reports measured before the pool have no `pool_k`."""
    if "pool_k" not in settings:
        return ""
    return (
        f", read from each request's {settings['pool_k']} best pairs of the first scoring and scanned over "
        "every feasible pair only where a pair left out could gain"
    )


def render(result: dict) -> str:
    settings = result["settings"]
    lines = [
        "## Matcher",
        "",
        "Seeded synthetic markets (`keepers/matching/synthetic.py`: catalogue models with their share of "
        "supply and demand, six regions, prices log-normal around a reference price per model, providers "
        "with 1–8 units, requests for 1–8 units, reputation and stake spread), matched as the matcher keeper "
        f"does (`match` with its default solver, `{settings.get('solver', 'relaxation')}`: "
        f"{_solver_text(settings)}; docs/matching.md), the solver time limit raised to "
        f"{settings['solver_time_limit_seconds']:.0f} s so a loaded machine never cuts a run short (the hard "
        "shapes below run at the keeper's own 2 s). "
        f"Times are medians of {result['runs']} runs; wall time is scoring plus assignment (scoring is the "
        "first `candidates` call; assignment is the rest: pricing, the relaxation, rounding). CPU is the "
        "process's CPU time over the same span (the machine is shared, so wall time can exceed it). "
        "The share of the optimum is over a proven upper bound: the dual of the linear relaxation over "
        "every feasible pair, found by column generation run until no pair has a positive reduced score "
        "(weak duality; every feasible pair is priced); the hard shapes below are measured against the exact "
        "0/1 optimum at 1,000 × 10,000 as well. Peak memory is the peak "
        "resident set size (VmHWM) of a fresh process that builds the market and matches it once; the "
        "figure in brackets is that process's peak before matching (interpreter, libraries and the books).",
        "",
        "| market | providers | pairs the matcher scored | scoring | assignment | wall | CPU "
        "| peak memory (before matching) | upper bound (pricing rounds) | relaxation over every pair |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in result["sizes"]:
        memory = size["memory"]
        lines.append(
            f"| {size['requests']:,} × {size['offers']:,} | {size['providers']:,} | {size['candidate_pairs']:,} "
            f"| {size['scoring_seconds']:.2f} s | {size['assignment_seconds']:.2f} s | {size['wall_seconds']:.2f} s "
            f"| {size['cpu_seconds']:.2f} s | {_mib(memory['peak_bytes'])} ({_mib(memory['before_match_bytes'])}) "
            f"| {size['upper_bound']:,.1f} ({size['bound_rounds']}) | {size['relaxation']:,.1f} |"
        )
    lines += [
        "",
        "| market | method | assignment | wall | CPU | requests matched | total score | share of the bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in result["sizes"]:
        label = f"{size['requests']:,} × {size['offers']:,}"
        for entry in size["methods"]:
            if "does_not_fit_bytes" in entry:
                lines.append(
                    f"| {label} | {entry['name']} | does not fit: {entry['does_not_fit_bytes'] / 2**30:.1f} GiB "
                    "dense matrix | | | | | |"
                )
                continue
            cpu = f"{entry['cpu_seconds']:.2f} s" if "cpu_seconds" in entry else ""
            lines.append(
                f"| {label} | {entry['name']} | {entry['assignment_seconds']:.2f} s | {entry['total_seconds']:.2f} s "
                f"| {cpu} | {entry['matched']:,} | {entry['total_score']:,.1f} | {entry['fraction_of_bound']:.2%} |"
            )
    lines += [
        "",
        "Baselines: the matcher without pricing is the method before column generation (each request's top "
        "32 pairs, `solve`, then rounds on the capacity left); first-come and score greedy take the first "
        "round's top-k candidates (their wall time adds the same scoring); `linear_sum_assignment` takes the "
        "dense score matrix of every feasible pair (0 where infeasible), so each offer serves at most one "
        "request, and provider stake is enforced afterwards.",
        "",
        "Aims (issue 7, on this family of markets):",
        "",
    ]
    for size in result["sizes"]:
        lines += _aims(size)
    if result.get("compile_seconds") is not None:
        lines += [
            "",
            f"numba's loops (scoring, the local improvement, the auction) took {result['compile_seconds']:.2f} s to "
            "compile or load from numba's on-disk cache before the first batch; the figures leave it out (the "
            "keeper pays it once, at start).",
        ]
    if result.get("shapes"):
        lines += ["", render_shapes(result["shapes"]).rstrip("\n")]
    if result.get("jit"):
        lines += ["", render_jit(result["jit"]).rstrip("\n")]
    if result.get("scale"):
        lines += ["", render_scale(result["scale"]).rstrip("\n")]
    return "\n".join(lines) + "\n"


def render_shapes(shapes: list[dict]) -> str:
    lines = [
        "### Hard market shapes",
        "",
        "The five shapes of `keepers/matching/shapes.py` (scarce, multi-unit, heavy-tailed, region-fragmented, "
        "near-ties), matched at the keeper's default settings (its 2 s solver time limit included) by each solver: "
        "the default hybrid (the auction; where its gap to its own bound is above 1%, its assignment repacked "
        "provider by provider by a compiled exact packing, then, if the gap is still above 1% on a pool of at most "
        "20,000 pairs, part by part by HiGHS and HiGHS's route), "
        "the auction alone and HiGHS's relaxation route alone. The bound "
        f"is the best proven one: up to {EXACT_MAX_REQUESTS:,} requests, HiGHS's dual bound on the exact 0/1 "
        f"programme over every feasible pair ({EXACT_SECONDS:.0f} s allowed; the optimum itself where it proves "
        "optimality) or the linear relaxation over every feasible pair, whichever is smaller; past that, the "
        "relaxation over every feasible pair by column generation run to the end (kind LP) or, where smaller, the "
        "Lagrangian bound at its request prices with each provider's whole-request knapsack solved exactly (kind "
        "knapsack, `bounds.knapsack_bound`), which lie above the 0/1 optimum by the shape's integrality gap (the "
        "smaller size's LP over its optimum). Every "
        "relaxation is over whole-unit capacities (`book.integer_capacities`: a provider's stake backs "
        "whole units only), the same 0/1 programme with a tighter relaxation. Wall and CPU "
        "are the matcher's own (the machine is shared and the 2 s limit is on wall time, so the load average "
        "beside each row matters; peak memory is that of a fresh process matching the shape once at the defaults); "
        "the matcher's own reported bound and gap are what it logs and exports on each batch.",
        "",
        "| market | shape | bound (kind) | LP over every pair | method | wall | CPU | peak memory | matched "
        "| total score | share of the bound | matcher's own bound, gap | load average (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for shape in shapes:
        label = f"{shape['requests']:,} × {shape['offers']:,}"
        if shape["exact_bound"] is not None:
            proven = "optimum" if shape["exact_proven"] else "MILP bound"
        else:
            proven = (
                "knapsack" if shape.get("knapsack_bound") is not None and shape["bound"] < shape["lp_bound"] else "LP"
            )
        for entry in shape["methods"]:
            own = ""
            if entry.get("reported_bound") is not None:
                own = f"{entry['reported_bound']:,.1f}, {entry['reported_gap']:.2%}"
            wall = f"{entry['wall_seconds']:.2f} s" if "wall_seconds" in entry else ""
            memory = _mib(entry["memory"]["peak_bytes"]) if "memory" in entry else ""
            load = entry.get("load_average", shape["load_average_after"])[0]
            lines.append(
                f"| {label} | {shape['shape']} | {shape['bound']:,.1f} ({proven}) | {shape['lp_bound']:,.1f} "
                f"| {entry['name']} | {wall} | {entry['cpu_seconds']:.2f} s | {memory} | {entry['matched']:,} "
                f"| {entry['total_score']:,.1f} | {entry['fraction_of_bound']:.2%} | {own} | {load} |"
            )
    lines += ["", *render_shape_aims(shapes)]
    return "\n".join(lines) + "\n"


def _stages_text(entry: dict) -> str:
    stages = entry.get("stage_seconds") or {}
    if not stages:
        return ""
    largest = max(stages, key=stages.get)
    parts = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in stages.items())
    return f" ({parts}; {largest} the largest)"


def _integrality_gaps(shapes: list[dict]) -> dict[str, float]:
    """Per shape, how far the LP over every pair lay above the proven optimum at the smaller size: how far a
    relaxation's bound at the larger size may lie above the optimum there."""
    return {
        shape["shape"]: shape["lp_bound"] / shape["exact_bound"] - 1.0
        for shape in shapes
        if shape["exact_proven"] and shape["exact_bound"]
    }


def render_shape_aims(shapes: list[dict]) -> list[str]:
    """Issue 17's aims for the default hybrid on every shape at each size: met, or the gap and what limits it."""
    gaps = _integrality_gaps(shapes)
    lines = ["Aims (issue 17: the default hybrid, every shape, at the keeper's defaults):", ""]
    sizes = dict.fromkeys((shape["requests"], shape["offers"]) for shape in shapes)
    for size in sizes:
        label = f"{size[0]:,} × {size[1]:,}"
        rows = [shape for shape in shapes if (shape["requests"], shape["offers"]) == size]
        shares = [(shape, shape["methods"][0]["fraction_of_bound"]) for shape in rows]
        quality = ", ".join(
            f"{shape['shape']} {share:.2%}"
            + (
                f" (the bound up to {gaps[shape['shape']]:.2%} above the optimum)"
                if not shape["exact_proven"] and shape["shape"] in gaps
                else ""
            )
            for shape, share in shares
        )
        met = all(share >= QUALITY_AIM for _, share in shares)
        bound = "the proven optimum" if all(shape["exact_proven"] for shape in rows) else "the best proven bound"
        lines.append(f"- {label}, ≥ 99% of {bound} on every shape: {_met(met)}: {quality}.")
        aim = SHAPE_TIME_AIM_SECONDS.get(size)
        if aim is None:
            continue
        timed = [(shape, shape["methods"][0]) for shape in rows]
        fast = [
            f"{shape['shape']} {entry['wall_seconds']:.2f} s" for shape, entry in timed if entry["wall_seconds"] <= aim
        ]
        slow = [
            f"{shape['shape']} {entry['wall_seconds']:.2f} s{_stages_text(entry)}"
            for shape, entry in timed
            if entry["wall_seconds"] > aim
        ]
        load = ", ".join(str(entry["load_average"][0]) for _, entry in timed)
        verdict = f"{_met(not slow)}"
        if fast:
            verdict += f"; within it: {', '.join(fast)}"
        if slow:
            verdict += f"; over it: {'; '.join(slow)}"
        lines.append(f"- {label} in ≤ {aim:g} s wall: {verdict} (1-minute load {load}).")
    return lines


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="The matcher on the hard market shapes only (issue 17)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shapes (default: all five)")
    parser.add_argument(
        "--sizes", default="1000x10000", help="comma-separated REQUESTSxOFFERS (default 1000x10000; 10000x100000 too)"
    )
    args = parser.parse_args()
    print(f"numba's loops compiled or loaded in {warm_up():.2f} s (left out of the figures)")
    chosen_sizes = [tuple(int(x) for x in size.split("x")) for size in args.sizes.split(",")]
    jit = measure_jit()
    figures = [
        _measure_shape(name, n, m, args.seed, args.runs) for n, m in chosen_sizes for name in args.shapes.split(",")
    ]
    if args.json:
        args.json.write_text(json.dumps({"jit": jit, "shapes": figures}, indent=2))
    print(render_shapes(figures))
    print(render_jit(jit))
