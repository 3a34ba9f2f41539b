"""The liveness capacity proof: the one Python twin of `LeaseLiveness.capacityLeaf` and its spot check.

A liveness challenge fixes a seed (`LivenessChallenged.seed`). The answer is the work sized to
the lease: `units x LIVENESS_LEAVES_PER_UNIT` independent leaves, leaf i being
`LIVENESS_CHAIN_STEPS` keccak256 steps from keccak256(seed, i), under a sorted-pair keccak Merkle
tree (OpenZeppelin MerkleProof) padded with zero leaves to a power of two. The chain draws
`LIVENESS_SPOT_CHECKS` leaves from (seed, root), recomputes each and checks its path to the root.
keccak stands in for the GPU kernel (docs/leases.md, "Liveness: a capacity proof"): the provider
keeper runs it on the CPU at the contracts' test-sized constants. `partial` is what a provider
without the capacity can send: a root over only a share of the leaves (the rest left zero).
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_hash.auto import keccak

from keepers.contracts.types import LIVENESS_CHAIN_STEPS, LIVENESS_LEAVES_PER_UNIT, LIVENESS_SPOT_CHECKS

_ZERO = bytes(32)
# LeaseLiveness._SEEDS_SLOT, keccak256("leasehold.LeaseLiveness.seeds"): the base slot of the mapping,
# in LeaseMarket's storage, from a lease id to the seed of its latest challenge.
SEEDS_SLOT = keccak(b"leasehold.LeaseLiveness.seeds")


@dataclass(frozen=True)
class CapacityProof:
    """A capacity proof: the root and the drawn leaves' sibling paths; `answer` is what `respondLiveness` takes."""

    root: bytes
    proof: list[bytes]  # LIVENESS_SPOT_CHECKS paths of `depth` siblings, one after the other
    indices: list[int]  # the drawn leaves, for logs and tests

    @property
    def answer(self) -> bytes:
        """`respondLiveness(leaseId, answer)`'s `answer`: the root, then every sibling, 32 bytes each."""
        return self.root + b"".join(self.proof)


def seed_slot(lease_id: int) -> int:
    """The storage slot of a lease's latest challenge seed in LeaseMarket (`_seeds().byLease[leaseId]`)."""
    return int.from_bytes(keccak(lease_id.to_bytes(32, "big") + SEEDS_SLOT), "big")


def leaf_count(units: int) -> int:
    return units * LIVENESS_LEAVES_PER_UNIT


def depth(units: int) -> int:
    """The tree's depth: ceil(log2(leaves)), as `Math.log2(leaves, Ceil)` on chain."""
    return (leaf_count(units) - 1).bit_length()


def leaf(seed: bytes, index: int, steps: int = LIVENESS_CHAIN_STEPS) -> bytes:
    """Leaf `index`: `steps` keccak256 steps from keccak256(seed, index) (`LeaseLiveness.capacityLeaf`)."""
    h = keccak(seed + index.to_bytes(32, "big"))
    for _ in range(steps):
        h = keccak(h)
    return h


def spot_indices(seed: bytes, root: bytes, units: int) -> list[int]:
    """The leaves the chain draws from (seed, root): keccak256(abi.encode(seed, root, spot)) % leaves."""
    leaves = leaf_count(units)
    return [
        int.from_bytes(keccak(seed + root + spot.to_bytes(32, "big")), "big") % leaves
        for spot in range(LIVENESS_SPOT_CHECKS)
    ]


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [leaves]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([_hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)])
    return levels


def _path(levels: list[list[bytes]], index: int) -> list[bytes]:
    path = []
    for level in levels[:-1]:
        path.append(level[index ^ 1])
        index //= 2
    return path


def prove_leaves(seed: bytes, units: int, leaves: list[bytes]) -> CapacityProof:
    """The answer for a given set of leaves (the first `leaf_count(units)`; zero-padded to the tree)."""
    size = 1 << depth(units)
    levels = _levels(leaves + [_ZERO] * (size - len(leaves)))
    root = levels[-1][0]
    indices = spot_indices(seed, root, units)
    return CapacityProof(root=root, proof=[node for i in indices for node in _path(levels, i)], indices=indices)


def prove(seed: bytes, units: int) -> CapacityProof:
    """The honest answer: every leaf computed (the whole work, sized to the leased units)."""
    return prove_leaves(seed, units, [leaf(seed, i) for i in range(leaf_count(units))])


def partial(seed: bytes, units: int, share: float) -> CapacityProof:
    """An answer without the whole work: only the first `share` of the leaves computed, the rest zero.

    Each drawn leaf is one computed with probability `share`, so it passes with `share ** SPOT_CHECKS`.
    """
    count = leaf_count(units)
    done = int(count * share)
    return prove_leaves(seed, units, [leaf(seed, i) if i < done else _ZERO for i in range(count)])


def passes(seed: bytes, units: int, answer: CapacityProof) -> bool:
    """The chain's spot check, off-chain: whether `respondLiveness` would take `answer`."""
    d = depth(units)
    if len(answer.proof) != d * LIVENESS_SPOT_CHECKS:
        return False
    for spot, index in enumerate(spot_indices(seed, answer.root, units)):
        node = leaf(seed, index)
        for sibling in answer.proof[spot * d : (spot + 1) * d]:
            node = _hash_pair(node, sibling)
        if node != answer.root:
            return False
    return True
