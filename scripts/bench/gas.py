"""Gas section of `make bench`: the rental lifecycle and the job happy path as one figure each,
beside the anchors, and every operation beside 1, 500 and 5,000 existing leases.

The measuring is scripts/gas.py's (`make gas` writes docs/gas.md from the same code). Gas is
deterministic: the same transactions on the same state use the same gas, so each figure is one
exact measurement, not a median; `runs` and `seed` do not change it and are recorded only.
"""

from __future__ import annotations

from scripts import gas

POPULATIONS = (1, 500, 5_000)
QUICK_POPULATIONS = (1, 20)
RATIO_AIM = 1.05

# Anchors quoted in issue 7. Sablier's figures are its own benchmarks, without the 21,000
# intrinsic gas of each transaction; iExec's is its cheapest job path as quoted.
SABLIER = {"create": 122_000, "withdraw": (23_000, 33_000), "cancel": 65_000}
IEXEC_JOB = 862_000


def sablier_lifecycle() -> dict:
    """Create, two withdrawals and a cancel: the stream counterpart of our rental lifecycle."""
    low = SABLIER["create"] + 2 * SABLIER["withdraw"][0] + SABLIER["cancel"]
    high = SABLIER["create"] + 2 * SABLIER["withdraw"][1] + SABLIER["cancel"]
    intrinsic = 4 * 21_000
    return {"without_intrinsic": [low, high], "with_intrinsic": [low + intrinsic, high + intrinsic]}


def run(seed: int, runs: int, quick: bool) -> dict:
    populations = list(QUICK_POPULATIONS if quick else POPULATIONS)
    measured = gas.run_all(populations)
    operations = {op: [r.gas[op] for r in measured] for op in measured[0].gas}
    ratios = {op: max(values) / min(values) for op, values in operations.items()}
    largest = max(ratios, key=ratios.get)
    return {
        "deterministic": True,
        "seed_used": False,
        "populations": populations,
        "rental_lifecycle": {
            "parts": {part: measured[0].gas[part] for part in gas.RENTAL_LIFECYCLE_PARTS},
            "total": measured[0].gas[gas.RENTAL_LIFECYCLE],
            "aim": gas.AIMS[gas.RENTAL_LIFECYCLE],
            "sablier": sablier_lifecycle(),
        },
        "job_happy_path": {
            "parts": {part: measured[0].gas[part] for part in gas.JOB_HAPPY_PATH_PARTS},
            "total": measured[0].gas[gas.JOB_HAPPY_PATH],
            "aim": gas.AIMS[gas.JOB_HAPPY_PATH],
            "iexec": IEXEC_JOB,
        },
        "operations": operations,
        "ratios": ratios,
        "largest_ratio": {"operation": largest, "ratio": ratios[largest], "aim": RATIO_AIM},
    }


def render(result: dict) -> str:
    rental, job = result["rental_lifecycle"], result["job_happy_path"]
    populations = result["populations"]
    sablier = rental["sablier"]
    lines = [
        "## Gas",
        "",
        "Every figure is a receipt's `gasUsed` on Anvil (cancun), intrinsic 21,000 included, in steady",
        "state (every party already holds tokens). Gas is deterministic, so each figure is one exact",
        "measurement rather than a median of runs, and the seed plays no part. The measuring code is",
        "`scripts/gas.py`; docs/gas.md has the per-operation explanations.",
        "",
        "| path | gas | aim | anchor |",
        "|---|---:|---:|---|",
        f"| rental lifecycle (request, match, two withdrawals, close) | {rental['total']:,} "
        f"| ≤ {rental['aim']:,} {_verdict(rental['total'], rental['aim'])} "
        f"| Sablier create + 2 withdrawals + cancel: {_span(sablier['with_intrinsic'])} with intrinsic gas "
        f"({_span(sablier['without_intrinsic'])} without) |",
        f"| job happy path (request, match, result, attestation, finalization) | {job['total']:,} "
        f"| ≤ {job['aim']:,} {_verdict(job['total'], job['aim'])} | iExec job, cheapest path: about {job['iexec']:,} |",
        "",
        "| rental lifecycle step | gas |",
        "|---|---:|",
        *[f"| {part} | {value:,} |" for part, value in rental["parts"].items()],
        "",
        "| job happy path step | gas |",
        "|---|---:|",
        *[f"| {part} | {value:,} |" for part, value in job["parts"].items()],
        "",
        "Every operation, each column a fresh deployment with that many offers and running leases",
        "already in place (PROTOCOL.md §7 invariant 10):",
        "",
        "| operation | " + " | ".join(f"{p:,} existing" for p in populations) + " | largest / smallest |",
        "|---|" + "---:|" * (len(populations) + 1),
    ]
    for operation, values in result["operations"].items():
        lines.append(
            f"| {operation} | " + " | ".join(f"{v:,}" for v in values) + f" | {result['ratios'][operation]:.3f} |"
        )
    worst = result["largest_ratio"]
    lines += [
        "",
        f"Largest ratio: {worst['ratio']:.3f} ({worst['operation']}); aim ≤ {worst['aim']:.2f}: "
        + ("met." if worst["ratio"] <= worst["aim"] else "MISSED."),
        "",
        "### Aims",
        "",
        _aim_line("Rental lifecycle", rental["total"], rental["aim"], gas.RENTAL_GAP),
        _aim_line("Job happy path", job["total"], job["aim"], gas.JOB_GAP),
    ]
    return "\n".join(lines) + "\n"


def _verdict(value: int, aim: int) -> str:
    return "met" if value <= aim else f"missed by {value - aim:,}"


def _span(pair: list[int]) -> str:
    return f"{pair[0]:,} to {pair[1]:,}"


def _aim_line(name: str, value: int, aim: int, why: str) -> str:
    if value <= aim:
        return f"- **{name}**: {value:,} ≤ {aim:,}, met."
    return f"- **{name}**: {value:,} against ≤ {aim:,}, missed by {value - aim:,}. {why}"
