"""Every strategy the simulation plays: what it does, and its expected value beside it.

Each strategy is one function returning its `Formula`: the expected profit per unit (a job, a
lease, an attestation, a settlement) as text with the symbols, and its value under the
deployed defaults (`Inputs`, read from ProtocolConfig and the catalogue) and the gas the run
measured. `baseline` names the honest play it is compared with. The behaviour itself (what the
agent sends) is in jobs.py and leases.py, in the branch named after the strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from keepers.contracts.types import FEES_TO_CAP, LIVENESS_SPOT_CHECKS
from scripts.econ.costs import COMPUTE_COST_SHARE, RELET_SHARE, gas_usd, usd

BPS = 10_000
BASE_SCORE, MAX_SCORE = 5000, 10_000  # ReputationMath: a new provider's score and the cap
FARM_LEASES = 1  # self-leases a farmer runs to its target: one big lease pays the fewest match fees


def fees_to_reach(score: int) -> int:
    """Protocol fees (token units) that raise a new provider's reputation to `score`: reputation
    grows by (MAX − BASE) points per FEES_TO_CAP of fees its leases paid (docs/reputation.md)."""
    return -(-(score - BASE_SCORE) * FEES_TO_CAP // (MAX_SCORE - BASE_SCORE))


@dataclass
class Inputs:
    """The numbers the formulas use: parameters from the chain, the scenario's sizes, measured gas."""

    params: dict  # Config.Params by field name
    collateral: dict[str, int]  # GPU model -> collateral per unit (token units)
    job_price: int  # P, a standard job's escrow
    big_job_price: int  # P_big, a big job's escrow on one small GPU
    job_model: str
    big_job_model: str
    infeasible_units: int
    honest_verifier_share: float  # h: share of a cheater's attestations by honest verifiers (the sentinel pool)
    check_rate: float  # q: each whistleblower re-executes an attested result with this probability
    whistleblowers: int  # W
    lease_price: int  # the market price per unit-hour
    ceiling_price: int  # a tenant's maximum per unit-hour, where a steering matcher prices its offer
    lease_hours: int
    min_reputation_share: float  # share of rental requests asking a minimum reputation
    challenges_per_lease: float  # liveness challenges a lease meets on average
    lease_hours_mean: float  # H̄: hours a lease runs on average (early closes included)
    rep_leases_per_farmer: float  # leases asking a reputation only a farmer has, per farmer
    min_reputation: int = 9000  # what those leases ask: the score a farmer farms to
    voted_void_share: float = 0.0  # share of tenant-void's disputes an honest arbiter committee voted on
    arbiters: int = 0  # the committee's size: votes per voted dispute
    challenger_reward: int = 0  # MatcherBonds' reward for a won match challenge (token units)
    offline_share: float = 0.0  # o: share of liveness challenges that met an offline provider in this run
    checked_wrong_share: float = 0.0  # c_a: share of the results whistleblowers re-executed that were wrong
    sentinel_mix: dict[str, int] = field(default_factory=dict)  # "kind/wrong|right[/sr|/grief]" -> sentinel claims
    big_mix: dict[str, int] = field(default_factory=dict)  # "big/wrong|right" -> big-job verifier claims
    gas: dict[str, int] = field(default_factory=dict)  # median gas per action label, measured
    network: str = "L2"

    def g(self, *labels: str) -> float:
        """USD of the named actions' median gas on this network."""
        return sum(gas_usd(self.gas.get(label, 0), self.network) for label in labels)

    @property
    def p(self) -> dict:
        return self.params


@dataclass
class Formula:
    text: str
    value: float  # USD per unit


@dataclass
class Strategy:
    key: str
    family: str
    title: str
    unit: str
    baseline: str | None
    cheat: bool  # a strategy the protocol must make lose
    formula: Callable[[Inputs], Formula]
    also: str | None = None  # a second strategy it is compared with (the verdict stays against `baseline`)


STRATEGIES: dict[str, Strategy] = {}


def strategy(
    key: str,
    family: str,
    title: str,
    unit: str,
    baseline: str | None = None,
    cheat: bool = False,
    also: str | None = None,
):
    def register(function: Callable[[Inputs], Formula]) -> Callable[[Inputs], Formula]:
        STRATEGIES[key] = Strategy(key, family, title, unit, baseline, cheat, function, also)
        return function

    return register


# ---------------------------------------------------------------- shared pieces


def _fees(i: Inputs) -> tuple[float, float]:
    return i.p["protocolFeeBps"] / BPS, i.p["verifierFeeBps"] / BPS


def _w(i: Inputs) -> float:
    return i.p["whistleblowerRewardBps"] / BPS


def _t(i: Inputs) -> float:
    return i.p["tenantCompensationBps"] / BPS


def _collateral(i: Inputs, model: str, units: int = 1) -> float:
    return usd(i.collateral[model] * units)


def _job_collateral(i: Inputs, model: str, price: int) -> float:
    """A job's collateral: its unit's catalogue collateral or `jobCollateralBps` of its price, the larger."""
    return max(_collateral(i, model), i.p["jobCollateralBps"] / BPS * usd(price))


def _lazy_share(i: Inputs, C: float) -> float:
    """What a winning challenger takes of the bond of a verifier that vouched for a wrong result (a
    colluding one: a lazy one cannot attest): w·B_v, at most the treasury's share of the slash
    (1 − t)·C. A job's slash itself pays no finder (property 5)."""
    return min(_w(i) * usd(i.p["verifierBond"]), (1 - _t(i)) * C)


def whistle_detection(i: Inputs) -> float:
    """d_w = 1 − (1 − q)^W: some whistleblower re-executes a result a verifier attested."""
    return 1 - (1 - i.check_rate) ** i.whistleblowers


def sample(i: Inputs) -> float:
    """s: the share of results the hash of their block draws for verification."""
    return i.p["verificationSampleBps"] / BPS


def sampled_pay(i: Inputs, price: int) -> float:
    """What a drawn job's verifier is paid: v/s of the price (from the pool, which holds it in expectation)."""
    return i.p["verifierFeeBps"] / i.p["verificationSampleBps"] * usd(price)


def detection(i: Inputs) -> float:
    """d = s: a drawn job is claimed by an honest verifier (a lazy one cannot attest), which disputes
    a wrong result; whistleblowers check attested results, and a cheat's result is never attested
    valid but by a colluder."""
    return sample(i)


SOLVE_GAS = ("submit_result",)
DISPUTE_GAS = ("reveal", "prove_step")


# ---------------------------------------------------------------- solvers


@strategy("solver-honest", "solver", "Honest solver", "job")
def solver_honest(i: Inputs) -> Formula:
    f, v = _fees(i)
    P = usd(i.job_price)
    return Formula(
        f"(1 − f − v)·P − k·P − gas = (1 − {f} − {v})·{P:g} − {COMPUTE_COST_SHARE}·{P:g} − gas",
        (1 - f - v) * P - COMPUTE_COST_SHARE * P - i.g(*SOLVE_GAS),
    )


@strategy("solver-cheat", "solver", "Cheating solver (wrong result, no compute)", "job", "solver-honest", True)
def solver_cheat(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, C, d = usd(i.job_price), _job_collateral(i, i.job_model, i.job_price), detection(i)
    return Formula(
        f"(1 − d)·(1 − f − v)·P − d·C, d = s = {d:.3f} (a drawn job's claimant re-executes it and disputes a "
        f"wrong result; an undrawn one is attested by nobody, so no whistleblower checks it), C = {C:g}",
        (1 - d) * (1 - f - v) * P - d * C - i.g(*SOLVE_GAS),
    )


@strategy(
    "solver-self-report",
    "solver",
    "Cheating solver front-running its own whistleblower",
    "job",
    "solver-honest",
    True,
    also="solver-cheat",
)
def solver_self_report(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, C, d = usd(i.job_price), _job_collateral(i, i.job_model, i.job_price), detection(i)
    return Formula(
        f"(1 − s)·(1 − f − v)·P − s·C: its second account front-runs the sampled verifier's dispute and gets "
        f"no finder's share of the slash, and no lazy verifier's bond is left to take (a lazy one cannot "
        f"attest); s = {d:.3f}. Against honest play it loses what `solver-cheat` loses; against being caught "
        "(`solver-cheat`, property 5: a self-report must lose as much) it differs by the gas of its challenge",
        (1 - d) * (1 - f - v) * P - d * C - i.g(*SOLVE_GAS) - d * i.g("challenge"),
    )


@strategy(
    "solver-grief",
    "solver",
    "Burning an honest verifier's bond: self-challenge, never reveal",
    "job",
    "solver-honest",
    True,
)
def solver_grief(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, C, s = usd(i.job_price), _job_collateral(i, i.job_model, i.job_price), sample(i)
    Bc = usd(i.p["challengeBond"])
    k = COMPUTE_COST_SHARE
    defended = (1 - f - v - k) * P - Bc
    burnt = -C - k * P
    return Formula(
        f"s·((1 − f − v − k)·P − B_c) + (1 − s)·(−C − k·P), s = {s:.3f}: on a drawn job the verifier that "
        f"attested it holds the trace, reveals for the silent solver and the challenger loses its bond "
        f"B_c = {Bc:g} ({defended:g}); on the others no verifier's bond is there to burn and the silent solver "
        f"is slashed ({burnt:g})",
        s * defended + (1 - s) * burnt - i.g(*SOLVE_GAS, "challenge"),
    )


@strategy("solver-honest-big", "solver", "Honest solver of big jobs on small GPUs", "job")
def solver_honest_big(i: Inputs) -> Formula:
    f, v = _fees(i)
    P = usd(i.big_job_price)
    return Formula(
        f"(1 − f − v − k)·P_big − gas, P_big = {P:g}", (1 - f - v - COMPUTE_COST_SHARE) * P - i.g(*SOLVE_GAS)
    )


@strategy("solver-big-cheat", "solver", "Cheating on a big job over small collateral", "job", "solver-honest-big", True)
def solver_big_cheat(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, C, d = usd(i.big_job_price), _job_collateral(i, i.big_job_model, i.big_job_price), detection(i)
    k = COMPUTE_COST_SHARE
    return Formula(
        f"(1 − d)·(1 − f − v)·P_big − d·C_big, P_big = {P:g}, C_big = max(catalogue, jobCollateralBps·P_big) = "
        f"{C:g}, d = {d:.3f}; beats honest play while d < k·P/((1 − f − v)·P + C) = "
        f"{k * P / ((1 - f - v) * P + C):.3f}",
        (1 - d) * (1 - f - v) * P - d * C - i.g(*SOLVE_GAS),
    )


@strategy(
    "solver-collude", "solver", "Cheating solver with a colluding verifier (the pair)", "job", "solver-honest", True
)
def solver_collude(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, C, dw, s = usd(i.job_price), _job_collateral(i, i.job_model, i.job_price), whistle_detection(i), sample(i)
    B, pay = usd(i.p["verifierBond"]), sampled_pay(i, i.job_price)
    paid = (1 - f - v) * P
    return Formula(
        f"(1 − s)·(1 − f − v)·P + s·((1 − d_w)·((1 − f − v)·P + (v/s)·P) − d_w·(C + B_v)): on a drawn job its "
        f"second account claims first and attests with the solver's trace (the pair also takes the "
        f"verifier's pay {pay:g}) and a whistleblower catches it with d_w = 1 − (1 − q)^W = {dw:.3f}; "
        f"s = {s:.3f}, B_v = {B:g}",
        (1 - s) * paid + s * ((1 - dw) * (paid + pay) - dw * (C + B)) - i.g(*SOLVE_GAS) - s * i.g("claim_and_attest"),
    )


# ---------------------------------------------------------------- verifiers and whistleblowers


@strategy("verifier-honest", "verifier", "Honest verifier, honest solvers (cheat rate 0)", "attestation")
def verifier_honest(i: Inputs) -> Formula:
    _, v = _fees(i)
    P, s = usd(i.job_price), sample(i)
    return Formula(
        f"per drawn job it claims: (v/s − k)·P − gas = ({v}/{s:g} − {COMPUTE_COST_SHARE})·{P:g} − gas "
        "(paid from the verifier pool, which every job's levy v·P funds)",
        sampled_pay(i, i.job_price) - COMPUTE_COST_SHARE * P - i.g("claim_and_attest"),
    )


@strategy(
    "verifier-lazy",
    "verifier",
    "Lazy verifier, honest solvers (attests valid unread)",
    "attestation",
    "verifier-honest",
    True,
)
def verifier_lazy(i: Inputs) -> Formula:
    return Formula(
        "0 − gas: without the trace it has no spot proof and no claim, so its attest(valid) reverts "
        "(JobMarket_NotClaimant; a claim without the proof only loses B_v to the pool)",
        -i.g("attest"),
    )


def _mix(mix: dict[str, int], values: dict[str, float]) -> float:
    total = sum(mix.values())
    return sum(values.get(key, 0.0) * n for key, n in mix.items()) / total if total else 0.0


def wrong_share(mix: dict[str, int]) -> float:
    """The share of a pool's claimed results that were wrong (re-executed for nothing)."""
    total = sum(n for key, n in mix.items() if not key.endswith("/sr"))
    return sum(n for key, n in mix.items() if "/wrong" in key and not key.endswith("/sr")) / total if total else 0.0


def break_even_cheat_rate(i: Inputs) -> float:
    """The share of wrong results above which claiming a drawn job does not pay: (1 − q)·(v/s)·P = k·P."""
    return 1 - COMPUTE_COST_SHARE * sample(i) / (i.p["verifierFeeBps"] / BPS)


@strategy("sentinel-honest", "verifier", "Honest verifier of the whole market (cheaters' jobs included)", "claim")
def sentinel_honest(i: Inputs) -> Formula:
    P, w, k = usd(i.job_price), _w(i), COMPUTE_COST_SHARE
    pay = sampled_pay(i, i.job_price)
    values = {
        "regular/right": pay - k * P,
        "regular/wrong": -k * P,
        "regular/wrong/sr": 0.0,
        "regular/right/grief": pay - k * P + w * usd(i.p["challengeBond"]),
    }
    q = wrong_share(i.sentinel_mix)
    return Formula(
        f"per drawn standard job it claims, before it knows the result: a right one (v/s − k)·P = "
        f"{values['regular/right']:g}, a wrong one −k·P = {values['regular/wrong']:g} (it attests invalid and "
        f"wins: its bonds back, no pay, which a cheater's own claimant would take: property 5), a griefed right "
        f"one it defends (v/s − k)·P + w·B_c = {values['regular/right/grief']:g}, a self-reporter's (its claim "
        "front-run: nothing re-executed) 0; across the pool (1 − q)·(v/s)·P − k·P, "
        f"q = {q:.3f} the share of wrong results it claimed in this run, positive while q < 1 − k·s/v = "
        f"{break_even_cheat_rate(i):.3f}",
        _mix(i.sentinel_mix, values) - i.g("claim_verification", "attest"),
    )


@strategy(
    "sentinel-lazy",
    "verifier",
    "Lazy verifier of the whole market (attests valid unread)",
    "claim",
    "sentinel-honest",
    True,
)
def sentinel_lazy(i: Inputs) -> Formula:
    return Formula(
        "0 − gas whatever the result: it cannot attest without the trace (no claim, no spot proof), so it "
        "vouches for no wrong result and earns no pay",
        -i.g("attest"),
    )


@strategy("verifier-big", "verifier", "Honest verifier of big jobs (this run's big cheats included)", "claim")
def verifier_big(i: Inputs) -> Formula:
    Pb, k = usd(i.big_job_price), COMPUTE_COST_SHARE
    values = {"big/right": sampled_pay(i, i.big_job_price) - k * Pb, "big/wrong": -k * Pb}
    q = wrong_share(i.big_mix)
    return Formula(
        f"per drawn big job it claims: a right one (v/s − k)·P_big = {values['big/right']:g}, a wrong one "
        f"−k·P_big = {values['big/wrong']:g}; q = {q:.3f} of the big results it claimed were wrong in this run "
        f"(the run gives the big cheat the volume its interval needs), above the break-even "
        f"{break_even_cheat_rate(i):.3f}: a market with this many cheats does not pay its verifiers, one "
        "at the equilibrium's (none) pays (v/s − k)·P_big",
        _mix(i.big_mix, values) - i.g("claim_verification", "attest"),
    )


@strategy("whistleblower", "verifier", "Whistleblower checking a share q of attested results", "check")
def whistleblower(i: Inputs) -> Formula:
    P, C = usd(i.job_price), _job_collateral(i, i.job_model, i.job_price)
    share = _lazy_share(i, C)
    c = i.checked_wrong_share
    return Formula(
        f"c_a·min(w·B_v, (1 − t)·C) − k·P per check: a job's slash pays no finder, a catch pays the colluding "
        f"verifier's bond share ({share:g}); c_a = {c:.3f} the share of the results it checked that were wrong "
        "in this run; "
        f"pays only while c_a > k·P / (w·B_v) = {COMPUTE_COST_SHARE * P / share:.2f}",
        c * share - COMPUTE_COST_SHARE * P - c * i.g("challenge"),
    )


# ---------------------------------------------------------------- tenants


@strategy("tenant-honest", "tenant", "Honest tenant (a job's result worth what it pays)", "job")
def tenant_honest(i: Inputs) -> Formula:
    return Formula(
        "V − (P + m + b) − gas, V = P + m + b (the price, match fee and settle bounty it pays)",
        -i.g("publish_job_terms", "create_request"),
    )


@strategy("tenant-exposed", "tenant", "Tenant whose jobs meet cheating solvers", "job")
def tenant_exposed(i: Inputs) -> Formula:
    m, b = usd(i.p["matchFee"]), usd(i.p["settleBounty"])
    C = _job_collateral(i, i.job_model, i.job_price)
    return Formula(
        "(1 − d)·(0 − (P + m + b)) + d·(t·C − m − b) for a standard cheater's job (the run also sends it "
        "colluders', griefers' and big jobs): a wrong result is worth nothing, a caught one refunds and compensates",
        (1 - detection(i)) * -(usd(i.job_price) + m + b) + detection(i) * (_t(i) * C - m - b),
    )


@strategy("solver-victim", "solver", "Honest solver the tenant attacks target", "job")
def solver_victim(i: Inputs) -> Formula:
    f, v = _fees(i)
    P, w, Bc, fee, a = usd(i.job_price), _w(i), usd(i.p["challengeBond"]), usd(i.p["arbiterFee"]), i.voted_void_share
    voided = (1 - f - v - COMPUTE_COST_SHARE) * P + w * (Bc - a * fee)
    return Formula(
        "self-challenged by the tenant (the infeasible jobs never reach it: its job policy refuses them), paid "
        f"after the vote (none, or a committee's on a share a = {a:.2f}) with w of the bond less the arbiters' fee: "
        f"(1 − f − v − k)·P + w·(B_c − a·fee) = {voided:g}",
        voided - i.g("submit_result", "reveal", "reveal"),
    )


@strategy(
    "tenant-infeasible",
    "tenant",
    "Infeasible job terms (2^24 steps in 60 s), then cancel",
    "job",
    "tenant-honest",
    True,
)
def tenant_infeasible(i: Inputs) -> Formula:
    return Formula(
        "−gas: every offer's job policy refuses the terms, the pair is skipped (JOB_TERMS_REFUSED) and the tenant "
        "cancels its request for the whole deposit; it pays the gas of the trap and of the cancel",
        -i.g("publish_job_terms", "create_request", "cancel_request"),
    )


@strategy("arbiter-honest", "verifier", "Honest arbiter (re-executes, votes, claims)", "vote")
def arbiter_honest(i: Inputs) -> Formula:
    fee, n, P = usd(i.p["arbiterFee"]), max(1, i.arbiters), usd(i.job_price)
    k = COMPUTE_COST_SHARE
    return Formula(
        f"fee/n − k·P − gas per vote with a unanimous committee of n = {n} (its bond B_a = "
        f"{usd(i.p['arbiterBond']):g} back): {fee:g}/{n} − {k * P:g}; an absent arbiter earns 0, so the committee "
        f"is paid to vote only while fee/n > k·P (the re-execution of the disputed prefix, here the whole job)",
        fee / n - k * P - i.g("vote_on_step", "claim_arbiter_pay"),
    )


@strategy(
    "tenant-void",
    "tenant",
    "Self-challenge of an arbiter-mode job, hoping for no vote",
    "job",
    "tenant-honest",
    True,
)
def tenant_void(i: Inputs) -> Formula:
    Bc = usd(i.p["challengeBond"])
    return Formula(
        f"V − (P + m + b) − B_c − gas (a vote for the solver or no majority: the job is paid, the bond lost; "
        f"the verifier levy funds the pool whether or not a verifier attested) = −{Bc:g} − gas",
        -Bc - i.g("publish_job_terms", "create_request", "challenge", "respond", "respond"),
    )


# ---------------------------------------------------------------- providers, matchers, farmers, settlers


def _lease_pay(i: Inputs, price: int, hours: float | None = None) -> float:
    f, _ = _fees(i)
    return (1 - f) * usd(price) * (i.lease_hours_mean if hours is None else hours)


def _bonds(i: Inputs) -> float:
    """An answered liveness challenge pays the challenger's bond to the provider."""
    return i.challenges_per_lease * usd(i.p["livenessBond"]) - i.challenges_per_lease * i.g("respond_liveness")


@strategy("provider-honest", "provider", "Honest provider", "lease")
def provider_honest(i: Inputs) -> Formula:
    return Formula(
        f"(1 − f)·p·H̄ + n_c·b_live = (1 − {_fees(i)[0]})·{usd(i.lease_price):g}·{i.lease_hours_mean:g} + "
        f"{i.challenges_per_lease:g}·{usd(i.p['livenessBond']):g} "
        "(a challenger's bond goes to the provider that answers)",
        _lease_pay(i, i.lease_price) + _bonds(i),
    )


@strategy(
    "provider-dark-bot", "provider", "Dark GPU, live key (re-lets, a bot answers)", "lease", "provider-honest", True
)
def provider_dark_bot(i: Inputs) -> Formula:
    C = _collateral(i, "nvidia-a100-80gb")
    s = i.p["livenessSlashBps"] / BPS
    h = 2  # the first challenge's hour (leases.LIVENESS_HOURS)
    S = LIVENESS_SPOT_CHECKS
    return Formula(
        f"the bot must answer with the capacity proof for the challenge's seed; without the GPU in the window it "
        f"computes a share φ of the leaves (φ = 0.01 modelled) and passes the {S} spot checks with φ^{S} ≈ 0: "
        f"refused, then slashed like an offline provider: (1 − f + r)·p·{h} − s_live·C − gas(refused answer) "
        f"= (1 − f + r)·p·{h} − {s * C:g} − gas",
        _lease_pay(i, i.lease_price, h) + RELET_SHARE * usd(i.lease_price) * h - s * C - i.g("respond_liveness"),
    )


@strategy(
    "provider-dark-timeshare",
    "provider",
    "Dark GPU, taken back for each proof (re-lets, answers every challenge with the work)",
    "lease",
    "provider-honest",
    True,
)
def provider_dark_timeshare(i: Inputs) -> Formula:
    D = 1  # leases.TIMESHARE_DETECT_HOUR: the tenant keeper's detection, challenge and close
    t_p = 60 / 3600  # leases.PROOF_SECONDS: the re-let renter's lost service per proof
    f, _ = _fees(i)
    return Formula(
        f"the tenant's keeper finds the workload unreachable, challenges at hour D = {D} and closes; the provider "
        "takes the GPU back to answer, and the tenant's bond goes back to the tenant (a tenant's check of its own "
        "lease pays the provider nothing beyond the lease); the GPU stays re-let for the GPU-hours an honest lease "
        "holds: (1 − f)·p·D + r·p·(H̄ − t_p) − gas(respondLiveness), t_p = 60 s",
        (1 - f) * usd(i.lease_price) * D
        - i.g("respond_liveness")
        + RELET_SHARE * usd(i.lease_price) * (i.lease_hours_mean - t_p),
    )


@strategy(
    "provider-dark-offline", "provider", "Dark provider, offline (answers nothing)", "lease", "provider-honest", True
)
def provider_dark_offline(i: Inputs) -> Formula:
    C = _collateral(i, "nvidia-a100-80gb")
    s = i.p["livenessSlashBps"] / BPS
    h = 2  # the first challenge's hour (leases.LIVENESS_HOURS)
    return Formula(
        f"paid and re-let until the first challenge (hour {h}), then s_live·C = {s}·{C:g} slashed: "
        f"(1 − f + r)·p·{h} − {s * C:g}",
        _lease_pay(i, i.lease_price, h) + RELET_SHARE * usd(i.lease_price) * h - s * C,
    )


@strategy(
    "provider-frontrun",
    "provider",
    "Front-running the tenant's close with a liveness challenge",
    "lease",
    "provider-honest",
    True,
)
def provider_frontrun(i: Inputs) -> Formula:
    extra = -0.5 * i.g("challenge_liveness")
    return Formula(
        "honest − e·gas(challengeLiveness), e = 0.5 the share of leases the tenant closes early: the close calls "
        f"the challenge off (bond back, no slash, paid to the challenge's time, the close's block): {extra:+.5f}",
        _lease_pay(i, i.lease_price) + _bonds(i) + extra,
    )


@strategy("matcher-honest", "matcher", "Honest matcher (cheapest feasible offer)", "lease")
def matcher_honest(i: Inputs) -> Formula:
    return Formula("m − gas(match)/pairs", usd(i.p["matchFee"]))


@strategy(
    "matcher-steering",
    "matcher",
    "Steering matcher (its own offer at the tenant's ceiling)",
    "lease",
    "matcher-honest",
    True,
)
def matcher_steering(i: Inputs) -> Formula:
    f, _ = _fees(i)
    s = 1 - i.min_reputation_share
    over = usd(i.ceiling_price - i.lease_price) * i.lease_hours
    value = usd(i.ceiling_price) * i.lease_hours
    R = usd(i.challenger_reward)
    return Formula(
        f"m + s·((1 − f)·p_max·H̄ + n_c·b_live − (p_max − p)·H − R − p_max·H), s = {s:.2f} the share it can steer "
        f"(its provider lacks the reputation some requests ask); a match-watcher's challenge takes from its bond "
        f"the tenant's overpayment over the duration, (p_max − p)·H = {over:.2f}, the reward R = {R:g} and, to the "
        f"treasury, the lease's whole value p_max·H = {value:.2f}: more than its provider can be paid by the lease, "
        "whose whole margin the model counts to the steerer (serving costs nothing here). The bond always pays the "
        "value: a matcher may match at most half its active bond of value per challenge window (the exposure cap, "
        "EXPOSURE_CAP), so steering more volume than its bond can disgorge is refused, not paid",
        usd(i.p["matchFee"]) + s * ((1 - f) * usd(i.ceiling_price) * i.lease_hours_mean + _bonds(i) - over - R - value),
    )


@strategy("match-watcher", "matcher", "Match watcher (challenges dominated matches)", "challenge")
def match_watcher(i: Inputs) -> Formula:
    return Formula(
        f"R − gas per challenge won = {usd(i.challenger_reward):g} − gas",
        usd(i.challenger_reward) - i.g("challenge_match"),
    )


@strategy(
    "farmer",
    "provider",
    "Reputation farmer (paid self-leases to the reputation requests ask)",
    "provider",
    "provider-new",
    True,
)
def farmer(i: Inputs) -> Formula:
    fees = usd(fees_to_reach(i.min_reputation))
    cost = farm_cost(i)
    won = i.rep_leases_per_farmer
    return Formula(
        f"n_rep·((1 − f)·p·H̄ + n_c·b_live) − cost to {i.min_reputation:,}; n_rep = {won:g} leases asking a "
        f"reputation only it has; reputation grows with the protocol fees a provider's leases paid "
        f"({usd(FEES_TO_CAP):,.0f} USD from {BASE_SCORE:,} to the cap), so cost = "
        f"({i.min_reputation:,} − {BASE_SCORE:,}) / {MAX_SCORE - BASE_SCORE:,} × {usd(FEES_TO_CAP):,.0f} + "
        f"{FARM_LEASES} × (m + gas) = {fees:,.2f} + {cost - fees:.2f} (its pay comes back, the fee does not; "
        "self-answered challenges do not count)",
        won * (_lease_pay(i, i.lease_price) + _bonds(i)) - cost,
    )


def farm_cost(i: Inputs) -> float:
    """USD a farmer spends to reach the reputation the gated requests ask: the protocol fees that
    buy it (the rest of its self-leases' pay comes back to it), a match fee per self-lease and its
    gas (the request and the close)."""
    per_lease = usd(i.p["matchFee"]) + i.g("create_request", "close_lease")
    return usd(fees_to_reach(i.min_reputation)) + FARM_LEASES * per_lease


@strategy("provider-new", "provider", "New honest provider (no history)", "provider")
def provider_new(i: Inputs) -> Formula:
    return Formula("its leases' pay; no reputation beyond its own outcomes", 0.0)


@strategy(
    "settler-jobs", "settler", "Third-party settler of jobs (finalizeJob, resolveVote, claimTimeout)", "settlement"
)
def settler_jobs(i: Inputs) -> Formula:
    return Formula(
        f"bounty − gas per settlement = {usd(i.p['settleBounty'])} − gas (a game the solver wins pays it "
        "from the losing bond)",
        usd(i.p["settleBounty"]) - i.g("finalize_job"),
    )


@strategy("settler-leases", "settler", "Third-party settler of leases (closeLeases)", "settlement")
def settler_leases(i: Inputs) -> Formula:
    return Formula(f"bounty − gas per lease = {usd(i.p['settleBounty'])} − gas", usd(i.p["settleBounty"]))


@strategy("tenant-renter", "tenant", "Tenant renting a GPU", "lease")
def tenant_renter(i: Inputs) -> Formula:
    return Formula(
        "−(p·H̄ + m) − gas, the service worth what it costs (not valued here)",
        -(usd(i.lease_price) * i.lease_hours_mean + usd(i.p["matchFee"])) - i.g("create_request"),
    )


@strategy("watcher", "verifier", "Liveness watcher (challenges live leases)", "challenge")
def watcher(i: Inputs) -> Formula:
    C = _collateral(i, "nvidia-a100-80gb")
    s = i.p["livenessSlashBps"] / BPS
    b = usd(i.p["livenessBond"])
    return Formula(
        f"o·w·s_live·C − (1 − o)·b_live − gas per challenge, o = {i.offline_share:.3f} the share of challenged "
        f"providers offline in this run: +{_w(i) * s * C:g} for an offline one, −{b:g} for an online one",
        i.offline_share * _w(i) * s * C - (1 - i.offline_share) * b - i.g("challenge_liveness"),
    )
