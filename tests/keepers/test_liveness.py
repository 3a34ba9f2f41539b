"""keepers/liveness.py, the capacity proof the provider keeper answers liveness challenges with.

Off-chain: the vector the SDK's twin (sdk/test/liveness.test.ts) checks too, the sizes the chain
asks, and the spot check refusing partial work. On chain the same proofs are checked in
tests/market/test_liveness.py and tests/security/test_dark_gpu.py.
"""

import pytest

from keepers import liveness

SEED = bytes.fromhex("ab" * 32)


def test_the_proof_for_a_seed_and_3_units_is_the_sdk_twins():
    proof = liveness.prove(SEED, 3)
    assert proof.root.hex() == "28b7186a76fd794a7bab9847e391dd627c422b579e0d0c2748ebde1248b44407"
    assert proof.indices == [21, 16, 45, 76, 85, 79, 61, 1]
    assert liveness.seed_slot(7) == 0xD951F06F6BF0CA8C347330737EBEBD7B47D50B2025CF8657B5049B3668FAD5FD


@pytest.mark.parametrize("units, depth", [(1, 5), (2, 6), (3, 7), (8, 8), (1024, 15)])
def test_the_answer_has_the_length_the_chain_asks(units, depth):
    assert liveness.depth(units) == depth
    if units <= 8:
        answer = liveness.prove(SEED, units).answer
        assert len(answer) == 32 * (1 + depth * liveness.LIVENESS_SPOT_CHECKS)


def test_the_whole_work_passes_and_partial_work_or_another_seed_does_not():
    honest = liveness.prove(SEED, 2)
    assert liveness.passes(SEED, 2, honest)
    assert not liveness.passes(bytes(32), 2, honest)
    assert not liveness.passes(SEED, 2, liveness.partial(SEED, 2, 0.0))
    # A tenth of the leaves: each drawn leaf is one of them with 1/10, all eight with 10^-8.
    assert not liveness.passes(SEED, 2, liveness.partial(SEED, 2, 0.1))
    assert not liveness.passes(SEED, 3, honest)
