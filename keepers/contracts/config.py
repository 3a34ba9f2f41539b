"""ProtocolConfig: the governance-set parameters and the GPU catalogue (reads only for keepers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3.types import BlockIdentifier

from keepers.contracts.base import ContractWrapper
from keepers.contracts.transact import Transact


class ProtocolConfig(ContractWrapper):
    def set_role(self, role: bytes, account: str, granted: bool) -> Transact:
        """Governance only: grants or revokes `role`."""
        return self._transact("setRole", role, account, granted)

    def params(self, *, block: BlockIdentifier = "latest") -> dict[str, Any]:
        """`Config.Params` by field name."""
        return self._struct("params", block=block)

    def verification_terms(self) -> tuple[int, int]:
        """(verifierBond, verificationSampleBps): what a claim posts and how many jobs are drawn."""
        bond, sample_bps = self._call("verificationTerms")
        return bond, sample_bps

    def paused(self) -> bool:
        return self._call("paused")

    def treasury(self) -> str:
        return self._call("treasury")

    def gpu_model(self, model_id: bytes) -> dict[str, Any]:
        """`Config.GpuModel` of one catalogue id by field name."""
        return self._struct("gpuModel", model_id)

    def gpu_models(self, model_ids: Iterable[bytes], *, block: BlockIdentifier) -> list[dict[str, Any]]:
        """`Config.GpuModel` of each catalogue id, batched at one block."""
        return self._structs("gpuModel", model_ids, block=block)

    def has_role(self, role: bytes, account: str) -> bool:
        return self._call("hasRole", role, account)

    def market_params(self) -> dict[str, Any]:
        """`Config.MarketParams` by field name: the pause flag and what requests and matches read."""
        return self._struct("marketParams")

    def catalogue_ids(self, from_block: int) -> list[bytes]:
        """Every GPU model id the catalogue has ever had, from its `GpuModelSet` events."""
        logs = self.contract.events.GpuModelSet.get_logs(from_block=from_block, to_block="latest")
        return sorted({bytes(log["args"]["gpuModel"]) for log in logs})
