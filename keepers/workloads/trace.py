"""The trace commitment: an OpenZeppelin StandardMerkleTree over (uint256 index, bytes32 h_i).

Leaves are keccak256(keccak256(abi.encode(index, h_index))), sorted by value; the tree is the
complete binary tree in array form of `@openzeppelin/merkle-tree` (node k has children 2k+1 and
2k+2, leaves at the end in reverse sorted order), and inner nodes hash their children as a
sorted pair. So the root equals `StandardMerkleTree.of([[i, h_i]...], ["uint256", "bytes32"]).root`
and every proof verifies with OpenZeppelin `MerkleProof` (TraceProofs.sol on-chain).
"""

from collections.abc import Sequence

from keepers.workloads.base import WorkloadError, keccak256


def leaf_of(index: int, state_hash: bytes) -> bytes:
    """TraceProofs.leafOf: the leaf committing to `state_hash` as h_index."""
    return keccak256(keccak256(index.to_bytes(32, "big") + state_hash))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's commutative node hash: keccak256 of the two children, smaller first."""
    return keccak256(a + b if a < b else b + a)


def verify_proof(proof: Sequence[bytes], root: bytes, index: int, state_hash: bytes) -> bool:
    """TraceProofs.verify off-chain: whether `proof` shows h_index == state_hash under `root`."""
    node = leaf_of(index, state_hash)
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root


class TraceTree:
    """The Merkle tree of a trace h_0..h_N: its root and the proof of any h_i."""

    def __init__(self, state_hashes: Sequence[bytes]) -> None:
        count = len(state_hashes)
        if count == 0:
            raise WorkloadError("a trace has at least one state hash")
        for index, state_hash in enumerate(state_hashes):
            if len(state_hash) != 32:
                raise WorkloadError(f"state hash {index} is {len(state_hash)} bytes, expected 32")
        self.state_hashes = list(state_hashes)
        leaves = [leaf_of(index, state_hash) for index, state_hash in enumerate(self.state_hashes)]
        order = sorted(range(count), key=leaves.__getitem__)
        size = 2 * count - 1
        nodes: list[bytes] = [b""] * size
        self._position = [0] * count
        for rank, index in enumerate(order):
            self._position[index] = size - 1 - rank
            nodes[size - 1 - rank] = leaves[index]
        for node in range(size - count - 1, -1, -1):
            left, right = nodes[2 * node + 1], nodes[2 * node + 2]
            nodes[node] = keccak256(left + right if left < right else right + left)
        self._nodes = nodes

    def __len__(self) -> int:
        return len(self.state_hashes)

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    def proof(self, index: int) -> list[bytes]:
        """The sibling hashes from leaf `index` up to the root, in MerkleProof order."""
        if not 0 <= index < len(self.state_hashes):
            raise WorkloadError(f"trace index {index} is outside 0..{len(self.state_hashes) - 1}")
        node = self._position[index]
        proof = []
        while node > 0:
            proof.append(self._nodes[node + 1 if node % 2 else node - 1])
            node = (node - 1) // 2
        return proof
