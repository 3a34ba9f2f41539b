"""A local Leasehold market for the SDK's and the console's tests and for trying the console.

    python -m scripts.devnet [--port 8545] [--out DIR] [--orderbook-port 0] [--delivery]

Starts Anvil (by PID), deploys the protocol, gives the MATCHER role to dev account 1, registers
dev account 2 as a staked provider in eu-west with an H100 and an A100 offer, funds dev account 3
as a tenant, and writes the deployment to DIR/<chainId>.json. With an order-book port it also
serves a matcher's signed-request order book there (keepers/orderbook.py), matching each posted
request with dev account 1. With --delivery it also starts a provider agent for dev account 5 with
delivery (the process backend, its access server as its metadata URI) and an L40S offer, and a
lease of the tenant's whose request committed to the manifest of scripts/delivery_service.py
(not deployed: the tenant deploys it; `--deploy` does it here). Prints one JSON line (URLs, paths,
dev accounts and keys), then runs until SIGTERM, SIGINT or the end of its standard input, and stops
everything it started.
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
GOVERNANCE, MATCHER, PROVIDER, TENANT, PROVIDER2, DELIVERER = 0, 1, 2, 3, 4, 5
DELIVERY_MODEL = "nvidia-l40s-48gb"
SERVICE = Path(__file__).resolve().parent / "delivery_service.py"
KEY_ENV = "LEASEHOLD_DEVNET_KEY"
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


def deploy_market(anvil: Anvil, out_dir: Path, *, delivery: bool = False) -> tuple[Path, list[int]]:
    """Deploys and seeds the market; returns the deployment file and the offer ids."""
    from brownie import accounts

    from keepers.ids import to_bytes32
    from scripts.deploy import bond_matcher, deploy, write_deployment
    from scripts.localchain import brownie_on_anvil

    with contextlib.redirect_stdout(io.StringIO()), brownie_on_anvil(anvil):
        governance = accounts[GOVERNANCE]
        deployment = deploy(governance)
        config, registry, token = deployment.config, deployment.registry, deployment.payment_token
        config.setRole(config.MATCHER_ROLE(), accounts[MATCHER], True, {"from": governance})
        bond_matcher(deployment.matcher_bonds, token, accounts[MATCHER])
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
            # Every devnet offer takes jobs: 1,000,000 steps a second after a minute's setup.
            registry.setOfferJobPolicy(tx.return_value, 1_000_000, 60, {"from": provider})
        token.mint(accounts[TENANT], TENANT_FUNDS, {"from": governance})
        if delivery:
            token.mint(accounts[DELIVERER], PROVIDER_STAKE, {"from": governance})
        path = write_deployment(deployment, out_dir)
    return path, offer_ids


def service_manifest():
    from keepers.delivery.manifest import parse_manifest

    return parse_manifest(
        {"command": [sys.executable, str(SERVICE)], "ports": [{"name": "http"}], "env": {"GREETING": "hello"}}
    )


def start_delivery(stack: contextlib.ExitStack, anvil: Anvil, deployment: Path, work_dir: Path, deploy: bool) -> dict:
    """A provider agent with delivery (set up, its access server serving; not scheduled) and a tenant's lease
    with it that committed to the service's manifest; with `deploy`, the tenant has deployed it."""
    from keepers.client import RequestSpec, connect
    from keepers.config import KeeperConfig
    from keepers.delivery.tenant import TenantDelivery
    from keepers.observability import make_logger
    from keepers.roles.provider import ProviderAgent

    def config(index: int, role: dict | None = None) -> tuple[KeeperConfig, dict[str, str]]:
        data = {
            "chain": {"rpc_url": anvil.url, "chain_id": 31337, "deployment": str(deployment), "confirmations": 0},
            "account": {"private_key_env": KEY_ENV},
            "transactions": {"state_dir": str(work_dir / f"state-{index}")},
            "metrics": {"host": "127.0.0.1", "port": 0, "stale_head_seconds": 10**9},
            "role": role or {},
        }
        return KeeperConfig.model_validate(data), {KEY_ENV: key_of(index)}

    role = {
        "region": "eu-central",
        "stake": PROVIDER_STAKE // 2,
        "offers": [
            {
                "gpu_model": DELIVERY_MODEL,
                "units": 2,
                "price_per_unit_hour": 30 * USD,
                "max_duration_seconds": 30 * 86_400,
            }
        ],
        "delivery": {"backend": "process", "work_dir": str(work_dir / "workloads"), "start_timeout_seconds": 20},
    }
    keeper_config, environ = config(DELIVERER, role)
    agent = ProviderAgent(
        keeper_config,
        environ=environ,
        name="devnet-provider",
        logger=make_logger("devnet-provider", "provider", "CRITICAL"),
    )
    stack.callback(agent.stop)
    agent.setup()
    stack.callback(lambda: agent.delivery.teardown_all("devnet_end"))
    logger = make_logger("devnet", "client", "CRITICAL")
    tenant = connect(*config(TENANT), logger)
    manifest = service_manifest()
    spec = RequestSpec(
        gpu_model=DELIVERY_MODEL,
        units=1,
        # 30 USD an hour: two hours of it pass the 50 USD a lease must pay to count for reputation.
        max_price_per_unit_hour=30 * USD,
        max_duration_seconds=4 * 3600,
        match_deadline=tenant.now() + 3600,
        manifest_hash=manifest.hash,
    )
    lease_id = tenant.request_id_of(tenant.create_request(spec, 130 * USD))
    (offer,) = tenant.offers_of(agent.account.address)
    matcher = connect(*config(MATCHER), logger)
    matcher.send(matcher.contracts.market.match_requests([(lease_id, offer.offer_id)]))
    if deploy:
        TenantDelivery(tenant, tenant.sender.account).deploy(lease_id, manifest)
    return {"accessUrl": agent.endpoint, "leaseId": lease_id, "manifest": manifest.model_dump(mode="json")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="Anvil port (default: a free one)")
    parser.add_argument("--out", type=Path, default=None, help="folder for <chainId>.json (default: a temp dir)")
    parser.add_argument("--orderbook-port", type=int, default=None, help="serve a signed-request order book")
    parser.add_argument("--delivery", action="store_true", help="a provider agent with delivery and a tenant's lease")
    parser.add_argument("--deploy", action="store_true", help="with --delivery: deploy the lease's manifest")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        out_dir = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="leasehold-devnet-")))
        out_dir.mkdir(parents=True, exist_ok=True)
        anvil = stack.enter_context(Anvil(port=args.port))
        deployment, offer_ids = deploy_market(anvil, out_dir, delivery=args.delivery)
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
                    *([("deliverer", DELIVERER)] if args.delivery else []),
                )
            },
        }
        if args.orderbook_port is not None:
            from keepers.orderbook import OrderBookServer

            server = stack.enter_context(
                OrderBookServer.for_devnet(anvil.url, deployment, key_of(MATCHER), port=args.orderbook_port)
            )
            info["orderBookUrl"] = server.url
        if args.delivery:
            info["delivery"] = start_delivery(stack, anvil, deployment, out_dir, args.deploy)
        print(json.dumps(info), flush=True)
        # Ends on a signal or when the parent closes our standard input.
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
