"""ProtocolConfig: the governance-set parameters and the GPU catalogue (reads only for keepers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from web3.types import BlockIdentifier

from keepers.contracts.base import ContractWrapper


class ProtocolConfig(ContractWrapper):
    def params(self, *, block: BlockIdentifier = "latest") -> dict[str, Any]:
        """`Config.Params` by field name."""
        return self._struct("params", block=block)

    def treasury(self) -> str:
        return self._call("treasury")

    def gpu_model(self, model_id: bytes) -> dict[str, Any]:
        """`Config.GpuModel` of one catalogue id by field name."""
        return self._struct("gpuModel", model_id)

    def gpu_models(self, model_ids: Iterable[bytes], *, block: BlockIdentifier) -> list[dict[str, Any]]:
        """`Config.GpuModel` of each catalogue id, batched at one block."""
        return self._structs("gpuModel", model_ids, block=block)
