"""`leasehold`: the command line of the keepers.

Subcommands are added by `add_*_commands(subparsers)` functions, each setting
`handler` on its parser; `main` calls it. Operator errors print one line on
stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import requests

from keepers.config import load_config
from keepers.errors import KeeperError
from keepers.observability import make_logger
from keepers.roles import ROLES

EXIT_USAGE = 2


def add_keeper_commands(subparsers) -> None:
    keeper = subparsers.add_parser("keeper", help="run an off-chain keeper role")
    keeper_commands = keeper.add_subparsers(dest="keeper_command", required=True)
    run = keeper_commands.add_parser("run", help="run ROLE until SIGTERM or SIGINT")
    run.add_argument("role", choices=sorted(ROLES), metavar="ROLE", help=f"one of: {', '.join(sorted(ROLES))}")
    run.add_argument("--config", required=True, type=Path, help="keeper TOML file (see docs/keepers.md)")
    run.add_argument("--name", help="keeper name in logs (default: ROLE-PID)")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(handler=run_keeper)


def run_keeper(args: argparse.Namespace) -> int:
    config = load_config(args.config, os.environ)
    role = ROLES[args.role]
    name = args.name or f"{args.role}-{os.getpid()}"
    keeper = role(config, name=name, logger=make_logger(name, args.role, args.log_level))
    return keeper.run()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leasehold", description="Leasehold GPU compute market tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_keeper_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeeperError as error:
        print(str(error), file=sys.stderr)
    except requests.ConnectionError as error:
        print(f"node error: cannot reach the RPC endpoint: {error.request.url if error.request else error}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
