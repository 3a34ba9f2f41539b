"""`leasehold`: the command line of the keepers.

Subcommands are added by `add_*_commands(subparsers)` functions, each setting
`handler` on its parser; `main` calls it. Operator errors print one line on
stderr and exit with code 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

from keepers.client import LeaseholdClient, LeaseInfo, OfferInfo, RequestInfo, RequestSpec, as_dict, connect
from keepers.cli_tenant_delivery import add_tenant_delivery_commands, manifest_hash_of
from keepers.config import load_config
from keepers.contracts.token import Token
from keepers.errors import KeeperError
from keepers.observability import make_logger
from keepers.roles import ROLES
from keepers.roles.matcher import MatcherKeeper

EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr (`leasehold tenant request: error: ...`), exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


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


def _amount(text: str) -> int:
    """A token amount in the token's smallest unit (6 decimals: 1 USD = 1000000)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of the token's smallest unit")
    return int(text)


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


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", required=True, type=Path, help="keeper TOML file: [chain] and [account]")
    common.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    common.add_argument("-v", "--verbose", action="store_true", help="log transactions on stderr")
    return common


def _client(args: argparse.Namespace, *, with_account: bool = True) -> LeaseholdClient:
    level = logging.INFO if args.verbose else logging.CRITICAL + 1
    logger = make_logger("cli", args.command, level, stream=sys.stderr)
    return connect(load_config(args.config, os.environ), os.environ, logger, with_account=with_account)


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


def _time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


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
            [o.offer_id, _short(o.provider), o.gpu_model, o.units, o.units_in_use, money.plain(o.price_per_unit_hour),
             _hours(o.max_duration_seconds), "removed" if o.removed else "paused" if o.paused else "open"]
            for o in offers
        ],
    )


def _requests_table(title: str, requests_: list[RequestInfo], money: _Money) -> Table:
    return _table(
        title,
        ["request", "tenant", "status", "gpu model", "min vRAM", "units", "region", f"max {money.symbol} / unit h",
         "duration", "match deadline", f"escrow {money.symbol}"],
        [
            [r.request_id, _short(r.tenant), r.status, r.gpu_model or "any", r.min_vram_gb, r.units, r.region or "any",
             money.plain(r.price_per_unit_hour), _hours(r.duration_seconds), _time(r.match_deadline),
             money.plain(r.escrow)]
            for r in requests_
        ],
    )


def _leases_table(title: str, leases: list[LeaseInfo], money: _Money) -> Table:
    return _table(
        title,
        ["lease", "status", "provider", "tenant", "gpu model", "units", f"{money.symbol} / unit h",
         f"balance {money.symbol}", "accrued", "withdrawable", "ends", "challenge"],
        [
            [l.lease_id, l.status if l.close_reason == "NONE" else f"{l.status} ({l.close_reason})", _short(l.provider),
             _short(l.tenant), l.gpu_model, l.units, money.plain(l.price_per_unit_hour), money.plain(l.balance),
             money.plain(l.accrued), money.plain(l.withdrawable), _time(l.end_time), "open" if l.challenge_open else "-"]
            for l in leases
        ],
    )


def _tx(result) -> dict:
    return {"tx_hash": result.tx_hash, "block_number": result.block_number, "gas_used": result.gas_used}


# ---------------------------------------------------------------- provider

def add_provider_commands(subparsers) -> None:
    common = _common_options()
    provider = subparsers.add_parser("provider", help="register, stake and list GPU offers as a provider")
    commands = provider.add_subparsers(dest="provider_command", required=True)

    register = commands.add_parser("register", parents=[common], help="register, or update region and endpoint")
    register.add_argument("--region", required=True, help="region code, e.g. eu-west")
    register.add_argument("--endpoint", required=True, help="advertised base URL (metadataURI); serves /health")
    register.set_defaults(handler=provider_register)

    stake = commands.add_parser("stake", parents=[common], help="approve and stake AMOUNT stake tokens")
    stake.add_argument("--amount", required=True, type=_amount, help="stake token's smallest units")
    stake.set_defaults(handler=provider_stake)

    offer = commands.add_parser("offer", help="add, update, pause, resume or remove an offer")
    offer_commands = offer.add_subparsers(dest="offer_command", required=True)
    add = offer_commands.add_parser("add", parents=[common], help="list a GPU offer")
    add.add_argument("--gpu-model", required=True, help="catalogue id, e.g. nvidia-h100-80gb")
    update = offer_commands.add_parser("update", parents=[common], help="change an offer's terms")
    update.add_argument("offer_id", type=_count)
    for parser in (add, update):
        parser.add_argument("--units", required=True, type=_count)
        parser.add_argument("--price", required=True, type=_amount, help="per unit per hour, smallest units")
        parser.add_argument("--max-duration", required=True, type=_duration, help="e.g. 86400, 24h or 7d")
    add.set_defaults(handler=provider_offer_add)
    update.set_defaults(handler=provider_offer_update)
    for name, help_text in (("pause", "stop new matches"), ("resume", "allow new matches"), ("remove", "remove for good")):
        action = offer_commands.add_parser(name, parents=[common], help=help_text)
        action.add_argument("offer_id", type=_count)
        action.set_defaults(handler=provider_offer_action, action=name)

    status = commands.add_parser("status", parents=[common], help="stake, reputation, offers and leases")
    status.add_argument("--address", help="another provider (default: the config's account)")
    status.set_defaults(handler=provider_status)

    earnings = commands.add_parser("earnings", parents=[common], help="withdrawable earnings per lease")
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
    data = {"provider": client.address, "action": action, "region": args.region, "endpoint": args.endpoint,
            **(_tx(result) if result else {})}
    return _emit(args, data, lambda out: out.print(f"provider {client.address} {action}: {args.region} {args.endpoint}"))


def provider_stake(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.stake(args.amount)
    info = client.provider_info(client.address)
    money = _Money(client, client.stake_token)
    data = {"provider": client.address, "staked": args.amount, "free_stake": info.free_stake, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"staked {money(args.amount)}; free stake {money(info.free_stake)}"))


def provider_offer_add(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.add_offer(args.gpu_model, args.units, args.price, args.max_duration)
    offer_id = client.offer_id_of(result)
    return _emit(args, {"offer_id": offer_id, **_tx(result)}, lambda out: out.print(f"offer {offer_id} added"))


def provider_offer_update(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.update_offer(args.offer_id, args.units, args.price, args.max_duration)
    return _emit(args, {"offer_id": args.offer_id, **_tx(result)}, lambda out: out.print(f"offer {args.offer_id} updated"))


def provider_offer_action(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.action == "remove":
        result, done = client.remove_offer(args.offer_id), "removed"
    else:
        result, done = client.pause_offer(args.offer_id, args.action == "pause"), f"{args.action}d"
    data = {"offer_id": args.offer_id, "action": done, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"offer {args.offer_id} {done}"))


def provider_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=args.address is None)
    address = args.address or client.address
    info = client.provider_info(address)
    offers = client.offers_of(address, include_removed=True)
    leases = [lease for lease in client.leases_of(address) if lease.provider == info.address]
    stake_money, money = _Money(client, client.stake_token), _Money(client, client.payment_token)
    data = {**as_dict(info), "offers": [as_dict(o) for o in offers], "leases": [as_dict(l) for l in leases]}

    def render(out: Console) -> None:
        if not info.registered:
            out.print(f"{address} is not a registered provider")
            return
        out.print(_table(f"provider {address}", ["", ""], [
            ["region", info.region], ["endpoint", info.metadata_uri],
            ["free stake", stake_money(info.free_stake)], ["locked stake", stake_money(info.locked_stake)],
            ["unbonding", f"{stake_money(info.unbonding_stake)} (ready at {info.unbonding_ready_at})"],
            ["reputation", f"{info.reputation} / 10000"], ["uptime", f"{info.uptime_bps / 100:g} %"],
            ["leases completed", info.leases_completed],
            ["liveness answered / missed", f"{info.liveness_answered} / {info.liveness_missed}"],
            ["slashes", f"{info.slash_count} ({stake_money(info.total_slashed)})"],
        ]))
        out.print(_offers_table("offers", offers, money))
        out.print(_leases_table("leases", leases, money))

    return _emit(args, data, render)


def provider_earnings(args: argparse.Namespace) -> int:
    client = _client(args)
    leases = [l for l in client.leases_of(client.address) if l.provider == client.address and l.withdrawable > 0]
    withdrawn = []
    if args.withdraw:
        for lease in leases:
            result = client.withdraw_earnings(lease.lease_id)
            (event,) = client.events(result, client.market, "EarningsWithdrawn")
            withdrawn.append({"lease_id": lease.lease_id, "amount": event["amount"], "fee": event["fee"], **_tx(result)})
    money = _Money(client, client.payment_token)
    data = {
        "provider": client.address,
        "leases": [{"lease_id": l.lease_id, "status": l.status, "withdrawable": l.withdrawable} for l in leases],
        "total_withdrawable": sum(l.withdrawable for l in leases),
        "withdrawn": withdrawn,
    }

    def render(out: Console) -> None:
        out.print(_table("withdrawable earnings (before the protocol fee)", ["lease", "status", "withdrawable"],
                         [[l.lease_id, l.status, money(l.withdrawable)] for l in leases]))
        out.print(f"total {money(data['total_withdrawable'])}")
        for item in withdrawn:
            out.print(f"lease {item['lease_id']}: withdrew {money(item['amount'])} (fee {money(item['fee'])})")

    return _emit(args, data, render)


# ---------------------------------------------------------------- tenant

def add_tenant_commands(subparsers) -> None:
    common = _common_options()
    tenant = subparsers.add_parser("tenant", help="request, top up and close leases as a tenant")
    commands = tenant.add_subparsers(dest="tenant_command", required=True)

    request = commands.add_parser("request", parents=[common], help="approve the deposit and post a rental request")
    request.add_argument("--gpu-model", help="catalogue id (default: any model with --min-vram)")
    request.add_argument("--min-vram", type=_count, default=0, help="GB, when any model will do")
    request.add_argument("--units", type=_count, default=1)
    request.add_argument("--region", help="region code (default: any)")
    request.add_argument("--min-tier", type=_count, default=0, help="0 Entry .. 4 Ultra")
    request.add_argument("--min-reputation", type=_count, default=0, help="0..10000")
    request.add_argument("--max-price", required=True, type=_amount, help="per unit per hour, smallest units")
    request.add_argument("--duration", required=True, type=_duration, help="longest the lease runs: 3600, 4h, 2d")
    request.add_argument("--match-within", type=_duration, default=3_600, help="match deadline from now (default 1h)")
    request.add_argument("--deposit", required=True, type=_amount, help="escrow, smallest units")
    request.set_defaults(handler=tenant_request)

    status = commands.add_parser("status", parents=[common], help="one request or lease, or all of yours")
    status.add_argument("request_id", nargs="?", type=_count)
    status.set_defaults(handler=tenant_status)

    topup = commands.add_parser("topup", parents=[common], help="approve and add AMOUNT to a lease's balance")
    topup.add_argument("lease_id", type=_count)
    topup.add_argument("--amount", required=True, type=_amount)
    topup.set_defaults(handler=tenant_topup)

    close = commands.add_parser("close", parents=[common], help="close a lease: pay what streamed, refund the rest")
    close.add_argument("lease_id", type=_count)
    close.set_defaults(handler=tenant_close)

    cancel = commands.add_parser("cancel", parents=[common], help="cancel an open request and refund its deposit")
    cancel.add_argument("request_id", type=_count)
    cancel.set_defaults(handler=tenant_cancel)
    add_tenant_delivery_commands(commands, common)


def tenant_request(args: argparse.Namespace) -> int:
    client = _client(args)
    spec = RequestSpec(
        gpu_model=args.gpu_model, min_vram_gb=args.min_vram, units=args.units, region=args.region,
        min_tier=args.min_tier, min_reputation=args.min_reputation, max_price_per_unit_hour=args.max_price,
        max_duration_seconds=args.duration, match_deadline=client.now() + args.match_within,
        manifest_hash=manifest_hash_of(args),
    )
    result = client.create_request(spec, args.deposit)
    request_id = client.request_id_of(result)
    data = {"request_id": request_id, "deposit": args.deposit, "match_deadline": spec.match_deadline, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"request {request_id} posted; match deadline {spec.match_deadline}"))


def tenant_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=args.request_id is None)
    money = _Money(client, client.payment_token)
    if args.request_id is None:
        mine = [r for r in client.requests() if r.tenant == client.address]
        leases = client.leases([r.request_id for r in mine if r.status == "MATCHED" and r.kind == "RENTAL"])
        data = {"requests": [as_dict(r) for r in mine], "leases": [as_dict(l) for l in leases]}

        def render(out: Console) -> None:
            out.print(_requests_table("requests", mine, money))
            out.print(_leases_table("leases", leases, money))

        return _emit(args, data, render)
    request = client.request(args.request_id)
    lease = client.lease(args.request_id) if request.status == "MATCHED" and request.kind == "RENTAL" else None
    data = {"request": as_dict(request), "lease": as_dict(lease) if lease else None}

    def render_one(out: Console) -> None:
        out.print(_requests_table(f"request {request.request_id}", [request], money))
        if lease is not None:
            out.print(_leases_table(f"lease {lease.lease_id}", [lease], money))

    return _emit(args, data, render_one)


def tenant_topup(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.top_up(args.lease_id, args.amount)
    balance = client.lease(args.lease_id).balance
    money = _Money(client, client.payment_token)
    data = {"lease_id": args.lease_id, "amount": args.amount, "balance": balance, **_tx(result)}
    return _emit(args, data, lambda out: out.print(f"lease {args.lease_id} topped up; balance {money(balance)}"))


def tenant_close(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.close_lease(args.lease_id)
    (closed,) = client.events(result, client.market, "LeaseClosed")
    money = _Money(client, client.payment_token)
    data = {"lease_id": args.lease_id, "paid": closed["paid"], "fee": closed["fee"], "refunded": closed["refunded"],
            "bounty": closed["bounty"], **_tx(result)}
    return _emit(args, data, lambda out: out.print(
        f"lease {args.lease_id} closed: provider paid {money(closed['paid'])}, refunded {money(closed['refunded'])}"
    ))


def tenant_cancel(args: argparse.Namespace) -> int:
    client = _client(args)
    result = client.cancel_request(args.request_id)
    (cancelled,) = client.events(result, client.market, "RequestCancelled")
    money = _Money(client, client.payment_token)
    data = {"request_id": args.request_id, "refunded": cancelled["refunded"], **_tx(result)}
    return _emit(args, data, lambda out: out.print(
        f"request {args.request_id} cancelled; refunded {money(cancelled['refunded'])}"
    ))


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
    sweep = commands.add_parser("sweep-fees", parents=[common], help="send every market's accrued fees to the treasury")
    sweep.set_defaults(handler=market_sweep_fees)
    claim = commands.add_parser("claim-credit", parents=[common], help="claim the payouts each market holds for you")
    claim.set_defaults(handler=market_claim_credit)


def market_replay_match(args: argparse.Namespace) -> int:
    """Same view, same chain state, same seed: the same pairs (docs/matching.md)."""
    config = load_config(args.config, os.environ)
    level = logging.INFO if args.verbose else logging.CRITICAL + 1
    matcher = MatcherKeeper(config, name="replay", logger=make_logger("replay", "matcher", level, stream=sys.stderr))
    matcher.setup()
    plan = matcher.replay(args.block)
    data = {
        "block_number": plan.block_number, "seed": plan.seed, "method": plan.method,
        "total_score": plan.total_score, "pairs": [{"request_id": r, "offer_id": o} for r, o in plan.pairs],
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
        rows = [[name, money(data["accrued_fees"][name]), money(data["credits"][name])] for name in data["accrued_fees"]]
        out.print(_table(f"fees for treasury {data['treasury']}", ["market", "accrued fees", "your credit"], rows))

    return _emit(args, data, render)


def _collect(client: LeaseholdClient, owed: dict[str, int], send, event: str) -> dict[str, int]:
    """Sends `send(market)` to each market owing something; the amount each transaction's `event` moved."""
    markets = client.money_markets()
    return {name: client.events(send(name), markets[name], event)[0]["amount"] for name, amount in owed.items() if amount}


def market_sweep_fees(args: argparse.Namespace) -> int:
    """Sweeps every market that has fees; one with none is left alone rather than refused."""
    client = _client(args)
    swept = _collect(client, client.accrued_fees(), client.sweep_fees, "FeesSwept")
    data = {"treasury": client.treasury(), "swept": swept}
    money = _Money(client, client.payment_token)
    return _emit(args, data, lambda out: out.print(
        "\n".join(f"{name}: swept {money(amount)} to {data['treasury']}" for name, amount in swept.items())
        or "no market has fees to sweep"
    ))


def market_claim_credit(args: argparse.Namespace) -> int:
    client = _client(args)
    claimed = _collect(client, client.credits_of(), client.claim_credit, "CreditClaimed")
    money = _Money(client, client.payment_token)
    return _emit(args, {"account": client.address, "claimed": claimed}, lambda out: out.print(
        "\n".join(f"{name}: claimed {money(amount)}" for name, amount in claimed.items())
        or "no market holds a credit for this account"
    ))


def market_status(args: argparse.Namespace) -> int:
    client = _client(args, with_account=False)
    offers = [o for o in client.offers() if o.live]
    all_requests = client.requests()
    open_requests = [r for r in all_requests if r.status == "OPEN"]
    leases = client.leases([r.request_id for r in all_requests if r.status == "MATCHED" and r.kind == "RENTAL"])
    active = [l for l in leases if l.status == "ACTIVE"]
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
        "leases_to_settle": sum(l.status in ("EXPIRED", "INSOLVENT") for l in leases),
    }
    data = {
        "chain_id": client.deployment.chain_id, "time": client.now(), "counts": counts,
        "open_requests": [as_dict(r) for r in open_requests], "active_leases": [as_dict(l) for l in active],
        "offers": [as_dict(o) for o in offers],
    }
    money = _Money(client, client.payment_token)

    def render(out: Console) -> None:
        out.print(_table(f"market on chain {client.deployment.chain_id}", ["", ""],
                         [[name.replace("_", " "), value] for name, value in counts.items()]))
        out.print(_requests_table("open requests", open_requests, money))
        out.print(_leases_table("active leases", active, money))
        out.print(_offers_table("offers", offers, money))

    return _emit(args, data, render)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="leasehold", description="Leasehold GPU compute market tools")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_keeper_commands(subparsers)
    add_provider_commands(subparsers)
    add_tenant_commands(subparsers)
    add_market_commands(subparsers)
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
