"""attest: VERIFIER_ROLE, not the solver, once, inside the window; valid restarts the window,
invalid opens a dispute with the verifier as challenger and the challenge bond."""

import brownie

from helpers import event_args, reverts_with
from jobs.support import (
    A_INVALID,
    A_VALID,
    CHALLENGE_BOND,
    DISPUTED,
    HOUR,
    REVEAL,
    VERIFIER_BOND,
    dispute_of,
    job_of,
    make_terms,
    sleep_to,
)


def _attest(ctx, job, valid=True, sender=None, terms=None):
    return ctx.job_market.attest(job.id, terms or job.terms, valid, {"from": sender or ctx.verifier})


def test_revert_when_caller_lacks_verifier_role(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("Leasehold_MissingRole"):
        _attest(ctx, job, sender=ctx.stranger)


def test_revert_when_verifier_is_the_provider(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.provider, True, {"from": ctx.governance})
    job = driver.open_submitted()
    with reverts_with("JobMarket_VerifierIsProvider"):
        _attest(ctx, job, sender=ctx.provider)


def test_revert_when_already_attested(ctx, driver):
    job = driver.open_submitted()
    _attest(ctx, job)
    with reverts_with("JobMarket_AlreadyAttested"):
        _attest(ctx, job, valid=False)


def test_revert_when_terms_mismatch(ctx, driver):
    job = driver.open_submitted()
    with reverts_with("JobMarket_TermsMismatch"):
        _attest(ctx, job, terms=make_terms(steps=3)[0])


def test_revert_when_no_result_yet(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest(ctx, job)


def test_revert_when_window_closed(ctx, driver):
    job = driver.open_submitted()
    sleep_to(job_of(ctx.job_market, job.id)["windowEndsAt"])
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest(ctx, job)


def test_revert_when_dispute_open(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedStatus"):
        _attest(ctx, job)


def test_when_verifier_attests_valid_the_window_restarts_in_full(ctx, driver):
    job = driver.open_submitted(window=HOUR)
    brownie.chain.sleep(1800)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = _attest(ctx, job)
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
    assert before - ctx.token.balanceOf(ctx.verifier) == VERIFIER_BOND


def test_when_verifier_attests_invalid_a_dispute_opens_with_the_challenge_bond(ctx, driver):
    job = driver.open_submitted(fault_from_step=2)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = _attest(ctx, job, valid=False)
    assert event_args(tx, "Attested")["valid"] is False
    assert event_args(tx, "Attested")["bond"] == CHALLENGE_BOND
    opened = event_args(tx, "DisputeOpened")
    assert opened["challenger"] == ctx.verifier and opened["phase"] == REVEAL and opened["number"] == 1
    stored = job_of(ctx.job_market, job.id)
    assert stored["attestation"] == A_INVALID and stored["status"] == DISPUTED and stored["verifierBond"] == 0
    d = dispute_of(ctx.job_market, job.id)
    assert d["challenger"] == ctx.verifier and d["bond"] == CHALLENGE_BOND
    assert before - ctx.token.balanceOf(ctx.verifier) == CHALLENGE_BOND
