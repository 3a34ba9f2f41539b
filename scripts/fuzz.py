"""The long stateful campaign: `python -m scripts.fuzz --steps 50000 --seed 1` (`make fuzz`).

Starts its own Anvil, deploys the protocol, walks `--steps` random steps from `--seed` checking
every invariant of PROTOCOL.md §7 after each (scripts/campaign.py, docs/campaign.md), then
prints how many steps and calls of each function it executed. A violation exits 1 with the
seed, the step and the command that replays it.
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
    ONE_SHOT,
    Campaign,
    CampaignFailure,
    FUNCTIONS,
    Stats,
    succeeded,
    without_undo_snapshots,
)
from scripts.localchain import brownie_on_anvil

PROGRESS_EVERY = 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000, help="steps to walk (default 50,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the walk (default 1)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    return args


def report(console: Console, stats: Stats, seconds: float, gas_worst: dict) -> None:
    table = Table(title=f"{stats.steps} steps in {seconds:.0f} s: {stats.checks} invariant checks, "
                        f"{stats.time_moves} time moves, {stats.slashes} slashes ({stats.self_reports} self-reported)")
    table.add_column("function")
    table.add_column("ok", justify="right")
    table.add_column("via a market", justify="right")
    table.add_column("refused as expected", justify="right")
    for name in FUNCTIONS:
        note = " (cannot succeed)" if name in ONE_SHOT else ""
        table.add_row(name + note, str(stats.ok[name]), str(stats.indirect[name] or ""), str(stats.reverted[name]))
    table.add_row("all calls", str(sum(stats.ok.values())), str(sum(stats.indirect.values())),
                  str(sum(stats.reverted.values())))
    console.print(table)
    errors = ", ".join(f"{name} {count}" for name, count in stats.errors.most_common())
    console.print(f"custom errors met: {errors}")
    console.print(f"token blocklist moves: {stats.blocklist_moves}; payouts the token refused, credited instead: "
                  f"{stats.credits} ({stats.credited} units); credit claims: "
                  f"{sum(stats.ok[f] for f in FUNCTIONS if f.endswith('.claimCredit'))}")
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(file=sys.__stdout__)
    started = time.monotonic()
    failure = None
    with Anvil(accounts=24, extra_args=["--prune-history"]) as anvil, brownie_on_anvil(anvil), \
            contextlib.redirect_stdout(io.StringIO()), without_undo_snapshots():
        campaign = Campaign(args.seed)

        def progress(c: Campaign) -> None:
            if c.step % PROGRESS_EVERY == 0:
                console.print(f"step {c.step}/{args.steps}, {time.monotonic() - started:.0f} s", highlight=False)

        try:
            campaign.run(args.steps, on_step=progress)
        except CampaignFailure as exc:
            failure = exc
        finally:
            campaign.close()
    report(console, campaign.stats, time.monotonic() - started, campaign.gas_worst)
    if failure is not None:
        console.print(f"[red]INVARIANT VIOLATION[/red] {failure}", highlight=False)
        return 1
    console.print(f"[green]no violation in {campaign.stats.steps} steps (seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
