"""Workload `hashchain`: s_{i+1} = keccak256(s_i) over 32-byte states (HashchainStepVerifier.sol)."""

from keepers.workloads.base import Workload, keccak256


class Hashchain(Workload):
    name = "hashchain"
    state_length = 32
    onchain = True

    def _step(self, state: bytes, index: int, seed: bytes) -> bytes:
        return keccak256(state)
