"""docs/economics.md from one run: formulas, simulated profits with confidence intervals, the books."""

from __future__ import annotations

import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from scripts.econ import jobs, leases
from scripts.econ.costs import COMPUTE_COST_SHARE, ETH_USD, GAS_PRICES_GWEI, RELET_SHARE, usd
from scripts.econ.strategies import BPS, STRATEGIES, detection, whistle_detection, wrong_share

RESAMPLES = 4_000
NETWORKS = ("L2", "L1")


@dataclass
class Estimate:
    mean: float
    low: float
    high: float

    def show(self) -> str:
        return f"{self.mean:+,.2f} [{self.low:+,.2f}, {self.high:+,.2f}]"


def per_unit(profits: np.ndarray, units: np.ndarray) -> float:
    return float(profits.sum() / units.sum()) if units.sum() else 0.0


def bootstrap(profits: list[float], units: list[int], rng: np.random.Generator) -> np.ndarray:
    """Profit per unit of a group of agents (total over total), resampled over its agents. A resample
    of agents none of which played (no unit) has no profit per unit: it is NaN, left out of the
    interval, not a zero that would pull the interval toward break-even."""
    p, u = np.array(profits, dtype=float), np.array(units, dtype=float)
    picks = rng.integers(0, len(p), size=(RESAMPLES, len(p)))
    totals = u[picks].sum(axis=1)
    return np.where(totals > 0, p[picks].sum(axis=1) / np.maximum(totals, 1e-12), np.nan)


def interval(samples: np.ndarray, point: float) -> Estimate:
    """The 95% interval of the resamples that have a value (see `bootstrap`); the point alone when none has."""
    if np.isnan(samples).all():
        return Estimate(point, point, point)
    return Estimate(point, float(np.nanpercentile(samples, 2.5)), float(np.nanpercentile(samples, 97.5)))


def strategy_rows(results) -> dict[str, dict]:
    """For each strategy with agents: per-unit profit and its difference with its baseline, both networks."""
    world = results.world
    rng = np.random.default_rng(world.seed)
    rows = {}
    for key, strategy in STRATEGIES.items():
        agents = world.of(key)
        if not agents:
            continue
        row = {"strategy": strategy, "agents": len(agents), "units": sum(a.units for a in agents)}
        for network in NETWORKS:
            profits = [world.profit_usd(a, network) for a in agents]
            units = [1 if strategy.unit == "provider" else a.per for a in agents]
            samples = bootstrap(profits, units, rng)
            point = per_unit(np.array(profits), np.array(units))
            row[network] = interval(samples, point)
            row[f"{network}_samples"] = samples
        row["empty"] = strategy.unit != "provider" and row["units"] == 0
        rows[key] = row
    for row in rows.values():
        for suffix, other in (("diff", row["strategy"].baseline), ("also", row["strategy"].also)):
            base = rows.get(other or "")
            for network in NETWORKS:
                if base is None or base["empty"] or row["empty"]:
                    row[f"{network}_{suffix}"] = None
                    continue
                diff = row[f"{network}_samples"] - base[f"{network}_samples"]
                row[f"{network}_{suffix}"] = interval(diff, row[network].mean - base[network].mean)
    return rows


def second_comparisons(rows: dict[str, dict], inputs) -> list[str]:
    """Strategies also compared with a second one (a self-report with being caught): the difference,
    its interval and the formulas' difference. The verdict stays the one against honest play."""
    lines = []
    for key, row in rows.items():
        s = row["strategy"]
        if not s.also or row.get("L2_also") is None:
            continue
        ev = s.formula(inputs).value - STRATEGIES[s.also].formula(inputs).value
        lines.append(f"| `{key}` | `{s.also}` | {row['L2_also'].show()} | {row['L1_also'].show()} | {ev:+,.2f} |")
    if not lines:
        return []
    return [
        "Second comparisons: a strategy also set against another cheat it must not beat (property 5: a",
        "self-report loses as much as being caught). The verdict above stays the one against honest play;",
        "here the formulas' difference is the gas of the self-report's challenge, so the measured",
        "difference is expected to straddle zero: no gain from reporting oneself rather than a loss.",
        "",
        "| strategy | compared with | difference L2 | difference L1 | EV difference |",
        "|---|---|---:|---:|---:|",
        *lines,
        "",
    ]


def verdict(diff: Estimate | None) -> str:
    if diff is None:
        return "no data"
    if diff.low > 0:
        return "**pays**"
    if diff.high < 0:
        return "loses"
    return "not separable"


def equilibrium(inputs) -> dict[str, float]:
    """Sampled verification (issue 12, property 3): solvers cheat at c*, the sample checks at s.

    An honest verifier claims every drawn job at a cheat rate of zero, since it is paid v/s of the
    price out of the pool and re-executing costs k·P < (v/s)·P; a lazy one cannot attest. So a
    share s of results is re-executed whatever the cheat rate. A solver skips the work only when
    the compute it saves exceeds what the sample costs it, k·P > s·((1 − f − v)·P + C), i.e.
    while s is below x* = k·P / ((1 − f − v)·P + C). At s ≥ x* no solver cheats (c* = 0); below
    it every one would (c* = 1). Wrong results delivered: c*·(1 − s), those nobody drew.
    """
    p = inputs.params
    P = usd(inputs.job_price)
    C = max(usd(inputs.collateral[inputs.job_model]), p["jobCollateralBps"] / BPS * P)
    f, v = p["protocolFeeBps"] / BPS, p["verifierFeeBps"] / BPS
    s = p["verificationSampleBps"] / BPS
    x_star = COMPUTE_COST_SHARE * P / ((1 - f - v) * P + C)
    # The smallest collateral the multiple allows (a job whose catalogue collateral is below it).
    C_min = p["jobCollateralBps"] / BPS * P
    x_min = COMPUTE_COST_SHARE * P / ((1 - f - v) * P + C_min)
    c_star = 0.0 if s >= max(x_star, x_min) else 1.0
    return {"s": s, "x_star": x_star, "x_min": x_min, "c_star": c_star, "delivered": c_star * (1 - s)}


def summary(rows: dict[str, dict]) -> list[str]:
    """The cheating strategies by verdict on the L2 and on L1."""
    lines = []
    for network in NETWORKS:
        by: dict[str, list[str]] = {}
        for key, row in rows.items():
            if row["strategy"].cheat:
                by.setdefault(verdict(row[f"{network}_diff"]).strip("*"), []).append(f"`{key}`")
        parts = [f"{name}: {', '.join(keys)}" for name, keys in sorted(by.items())]
        lines.append(f"- {network}: " + "; ".join(parts) + ".")
    return lines


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def front_run_text(world, p) -> str:
    """What a front-run close cost the tenant: called off in the close's block, or delayed (measured)."""
    closes = world.counters.get("closes_front_run", 0)
    if not closes:
        return "."
    delayed = world.counters.get("closes_delayed", 0)
    if not delayed:
        return ", every one called off by the close in the same block (bond back, no delay, no pay for the wait)."
    delay = world.counters["front_run_delay_seconds"] / delayed
    extra = usd(leases.PRICE) * (1 - p["protocolFeeBps"] / BPS) * delay / 3600
    return f", {delayed} delayed {delay:.0f} s each (the provider paid {extra:.3f} USD more per close)."


def still_open(i, l1) -> list[str]:
    """What sampled verification leaves open, and the arbiters' pay (computed); `l1` the inputs priced on L1."""
    p = i.params
    P, v, k = usd(i.job_price), p["verifierFeeBps"] / BPS, COMPUTE_COST_SHARE
    s = p["verificationSampleBps"] / BPS
    fee, n = usd(p["arbiterFee"]), max(1, i.arbiters)
    sentinel_q = wrong_share(i.sentinel_mix)
    gas_l1 = l1.g("claim_and_attest")
    q_l1 = 1 - (k * P + gas_l1) / (v / s * P) if v else 0.0
    return [
        "The verifier's dilemma is gone (issue 12, property 3): a result is verified only when the hash",
        f"of its block draws it (s = {s:g}), the drawn job's verifier must claim it and attest with the",
        "state hash at its own spot of the solver's trace and its Merkle proof, and it is paid",
        f"v/s·P = {v / s * P:g} USD out of the pool every job's levy v·P = {v * P:g} USD funds, against",
        f"k·P = {k * P:g} USD to re-execute (`verifier-honest`). A lazy verifier holds no trace: its",
        "attestation is refused and it earns nothing (`verifier-lazy`, `sentinel-lazy`). What sampling",
        "leaves: a colluding verifier that gets the trace from the solver can attest a wrong result it",
        "claimed (`solver-collude`, caught by whistleblowers checking attested results with the model's",
        "unpaid rate q), and a result nobody drew is checked by nobody the protocol pays: the sample",
        "deters cheating only while the compute saved is below what the sample costs the solver",
        "(k < s·(1 + C/P − f − v)). Flagging a wrong result is not paid (a cheater's own second account",
        "could claim its drawn job and flag it: property 5): a verifier claims a drawn job before it",
        "knows the result, so it expects (1 − q)·(v/s)·P − k·P, positive while the share q of wrong",
        f"results it meets is below 1 − k·s/v = {1 - k * s / v if v else 0:.2f}; once it has claimed, flagging",
        "beats silence by its bond. `sentinel-honest` claims from the whole market of standard jobs",
        f"(every solver's but the clean pool's and a colluder's own): q = {sentinel_q:.3f} in this run.",
        f"On L1 a claim and its attestation cost {gas_l1:.2f} USD of gas (median), so there a verifier of",
        f"{P:g} USD jobs breaks even at q = 1 − (k·P + gas)/((v/s)·P) = {q_l1:.3f}, and a flagged result",
        "also costs it the dispute's moves: on L1 small jobs pay their verifiers little at any cheat rate.",
        "`verifier-big` claims the big jobs, where this run puts the big cheat's volume: its q is above",
        "the break-even and it loses, which is what a market with that many cheats pays its verifiers",
        "(at the equilibrium's cheat rate, none, it earns (v/s − k)·P_big).",
        "",
        f"Arbiter mode: an honest arbiter is paid fee/n = {fee / n:.2f} USD per vote of a unanimous committee",
        f"of {n}, against k·P = {k * P:g} USD to re-execute the disputed prefix (`arbiter-honest`); an absent",
        "arbiter earns nothing and loses nothing. At these defaults a committee is not paid to show up,",
        "and when it does not, no majority is the challenger's loss: a cheating solver of an",
        "arbiter-mode job is then paid (not simulated here: the void disputes are the tenant's attack).",
    ]


def write_report(results, path: Path, argv: list[str]) -> None:
    path.write_text(render(results, argv))


def render(results, argv: list[str]) -> str:
    world, js, ls = results.world, results.job_stats, results.lease_stats
    rows = strategy_rows(results)
    inputs = {n: results.inputs(n) for n in NETWORKS}
    p = world.params
    eq = equilibrium(inputs["L2"])
    wrong_share = js.wrong_finalized / js.finalized if js.finalized else 0.0
    gas = results.world.chain.gas
    lines = [
        "# Economics: what each strategy earns against honest play",
        "",
        "Written by `make econ` (`python -m scripts.econ " + " ".join(argv) + "`, scripts/econ/); do not edit by hand.",
        f"Run of {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, seed {world.seed}: "
        f"{js.jobs} jobs and {ls.get('leases', 0)} leases by {len(world.agents)} agents, "
        f"{gas.transactions:,} transactions ({gas.reverted} reverted: lost races, paid for), "
        f"{results.seconds:.0f} s of wall time.",
        "",
        "An agent-based simulation on a real Anvil chain against the contracts as scripts/deploy.py",
        "deploys them, with the default parameters read from the deployed ProtocolConfig and the",
        "collateral from the GPU catalogue. Every agent plays one strategy; its profit is measured,",
        "not modelled: the change of its tokens, stake and unclaimed credits on the chain, less the",
        "gas its transactions used (from their receipts) at the network's gas price, less the compute",
        "it paid for off-chain, plus what it earned off-chain (below, Costs). Each strategy's expected",
        "value is given beside it as a formula with the default numbers.",
        "",
        f"**This run measured the contracts of commit {_commit()}.** A cheating strategy marked **pays**",
        "is an attack that works on them; issue 12's mechanisms must turn every cheating row into",
        "`loses` (a formula's EV column says by how much it should).",
        "",
        "## Summary",
        "",
        *summary(rows),
        "",
        "## How to run",
        "",
        "    make econ                                   # 2,400 jobs, 200 leases, seed 1: writes this file",
        "    .venv/bin/python -m scripts.econ --jobs 60 --leases 20 --seed 2 --out /tmp/econ.md",
        "    .venv/bin/brownie test tests/economics/     # the smoke test: a small run whose books must balance",
        "",
        "It starts its own Anvil (stopped by PID), deploys, and moves time with `evm_increaseTime`.",
        "Transactions go in JSON-RPC batches, one block per dependency step; a front-runner is a",
        "transaction with a higher priority fee in the same block.",
        "",
        "## Adapting it to a mechanism change",
        "",
        "- An entry point whose arguments change: its one function in `scripts/econ/calls.py`",
        "  (every call goes through keepers/contracts from there).",
        "- A strategy's behaviour: its branch in `scripts/econ/jobs.py` or `leases.py`, named after it;",
        "  its formula: its function in `scripts/econ/strategies.py` (the `@strategy` registry, with",
        "  the honest baseline it is compared with). A new strategy is a roster entry, a branch and a",
        "  formula; the report picks it up.",
        "- Costs and the scenario's sizes: `scripts/econ/costs.py` and the constants at the top of",
        "  jobs.py and leases.py.",
        "",
        "Not simulated, because no agent's strategy chooses them: a token that refuses the",
        "provider's answer to a liveness challenge (issue 12, attack 3: tests/security covers the",
        "token), governance revoking a market's role (attack 5) or changing fees under a running job",
        "(attack 7; a job's fees are now fixed at the match).",
        "",
        "## Costs",
        "",
        f"- Gas: each receipt's `gasUsed` at {GAS_PRICES_GWEI['L2']} gwei (an L2) and "
        f"{GAS_PRICES_GWEI['L1']:g} gwei (L1), ETH at {ETH_USD:,.0f} USD (scripts/econ/costs.py).",
        f"- Compute: solving a job, or re-executing it to check, costs k = {COMPUTE_COST_SHARE} of its price.",
        "- A tenant values a correct result at its price (V = P), a wrong one at nothing; a dark provider",
        f"  re-lets the leased units elsewhere at r = {RELET_SHARE} of the lease's price.",
        "",
        "## Defaults read from the chain",
        "",
        f"protocol fee f = {p['protocolFeeBps'] / BPS}, verifier levy v = {p['verifierFeeBps'] / BPS}, "
        f"sample rate s = {p['verificationSampleBps'] / BPS}, "
        f"whistleblower share w = {p['whistleblowerRewardBps'] / BPS}, "
        f"tenant share t = {p['tenantCompensationBps'] / BPS}, "
        f"late-result slash s_late = {p['lateResultSlashBps'] / BPS}, "
        f"liveness slash s_live = {p['livenessSlashBps'] / BPS}, "
        f"match fee m = {usd(p['matchFee'])} USD, settle bounty b = {usd(p['settleBounty'])} USD, "
        f"job collateral ≥ {p['jobCollateralBps'] / BPS:g}·P, "
        f"challenge bond B_c = {usd(p['challengeBond'])} USD, verifier bond B_v = {usd(p['verifierBond'])} USD, "
        f"arbiter bond B_a = {usd(p['arbiterBond'])} USD, arbiter fee = {usd(p['arbiterFee'])} USD, "
        f"liveness bond = {usd(p['livenessBond'])} USD, liveness window = {p['livenessWindowSeconds']} s. "
        "Collateral per unit: " + ", ".join(f"{m} {usd(c):,.0f} USD" for m, c in inputs["L2"].collateral.items()) + ".",
        "",
        "Scenario: a standard job P = "
        f"{usd(jobs.JOB_PRICE):g} USD on one {jobs.JOB_MODEL} unit (collateral C), a big job P_big = "
        f"{usd(jobs.BIG_JOB_PRICE):g} USD on one {jobs.BIG_JOB_MODEL} unit, hashchain N = {jobs.STEPS}; every "
        f"solver's offers take jobs at {jobs.JOB_STEPS_PER_SECOND} step/s after {jobs.JOB_SETUP_SECONDS} s "
        "(their job policy); "
        f"a share s = {p['verificationSampleBps'] / BPS:g} of results drawn for verification, each claimed by "
        "an honest verifier (a lazy one cannot attest); "
        f"W = {inputs['L2'].whistleblowers} "
        f"whistleblowers each checking q = {jobs.CHECK_RATE} of attested results, paid or not "
        f"(d_w = {whistle_detection(inputs['L2']):.3f}, "
        f"d = {detection(inputs['L2']):.3f}); leases of {leases.LEASE_HOURS} h on one {leases.MODEL} unit at "
        f"{usd(leases.PRICE)} USD/h (ceiling {usd(leases.CEILING)}), every live lease challenged at hours "
        f"{', '.join(map(str, leases.LIVENESS_HOURS))}; tenants of every second lease of each provider close at hour "
        f"{leases.EARLY_CLOSE_HOUR}; {leases.MIN_REPUTATION_SHARE:.0%} of rental requests ask a reputation of "
        f"{leases.MIN_REPUTATION:,}.",
        "",
        "## Simulated profit per strategy",
        "",
        "Columns: *agents* playing it; *units* it is counted per (jobs, leases, attestations, checks,",
        "settlements; one per agent for a provider-wide strategy); *profit/unit* the measured profit per",
        "unit in USD on an L2 with its 95% bootstrap interval (4,000 resamples of the agents, total",
        "profit over total units); *vs honest* the same less the honest baseline's (named in the",
        "formula table), on the L2 and on L1; *EV* the formula's value per unit less the baseline's;",
        "*verdict* **pays** when the whole interval of the difference is above zero, `loses` when",
        "below, else not separable at this size (on the L2 and on L1). The interval resamples agents",
        "(their real simulated outcomes). The strategies that hang on a rare event get the agents and",
        "the jobs their interval needs (jobs.py, ROSTER and JOB_MIX), and a colluder's catch is",
        "stratified: the whistleblowers check each solver's attested results as a systematic sample at",
        "their combined rate d_w from a random start (each result still with probability d_w), so every",
        "colluder meets its share of catches instead of a lucky few meeting none.",
        "",
        "| strategy | agents | units | profit/unit L2 | vs honest L2 | vs honest L1 | EV vs honest "
        "| verdict L2 | verdict L1 |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, row in rows.items():
        s = row["strategy"]
        ev = s.formula(inputs["L2"]).value
        base = STRATEGIES.get(s.baseline or "")
        ev_diff = f"{ev - base.formula(inputs['L2']).value:+,.2f}" if base else f"{ev:+,.2f}"
        diff_l2 = row["L2_diff"].show() if row["L2_diff"] else ""
        diff_l1 = row["L1_diff"].show() if row["L1_diff"] else ""
        lines.append(
            f"| {s.title} (`{key}`) | {row['agents']} | {row['units']} | {row['L2'].show()} | {diff_l2} | {diff_l1} | "
            f"{ev_diff} | {verdict(row['L2_diff']) if s.baseline else '(reference)'} | "
            f"{verdict(row['L1_diff']) if s.baseline else ''} |"
        )
    lines += ["", *second_comparisons(rows, inputs["L2"])]
    lines += [
        "## Expected value of each strategy",
        "",
        "Per unit, under the defaults above and the gas this run measured (median per action, L2).",
        "",
        "| strategy | baseline | formula | EV (USD/unit) |",
        "|---|---|---|---:|",
    ]
    for key, s in STRATEGIES.items():
        formula = s.formula(inputs["L2"])
        lines.append(f"| `{key}` | {s.baseline or ''} | {formula.text} | {formula.value:+,.2f} |")
    lines += [
        "",
        "## Wrong results delivered",
        "",
        f"In this run: {js.wrong_finalized} of {js.finalized} finalized jobs delivered a wrong result "
        f"({wrong_share:.2%}); {js.slashed} solvers slashed, {js.expired} jobs expired, "
        f"{js.refused} JOB pairs refused by the offers' job policies, "
        f"{js.disputes} disputes played to the end ({js.voided} arbiter votes without a majority: the "
        "challenger's loss, the solver paid after the window).",
        "",
        "At equilibrium (sampled verification, issue 12 property 3): an honest verifier claims every",
        "drawn job while the cheat rate is below 1 − k·s/v (it is paid (v/s)·P for a right result, its",
        "bond back for a wrong one; a lazy one cannot attest), so a share",
        f"s = {eq['s']:g} of results is re-executed. A solver cheats only while s is below",
        f"x* = k·P / ((1 − f − v)·P + C) = {eq['x_star']:.4f} for a standard job ({eq['x_min']:.4f} at the",
        f"smallest collateral the {p['jobCollateralBps'] / BPS:g}x multiple allows), so the cheat rate is c* = "
        f"{eq['c_star']:g} and the wrong results delivered c*·(1 − s) = **{eq['delivered']:.2%}**. "
        "The run's share depends on its fixed mix of agents (its cheaters play whatever their EV), the",
        "equilibrium figure does not.",
        "",
        *still_open(inputs["L2"], inputs["L1"]),
        "",
        "## Farming, matching, liveness",
        "",
    ]
    for name, farm in results.farm.items():
        cost = {n: farm["gas"] * GAS_PRICES_GWEI[n] * 1e-9 * ETH_USD for n in NETWORKS}
        lines.append(
            f"- {name} reached reputation {farm['reputation']:,} with {usd(farm['tokens']):.2f} USD of fees "
            f"(the protocol fees that buy it and the match fees of its self-leases) and {farm['gas']:,} gas: "
            f"{usd(farm['tokens']) + cost['L2']:.2f} USD on an L2, {usd(farm['tokens']) + cost['L1']:,.0f} USD on L1."
        )
    lines += [
        f"- {ls.get('steered', 0)} of {ls.get('leases', 0)} leases steered to a matcher's own offer at the ceiling, "
        f"{ls.get('match_challenges', 0)} of them challenged (the overpayment, the reward and the lease's value "
        "from the steerer's bond); "
        f"{ls.get('challenges', 0)} liveness challenges, {ls.get('slashed', 0)} offline providers slashed; "
        f"{world.counters.get('closes_front_run', 0)} tenant closes front-run{front_run_text(world, p)}",
        "",
        "## The books",
        "",
        "Every token is accounted for: the agents' change of wealth plus the protocol's (treasury,",
        "accrued fees) is exactly zero, and each contract holds exactly what it owes (stake, credits,",
        "fees; no escrow left open). The smoke test (tests/economics/test_econ_smoke.py) checks the same.",
        "",
        "| check | token units |",
        "|---|---:|",
        *[f"| {k} | {v:,} |" for k, v in results.books.items()],
        "",
        "Wall time by phase: " + ", ".join(f"{k} {v:.1f} s" for k, v in results.phases.items()) + ".",
        "",
    ]
    return "\n".join(lines)
