"""`leasehold`: the command line of the keepers.

Subcommands are added by `add_*_commands(subparsers)` functions, each setting
`handler` on its parser; `main` calls it. Operator errors print one line on
stderr and exit with code 2 (one JSON object under `--json`). Every command that
sends checks its whole input and simulates each transaction before the first is
signed; `--dry-run` stops there and prints what would be sent.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table
from web3.exceptions import Web3Exception

from keepers.cli_tenant_delivery import add_tenant_delivery_commands, manifest_hash_of
from keepers.client import LeaseholdClient, LeaseInfo, OfferInfo, RequestInfo, RequestSpec, as_dict, connect
from keepers.config import load_config
from keepers.contracts.reverts import Refused, RevertDecoder
from keepers.contracts.token import Token
from keepers.contracts.transact import Transact
from keepers.contracts.types import MAX_REMATCHES
from keepers.errors import KeeperError
from keepers.observability import make_logger
from keepers.roles import ROLES
from keepers.roles.matcher import MatcherKeeper
from keepers.sender import TransactionSender

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr (`leasehold tenant request: error: ...`), exit code 2;
    one JSON object when the command line asks for `--json`."""

    json_errors = False  # set by `main` before parsing

    def error(self, message: str):
        text = f"{self.prog}: error: {message}"
        if OneLineParser.json_errors:
            self.exit(EXIT_USAGE, json.dumps({"error": text, "kind": "usage"}) + "\n")
        self.exit(EXIT_USAGE, text + "\n")


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


# ---------------------------------------------------------------- market commands: shared pieces

_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400}


_HUMAN_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*([A-Za-z][A-Za-z0-9]*)$")


class Amount:
    """A token amount as typed: a whole number of the token's smallest unit (`20000000`), or whole
    tokens with the token's symbol (`20tUSD`, `12.5 tUSD`, as Akash's `5000uakt`). Resolved to smallest
    units by `_client` once the token's decimals and symbol are read from the chain."""

    def __init__(self, text: str, token: str) -> None:
        self.text, self.token = text.strip(), token  # token: "payment" or "stake"
        if not self.text.isdigit() and _HUMAN_AMOUNT.match(self.text) is None:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an amount: a whole number of the token's smallest unit, or tokens with "
                "the token's symbol such as 20tUSD or 12.5tUSD"
            )

    def resolve(self, decimals: int, symbol: str) -> int:
        if self.text.isdigit():
            return int(self.text)
        number, unit = _HUMAN_AMOUNT.match(self.text).groups()
        if unit.lower() != symbol.lower():
            raise KeeperError(f"input error: {self.text!r} is in {unit}, but the {self.token} token is {symbol}")
        whole, _, fraction = number.partition(".")
        if len(fraction) > decimals:
            raise KeeperError(f"input error: {self.text!r} has more decimals than {symbol}'s {decimals}")
        return int(whole) * 10**decimals + int(fraction.ljust(decimals, "0") or 0)


def _amount(text: str) -> Amount:
    """A payment-token amount (see Amount)."""
    return Amount(text, "payment")


_STAKE_HELP = "stake token: smallest units, or e.g. 1000tUSD"


def _stake_amount(text: str) -> Amount:
    """A stake-token amount (see Amount)."""
    return Amount(text, "stake")


def _resolve_amounts(args: argparse.Namespace, client: LeaseholdClient) -> None:
    """Turns every Amount argument into smallest units of its token, before anything is sent."""
    for name, value in vars(args).items():
        if isinstance(value, Amount):
            token = Token(client.w3, client.stake_token if value.token == "stake" else client.payment_token)
            setattr(args, name, value.resolve(token.decimals(), token.symbol()))


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a non-negative whole number")
    return int(text)


def _duration(text: str) -> int:
    """Seconds, or a number with s, m, h or d: `90m`, `4h`, `7d`."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 3600, 90m, 4h or 7d")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def _common_options(*, sends: bool = False) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", required=True, type=Path, help="keeper TOML file: [chain] and [account]")
    common.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    common.add_argument("-v", "--verbose", action="store_true", help="log transactions on stderr")
    if sends:
        common.add_argument(
            "--dry-run",
            action="store_true",
            help="check and simulate everything, print what would be sent, send nothing",
        )
    return common


class DryRunSender:
    """Stands in for the sender under `--dry-run`: each call is simulated as the sender would (a revert
    is the same one-line refusal) and recorded; nothing is signed. A client method returns None."""

    dry_run = True

    def __init__(self, sender: TransactionSender) -> None:
        self.inner = sender
        self.plan: list[dict] = []

    @property
    def address(self) -> str:
        return self.inner.address

    def send(self, transact: Transact) -> None:
        to, data = self.inner._encode(transact)
        call = {"from": self.address, "to": to, "data": data, "value": transact.value}
        w3, decoder = self.inner.w3, RevertDecoder(transact.contract_abi)
        gas = self.inner._simulate(lambda: w3.eth.estimate_gas(call, "pending"), decoder, transact.label)
        return self.planned(transact, gas)

    def planned(self, transact: Transact, gas: int | None = None) -> None:
        """Records `transact` as a transaction that would be sent (`gas` None: simulated by eth_call only)."""
        fn = transact.function
        call = f"{fn.fn_name}({', '.join(_show_arg(arg) for arg in fn.args)})"
        self.plan.append({"label": transact.label, "to": fn.address, "call": call, "gas_estimate": gas})
        return None


def _show_arg(arg) -> str:
    return "0x" + bytes(arg).hex() if isinstance(arg, (bytes, bytearray)) else str(arg)


def _client(args: argparse.Namespace, *, with_account: bool = True) -> LeaseholdClient:
    level = logging.INFO if args.verbose else logging.CRITICAL + 1
    logger = make_logger("cli", args.command, level, stream=sys.stderr)
    client = connect(load_config(args.config, os.environ), os.environ, logger, with_account=with_account)
    if getattr(args, "dry_run", False) and client.sender is not None:
        client.sender = DryRunSender(client.sender)
    _resolve_amounts(args, client)
    return client


def _planned(args: argparse.Namespace, client: LeaseholdClient, **data) -> int:
    """The answer of a `--dry-run`: every transaction that would be sent, in order, each simulated."""
    plan = client.sender.plan

    def render(out: Console) -> None:
        if not plan:
            out.print("dry run: nothing to send")
        for step in plan:
            gas = f"~{step['gas_estimate']:,} gas" if step["gas_estimate"] else "simulated"
            out.print(f"dry run: would send {step['label']}: {step['call']} to {step['to']} ({gas})")

    return _emit(args, {"dry_run": True, "transactions": plan, **data}, render)


def _emit(args: argparse.Namespace, data: dict, render: Callable[[Console], None]) -> int:
    if args.json:
        print(json.dumps(data, default=str))
    else:
        # A pipe or a file gets wide tables rather than columns squeezed to 80 characters.
        render(Console(highlight=False, width=None if sys.stdout.isatty() else 200))
    return 0


class _Money:
    """Formats smallest units of a token for people: `12.500000 tUSD`."""

    def __init__(self, client: LeaseholdClient, token) -> None:
        token = Token(client.w3, token)
        self.decimals = token.decimals()
        self.symbol = token.symbol()

    def __call__(self, amount: int) -> str:
        return f"{self.plain(amount)} {self.symbol}"

    def plain(self, amount: int) -> str:
        """Whole tokens without trailing zeros, for table cells: `12.5`."""
        whole, fraction = divmod(amount, 10**self.decimals)
        digits = f"{fraction:0{self.decimals}d}".rstrip("0") if self.decimals else ""
        return f"{whole:,}.{digits}" if digits else f"{whole:,}"


def _iso(timestamp: int) -> str:
    """A unix time as UTC ISO 8601: `2026-12-03T23:48:00Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span(seconds: int) -> str:
    """A duration in its two largest units: `2 h 5 min`, `3 d 4 h`, `40 s`."""
    seconds = int(abs(seconds))
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if seconds >= size or (not parts and size == 1):
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts[:2])


def _time(timestamp: int, now: int | None = None) -> str:
    """UTC ISO 8601, with the time relative to the chain's `now` when given: `...Z (in 2 h 5 min)`."""
    if now is None:
        return _iso(timestamp)
    if timestamp == now:
        relative = "now"
    else:
        relative = f"in {_span(timestamp - now)}" if timestamp > now else f"{_span(now - timestamp)} ago"
    return f"{_iso(timestamp)} ({relative})"


def _hours(seconds: int) -> str:
    return f"{seconds / 3_600:g} h"


def _short(address: str) -> str:
    """An address people can tell apart in a table: 0x1234…abcd."""
    return f"{address[:6]}…{address[-4:]}"


def _table(title: str, columns: list[str], rows: list[list]) -> Table:
    table = Table(title=title, title_justify="left", show_header=any(columns))
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def _offers_table(title: str, offers: list[OfferInfo], money: _Money) -> Table:
    return _table(
        title,
        ["offer", "provider", "gpu model", "units", "in use", f"{money.symbol} / unit h", "max duration", "state"],
        [
            [
                o.offer_id,
                _short(o.provider),
                o.gpu_model,
                o.units,
                o.units_in_use,
                money.plain(o.price_per_unit_hour),
                _hours(o.max_duration_seconds),
                "removed" if o.removed else "paused" if o.paused else "open",
            ]
            for o in offers
        ],
    )


def _requests_table(title: str, requests_: list[RequestInfo], money: _Money, now: int) -> Table:
    """An open request's price is the tenant's maximum (shown `≤ x`); a matched one's is the offer's."""
    return _table(
        title,
        [
            "request",
            "tenant",
            "status",
            "gpu model",
            "min vRAM",
            "units",
            "region",
            f"{money.symbol} / unit h",
            "duration",
            "match deadline",
            f"escrow {money.symbol}",
            "re-match",
        ],
        [
            [
                r.request_id,
                _short(r.tenant),
                r.status,
                r.gpu_model or "any",
                r.min_vram_gb,
                r.units,
                r.region or "any",
                ("≤ " if r.status in ("OPEN", "EXPIRED") else "") + money.plain(r.price_per_unit_hour),
                _hours(r.duration_seconds),
                "-" if r.status == "MATCHED" else _time(r.match_deadline, now),
                money.plain(r.escrow),
                _rematch_cell(r.rematches_left, r.reopened_from, r.excluded_provider),
            ]
            for r in requests_
        ],
    )


def _rematch_cell(left: int, reopened_from: int, excluded: str) -> str:
    """Re-match, in a few words: the re-opens left and, for a re-opened request, where it came from."""
    parts = [f"{left} left"] if left else []
    if reopened_from:
        parts.append(f"from lease {reopened_from}, not {_short(excluded)}")
    return "; ".join(parts) or "-"


def lease_outlook(lease: LeaseInfo, now: int) -> dict:
    """What a tenant asks of a running lease: the time left, when its balance runs dry at this rate,
    and what closing it now refunds (the unstreamed balance and the settle bounty, both back to the
    tenant who closes). Empty for a settled lease. All times unix seconds on the chain's clock."""
    if lease.settled:
        return {}
    rate = lease.price_per_unit_hour * lease.units  # per hour
    runs_dry_at = lease.start_time + -(-lease.balance * 3_600 // rate) if rate else lease.end_time
    stops_at = min(lease.end_time, runs_dry_at)
    streamed = min(lease.balance, rate * max(0, min(now, stops_at) - lease.start_time) // 3_600)
    return {
        "time_left_seconds": max(0, stops_at - now),
        "runs_dry_at": runs_dry_at if runs_dry_at < lease.end_time else None,
        "refund_if_closed_now": lease.balance - streamed + lease.settle_bounty,
    }


def _lease_card(lease_info: LeaseInfo, money: _Money, now: int) -> Table:
    """One lease, one fact a line: what a tenant or provider asks first, first."""
    outlook = lease_outlook(lease_info, now)
    rows = [
        [
            "status",
            lease_info.status
            if lease_info.close_reason == "NONE"
            else f"{lease_info.status} ({lease_info.close_reason})",
        ],
        ["provider", lease_info.provider],
        ["tenant", lease_info.tenant],
        ["gpu", f"{lease_info.units} x {lease_info.gpu_model} in {lease_info.region or 'any region'}"],
        ["price", f"{money(lease_info.price_per_unit_hour)} / unit h"],
        ["started", _time(lease_info.start_time, now)],
        ["ends", _time(lease_info.end_time, now)],
    ]
    if outlook:
        rows += [
            ["time left", _span(outlook["time_left_seconds"])],
            [
                "runs dry",
                "not before it ends" if outlook["runs_dry_at"] is None else _time(outlook["runs_dry_at"], now),
            ],
            ["refund if closed now", f"{money(outlook['refund_if_closed_now'])} (settle bounty included)"],
        ]
    rows += [
        ["balance", money(lease_info.balance)],
        ["streamed so far", money(lease_info.accrued)],
        ["provider can withdraw", money(lease_info.withdrawable)],
        [
            "liveness challenge",
            f"open since {_time(lease_info.challenged_at, now)}" if lease_info.challenge_open else "none",
        ],
    ]
    if lease_info.rematches_left or lease_info.reopened_from:
        rows.append(
            [
                "re-match",
                (f"re-opened from lease {lease_info.reopened_from}; " if lease_info.reopened_from else "")
                + f"{lease_info.rematches_left} re-open(s) left if the provider fails it",
            ]
        )
    return _table(f"lease {lease_info.lease_id}", ["", ""], rows)


def _leases_table(title: str, leases: list[LeaseInfo], money: _Money, now: int) -> Table:
    rows = []
    for lease_info in leases:
        outlook = lease_outlook(lease_info, now)
        left = "-" if not outlook else _span(outlook["time_left_seconds"])
        dry = "-" if not outlook or outlook["runs_dry_at"] is None else _time(outlook["runs_dry_at"], now)
        refund = "-" if not outlook else money.plain(outlook["refund_if_closed_now"])
        rows.append(
            [
                lease_info.lease_id,
                lease_info.status
                if lease_info.close_reason == "NONE"
                else f"{lease_info.status} ({lease_info.close_reason})",
                _short(lease_info.provider),
                _short(lease_info.tenant),
                lease_info.gpu_model,
                lease_info.units,
                money.plain(lease_info.price_per_unit_hour),
                money.plain(lease_info.balance),
                money.plain(lease_info.accrued),
                money.plain(lease_info.withdrawable),
                _time(lease_info.end_time, now),
                left,
                dry,
                refund,
                "open" if lease_info.challenge_open else "-",
            ]
        )
    return _table(
        title,
        [
            "lease",
            "status",
            "provider",
            "tenant",
            "gpu model",
            "units",
            f"{money.symbol} / unit h",
            f"balance {money.symbol}",
            "accrued",
            "withdrawable",
            "ends",
            "time left",
            "runs dry",
            f"refund if closed now {money.symbol}",
            "challenge",
        ],
        rows,
    )


def _tx(result) -> dict:
    if result is None:  # --dry-run
        return {}
    return {"tx_hash": result.tx_hash, "block_number": result.block_number, "gas_used": result.gas_used}


# ---------------------------------------------------------------- provider


def add_provider_commands(subparsers) -> None:
    common, sending = _common_options(), _common_options(sends=True)
    provider = subparsers.add_parser("provider", help="register, stake and list GPU offers as a provider")
    commands = provider.add_subparsers(dest="provider_command", required=True)

    register = commands.add_parser("register", parents=[sending], help="register, or update region and endpoint")
    register.add_argument("--region", required=True, help="region code, e.g. eu-west")
    register.add_argument("--endpoint", required=True, help="advertised base URL (metadataURI); serves /health")
    register.set_defaults(handler=provider_register)

    stake = commands.add_parser("stake", parents=[sending], help="approve and stake AMOUNT stake tokens")
    stake.add_argument("--amount", required=True, type=_stake_amount, help=_STAKE_HELP)
    stake.set_defaults(handler=provider_stake)

    unstake = commands.add_parser(
        "unstake", parents=[sending], help="start unbonding AMOUNT of free stake (withdraw-unstaked after the delay)"
    )
    unstake.add_argument("--amount", required=True, type=_stake_amount, help=_STAKE_HELP)
    unstake.set_defaults(handler=provider_unstake)

    withdraw = commands.add_parser("withdraw-unstaked", parents=[sending], help="withdraw stake whose unbonding ended")
    withdraw.set_defaults(handler=provider_withdraw_unstaked)

    reclaim = commands.add_parser(
        "reclaim", parents=[sending], help="give a lease's tenant notice; close it once the notice is over"
    )
    reclaim.add_argument("lease_id", type=_count)
    reclaim.set_defaults(handler=provider_reclaim)

    offer = commands.add_parser("offer", help="add, update, pause, resume or remove an offer")
    offer_commands = offer.add_subparsers(dest="offer_command", required=True)
    add = offer_commands.add_parser("add", parents=[sending], help="list a GPU offer")
    add.add_argument("--gpu-model", required=True, help="catalogue id, e.g. nvidia-h100-80gb (market catalogue)")
    update = offer_commands.add_parser("update", parents=[sending], help="change an offer's terms")
    update.add_argument("offer_id", type=_count)
    for parser in (add, update):
        parser.add_argument("--units", required=True, type=_count)
        parser.add_argument(
            "--price", required=True, type=_amount, help="per unit per hour: smallest units, or e.g. 2.5tUSD"
        )
        parser.add_argument("--max-duration", required=True, type=_duration, help="e.g. 86400, 24h or 7d")
    add.set_defaults(handler=provider_offer_add)
    update.set_defaults(handler=provider_offer_update)
    for name, help_text in (
        ("pause", "stop new matches"),
        ("resume", "allow new matches"),
        ("remove", "remove for good"),
    ):
        action = offer_commands.add_parser(name, parents=[sending], help=help_text)
        action.add_argument("offer_id", type=_count)
        action.set_defaults(handler=provider_offer_action, action=name)

    status = commands.add_parser("status", parents=[common], help="stake, reputation, offers and leases")
    status.add_argument("--address", help="another provider (default: the config's account)")
    status.set_defaults(handler=provider_status)

    earnings = commands.add_parser("earnings", parents=[sending], help="withdrawable earnings per lease")
    earnings.add_argument("--withdraw", action="store_true", help="withdraw every lease's earnings")
    earnings.set_defaults(handler=provider_earnings)


def provider_register(args: argparse.Namespace) -> int:
    client = _client(args)
    info = client.provider_info(client.address)
    if not info.registered:
        action, result = "registered", client.register_provider(args.region, args.endpoint)
    elif (info.region, info.metadata_uri) != (args.region, args.endpoint):
        action, result = "updated", client.update_provider(args.region, args.endpoint)
    else:
        action, result = "unchanged", None
    if args.dry_run:
        return _planned(args, client, provider=client.address, action=action)
    data = {
        "provider": client.address,
        "action": action,
        "region": args.region,
        "endpoint": args.endpoint,
        **(_tx(result) if result else {}),
    }
    return _emit(
        args, data, lambda out: out.print(f"provider {client.address} {action}: {args.region} {args.endpoint}")
    )


def provider_stake(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.stake(args.amount)  # balance checked and stake simulated before any approval
    if args.dry_run:
        return _planned(args, client, provider=client.address, staked=args.amount)
    info = client.provider_info(client.address)
    money = _Money(client, client.stake_token)
    data = {"provider": client.address, "staked": args.amount, "free_stake": info.free_stake, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"staked {money(args.amount)}; free stake {money(info.free_stake)}"))


def provider_unstake(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.request_unstake(args.amount)
    if args.dry_run:
        return _planned(args, client, provider=client.address, amount=args.amount)
    info, now = client.provider_info(client.address), client.now()
    money = _Money(client, client.stake_token)
    data = {
        "provider": client.address,
        "amount": args.amount,
        "unbonding_stake": info.unbonding_stake,
        "unbonding_ready_at": info.unbonding_ready_at,
        **_tx(result),
    }
    return _emit(
        args,
        data,
        lambda out: out.print(
            f"unbonding {money(info.unbonding_stake)}; withdraw-unstaked from {_time(info.unbonding_ready_at, now)}"
        ),
    )


def provider_withdraw_unstaked(args: argparse.Namespace) -> int:
    client = _client(args)
    info, now = client.provider_info(client.address), client.now()
    if info.unbonding_stake == 0:
        raise KeeperError(f"stake error: {client.address} has no stake unbonding (provider unstake starts it)")
    if now < info.unbonding_ready_at:
        raise KeeperError(
            f"stake error: the unbonding stake is ready {_time(info.unbonding_ready_at, now)}; nothing was sent"
        )
    result = client.withdraw_unstaked()
    if args.dry_run:
        return _planned(args, client, provider=client.address, amount=info.unbonding_stake)
    money = _Money(client, client.stake_token)
    data = {"provider": client.address, "amount": info.unbonding_stake, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"withdrew {money(info.unbonding_stake)} of unbonded stake"))


def provider_reclaim(args: argparse.Namespace) -> int:
    """The first call gives notice (requestReclaim); once the notice is over, the same command closes."""
    client = _client(args)
    lease, now = client.lease(args.lease_id), client.now()
    if lease.reclaimable_at and now >= lease.reclaimable_at:
        action, result = "closed", client.close_lease(args.lease_id)
    elif lease.reclaimable_at:
        raise KeeperError(
            f"reclaim error: lease {args.lease_id}'s notice ends {_time(lease.reclaimable_at, now)}; "
            "run this again then to close it"
        )
    else:
        action, result = "notice given", client.request_reclaim(args.lease_id)
    if args.dry_run:
        return _planned(args, client, lease_id=args.lease_id, action=action)
    after = client.lease(args.lease_id)
    data = {"lease_id": args.lease_id, "action": action, "reclaimable_at": after.reclaimable_at, **_tx(result)}
    return _emit(
        args,
        data,
        lambda out: out.print(
            f"lease {args.lease_id}: {action}"
            + (f"; close it from {_time(after.reclaimable_at, client.now())}" if action == "notice given" else "")
        ),
    )


def _check_offer(client: LeaseholdClient, gpu_model: str) -> None:
    """Refuses, before anything is signed, a GPU model the catalogue does not list, naming those it does."""
    if not client.gpu_model(gpu_model).listed:
        listed = ", ".join(m.gpu_model for m in client.catalogue() if m.listed) or "none"
        raise KeeperError(f"offer error: {gpu_model!r} is not in the GPU catalogue (listed: {listed})")


def provider_offer_add(args: argparse.Namespace) -> int:
    client = _client(args)
    _check_offer(client, args.gpu_model)
    result = client.add_offer(args.gpu_model, args.units, args.price, args.max_duration)
    if args.dry_run:
        return _planned(args, client)
    offer_id = client.offer_id_of(result)
    return _emit(args, {"offer_id": offer_id, **_tx(result)}, lambda out: out.print(f"offer {offer_id} added"))


def provider_offer_update(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.update_offer(args.offer_id, args.units, args.price, args.max_duration)
    if args.dry_run:
        return _planned(args, client, offer_id=args.offer_id)
    return _emit(
        args, {"offer_id": args.offer_id, **_tx(result)}, lambda out: out.print(f"offer {args.offer_id} updated")
    )


def provider_offer_action(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.action == "remove":
        result, done = client.remove_offer(args.offer_id), "removed"
    else:
        result, done = client.pause_offer(args.offer_id, args.action == "pause"), f"{args.action}d"
    if args.dry_run:
        return _planned(args, client, offer_id=args.offer_id, action=done)
    data = {"offer_id": args.offer_id, "action": done, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"offer {args.offer_id} {done}"))


def provider_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=args.address is None)
    address = args.address or client.address
    info, now = client.provider_info(address), client.now()
    offers = client.offers_of(address, include_removed=True)
    leases = [lease for lease in client.leases_of(address) if lease.provider == info.address]
    stake_money, money = _Money(client, client.stake_token), _Money(client, client.payment_token)
    data = {
        **as_dict(info),
        "offers": [as_dict(o) for o in offers],
        "leases": [as_dict(lease_info) for lease_info in leases],
    }
    unbonding = stake_money(info.unbonding_stake) + (
        f" (ready {_time(info.unbonding_ready_at, now)})" if info.unbonding_stake else ""
    )

    def render(out: Console) -> None:
        if not info.registered:
            out.print(f"{address} is not a registered provider")
            return
        out.print(
            _table(
                f"provider {address}",
                ["", ""],
                [
                    ["region", info.region],
                    ["endpoint", info.metadata_uri],
                    ["free stake", stake_money(info.free_stake)],
                    ["locked stake", stake_money(info.locked_stake)],
                    ["unbonding", unbonding],
                    ["reputation", f"{info.reputation} / 10000"],
                    ["uptime", f"{info.uptime_bps / 100:g} %"],
                    ["leases completed", info.leases_completed],
                    ["liveness answered / missed", f"{info.liveness_answered} / {info.liveness_missed}"],
                    ["slashes", f"{info.slash_count} ({stake_money(info.total_slashed)})"],
                ],
            )
        )
        out.print(_offers_table("offers", offers, money))
        out.print(_leases_table("leases", leases, money, now))

    return _emit(args, data, render)


def provider_earnings(args: argparse.Namespace) -> int:
    client = _client(args)
    leases = [
        lease_info
        for lease_info in client.leases_of(client.address)
        if lease_info.provider == client.address and lease_info.withdrawable > 0
    ]
    withdrawn = []
    if args.withdraw:
        for lease in leases:
            result = client.withdraw_earnings(lease.lease_id)
            if result is None:  # --dry-run
                continue
            (event,) = client.events(result, client.market, "EarningsWithdrawn")
            withdrawn.append(
                {"lease_id": lease.lease_id, "amount": event["amount"], "fee": event["fee"], **_tx(result)}
            )
    if args.dry_run:
        return _planned(args, client, total_withdrawable=sum(lease_info.withdrawable for lease_info in leases))
    money = _Money(client, client.payment_token)
    data = {
        "provider": client.address,
        "leases": [
            {"lease_id": lease_info.lease_id, "status": lease_info.status, "withdrawable": lease_info.withdrawable}
            for lease_info in leases
        ],
        "total_withdrawable": sum(lease_info.withdrawable for lease_info in leases),
        "withdrawn": withdrawn,
    }

    def render(out: Console) -> None:
        out.print(
            _table(
                "withdrawable earnings (before the protocol fee)",
                ["lease", "status", "withdrawable"],
                [[lease_info.lease_id, lease_info.status, money(lease_info.withdrawable)] for lease_info in leases],
            )
        )
        out.print(f"total {money(data['total_withdrawable'])}")
        for item in withdrawn:
            out.print(f"lease {item['lease_id']}: withdrew {money(item['amount'])} (fee {money(item['fee'])})")

    return _emit(args, data, render)


# ---------------------------------------------------------------- tenant


def _request_options(parser: argparse.ArgumentParser, *, deposit: bool = True) -> None:
    parser.add_argument("--gpu-model", help="catalogue id (default: any model with --min-vram); see market catalogue")
    parser.add_argument("--min-vram", type=_count, default=0, help="GB, when any model will do")
    parser.add_argument("--units", type=_count, default=1)
    parser.add_argument("--region", help="region code (default: any)")
    parser.add_argument("--min-tier", type=_count, default=0, help="0 Entry .. 4 Ultra")
    parser.add_argument("--min-reputation", type=_count, default=0, help="0..10000")
    parser.add_argument(
        "--max-price", required=True, type=_amount, help="per unit per hour: smallest units, or e.g. 2.5tUSD"
    )
    parser.add_argument("--duration", required=True, type=_duration, help="longest the lease runs: 3600, 4h, 2d")
    parser.add_argument("--match-within", type=_duration, default=3_600, help="match deadline from now (default 1h)")
    if deposit:
        parser.add_argument(
            "--deposit", required=True, type=_amount, help="escrow: smallest units, or e.g. 20tUSD (tenant quote)"
        )


def add_tenant_commands(subparsers) -> None:
    common, sending = _common_options(), _common_options(sends=True)
    tenant = subparsers.add_parser("tenant", help="request, top up and close leases as a tenant")
    commands = tenant.add_subparsers(dest="tenant_command", required=True)

    request = commands.add_parser("request", parents=[sending], help="approve the deposit and post a rental request")
    _request_options(request)
    request.add_argument(
        "--rematch",
        action="store_true",
        help="re-open the unused deposit as a new request, the provider excluded, if the provider fails the lease "
        "(a missed liveness challenge or a reclaim; docs/leases.md)",
    )
    request.set_defaults(handler=tenant_request)

    job = commands.add_parser(
        "job", parents=[sending], help="publish a verified job's terms and input, and post its JOB request"
    )
    _request_options(job)
    job.add_argument("--workload", required=True, help="registered workload: hashchain, matvec or matvec-256")
    source = job.add_mutually_exclusive_group(required=True)
    source.add_argument("--input-file", type=Path, help="the job's input, raw bytes")
    source.add_argument("--input-hex", help="the job's input as 0x hex")
    job.add_argument("--steps", required=True, type=_count, help="N, the number of steps to run")
    job.add_argument("--seed", default="cli", help="text id making equal terms distinct (default: cli)")
    job.add_argument("--result-timeout", type=_duration, default=3_600, help="time the solver has (default 1h)")
    job.add_argument("--challenge-window", type=_duration, default=600, help="time to dispute (default 10m)")
    job.set_defaults(handler=tenant_job)

    quote = commands.add_parser("quote", parents=[common], help="the least deposit a request takes, and a full one")
    _request_options(quote, deposit=False)
    quote.set_defaults(handler=tenant_quote)

    status = commands.add_parser("status", parents=[common], help="one request or lease, or all of yours")
    status.add_argument("request_id", nargs="?", type=_count)
    status.set_defaults(handler=tenant_status)

    topup = commands.add_parser("topup", parents=[sending], help="approve and add AMOUNT to a lease's balance")
    topup.add_argument("lease_id", type=_count)
    topup.add_argument("--amount", required=True, type=_amount, help="smallest units, or e.g. 5tUSD")
    topup.set_defaults(handler=tenant_topup)

    close = commands.add_parser("close", parents=[sending], help="close a lease: pay what streamed, refund the rest")
    close.add_argument("lease_id", type=_count)
    close.set_defaults(handler=tenant_close)

    cancel = commands.add_parser("cancel", parents=[sending], help="cancel an open request and refund its deposit")
    cancel.add_argument("request_id", type=_count)
    cancel.set_defaults(handler=tenant_cancel)
    add_tenant_delivery_commands(commands, common)


def _spec(args: argparse.Namespace, client: LeaseholdClient, **job) -> RequestSpec:
    return RequestSpec(
        gpu_model=args.gpu_model,
        min_vram_gb=args.min_vram,
        units=args.units,
        region=args.region,
        min_tier=args.min_tier,
        min_reputation=args.min_reputation,
        max_price_per_unit_hour=args.max_price,
        max_duration_seconds=args.duration,
        match_deadline=client.now() + args.match_within,
        manifest_hash=manifest_hash_of(args),
        rematch=getattr(args, "rematch", False),
        **job,
    )


def _check_matchable(client: LeaseholdClient, spec: RequestSpec) -> None:
    """Refuses a request no offer can ever match: the escrow would sit locked until its deadline."""
    reason = client.never_matches(spec)
    if reason is not None:
        raise KeeperError(f"request error: no offer can ever match: {reason}; nothing was sent")


def tenant_request(args: argparse.Namespace) -> int:
    client = _client(args)
    spec = _spec(args, client)
    _check_matchable(client, spec)
    result = client.create_request(spec, args.deposit)  # balance checked and call simulated before any approval
    if args.dry_run:
        return _planned(args, client, deposit=args.deposit, match_deadline=spec.match_deadline)
    request_id = client.request_id_of(result)
    data = {
        "request_id": request_id,
        "deposit": args.deposit,
        "match_deadline": spec.match_deadline,
        "rematch": spec.rematch,
        **_tx(result),
    }
    rematch = f"; re-matched up to {MAX_REMATCHES} times if a provider fails it" if spec.rematch else ""
    return _emit(
        args,
        data,
        lambda out: out.print(
            f"request {request_id} posted; match deadline {_time(spec.match_deadline, client.now())}{rematch}"
        ),
    )


def tenant_job(args: argparse.Namespace) -> int:
    """Checks and simulates both calls, then publishes the terms (once per terms hash) and posts the request."""
    from keepers.client import JobTerms
    from keepers.ids import to_bytes32
    from keepers.workloads import keccak256

    client = _client(args)
    try:
        raw = args.input_file.read_bytes() if args.input_file else bytes.fromhex(args.input_hex.removeprefix("0x"))
    except OSError as error:
        raise KeeperError(f"job error: cannot read {args.input_file}: {error.strerror}") from None
    except ValueError:
        raise KeeperError(f"job error: --input-hex {args.input_hex!r} is not hex") from None
    terms = JobTerms(
        to_bytes32(args.workload),
        keccak256(raw),
        to_bytes32(args.seed),
        args.steps,
        args.result_timeout,
        args.challenge_window,
    )
    terms_hash = client.job_terms_hash(terms)
    spec = _spec(args, client, kind="JOB", job_terms_hash=terms_hash)
    _check_matchable(client, spec)
    published = client.job_terms_published(terms_hash)
    contracts = client.contracts
    if not published:
        client.simulate(contracts.job_market.publish_job_terms(terms, raw))
    create = contracts.market.create_request(spec, args.deposit)
    client.check_pull(contracts.payment_token, contracts.market.address, args.deposit, create)
    if not published:
        client.publish_job_terms(terms, raw)
    result = client.create_request(spec, args.deposit)
    if args.dry_run:
        return _planned(args, client, terms_hash="0x" + terms_hash.hex(), deposit=args.deposit)
    request_id = client.request_id_of(result)
    data = {
        "request_id": request_id,
        "terms_hash": "0x" + terms_hash.hex(),
        "published": not published,
        "deposit": args.deposit,
        "match_deadline": spec.match_deadline,
        **_tx(result),
    }
    return _emit(
        args,
        data,
        lambda out: out.print(
            f"job request {request_id} posted (terms 0x{terms_hash.hex()}); match deadline "
            f"{_time(spec.match_deadline, client.now())}"
        ),
    )


def tenant_quote(args: argparse.Namespace) -> int:
    """The deposit `createRequest` accepts at least, and one that streams the whole duration at the maximum price."""
    client = _client(args, with_account=False)
    spec = _spec(args, client)
    _check_matchable(client, spec)
    minimum = client.minimum_deposit(spec)
    params = client.market_params()
    full = (
        params["matchFee"]
        + params["settleBounty"]
        + -(-spec.max_price_per_unit_hour * spec.units * spec.max_duration_seconds // 3_600)
    )
    money = _Money(client, client.payment_token)
    data = {
        "minimum_deposit": minimum,
        "full_duration_deposit": full,
        "match_fee": params["matchFee"],
        "settle_bounty": params["settleBounty"],
        "min_lease_seconds": params["minLeaseSeconds"],
    }
    return _emit(
        args,
        data,
        lambda out: out.print(
            _table(
                "deposit quote",
                ["", ""],
                [
                    ["least deposit (shortest lease)", money(minimum)],
                    [f"deposit for the whole {_span(spec.max_duration_seconds)}", money(full)],
                    ["of which match fee", money(params["matchFee"])],
                    ["of which settle bounty (back to you when you close)", money(params["settleBounty"])],
                ],
            )
        ),
    )


def tenant_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=args.request_id is None)
    money, now = _Money(client, client.payment_token), client.now()

    def lease_data(lease: LeaseInfo) -> dict:
        return {**as_dict(lease), **lease_outlook(lease, now)}

    if args.request_id is None:
        mine = [r for r in client.requests() if r.tenant == client.address]
        leases = client.leases([r.request_id for r in mine if r.status == "MATCHED" and r.kind == "RENTAL"])
        data = {
            "time": now,
            "requests": [as_dict(r) for r in mine],
            "leases": [lease_data(lease_info) for lease_info in leases],
        }

        def render(out: Console) -> None:
            out.print(_requests_table("requests", mine, money, now))
            out.print(_leases_table("leases", leases, money, now))

        return _emit(args, data, render)
    request = client.request(args.request_id)
    lease = client.lease(args.request_id) if request.status == "MATCHED" and request.kind == "RENTAL" else None
    # A matched JOB request is job `request_id` of the job market.
    job = client.job(args.request_id) if request.status == "MATCHED" and request.kind == "JOB" else None
    data = {
        "time": now,
        "request": as_dict(request),
        "lease": lease_data(lease) if lease else None,
        "job": as_dict(job) if job else None,
    }

    def render_one(out: Console) -> None:
        out.print(_requests_table(f"request {request.request_id}", [request], money, now))
        if lease is not None:
            out.print(_lease_card(lease, money, now))
        if job is not None:
            out.print(
                _table(
                    f"job {job.job_id}",
                    ["", ""],
                    [
                        ["status", job.status],
                        ["solver", job.provider],
                        # Once the result is in, the job keeps its block (the verification draw) instead.
                        ["result deadline", _time(job.result_deadline, now) if job.result_deadline else "met"],
                        ["result block", str(job.submit_block) if job.submit_block else "-"],
                        ["challenge window ends", _time(job.window_ends_at, now) if job.window_ends_at else "-"],
                        ["output hash", "0x" + job.output_hash.hex() if any(job.output_hash) else "-"],
                        ["escrow", money(job.escrow)],
                        ["verifier attestation", job.attestation],
                    ],
                )
            )

    return _emit(args, data, render_one)


def tenant_topup(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.top_up(args.lease_id, args.amount)
    if args.dry_run:
        return _planned(args, client, lease_id=args.lease_id, amount=args.amount)
    balance = client.lease(args.lease_id).balance
    money = _Money(client, client.payment_token)
    data = {"lease_id": args.lease_id, "amount": args.amount, "balance": balance, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"lease {args.lease_id} topped up; balance {money(balance)}"))


def tenant_close(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.close_lease(args.lease_id)
    if args.dry_run:
        return _planned(args, client, lease_id=args.lease_id)
    (closed,) = client.events(result, client.market, "LeaseClosed")
    money = _Money(client, client.payment_token)
    to_me = closed["bountyRecipient"] == client.address
    data = {
        "lease_id": args.lease_id,
        "paid": closed["paid"],
        "fee": closed["fee"],
        "refunded": closed["refunded"],
        "bounty": closed["bounty"],
        "bounty_recipient": closed["bountyRecipient"],
        **_tx(result),
    }
    bounty = f" and the settle bounty {money(closed['bounty'])}" if to_me and closed["bounty"] else ""
    return _emit(
        args,
        data,
        lambda out: out.print(
            f"lease {args.lease_id} closed: provider paid {money(closed['paid'])} "
            f"(protocol fee {money(closed['fee'])}); "
            f"refunded {money(closed['refunded'])}{bounty}"
        ),
    )


def tenant_cancel(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.cancel_request(args.request_id)
    if args.dry_run:
        return _planned(args, client, request_id=args.request_id)
    (cancelled,) = client.events(result, client.market, "RequestCancelled")
    money = _Money(client, client.payment_token)
    data = {"request_id": args.request_id, "refunded": cancelled["refunded"], **_tx(result)}
    return _emit(
        args,
        data,
        lambda out: out.print(f"request {args.request_id} cancelled; refunded {money(cancelled['refunded'])}"),
    )


# ---------------------------------------------------------------- market


def add_market_commands(subparsers) -> None:
    common = _common_options()
    market = subparsers.add_parser("market", help="what the market holds now")
    commands = market.add_subparsers(dest="market_command", required=True)
    status = commands.add_parser("status", parents=[common], help="open requests, active leases and offers")
    status.set_defaults(handler=market_status)
    replay = commands.add_parser(
        "replay-match", parents=[common], help="recompute the batch a matcher proposed at a block (its config file)"
    )
    replay.add_argument("--block", required=True, type=int, help="block number the matcher read")
    replay.set_defaults(handler=market_replay_match)
    fees = commands.add_parser(
        "fees", parents=[common], help="protocol fees accrued in each market, and credits held for your account"
    )
    fees.set_defaults(handler=market_fees)
    sending = _common_options(sends=True)
    sweep = commands.add_parser(
        "sweep-fees", parents=[sending], help="send every market's accrued fees to the treasury"
    )
    sweep.set_defaults(handler=market_sweep_fees)
    claim = commands.add_parser("claim-credit", parents=[sending], help="claim the payouts each market holds for you")
    claim.set_defaults(handler=market_claim_credit)
    catalogue = commands.add_parser("catalogue", parents=[common], help="the GPU models offers and requests may name")
    catalogue.set_defaults(handler=market_catalogue)


TIERS = ("Entry", "Low", "Medium", "High", "Ultra")


def market_catalogue(args: argparse.Namespace) -> int:
    client = _client(args, with_account=False)
    models = client.catalogue()
    money = _Money(client, client.stake_token)
    data = {"models": [as_dict(m) for m in models]}
    return _emit(
        args,
        data,
        lambda out: out.print(
            _table(
                "GPU catalogue",
                ["gpu model", "vRAM", "tier", "collateral / unit", "listed"],
                [
                    [
                        m.gpu_model,
                        f"{m.vram_gb} GB",
                        f"{m.tier} {TIERS[m.tier] if m.tier < len(TIERS) else ''}".strip(),
                        money(m.collateral_per_unit),
                        "yes" if m.listed else "no",
                    ]
                    for m in models
                ],
            )
        ),
    )


def market_replay_match(args: argparse.Namespace) -> int:
    """Same view, same chain state, same seed: the same pairs (docs/matching.md)."""
    config = load_config(args.config, os.environ)
    level = logging.INFO if args.verbose else logging.CRITICAL + 1
    matcher = MatcherKeeper(config, name="replay", logger=make_logger("replay", "matcher", level, stream=sys.stderr))
    matcher.setup(bond=False)  # a replay sends nothing: no matcher bond needed
    plan = matcher.replay(args.block)
    data = {
        "block_number": plan.block_number,
        "seed": plan.seed,
        "method": plan.method,
        "total_score": plan.total_score,
        "pairs": [{"request_id": r, "offer_id": o} for r, o in plan.pairs],
    }

    def render(console: Console) -> None:
        table = Table(title=f"Batch at block {plan.block_number} (seed {plan.seed}, {plan.method})")
        table.add_column("request", justify="right")
        table.add_column("offer", justify="right")
        for request_id, offer_id in plan.pairs:
            table.add_row(str(request_id), str(offer_id))
        console.print(table)

    return _emit(args, data, render)


def market_fees(args: argparse.Namespace) -> int:
    client = _client(args)
    data = {"treasury": client.treasury(), "accrued_fees": client.accrued_fees(), "credits": client.credits_of()}
    money = _Money(client, client.payment_token)

    def render(out: Console) -> None:
        rows = [
            [name, money(data["accrued_fees"][name]), money(data["credits"][name])] for name in data["accrued_fees"]
        ]
        out.print(_table(f"fees for treasury {data['treasury']}", ["market", "accrued fees", "your credit"], rows))

    return _emit(args, data, render)


def _collect(client: LeaseholdClient, owed: dict[str, int], send, event: str) -> dict[str, int]:
    """Sends `send(market)` to each market owing something; the amount each transaction's `event` moved."""
    markets, moved = client.money_markets(), {}
    for name, amount in owed.items():
        if amount:
            result = send(name)
            moved[name] = amount if result is None else client.events(result, markets[name], event)[0]["amount"]
    return moved


def market_sweep_fees(args: argparse.Namespace) -> int:
    """Sweeps every market that has fees; one with none is left alone rather than refused."""
    client = _client(args)
    swept = _collect(client, client.accrued_fees(), client.sweep_fees, "FeesSwept")
    if args.dry_run:
        return _planned(args, client, swept=swept)
    data = {"treasury": client.treasury(), "swept": swept}
    money = _Money(client, client.payment_token)
    return _emit(
        args,
        data,
        lambda out: out.print(
            "\n".join(f"{name}: swept {money(amount)} to {data['treasury']}" for name, amount in swept.items())
            or "no market has fees to sweep"
        ),
    )


def market_claim_credit(args: argparse.Namespace) -> int:
    client = _client(args)
    claimed = _collect(client, client.credits_of(), client.claim_credit, "CreditClaimed")
    if args.dry_run:
        return _planned(args, client, claimed=claimed)
    money = _Money(client, client.payment_token)
    return _emit(
        args,
        {"account": client.address, "claimed": claimed},
        lambda out: out.print(
            "\n".join(f"{name}: claimed {money(amount)}" for name, amount in claimed.items())
            or "no market holds a credit for this account"
        ),
    )


def market_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=False)
    offers = [o for o in client.offers() if o.live]
    all_requests = client.requests()
    open_requests = [r for r in all_requests if r.status == "OPEN"]
    leases = client.leases([r.request_id for r in all_requests if r.status == "MATCHED" and r.kind == "RENTAL"])
    active = [lease_info for lease_info in leases if lease_info.status == "ACTIVE"]
    counts = {
        "providers": len({o.provider for o in offers}),
        "offers": len(offers),
        "offers_available": sum(o.available for o in offers),
        "units_offered": sum(o.units for o in offers),
        "units_in_use": sum(o.units_in_use for o in offers),
        "requests": len(all_requests),
        "requests_open": len(open_requests),
        "leases": len(leases),
        "leases_active": len(active),
        "leases_to_settle": sum(lease_info.status in ("EXPIRED", "INSOLVENT") for lease_info in leases),
    }
    data = {
        "chain_id": client.deployment.chain_id,
        "time": client.now(),
        "counts": counts,
        "open_requests": [as_dict(r) for r in open_requests],
        "active_leases": [as_dict(lease_info) for lease_info in active],
        "offers": [as_dict(o) for o in offers],
    }
    money = _Money(client, client.payment_token)

    def render(out: Console) -> None:
        out.print(
            _table(
                f"market on chain {client.deployment.chain_id}",
                ["", ""],
                [[name.replace("_", " "), value] for name, value in counts.items()],
            )
        )
        out.print(_requests_table("open requests", open_requests, money, data["time"]))
        out.print(_leases_table("active leases", active, money, data["time"]))
        out.print(_offers_table("offers", offers, money))

    return _emit(args, data, render)


# ---------------------------------------------------------------- config


def add_config_commands(subparsers) -> None:
    config = subparsers.add_parser("config", help="check a keeper or CLI configuration without running it")
    commands = config.add_subparsers(dest="config_command", required=True)
    check = commands.add_parser("check", help="validate FILE; with --connect, also the node, deployment, key and role")
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument(
        "--role",
        choices=sorted(ROLES),
        metavar="ROLE",
        help=f"check [role] for ROLE ({', '.join(sorted(ROLES))}); default: a CLI config, no [role]",
    )
    check.add_argument(
        "--connect",
        action="store_true",
        help="also ask the node: chain id, the deployment's code, the key, the role, gas money",
    )
    check.add_argument("--json", action="store_true", help="print one JSON document")
    check.set_defaults(handler=config_check, verbose=False)


def config_check(args: argparse.Namespace) -> int:
    config = load_config(args.file, os.environ)
    checked = ["chain", "account", "transactions", "metrics"]
    if args.role is None and config.role:
        raise KeeperError(
            f"config error: {args.file} has a [role] table; give --role to check it (one of {', '.join(sorted(ROLES))})"
        )
    logger = make_logger("config-check", args.role or "cli", logging.CRITICAL + 1, stream=sys.stderr)
    if args.role is not None:
        keeper = ROLES[args.role](config, name="config-check", logger=logger)  # validates [role]
        checked.append(f"role ({args.role})")
        if args.connect:
            node_chain_id = keeper.w3.eth.chain_id
            if node_chain_id != config.chain.chain_id:
                raise KeeperError(
                    f"chain error: config says chain_id {config.chain.chain_id} "
                    f"but {config.chain.rpc_url} reports {node_chain_id}"
                )
            keeper.check_start()
            problem = keeper.health_problem()
            if problem is not None:
                raise KeeperError(f"health error: {problem}")
    elif args.connect:
        connect(config, os.environ, logger)
    if args.connect:
        checked.append("node, deployment code, key" + (", role, gas money" if args.role else ""))
    data = {"file": str(args.file), "ok": True, "checked": checked}
    return _emit(args, data, lambda out: out.print(f"{args.file}: ok ({'; '.join(checked)})"))


def _version() -> str:
    try:
        return version("leasehold-keepers")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="leasehold", description="Leasehold GPU compute market tools")
    parser.add_argument("--version", action="version", version=f"leasehold {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_keeper_commands(subparsers)
    add_provider_commands(subparsers)
    add_tenant_commands(subparsers)
    add_market_commands(subparsers)
    add_config_commands(subparsers)
    from keepers.devcli import add_dev_commands  # brownie, loaded only by `leasehold dev`

    add_dev_commands(subparsers)
    return parser


def _fail(args: argparse.Namespace, message: str, error: Exception) -> int:
    """One line on stderr, exit code 2; under --json one JSON object (`error`, `kind`, and a refusal's name)."""
    if getattr(args, "json", False):
        body = {"error": message, "kind": type(error).__name__}
        if isinstance(error, Refused):
            body.update(error_name=error.error_name, error_args=[str(arg) for arg in error.error_args])
        print(json.dumps(body), file=sys.stderr)
    else:
        print(message, file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    OneLineParser.json_errors = "--json" in (sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeeperError as error:
        return _fail(args, str(error), error)
    except requests.ConnectionError as error:
        where = error.request.url if error.request else error
        return _fail(args, f"node error: cannot reach the RPC endpoint: {where}", error)
    except (Web3Exception, requests.RequestException) as error:
        first_line = str(error).splitlines()[0] if str(error) else ""
        return _fail(args, f"node error: {type(error).__name__}: {first_line}", error)


if __name__ == "__main__":
    sys.exit(main())
