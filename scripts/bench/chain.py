"""The pipeline benchmark's market: one Anvil, the protocol, providers with offers, funded tenants.

Set-up and load go through raw signed transactions with nonces counted here and no
wait per transaction (Anvil automines each on arrival), so building a backlog of
thousands of requests takes seconds; every receipt is checked afterwards. The
keepers under test use their own senders, unchanged.
"""

from __future__ import annotations

import contextlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_utils import keccak
from web3 import HTTPProvider, Web3

from keepers.deployment import load_deployment
from keepers.devchain import Anvil
from keepers.ids import to_bytes32

USD = 10**6
HOUR = 3_600
GOVERNANCE, MATCHER, SETTLER = 0, 2, 3
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
# Offered models and their reference price per unit-hour (USD): cheap cards keep the stakes small.
MODELS = {"nvidia-t4-16gb": 0.35, "nvidia-rtx-4090-24gb": 0.70, "nvidia-rtx-a6000-48gb": 0.90, "nvidia-l40s-48gb": 1.20}
REGIONS = ["eu-west", "us-east", "us-west", "ap-south"]
GAS = {
    "approve": 100_000,
    "register": 300_000,
    "stake": 300_000,
    "offer": 400_000,
    "request": 600_000,
    "emit": 3_000_000,
}
MATCH_GAS_PER_PAIR = 250_000


def anvil_key(index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.to_0x_hex()


@dataclass
class Offer:
    offer_id: int
    model: str
    price: int
    units: int


class RawSender:
    """Signs and broadcasts for a set of keys, counting nonces itself; never waits per transaction."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.chain_id = w3.eth.chain_id
        self._nonces: dict[str, int] = {}
        self._last: dict[str, str] = {}  # sender -> its last hash
        self.sent: list[str] = []

    def reset(self) -> None:
        """Forgets the nonces (after an evm_revert)."""
        self._nonces.clear()
        self._last.clear()
        self.sent.clear()

    def send(self, account, fn, gas: int) -> str:
        address = account.address
        if address not in self._nonces:
            self._nonces[address] = self.w3.eth.get_transaction_count(address, "pending")
        tx = {
            "to": fn.address,
            "data": fn._encode_transaction_data(),
            "value": 0,
            "nonce": self._nonces[address],
            "gas": gas,
            "chainId": self.chain_id,
            "maxFeePerGas": 2 * 10**9,
            "maxPriorityFeePerGas": 0,
            "type": 2,
        }
        signed = account.sign_transaction(tx)
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction).to_0x_hex()
        self._nonces[address] += 1
        self.sent.append(tx_hash)
        self._last[address] = tx_hash
        return tx_hash

    def settle(self) -> list[dict]:
        """Waits for every transaction sent since the last call; raises if one reverted."""
        receipts = []
        hashes, self.sent = self.sent, []
        for tx_hash in self._last.values():  # each sender's transactions are mined in nonce order
            self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=600, poll_latency=0.05)
        self._last.clear()
        for start in range(0, len(hashes), 200):
            with self.w3.batch_requests() as batch:
                for tx_hash in hashes[start : start + 200]:
                    batch.add(self.w3.eth.get_transaction_receipt(tx_hash))
                receipts.extend(batch.execute())
        failed = [r["transactionHash"].to_0x_hex() for r in receipts if r["status"] != 1]
        if failed:
            raise RuntimeError(f"{len(failed)} set-up transactions reverted, first {failed[0]}")
        return receipts


class BenchMarket:
    """The deployed protocol with `providers` providers (two offers each) and `tenants` funded tenants."""

    def __init__(self, workdir: Path, seed: int, providers: int, units_per_offer: int, tenants: int) -> None:
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.seed = seed
        self.n_providers = providers
        self.units_per_offer = units_per_offer
        self.n_tenants = tenants
        self.anvil = Anvil(accounts=10, base_fee_wei=0)
        self.offers: list[Offer] = []

    # ---------------------------------------------------------------- set-up

    def start(self) -> BenchMarket:
        self.anvil.start()
        self.w3 = Web3(HTTPProvider(self.anvil.url, request_kwargs={"timeout": 120}))
        self._deploy()
        self.deployment = load_deployment(self.deployment_path, self.w3)
        self.market = self.deployment.contract(self.w3, "LeaseMarket")
        self.registry = self.deployment.contract(self.w3, "ProviderRegistry")
        self.config = self.deployment.contract(self.w3, "ProtocolConfig")
        self.token = self.deployment.contract(self.w3, "PaymentToken")
        self.raw = RawSender(self.w3)
        self.governance = Account.from_key(anvil_key(GOVERNANCE))
        self.matcher = Account.from_key(anvil_key(MATCHER))
        self.settler = Account.from_key(anvil_key(SETTLER))
        self.provider_accounts = [self._account("provider", i) for i in range(self.n_providers)]
        self.tenant_accounts = [self._account("tenant", i) for i in range(self.n_tenants)]
        self._fund_and_list()
        self.params = dict(
            zip(
                [
                    c["name"]
                    for c in next(e for e in self.config.abi if e.get("name") == "params")["outputs"][0]["components"]
                ],
                self.config.functions.params().call(),
            )
        )
        self._snapshots = {"market": self.anvil.rpc("evm_snapshot")}
        return self

    def stop(self) -> None:
        self.anvil.stop()

    def _deploy(self) -> None:
        from brownie import accounts

        from scripts.deploy import bond_matcher, deploy, local_matcher_bond, write_deployment
        from scripts.localchain import brownie_on_anvil

        with brownie_on_anvil(self.anvil) as build, contextlib.redirect_stdout(io.StringIO()):
            deployment = deploy(accounts[GOVERNANCE])
            config = deployment.config
            config.setRole(config.MATCHER_ROLE(), accounts[MATCHER], True, {"from": accounts[GOVERNANCE]})
            token = deployment.payment_token
            bond_matcher(deployment.matcher_bonds, token, accounts[MATCHER], local_matcher_bond(token))
            self.emitter_address = build.BulkEventEmitter.deploy({"from": accounts[GOVERNANCE]}).address
            self.deployment_path = write_deployment(deployment, self.workdir)

    def _account(self, kind: str, index: int):
        account = Account.from_key(keccak(f"leasehold-bench-{self.seed}-{kind}-{index}".encode()))
        self.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**24)])
        return account

    def _fund_and_list(self) -> None:
        raw, token, registry = self.raw, self.token.functions, self.registry.functions
        models = list(MODELS)
        for account in self.provider_accounts + self.tenant_accounts:
            raw.send(self.governance, token.mint(account.address, 10**9 * USD), GAS["approve"])
        for account in self.tenant_accounts:
            raw.send(account, token.approve(self.market.address, 2**256 - 1), GAS["approve"])
        for i, account in enumerate(self.provider_accounts):
            raw.send(account, token.approve(self.registry.address, 2**256 - 1), GAS["approve"])
            raw.send(
                account,
                registry.registerProvider(to_bytes32(REGIONS[i % len(REGIONS)]), f"https://p{i}.bench"),
                GAS["register"],
            )
            raw.send(account, registry.stake(10**8 * USD), GAS["stake"])
            for model in (models[i % len(models)], models[(i + 1) % len(models)]):
                price = int(MODELS[model] * self.rng.uniform(0.8, 1.2) * USD)
                raw.send(
                    account, registry.addOffer(to_bytes32(model), self.units_per_offer, price, 12 * HOUR), GAS["offer"]
                )
                self.offers.append(Offer(len(self.offers) + 1, model, price, self.units_per_offer))
        raw.settle()

    def snapshot(self, name: str) -> None:
        """Names the chain as it is now, to come back to with `revert(name)`."""
        self._snapshots[name] = self.anvil.rpc("evm_snapshot")

    def revert(self, name: str = "market") -> None:
        """Back to a named state (by default the market as set up: no request, every offer free).

        Reverting drops the snapshots taken after that one.
        """
        snapshot = self._snapshots[name]
        self.anvil.rpc("evm_revert", [snapshot])
        self._snapshots = {key: value for key, value in self._snapshots.items() if int(value, 16) < int(snapshot, 16)}
        self._snapshots[name] = self.anvil.rpc("evm_snapshot")
        self.raw.reset()

    # ---------------------------------------------------------------- load

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def request_spec(self, now: int) -> tuple[tuple, int]:
        """A one-unit, one-hour request some offer serves (a named model or a VRAM floor); (spec, deposit)."""
        model = self.rng.choice(list(MODELS))
        by_model = self.rng.random() < 0.7
        max_price = int(MODELS[model] * 1.5 * USD)
        spec = (
            to_bytes32(model) if by_model else b"\0" * 32,
            0 if by_model else 16,
            1,
            b"\0" * 32,
            0,
            0,
            max_price,
            HOUR,
            now + 6 * HOUR,
            0,
            b"\0" * 32,
            False,
        )
        deposit = self.params["matchFee"] + self.params["settleBounty"] + max_price
        return spec, deposit

    def send_request(self, tenant_index: int, now: int) -> tuple[str, tuple]:
        spec, deposit = self.request_spec(now)
        account = self.tenant_accounts[tenant_index % len(self.tenant_accounts)]
        return self.raw.send(account, self.market.functions.createRequest(spec, deposit), GAS["request"]), spec

    def create_requests(self, count: int) -> dict[int, tuple]:
        """`count` requests from the tenants in turn; request id -> spec."""
        now = self.now()
        first = self.market.functions.nextRequestId().call()
        specs = {first + i: self.send_request(i, now)[1] for i in range(count)}
        self.raw.settle()
        return specs

    def match_all_directly(self, specs: dict[int, tuple], batch: int = 100) -> None:
        """Matches requests to offers first-fit, by raw matchRequests from the matcher account (settler set-up)."""
        free = {offer.offer_id: offer.units for offer in self.offers}
        pairs = []
        for request_id, spec in sorted(specs.items()):
            model, max_price = spec[0], spec[6]
            fit = next(
                o
                for o in self.offers
                if free[o.offer_id] > 0 and o.price <= max_price and (not any(model) or model == to_bytes32(o.model))
            )
            free[fit.offer_id] -= 1
            pairs.append((request_id, fit.offer_id))
        for start in range(0, len(pairs), batch):
            chunk = pairs[start : start + batch]
            self.raw.send(self.matcher, self.market.functions.matchRequests(chunk), MATCH_GAS_PER_PAIR * len(chunk))
        self.raw.settle()

    def advance(self, seconds: int) -> None:
        self.anvil.rpc("evm_increaseTime", [seconds])
        self.anvil.rpc("evm_mine")

    def keeper_config(self, name: str, key_env: str, role: dict, **chain) -> dict:
        return {
            "chain": {
                "rpc_url": self.anvil.url,
                "chain_id": 31337,
                "deployment": str(self.deployment_path),
                "confirmations": 0,
                **chain,
            },
            "account": {"private_key_env": key_env},
            "transactions": {"state_dir": str(self.workdir / "state" / name)},
            "metrics": {"host": "127.0.0.1", "port": 0, "stale_head_seconds": 10**9},
            "role": role,
        }
