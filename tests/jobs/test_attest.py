"""attest: valid only by the verifier that claimed the drawn job, with the state hash at its spot
of the solver's trace and its proof (a lazy verifier cannot attest); invalid by VERIFIER_ROLE (the
claimant once claimed), not the solver, opening a dispute with the challenge bond. Once, inside
the window; valid restarts the window."""

import brownie

from helpers import event_args, reverts_with, reverts_with_args
from jobs.support import (
    A_INVALID,
    A_VALID,
    CHALLENGE_BOND,
    DISPUTED,
    HOUR,
    REVEAL,
    VERIFIER_BOND,
    ZERO32,
    dispute_of,
    h,
    job_of,
    make_terms,
    sleep_to,
)


def _attest_valid(ctx, job, spot_hash, proof, sender=None, terms=None):
    return ctx.job_market.attest(job.id, terms or job.terms, True, spot_hash, proof, {"from": sender or ctx.verifier})


def _attest_invalid(ctx, job, sender=None, terms=None):
    return ctx.job_market.attest(job.id, terms or job.terms, False, ZERO32, [], {"from": sender or ctx.verifier})


def test_revert_when_a_lazy_verifier_attests_valid_without_a_claim(ctx, driver):
    job = driver.open_drawn()
    spot_hash, proof = driver.spot(job, ctx.verifier)
    with reverts_with_args("JobMarket_NotClaimant", job.id, ctx.verifier.address):
        _attest_valid(ctx, job, spot_hash, proof)


def test_revert_when_the_claimant_attests_valid_without_a_proof(ctx, driver):
    """The lazy verifier: it claimed the drawn job but holds no trace, so it has no proof."""
    job = driver.open_drawn()
    driver.claim(job)
    index = ctx.job_market.spotIndex(job.solver.root, ctx.verifier, job.steps)
    with reverts_with_args("JobMarket_InvalidSpotProof", job.id, index):
        _attest_valid(ctx, job, ZERO32, [])


def test_revert_when_the_claimant_attests_valid_with_a_wrong_proof(ctx, driver):
    """A guessed hash, or the right proof of another verifier's spot, proves nothing."""
    job = driver.open_drawn(steps=16)
    driver.claim(job)
    index = ctx.job_market.spotIndex(job.solver.root, ctx.verifier, job.steps)
    other = (index + 1) % (job.steps + 1)
    with reverts_with_args("JobMarket_InvalidSpotProof", job.id, index):
        _attest_valid(ctx, job, h(job.solver.hashes[other]), job.solver.proof(other))
    with reverts_with_args("JobMarket_InvalidSpotProof", job.id, index):
        _attest_valid(ctx, job, h(b"\x01" * 32), job.solver.proof(index))


def test_revert_when_the_proof_is_of_another_trace(ctx, driver):
    """A verifier whose re-execution disagrees with the solver cannot vouch for the result."""
    job = driver.open_drawn(fault_from_step=1)
    driver.claim(job)
    spot_hash, proof = driver.spot(job, ctx.verifier, trace=job.honest)
    with reverts_with("JobMarket_InvalidSpotProof"):
        _attest_valid(ctx, job, spot_hash, proof)


def test_revert_when_another_verifier_attests_a_claimed_job(ctx, driver):
    other = ctx.stranger
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), other, True, {"from": ctx.governance})
    job = driver.open_drawn()
    driver.claim(job)
    spot_hash, proof = driver.spot(job, other)
    with reverts_with_args("JobMarket_NotClaimant", job.id, other.address):
        _attest_valid(ctx, job, spot_hash, proof, sender=other)
    with reverts_with_args("JobMarket_NotClaimant", job.id, other.address):
        _attest_invalid(ctx, job, sender=other)


def test_revert_when_caller_lacks_verifier_role(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("Leasehold_MissingRole"):
        _attest_invalid(ctx, job, sender=ctx.stranger)


def test_revert_when_verifier_is_the_provider(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.provider, True, {"from": ctx.governance})
    job = driver.open_submitted()
    with reverts_with("JobMarket_VerifierIsProvider"):
        _attest_invalid(ctx, job, sender=ctx.provider)


def test_revert_when_already_attested(ctx, driver):
    job = driver.open_drawn()
    driver.attest_valid(job)
    with reverts_with("JobMarket_AlreadyAttested"):
        _attest_invalid(ctx, job)


def test_revert_when_terms_mismatch(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_TermsMismatch"):
        _attest_invalid(ctx, job, terms=make_terms(steps=3)[0])


def test_revert_when_no_result_yet(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest_invalid(ctx, job)


def test_revert_when_window_closed(ctx, driver):
    job = driver.open_drawn()
    driver.claim(job)
    spot_hash, proof = driver.spot(job, ctx.verifier)
    sleep_to(job_of(ctx.job_market, job.id)["windowEndsAt"])
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest_valid(ctx, job, spot_hash, proof)


def test_revert_when_dispute_open(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest_invalid(ctx, job)


def test_when_the_claimant_attests_valid_the_window_restarts_in_full(ctx, driver):
    job = driver.open_drawn(window=HOUR)
    driver.claim(job)
    brownie.chain.sleep(1800)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.attest_valid(job, claim=False)
    assert event_args(tx, "Attested") == {
        "jobId": job.id,
        "verifier": ctx.verifier,
        "valid": True,
        "bond": VERIFIER_BOND,
        "windowEndsAt": tx.timestamp + HOUR,
    }
    stored = job_of(ctx.job_market, job.id)
    assert stored["attestation"] == A_VALID and stored["verifier"] == ctx.verifier
    assert stored["verifierBond"] == VERIFIER_BOND and stored["windowEndsAt"] == tx.timestamp + HOUR
    assert ctx.token.balanceOf(ctx.verifier) == before  # the bond was posted with the claim


def test_the_spot_is_bound_to_the_verifier(ctx, driver):
    """A copied attestation is useless: another verifier's spot is another step (almost always)."""
    job = driver.open_drawn(steps=1024)
    spots = {ctx.job_market.spotIndex(job.solver.root, a, job.steps) for a in (ctx.verifier, ctx.stranger, ctx.tenant)}
    assert len(spots) == 3
    assert all(0 <= i <= job.steps for i in spots)


def test_when_verifier_attests_invalid_a_dispute_opens_with_the_challenge_bond(ctx, driver):
    job = driver.open_submitted(fault_from_step=2)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = _attest_invalid(ctx, job)
    assert event_args(tx, "Attested")["valid"] is False
    assert event_args(tx, "Attested")["bond"] == CHALLENGE_BOND
    opened = event_args(tx, "DisputeOpened")
    assert opened["challenger"] == ctx.verifier and opened["phase"] == REVEAL and opened["number"] == 1
    stored = job_of(ctx.job_market, job.id)
    assert stored["attestation"] == A_INVALID and stored["status"] == DISPUTED and stored["verifierBond"] == 0
    d = dispute_of(ctx.job_market, job.id)
    assert d["challenger"] == ctx.verifier and d["bond"] == CHALLENGE_BOND
    assert before - ctx.token.balanceOf(ctx.verifier) == CHALLENGE_BOND
