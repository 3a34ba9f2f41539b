"""A local Leasehold market for the SDK's and the console's tests and for trying the console.

    python -m scripts.devnet [--port 8545] [--out DIR] [--orderbook-port 0]

Starts Anvil (by PID), deploys the protocol, gives the MATCHER role to dev account 1, registers
dev account 2 as a staked provider in eu-west with an H100 and an A100 offer, funds dev account 3
as a tenant, and writes the deployment to DIR/<chainId>.json. With an order-book port it also
serves a matcher's signed-request order book there (keepers/orderbook.py), matching each posted
request with dev account 1. Prints one JSON line (URLs, paths, dev accounts and keys), then runs
until SIGTERM, SIGINT or the end of its standard input, and stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path

from eth_account import Account

from keepers.devchain import Anvil

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
GOVERNANCE, MATCHER, PROVIDER, TENANT, PROVIDER2 = 0, 1, 2, 3, 4
USD = 10**6
OFFERS = (  # (provider index, region, model, units, price per unit-hour in USD cents)
    (PROVIDER, "eu-west", "nvidia-h100-80gb", 8, 250),
    (PROVIDER, "eu-west", "nvidia-a100-80gb", 4, 150),
    (PROVIDER2, "us-east", "nvidia-rtx-4090-24gb", 2, 40),
)
PROVIDER_STAKE = 100_000 * USD
TENANT_FUNDS = 10_000 * USD


def key_of(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


def deploy_market(anvil: Anvil, out_dir: Path) -> tuple[Path, list[int]]:
    """Deploys and seeds the market; returns the deployment file and the offer ids."""
    from brownie import accounts

    from keepers.ids import to_bytes32
    from scripts.deploy import deploy, write_deployment
    from scripts.localchain import brownie_on_anvil

    with contextlib.redirect_stdout(io.StringIO()), brownie_on_anvil(anvil):
        governance = accounts[GOVERNANCE]
        deployment = deploy(governance)
        config, registry, token = deployment.config, deployment.registry, deployment.payment_token
        config.setRole(config.MATCHER_ROLE(), accounts[MATCHER], True, {"from": governance})
        offer_ids = []
        registered = set()
        for index, region, model, units, cents in OFFERS:
            provider = accounts[index]
            if index not in registered:
                registry.registerProvider(
                    to_bytes32(region), f"https://{region}.gpu.example/p{index}.json", {"from": provider}
                )
                token.mint(provider, PROVIDER_STAKE, {"from": governance})
                token.approve(registry, 2**256 - 1, {"from": provider})
                registry.stake(PROVIDER_STAKE, {"from": provider})
                registered.add(index)
            tx = registry.addOffer(to_bytes32(model), units, cents * USD // 100, 30 * 86_400, {"from": provider})
            offer_ids.append(tx.return_value)
        token.mint(accounts[TENANT], TENANT_FUNDS, {"from": governance})
        path = write_deployment(deployment, out_dir)
    return path, offer_ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="Anvil port (default: a free one)")
    parser.add_argument("--out", type=Path, default=None, help="folder for <chainId>.json (default: a temp dir)")
    parser.add_argument("--orderbook-port", type=int, default=None, help="serve a signed-request order book")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        out_dir = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="leasehold-devnet-")))
        out_dir.mkdir(parents=True, exist_ok=True)
        anvil = stack.enter_context(Anvil(port=args.port))
        deployment, offer_ids = deploy_market(anvil, out_dir)
        info = {
            "rpcUrl": anvil.url,
            "chainId": int(anvil.rpc("eth_chainId"), 16),
            "deployment": str(deployment),
            "offers": offer_ids,
            "accounts": {
                name: {"address": Account.from_key(key_of(i)).address, "key": key_of(i)}
                for name, i in (
                    ("governance", GOVERNANCE),
                    ("matcher", MATCHER),
                    ("provider", PROVIDER),
                    ("tenant", TENANT),
                    ("provider2", PROVIDER2),
                )
            },
        }
        if args.orderbook_port is not None:
            from keepers.orderbook import OrderBookServer

            server = stack.enter_context(
                OrderBookServer.for_devnet(anvil.url, deployment, key_of(MATCHER), port=args.orderbook_port)
            )
            info["orderBookUrl"] = server.url
        print(json.dumps(info), flush=True)
        # Ends on a signal or when the parent closes our standard input.
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
