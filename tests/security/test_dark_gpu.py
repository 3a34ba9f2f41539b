"""Issue 12, property 7 ("Dark GPU, live key"): a liveness answer must carry the capacity proof.

A provider that re-lets the leased GPU and keeps a bot answering used to be paid and never
slashed. Now the answer is a capacity proof for the seed the challenge fixed (docs/leases.md,
"Liveness: a capacity proof"): a bot without the work is refused, the challenge stays open and is
resolved and slashed; a proof for another challenge or lease is refused; a partial trace fails
its spot checks, grinding roots included. Each case is set beside the honest answer that passes,
so the test can fail.
"""

import os

import pytest
from brownie import chain, web3

from keepers import liveness

from helpers import event_args, liveness_answer, respond_liveness
from security.token_support import UNITS, open_lease, protocol


@pytest.fixture(scope="module")
def p(TestStablecoin, accounts):
    return protocol(TestStablecoin.deploy({"from": accounts[0]}), accounts)


def _challenge(p, lease):
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    return p.market.challengeLiveness(lease, {"from": p.challenger})


def _seed(p, lease) -> bytes:
    return bytes(web3.eth.get_storage_at(p.market.address, liveness.seed_slot(lease)))


def _refused(p, lease, answer: bytes) -> str:
    with pytest.raises(Exception) as refusal:
        p.market.respondLiveness(lease, answer, {"from": p.provider})
    return str(refusal.value)


def test_a_bot_without_the_work_is_refused_then_slashed_while_the_honest_answer_passes(p):
    honest, dark = open_lease(p, p.offer), open_lease(p, p.offer)
    _challenge(p, honest)
    p.market.challengeLiveness(dark, {"from": p.challenger})
    stake_before = p.registry.totalStake()

    # The bot: a CPU at a hundredth of the GPU's rate computes 1 % of the leaves in the window.
    bot = liveness_answer(p.market, dark, share=0.01)
    assert not liveness.passes(_seed(p, dark), UNITS, bot)
    assert "LeaseMarket_LivenessProofInvalid" in _refused(p, dark, bot.answer)
    assert "LivenessAnswered" in respond_liveness(p.market, honest, p.provider).events

    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    tx = p.market.resolveLiveness(dark, {"from": p.stranger})
    slashed = event_args(tx, "LivenessResolved")["slashed"]
    assert slashed > 0
    assert p.registry.totalStake() == stake_before - slashed
    assert p.registry.provider(p.provider)["livenessMissed"] == 1
    with pytest.raises(Exception, match="LeaseMarket_NoOpenChallenge"):
        p.market.resolveLiveness(honest, {"from": p.stranger})


def test_a_proof_for_another_lease_or_an_earlier_challenge_is_refused(p):
    a, b = open_lease(p, p.offer), open_lease(p, p.offer)
    _challenge(p, a)
    p.market.challengeLiveness(b, {"from": p.challenger})
    proof_of_b = liveness_answer(p.market, b)
    assert "LeaseMarket_LivenessProofInvalid" in _refused(p, a, proof_of_b.answer)
    earlier = liveness_answer(p.market, a)
    respond_liveness(p.market, a, p.provider)
    respond_liveness(p.market, b, p.provider)

    _challenge(p, a)
    assert _seed(p, a) != bytes(32)
    assert "LeaseMarket_LivenessProofInvalid" in _refused(p, a, earlier.answer)
    assert "LivenessAnswered" in respond_liveness(p.market, a, p.provider).events


def test_a_partial_trace_fails_even_when_it_grinds_roots(p):
    """A tenth of the leaves and 200 roots tried off-chain (each one garbage leaf changed): every
    try passes with 0.1^8, so none does; the best try is refused on chain."""
    lease = open_lease(p, p.offer)
    _challenge(p, lease)
    seed = _seed(p, lease)
    count = liveness.leaf_count(UNITS)
    done = count // 10
    leaves = [liveness.leaf(seed, i) if i < done else bytes(32) for i in range(count)]
    tries = []
    for _ in range(200):
        leaves[-1] = os.urandom(32)  # a leaf it never computed: a new root for a path's hashes
        tries.append(liveness.prove_leaves(seed, UNITS, leaves))
    assert not any(liveness.passes(seed, UNITS, answer) for answer in tries)
    computed = [sum(i < done for i in answer.indices) for answer in tries]
    best = tries[computed.index(max(computed))]
    assert "LeaseMarket_LivenessProofInvalid" in _refused(p, lease, best.answer)
    assert "LivenessAnswered" in respond_liveness(p.market, lease, p.provider).events
