"""The long stateful campaign: `python -m scripts.fuzz --steps 50000 --seed 1` (`make fuzz`).

Starts its own Anvil, deploys the protocol, walks `--steps` random steps from `--seed` checking
every invariant of PROTOCOL.md §7 after each (scripts/campaign/, docs/campaign.md), printing
progress (rate, time left, the walk's digest) as it goes, then how many steps and calls of each
function it executed. The walk starts at a fixed timestamp on its fresh chain, so one seed gives
one walk: the same digest at every progress line on every run.

Exit codes: 0 no violation; 1 an invariant violation (a protocol finding), with the seed, the
step, the digest and the command that replays it; 3 a harness error (the chain did not serve a
receipt, block or view in time), which says nothing about the protocol.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time

from rich.console import Console
from rich.table import Table

from keepers.devchain import Anvil
from scripts.campaign import (
    FUNCTIONS,
    ONE_SHOT,
    Campaign,
    CampaignFailure,
    Stats,
    succeeded,
    without_undo_snapshots,
)
from scripts.campaign.constants import ACCOUNTS, CHEATING_MUST_LOSE, USD
from scripts.campaign.coverage import gaps
from scripts.localchain import HarnessError, brownie_on_anvil

PROGRESS_EVERY = 1000
# The fresh chain's genesis (2026-01-01 00:00 UTC) and the walk's first block one second later:
# fixed, so a walk's timestamps, and with them its gas and digest, are the same on every run.
GENESIS_TIME = 1_767_225_600
EXIT_VIOLATION = 1
EXIT_HARNESS = 3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="steps to walk (default 50,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the walk (default 1)")
    parser.add_argument(
        "--progress-every",
        type=int,
        default=PROGRESS_EVERY,
        help=f"steps between progress lines (default {PROGRESS_EVERY:,})",
    )
    parser.add_argument(
        "--cheating-must-lose",
        action=argparse.BooleanOptionalAction,
        default=CHEATING_MUST_LOSE,
        help="fail the walk (exit 1) when a cheating class profits against honest play (the default); "
        "--no-cheating-must-lose only reports it",
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.progress_every < 1:
        parser.error("--progress-every must be at least 1")
    return args


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def progress_line(step: int, steps: int, elapsed: float, walking: float, digest: str) -> str:
    """One progress line: steps done, wall time, the walk's rate since its set-up and the time left
    at that rate, and the digest of the walk so far (compare it between two runs of one seed)."""
    rate = step / walking if walking > 0 else 0.0
    left = f"~{_duration((steps - step) / rate)} left" if rate else "time left unknown"
    return (
        f"step {step:,}/{steps:,} ({100 * step // steps} %), {elapsed:.0f} s, {rate:.1f} steps/s, {left}, "
        f"digest {digest}"
    )


def report(console: Console, stats: Stats, seconds: float, gas_worst: dict) -> None:
    table = Table(
        title=f"{stats.steps} steps in {seconds:.0f} s: {stats.checks} invariant checks, "
        f"{stats.time_moves} time moves, {stats.slashes} slashes ({stats.self_reports} self-reported)"
    )
    table.add_column("function")
    table.add_column("ok", justify="right")
    table.add_column("via a market", justify="right")
    table.add_column("refused as expected", justify="right")
    for name in FUNCTIONS:
        note = " (cannot succeed)" if name in ONE_SHOT else ""
        table.add_row(name + note, str(stats.ok[name]), str(stats.indirect[name] or ""), str(stats.reverted[name]))
    table.add_row(
        "all calls", str(sum(stats.ok.values())), str(sum(stats.indirect.values())), str(sum(stats.reverted.values()))
    )
    console.print(table)
    errors = ", ".join(f"{name} {count}" for name, count in stats.errors.most_common())
    console.print(f"custom errors met: {errors}")
    console.print(
        f"token blocklist moves: {stats.blocklist_moves}; payouts the token refused, credited instead: "
        f"{stats.credits} ({stats.credited} units); credit claims: "
        f"{sum(stats.ok[f] for f in FUNCTIONS if f.endswith('.claimCredit'))}; whole-token pauses: "
        f"{stats.token_pauses}; match challenges won / refused: {stats.match_challenges} / "
        f"{stats.reverted['MatcherBonds.challengeMatch']}"
    )
    skips = ", ".join(f"{reason} x{count}" for reason, count in sorted(stats.skips.items()))
    console.print(f"match pairs skipped, by Registry.SkipReason: {skips or 'none'}")
    close_skips = ", ".join(f"{reason} x{count}" for reason, count in sorted(stats.close_skips.items()))
    console.print(f"batch-listed leases skipped, by Market.CloseSkipReason: {close_skips or 'none'}")
    missing = [f for f in FUNCTIONS if f not in ONE_SHOT and not succeeded(stats, f)]
    if missing:
        console.print(f"[yellow]never succeeded in this walk: {', '.join(missing)}")
    if gas_worst:
        kind, (over, base) = max(gas_worst.items(), key=lambda item: item[1][0] / item[1][1])
        console.print(f"gas: largest rise over an operation's early ceiling: {over} gas on {base} ({kind[0]})")


def coverage_line(campaign: Campaign) -> str:
    """When the walk had reached everything the quick pass asks for (coverage.py), or what it missed."""
    last = sorted(campaign.reached.items(), key=lambda item: item[1])[-3:]
    latest = "; the last: " + ", ".join(f"{name} at step {step:,}" for name, step in last) if last else ""
    if campaign.covered_at is not None:
        return f"coverage: everything reached by step {campaign.covered_at:,}{latest}"
    return f"coverage: not reached in {campaign.stats.steps:,} steps: {', '.join(gaps(campaign))}{latest}"


def cheating_verdict(row) -> str:
    if row.profits:
        return "[red]profits"
    if not row.units:
        return "not reached"
    return "loses" if row.gain < 0 else "even"


def report_cheating(console: Console, campaign: Campaign, rows: list, honest: dict) -> None:
    """The ghost books of each cheating class's profit against honest play, and which classes profit."""
    table = Table(title="cheating against honest play (ghost books, USD)")
    for column in ("cheating class", "against honest play", "per", "cheating"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.name,
            f"{row.gain / USD:+,.2f} over {row.units}",
            f"{row.per_unit / USD:+,.2f} per {row.unit}",
            cheating_verdict(row),
        )
    console.print(table)
    moves = ", ".join(f"{name} {count}" for name, count in sorted(campaign.stats.cheats.items()))
    console.print(
        f"cheating moves: {moves or 'none'}; honest verifiers' bonds burnt in abandoned disputes: "
        f"{campaign.burnt_verifier_bonds / USD:,.2f} USD; role grants and revocations mid-flight: "
        f"{campaign.stats.role_moves}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "other actors' own profit, for reference (USD, wealth now less at set-up): "
        + ", ".join(f"{name} {amount / USD:+,.2f}" for name, amount in honest.items()),
        highlight=False,
        soft_wrap=True,
    )
    paying = [row.name for row in rows if row.profits]
    verdict = f"no: {'; '.join(paying)} profit" if paying else "yes, no class reached profits"
    kind = "an invariant" if campaign.cheating_must_lose else "reported, not an invariant"
    console.print(f"cheating loses: {verdict} ({kind})", highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(file=sys.__stdout__)
    started = time.monotonic()
    failure = None
    campaign = None
    cheating = None
    anvil_args = ["--prune-history", "--timestamp", str(GENESIS_TIME)]
    try:
        with (
            Anvil(accounts=ACCOUNTS, extra_args=anvil_args) as anvil,
            brownie_on_anvil(anvil),
            contextlib.redirect_stdout(io.StringIO()),
            without_undo_snapshots(),
        ):
            campaign = Campaign(args.seed, start_time=GENESIS_TIME + 1, cheating_must_lose=args.cheating_must_lose)
            walk_started = time.monotonic()
            console.print(
                f"seed {args.seed}: set up in {walk_started - started:.0f} s, walking {args.steps:,} steps",
                highlight=False,
                soft_wrap=True,
            )

            def progress(c: Campaign) -> None:
                if c.step % args.progress_every == 0 or c.step == args.steps:
                    now = time.monotonic()
                    console.print(
                        progress_line(c.step, args.steps, now - started, now - walk_started, c.digest),
                        highlight=False,
                        soft_wrap=True,
                    )

            try:
                campaign.run(args.steps, on_step=progress)
            except (CampaignFailure, HarnessError) as exc:
                failure = exc
            finally:
                campaign.close()
                # The profit books name the contracts: read them while the chain is still up.
                cheating = campaign.class_profits(), campaign.honest_profits()
    except HarnessError as exc:  # before the walk (set-up) or while closing
        failure = exc
    if campaign is not None:
        report(console, campaign.stats, time.monotonic() - started, campaign.gas_worst)
        console.print(coverage_line(campaign), highlight=False, soft_wrap=True)
        if cheating is not None:
            report_cheating(console, campaign, *cheating)
    if isinstance(failure, CampaignFailure):
        console.print(f"[red]INVARIANT VIOLATION[/red] {failure}", highlight=False, soft_wrap=True)
        return EXIT_VIOLATION
    if failure is not None:
        console.print(
            f"[yellow]HARNESS ERROR[/yellow] (the harness, not the protocol) {failure}", highlight=False, soft_wrap=True
        )
        return EXIT_HARNESS
    console.print(
        f"[green]no violation in {campaign.stats.steps:,} steps (seed {args.seed}), walk digest {campaign.digest}",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def run(argv: list[str] | None = None) -> int:
    """`main`, with a node that stops answering altogether (killed, out of memory: the connection
    refused) reported as a harness error, exit 3, never as a violation's exit 1."""
    try:
        return main(argv)
    except OSError as exc:  # ConnectionError, requests' ConnectionError
        Console(file=sys.__stdout__).print(
            f"[yellow]HARNESS ERROR[/yellow] (the harness, not the protocol) the chain stopped answering: {exc}",
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_HARNESS


if __name__ == "__main__":
    sys.exit(run())
