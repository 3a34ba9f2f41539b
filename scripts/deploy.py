"""Deploys the whole Leasehold protocol and writes deployments/<chainId>.json.

    brownie run scripts/deploy.py --network NAME

On a local chain (chain id 31337 or 1337) it also deploys TestStablecoin (an
ERC20Permit with 6 decimals) as both payment and stake token, and deploys from
the first unlocked account. On any other network it needs:

    LEASEHOLD_DEPLOYER       brownie account id (`brownie accounts new <id>`)
    LEASEHOLD_PAYMENT_TOKEN  ERC-20 address of the payment token
    LEASEHOLD_STAKE_TOKEN    ERC-20 address of the stake token (may equal the above)
    LEASEHOLD_TREASURY       treasury address (default: the deployer)
    LEASEHOLD_OWNER          final owner of ProtocolConfig, e.g. a timelock (optional:
                             ownership is offered with Ownable2Step and must be accepted)

The deployment file holds every contract's address and ABI and the block of
deployment: dApps and keepers read it, never brownie's build folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from brownie import accounts, network, project, web3
from brownie.network.account import Account

from keepers.contracts.types import ZERO_ADDRESS
from keepers.ids import to_bytes32

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENTS_DIR = REPO_ROOT / "deployments"
CATALOGUE_FILE = DEPLOYMENTS_DIR / "gpu-catalogue.json"
LOCAL_CHAIN_IDS = {31337, 1337}
# Workloads whose disputed step is too large to execute on-chain: arbiters vote on it.
ARBITER_WORKLOADS = ("matvec-256",)
# MatcherBonds' defaults (docs/parameters.md), in whole payment-token units and seconds:
# (minBond, challengerReward, challengeWindowSeconds, unbondingDelaySeconds, graceSeconds).
MATCHER_BOND = 1_000
CHALLENGER_REWARD = 5
MATCH_CHALLENGE_WINDOW_SECONDS = 3600
MATCHER_UNBONDING_DELAY_SECONDS = 2 * 86400
MATCH_CHALLENGE_GRACE_SECONDS = 60
# What the local market's matcher bonds (`make demo`, `leasehold dev`, the keeper benchmarks), in
# whole payment-token units: a matcher matches at most half its bond of value per challenge window
# (docs/matching-accountability.md, "The exposure cap"), so the minimum bond (500 USD an hour)
# would skip most of a busy local market's pairs with EXPOSURE_CAP.
LOCAL_MATCHER_BOND = 1_000_000


def matcher_bond_params(decimals: int) -> tuple[int, int, int, int, int]:
    """MatcherBonds' default parameters for a payment token of `decimals`."""
    scale = 10**decimals
    return (
        MATCHER_BOND * scale,
        CHALLENGER_REWARD * scale,
        MATCH_CHALLENGE_WINDOW_SECONDS,
        MATCHER_UNBONDING_DELAY_SECONDS,
        MATCH_CHALLENGE_GRACE_SECONDS,
    )


def bond_matcher(matcher_bonds, payment_token, matcher, amount: int | None = None, *, payer=None) -> None:
    """Local chains and tests: mints `amount` (default: the minimum bond; `local_matcher_bond` for a
    busy local market) of the test stablecoin to
    `payer` (default: `matcher`, a brownie account) and bonds it for `matcher` (an account or an
    address), so `matcher` may match."""
    amount = matcher_bonds.params()[0] if amount is None else amount
    payer = payer or matcher
    payment_token.mint(payer, amount, {"from": payer})
    payment_token.approve(matcher_bonds, amount, {"from": payer})
    matcher_bonds.bondFor(matcher, amount, {"from": payer})


def local_matcher_bond(payment_token) -> int:
    """`LOCAL_MATCHER_BOND` in the base units of `payment_token` (a brownie contract)."""
    return LOCAL_MATCHER_BOND * 10 ** payment_token.decimals()


class DeploymentError(RuntimeError):
    """A deployment input is missing or wrong."""


@dataclass
class Deployment:
    """The deployed protocol, as brownie contract objects."""

    config: object
    registry: object
    market: object
    job_market: object
    step_verifiers: dict[str, object]  # workload name -> on-chain step verifier
    payment_token: object
    stake_token: object
    block_number: int
    matcher_bonds: object = None

    def as_file_contents(self, chain_id: int) -> dict:
        named = {
            "ProtocolConfig": self.config,
            "ProviderRegistry": self.registry,
            "LeaseMarket": self.market,
            "JobMarket": self.job_market,
            "MatcherBonds": self.matcher_bonds,
            "PaymentToken": self.payment_token,
            "StakeToken": self.stake_token,
            **{verifier._name: verifier for verifier in self.step_verifiers.values()},
        }
        abis = {name: c.abi for name, c in named.items()}
        abis["LeaseMarket"] = with_linked_errors(self.market.abi, _project().LeaseLiveness.abi)
        abis["JobMarket"] = with_linked_errors(self.job_market.abi, _project().JobDisputes.abi)
        return {
            "chainId": chain_id,
            "blockNumber": self.block_number,
            "contracts": {name: {"address": c.address, "abi": abis[name]} for name, c in named.items()},
        }


def with_linked_errors(abi: list[dict], *library_abis: list[dict]) -> list[dict]:
    """`abi` with the custom errors of the libraries linked into its contract added once each.

    A linked library's revert comes from the contract's address, but solc leaves the errors only
    the library raises out of the contract's ABI (LeaseMarket's liveness errors live in
    LeaseLiveness): added here, every revert decodes by the contract's ABI alone.
    """
    seen = {item["name"] for item in abi if item.get("type") == "error"}
    merged = list(abi)
    for library_abi in library_abis:
        for item in library_abi:
            if item.get("type") == "error" and item["name"] not in seen:
                seen.add(item["name"])
                merged.append(item)
    return merged


def load_catalogue(path: Path = CATALOGUE_FILE) -> list[dict]:
    try:
        models = json.loads(path.read_text())["models"]
    except (OSError, ValueError, KeyError) as error:
        raise DeploymentError(f"GPU catalogue {path}: {error}") from error
    for model in models:
        missing = {"id", "vram_gb", "tier", "collateral_per_unit"} - model.keys()
        if missing:
            raise DeploymentError(f"GPU catalogue {path}: model {model.get('id')!r} lacks {sorted(missing)}")
    return models


def _project():
    return project.get_loaded_projects()[0]


def deploy(
    deployer: Account,
    *,
    treasury: str | None = None,
    payment_token=None,
    stake_token=None,
    catalogue: list[dict] | None = None,
    tx_options: dict | None = None,
) -> Deployment:
    """Deploys config, registry, matcher bonds, both markets and the step verifiers, wires roles and
    workloads, seeds the GPU catalogue.

    Without tokens (local chains) a TestStablecoin serves as both.
    """
    build = _project()
    options = {"from": deployer, **(tx_options or {})}
    if payment_token is None:
        payment_token = build.TestStablecoin.deploy(options)
    stake_token = stake_token or payment_token

    config = build.ProtocolConfig.deploy(deployer, treasury or deployer, options)
    registry = build.ProviderRegistry.deploy(config, stake_token, options)
    # LeaseMarket links LeaseLiveness (docs/architecture.md): brownie links the library deployed
    # last, so it goes out first.
    build.LeaseLiveness.deploy(options)
    matcher_bonds = build.MatcherBonds.deploy(
        config, registry, payment_token, matcher_bond_params(payment_token.decimals()), options
    )
    market = build.LeaseMarket.deploy(config, registry, payment_token, matcher_bonds, options)
    matcher_bonds.setLeaseMarket(market, options)
    # JobMarket links JobDisputes, the bisection game, the same way.
    build.JobDisputes.deploy(options)
    job_market = build.JobMarket.deploy(config, registry, payment_token, market, options)
    for contract in (market, job_market):
        config.setRole(config.MARKET_ROLE(), contract, True, options)
        registry.cacheSettlingMarket(contract, options)
    market.setJobMarket(job_market, options)

    step_verifiers = {
        "hashchain": build.HashchainStepVerifier.deploy(options),
        "matvec": build.MatvecStepVerifier.deploy(options),
    }
    for name, verifier in step_verifiers.items():
        job_market.setWorkload(to_bytes32(name), verifier, False, options)
    for name in ARBITER_WORKLOADS:
        job_market.setWorkload(to_bytes32(name), ZERO_ADDRESS, True, options)

    scale = 10 ** stake_token.decimals()
    for model in catalogue if catalogue is not None else load_catalogue():
        config.setGpuModel(
            to_bytes32(model["id"]),
            model["vram_gb"],
            model["tier"],
            model["collateral_per_unit"] * scale,
            True,
            options,
        )
    return Deployment(
        config,
        registry,
        market,
        job_market,
        step_verifiers,
        payment_token,
        stake_token,
        web3.eth.block_number,
        matcher_bonds,
    )


def write_deployment(deployment: Deployment, directory: Path = DEPLOYMENTS_DIR) -> Path:
    chain_id = web3.eth.chain_id
    path = directory / f"{chain_id}.json"
    path.write_text(json.dumps(deployment.as_file_contents(chain_id), indent=2) + "\n")
    return path


def _env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise DeploymentError(f"{name} is not set (needed on a public network; see scripts/deploy.py)")
    return value


def main() -> None:
    chain_id = web3.eth.chain_id
    if chain_id in LOCAL_CHAIN_IDS:
        deployment = deploy(accounts[0])
    else:
        build = _project()
        deployer = accounts.load(_env("LEASEHOLD_DEPLOYER"))
        payment = build.IERC20Metadata.at(_env("LEASEHOLD_PAYMENT_TOKEN"))
        stake = build.IERC20Metadata.at(_env("LEASEHOLD_STAKE_TOKEN"))
        deployment = deploy(
            deployer,
            treasury=os.environ.get("LEASEHOLD_TREASURY") or deployer.address,
            payment_token=payment,
            stake_token=stake,
        )
        owner = os.environ.get("LEASEHOLD_OWNER")
        if owner:
            deployment.config.transferOwnership(owner, {"from": deployer})
    path = write_deployment(deployment)
    print(f"Leasehold deployed on chain {chain_id} ({network.show_active()}); addresses and ABIs in {path}")
