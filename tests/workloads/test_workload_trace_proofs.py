"""Trace commitments: Python TraceTree proofs verified on-chain by TraceProofs through its harness."""

import pytest

from keepers.workloads import TraceTree, WorkloadError, keccak256, leaf_of, verify_proof


def hashes(count: int, label: bytes = b"trace") -> list[bytes]:
    return [keccak256(label + index.to_bytes(4, "big")) for index in range(count)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 33])
def test_every_proof_verifies_on_chain(trace_harness, size):
    state_hashes = hashes(size)
    tree = TraceTree(state_hashes)
    for index, state_hash in enumerate(state_hashes):
        proof = tree.proof(index)
        assert trace_harness.verify(proof, tree.root, index, state_hash) is True
        assert verify_proof(proof, tree.root, index, state_hash)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 33])
def test_proof_fails_for_a_wrong_index_or_hash(trace_harness, size):
    state_hashes = hashes(size)
    tree = TraceTree(state_hashes)
    for index, state_hash in enumerate(state_hashes):
        proof = tree.proof(index)
        wrong_hash = keccak256(state_hash)
        assert trace_harness.verify(proof, tree.root, index, wrong_hash) is False
        assert trace_harness.verify(proof, tree.root, index + 1, state_hash) is False
        assert not verify_proof(proof, tree.root, index, wrong_hash)
        assert not verify_proof(proof, tree.root, index + 1, state_hash)


def test_proof_fails_against_another_root(trace_harness):
    tree = TraceTree(hashes(5))
    other = TraceTree(hashes(5, b"other"))
    assert trace_harness.verify(tree.proof(2), other.root, 2, tree.state_hashes[2]) is False


def test_single_state_tree_root_is_its_leaf(trace_harness):
    state_hash = keccak256(b"only")
    tree = TraceTree([state_hash])
    assert tree.root == leaf_of(0, state_hash)
    assert tree.proof(0) == []


def test_leaf_of_matches_solidity(trace_harness):
    for index, state_hash in [(0, bytes(32)), (7, keccak256(b"x")), (2**24, b"\xff" * 32)]:
        assert bytes(trace_harness.leafOf(index, state_hash)) == leaf_of(index, state_hash)


def test_root_follows_the_standard_merkle_tree_layout():
    # Three leaves sorted ascending a < b < c sit at tree[4], tree[3], tree[2]:
    # root = hash(c, hash(b, a)), as `StandardMerkleTree.of` builds it.
    state_hashes = hashes(3)
    a, b, c = sorted(leaf_of(index, h) for index, h in enumerate(state_hashes))
    pair = lambda x, y: keccak256(min(x, y) + max(x, y))  # noqa: E731
    assert TraceTree(state_hashes).root == pair(c, pair(b, a))


def test_refuses_an_empty_trace_or_a_short_hash():
    with pytest.raises(WorkloadError, match="at least one state hash"):
        TraceTree([])
    with pytest.raises(WorkloadError, match="state hash 1 is 31 bytes, expected 32"):
        TraceTree([bytes(32), bytes(31)])


def test_refuses_a_proof_index_outside_the_trace():
    with pytest.raises(WorkloadError, match=r"trace index 5 is outside 0\.\.4"):
        TraceTree(hashes(5)).proof(5)
