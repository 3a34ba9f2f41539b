"""Where the contracts live: `deployments/<chainId>.json`, and ABIs from build artefacts.

The deployment file is `{"chainId": int, "blockNumber": int, "contracts":
{"Name": {"address": "0x..", "abi": [...]}}}`; `blockNumber` is where an indexer
starts scanning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract

from keepers.errors import DeploymentError


@dataclass(frozen=True)
class ContractRecord:
    name: str
    address: str
    abi: list[dict[str, Any]]


@dataclass(frozen=True)
class Deployment:
    chain_id: int
    block_number: int
    contracts: dict[str, ContractRecord]
    source: Path

    @classmethod
    def load(cls, path: Path | str) -> Deployment:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as error:
            raise DeploymentError(f"deployment error: cannot read {path}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise DeploymentError(f"deployment error: {path}: invalid JSON: {error}") from None
        try:
            chain_id, block_number = int(data["chainId"]), int(data["blockNumber"])
            contracts = {
                name: ContractRecord(name, _checked_address(name, entry["address"]), list(entry["abi"]))
                for name, entry in data["contracts"].items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DeploymentError(f"deployment error: {path}: malformed entry: {error}") from None
        return cls(chain_id, block_number, contracts, path)

    def check_chain(self, w3: Web3) -> None:
        """Refuses to run against a node of another chain than the one deployed to."""
        node_chain_id = w3.eth.chain_id
        if node_chain_id != self.chain_id:
            raise DeploymentError(
                f"deployment error: {self.source} is for chain {self.chain_id} "
                f"but the node reports chain {node_chain_id}"
            )

    def check_code(self, w3: Web3) -> None:
        """Refuses a deployment whose contracts have no code on the node: a restarted local chain, or
        a file from another deployment. Without it the first read fails deep inside web3."""
        for record in self.contracts.values():
            if not w3.eth.get_code(record.address):
                raise DeploymentError(
                    f"deployment error: {self.source}: no contract code at {record.address} ({record.name}) "
                    f"on chain {self.chain_id}; was the chain restarted? deploy again (leasehold dev up) "
                    "or point chain.deployment at the right file"
                )

    def contract(self, w3: Web3, name: str) -> Contract:
        try:
            record = self.contracts[name]
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentError(f"deployment error: no contract {name} in {self.source} (has: {known})") from None
        return w3.eth.contract(address=record.address, abi=record.abi)


def load_deployment(path: Path | str, w3: Web3) -> Deployment:
    """Loads the deployment file and checks it against the node: its chain id, its contracts' code."""
    deployment = Deployment.load(path)
    deployment.check_chain(w3)
    deployment.check_code(w3)
    return deployment


def abi_from_build(name: str, build_dir: Path | str = Path("build") / "contracts") -> list[dict[str, Any]]:
    """The ABI of contract `name` from a brownie build artefact (`build/contracts/<Name>.json`)."""
    path = Path(build_dir) / f"{name}.json"
    try:
        return list(json.loads(path.read_text())["abi"])
    except OSError as error:
        raise DeploymentError(f"deployment error: cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DeploymentError(f"deployment error: {path}: no ABI ({error})") from None


def _checked_address(name: str, address: str) -> str:
    if not isinstance(address, str) or not is_address(address):
        raise ValueError(f"{name}.address {address!r} is not an address")
    return to_checksum_address(address)
