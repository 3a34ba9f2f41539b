"""`leasehold tenant deploy | access | logs`: a tenant's workload on its lease (docs/delivery.md).

Hooked into `leasehold tenant` by `add_tenant_delivery_commands`, which also gives
`tenant request` its `--manifest FILE` (the hash the rental commits to).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from keepers.delivery.manifest import load_manifest
from keepers.delivery.tenant import TenantDelivery
from keepers.errors import KeeperError
from keepers.ids import ZERO_BYTES32


def _lease_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a lease id")
    return int(text)


def _secret(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (or NAME=@FILE)")
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text().rstrip("\n")
        except OSError as error:
            raise argparse.ArgumentTypeError(f"{name}: cannot read {value[1:]}: {error.strerror}") from None
    return name, value


def manifest_hash_of(args: argparse.Namespace) -> bytes:
    """The commitment `tenant request` posts: the hash of `--manifest`, or zero without one."""
    manifest = getattr(args, "manifest", None)
    return ZERO_BYTES32 if manifest is None else load_manifest(manifest).hash


def add_tenant_delivery_commands(commands, common: argparse.ArgumentParser) -> None:
    """Adds deploy, access and logs to the `tenant` subcommands, and `--manifest` to `tenant request`."""
    commands.choices["request"].add_argument(
        "--manifest", type=Path, help="workload manifest (JSON or TOML) the rental commits to (docs/delivery.md)"
    )

    deploy = commands.add_parser("deploy", parents=[common], help="send a lease's manifest to its provider")
    deploy.add_argument("lease_id", type=_lease_id)
    deploy.add_argument("--manifest", required=True, type=Path, help="the manifest the request committed to")
    deploy.add_argument(
        "--secret",
        action="append",
        type=_secret,
        default=[],
        metavar="NAME=VALUE",
        help="a secret the manifest names, sealed to the provider's key (NAME=@FILE reads a file)",
    )
    deploy.set_defaults(handler=tenant_deploy)

    access = commands.add_parser("access", parents=[common], help="a lease's endpoints and credential")
    access.add_argument("lease_id", type=_lease_id)
    access.set_defaults(handler=tenant_access)

    logs = commands.add_parser("logs", parents=[common], help="a lease's workload output")
    logs.add_argument("lease_id", type=_lease_id)
    logs.add_argument("--follow", action="store_true", help="keep printing until the workload ends")
    logs.set_defaults(handler=tenant_logs)


def _delivery(args: argparse.Namespace) -> TenantDelivery:
    from keepers.cli import _client  # the CLI's own connection helper (imported late: cli imports this module)

    client = _client(args)
    if client.sender is None:
        raise KeeperError("account error: this command signs as the tenant: it needs an [account] in the config")
    return TenantDelivery(client, client.sender.account)


def _print_access(args: argparse.Namespace, answer: dict, verb: str) -> int:
    from keepers.cli import _emit

    def render(out) -> None:
        out.print(f"lease {answer['lease_id']} {verb}: {answer['status']} on the {answer['backend']} backend")
        for name, url in answer["endpoints"].items():
            out.print(f"  {name}: {url}")
        out.print(f"  credential: {answer['credential']}  (send as Authorization: Bearer <credential>)")

    return _emit(args, answer, render)


def tenant_deploy(args: argparse.Namespace) -> int:
    manifest = load_manifest(args.manifest)
    secrets = dict(args.secret)
    delivery = _delivery(args)
    return _print_access(args, delivery.deploy(args.lease_id, manifest, secrets), "deployed")


def tenant_access(args: argparse.Namespace) -> int:
    return _print_access(args, _delivery(args).access(args.lease_id), "access")


def tenant_logs(args: argparse.Namespace) -> int:
    out = sys.stdout.buffer
    try:
        for chunk in _delivery(args).logs(args.lease_id, follow=args.follow):
            out.write(chunk)
            out.flush()
    except KeyboardInterrupt:
        pass
    return 0
