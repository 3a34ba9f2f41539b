"""Hostile inputs for every state-changing function of JobMarket: zero, one and maximum values,
unknown job ids, the wrong caller, the wrong status or phase, and every deadline at the edge
(result deadline, challenge window, each move timeout, the vote window): the refused side
reverts with its exact custom error and leaves the whole chain unchanged, the allowed side
succeeds. The step verifiers have no state-changing function (`step` and `isValidState` are
view/pure), which the ABI coverage test checks."""

import brownie
import pytest

from keepers.workloads.base import keccak256

from helpers import ZERO_ADDRESS, b32, event_args
from jobs.support import (
    A_VALID,
    CHALLENGER_WON,
    DISPUTED,
    EXPIRED,
    FINALIZABLE,
    FINALIZED,
    HASHCHAIN,
    LATE,
    MATCHED,
    MATVEC256,
    P_NONE,
    PROVE,
    RESPOND,
    REVEAL,
    SOLVER_WON,
    SUBMITTED,
    VOTE,
    dispute_of,
    h,
    job_of,
    make_terms,
)
from security.hostile_support import (
    MAX_UINT32,
    MAX_UINT40,
    MAX_UINT256,
    Attempt,
    Table,
    around,
    at,
    claim_credit_row,
    params_of,
    run_row,
    sweep_fees_row,
)

T = Table("JobMarket")
NONE_STATUS = 0
MAX_STEPS = 2**24
MIN_TIMEOUT, MAX_TIMEOUT = 60, 30 * 86_400
MIN_WINDOW, MAX_WINDOW = 600, 86_400
ZERO32 = "0x" + "00" * 32


def _call(w, fn, *args, sender, error=None, err_args=None, check=None):
    return Attempt(lambda: getattr(w.job_market, fn)(*args, {"from": sender}), sender, error, err_args, check=check)


def _b(hex32) -> bytes:
    return bytes.fromhex(str(hex32)[2:])


def _status(w, job_id, status):
    return lambda tx: w.job_market.statusOf(job_id) == status


def _unexpected(job_id, status):
    return dict(error="JobMarket_UnexpectedStatus", err_args=(job_id, status))


def _phase(job_id, phase):
    return dict(error="JobMarket_UnexpectedPhase", err_args=(job_id, phase))


def _bad_terms(job):
    """The job's terms with one more step: a different hash."""
    terms = list(job.terms)
    terms[3] += 1
    return tuple(terms)


def _terms_mismatch(w, job):
    bad = _bad_terms(job)
    return bad, dict(
        error="JobMarket_TermsMismatch",
        err_args=(job.id, _b(job_of(w.job_market, job.id)["termsHash"]), _b(w.job_market.hashTerms(bad))),
    )


def _submitted(w, **kwargs):
    return w.driver.open_submitted(**kwargs)


def _disputed(w, steps=8, workload=HASHCHAIN):
    """A submitted job challenged by `challenger`; returns (job, dispute)."""
    job = _submitted(w, steps=steps, workload=workload)
    w.driver.challenge(job)
    return job, dispute_of(w.job_market, job.id)


def _responding(w):
    job, _ = _disputed(w)
    w.driver.reveal(job)
    return job, dispute_of(w.job_market, job.id)


def _window_end(w, job):
    return job_of(w.job_market, job.id)["windowEndsAt"]


# --- setWorkload, openJob ------------------------------------------------------------------


@T.row("setWorkload", "wrong_caller")
def _(w):
    return _call(
        w,
        "setWorkload",
        b32("new"),
        w.stranger,
        False,
        sender=w.stranger,
        error="JobMarket_CallerNotGovernance",
        err_args=(w.stranger.address,),
    )


@T.row("setWorkload", "zero_id")
def _(w):
    return _call(
        w, "setWorkload", ZERO32, w.hashchain_verifier, False, sender=w.governance, error="JobMarket_InvalidWorkloadId"
    )


@T.row("openJob", "wrong_caller")
def _(w):
    return _call(
        w,
        "openJob",
        1,
        w.tenant,
        w.provider,
        w.offer,
        1,
        1,
        1,
        ZERO32,
        sender=w.stranger,
        error="JobMarket_CallerNotMarket",
        err_args=(w.stranger.address,),
    )


@T.row("openJob", "governance_is_not_the_market")
def _(w):
    return _call(
        w,
        "openJob",
        MAX_UINT256,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        0,
        0,
        0,
        0,
        ZERO32,
        sender=w.governance,
        error="JobMarket_CallerNotMarket",
        err_args=(w.governance.address,),
    )


# --- publishJobTerms -------------------------------------------------------------------------


def _publish(w, sender=None, input=None, error=None, err_args=None, check=None, **overrides):
    terms, default_input = make_terms(salt=w.next_salt(), **overrides)
    return terms, _call(
        w,
        "publishJobTerms",
        terms,
        default_input if input is None else input,
        sender=sender or w.stranger,
        error=error,
        err_args=err_args,
        check=check,
    )


@T.row("publishJobTerms", "unregistered_workload")
def _(w):
    terms, input = make_terms(salt=w.next_salt())
    terms = (b32("no-such-workload"), *terms[1:])
    return _call(
        w,
        "publishJobTerms",
        terms,
        input,
        sender=w.stranger,
        error="JobMarket_WorkloadNotRegistered",
        err_args=(_b(terms[0]),),
    )


@T.row("publishJobTerms", "zero_workload")
def _(w):
    terms, input = make_terms(salt=w.next_salt())
    terms = (ZERO32, *terms[1:])
    return _call(
        w,
        "publishJobTerms",
        terms,
        input,
        sender=w.stranger,
        error="JobMarket_WorkloadNotRegistered",
        err_args=(b"\0" * 32,),
    )


@T.row("publishJobTerms", "input_hash_mismatch")
def _(w):
    terms, _ = make_terms(salt=w.next_salt())
    other = b"\x07" * 32
    return _call(
        w,
        "publishJobTerms",
        terms,
        other,
        sender=w.stranger,
        error="JobMarket_InputHashMismatch",
        err_args=(_b(terms[1]), keccak256(other)),
    )


@T.row("publishJobTerms", "empty_input")
def _(w):
    terms, _ = make_terms(salt=w.next_salt())
    return _call(
        w,
        "publishJobTerms",
        terms,
        b"",
        sender=w.stranger,
        error="JobMarket_InputHashMismatch",
        err_args=(_b(terms[1]), keccak256(b"")),
    )


@T.row("publishJobTerms", "input_not_a_state")
def _(w):
    bad = b"\x01" * 31  # a hashchain state is 32 bytes
    terms, _ = make_terms(input=bad)
    return _call(
        w, "publishJobTerms", terms, bad, sender=w.stranger, error="JobMarket_InvalidInput", err_args=(_b(HASHCHAIN),)
    )


@T.row("publishJobTerms", "zero_steps")
def _(w):
    return _publish(w, steps=0, error="JobMarket_StepsOutOfBounds", err_args=(0, MAX_STEPS))[1]


@T.row("publishJobTerms", "steps_one_over_max")
def _(w):
    return _publish(w, steps=MAX_STEPS + 1, error="JobMarket_StepsOutOfBounds", err_args=(MAX_STEPS + 1, MAX_STEPS))[1]


@T.row("publishJobTerms", "max_steps_uint32")
def _(w):
    return _publish(w, steps=MAX_UINT32, error="JobMarket_StepsOutOfBounds", err_args=(MAX_UINT32, MAX_STEPS))[1]


@T.row("publishJobTerms", "one_step_and_max_steps_allowed")
def _(w):
    terms, attempt = _publish(w, steps=MAX_STEPS)
    one, one_input = make_terms(steps=1, salt=w.next_salt())

    def check(tx):
        w.job_market.publishJobTerms(one, one_input, {"from": w.stranger})
        assert w.job_market.isPublished(w.job_market.hashTerms(terms))
        assert w.job_market.isPublished(w.job_market.hashTerms(one))

    attempt.check = check
    return attempt


def _timeout_row(value):
    def build(w):
        return _publish(
            w,
            result_timeout=value,
            error="JobMarket_ResultTimeoutOutOfBounds",
            err_args=(value, MIN_TIMEOUT, MAX_TIMEOUT),
        )[1]

    return build


for _value, _case in (
    (0, "zero"),
    (MIN_TIMEOUT - 1, "one_under_min"),
    (MAX_TIMEOUT + 1, "one_over_max"),
    (MAX_UINT40, "max_uint40"),
):
    T.row("publishJobTerms", f"result_timeout_{_case}")(_timeout_row(_value))


def _window_row(value):
    def build(w):
        return _publish(
            w, window=value, error="JobMarket_ChallengeWindowOutOfBounds", err_args=(value, MIN_WINDOW, MAX_WINDOW)
        )[1]

    return build


for _value, _case in (
    (0, "zero"),
    (MIN_WINDOW - 1, "one_under_min"),
    (MAX_WINDOW + 1, "one_over_max"),
    (MAX_UINT40, "max_uint40"),
):
    T.row("publishJobTerms", f"challenge_window_{_case}")(_window_row(_value))


@T.row("publishJobTerms", "bounds_allowed")
def _(w):
    terms, attempt = _publish(w, result_timeout=MIN_TIMEOUT, window=MAX_WINDOW)
    other, other_input = make_terms(result_timeout=MAX_TIMEOUT, window=MIN_WINDOW, salt=w.next_salt())

    def check(tx):
        w.job_market.publishJobTerms(other, other_input, {"from": w.stranger})
        for t in (terms, other):
            record = w.job_market.termsRecord(w.job_market.hashTerms(t)).dict()
            assert (record["resultTimeoutSeconds"], record["challengeWindowSeconds"]) == (t[4], t[5])

    attempt.check = check
    return attempt


@T.row("publishJobTerms", "twice")
def _(w):
    terms, input = make_terms(salt=w.next_salt())
    w.job_market.publishJobTerms(terms, input, {"from": w.stranger})
    return _call(
        w,
        "publishJobTerms",
        terms,
        input,
        sender=w.provider,
        error="JobMarket_TermsAlreadyPublished",
        err_args=(_b(w.job_market.hashTerms(terms)),),
    )


# --- expireJob -------------------------------------------------------------------------------


@T.row("expireJob", "unknown_zero_id")
def _(w):
    return _call(w, "expireJob", 0, sender=w.stranger, **_unexpected(0, NONE_STATUS))


@T.row("expireJob", "unknown_max_id")
def _(w):
    return _call(w, "expireJob", MAX_UINT256, sender=w.stranger, **_unexpected(MAX_UINT256, NONE_STATUS))


def _expire_around_result_deadline(w, offset):
    job = w.driver.open()
    at(job_of(w.job_market, job.id)["resultDeadline"] + offset)
    if offset <= 0:
        return _call(w, "expireJob", job.id, sender=w.stranger, **_unexpected(job.id, MATCHED))
    return _call(w, "expireJob", job.id, sender=w.stranger, check=_status(w, job.id, EXPIRED))


around(T, "expireJob", "result_deadline", (1,), _expire_around_result_deadline)


@T.row("expireJob", "submitted")
def _(w):
    job = _submitted(w)
    return _call(w, "expireJob", job.id, sender=w.stranger, **_unexpected(job.id, SUBMITTED))


@T.row("expireJob", "twice")
def _(w):
    job = w.driver.open()
    at(job_of(w.job_market, job.id)["resultDeadline"] + 1)
    w.job_market.expireJob(job.id, {"from": w.stranger})
    return _call(w, "expireJob", job.id, sender=w.tenant, **_unexpected(job.id, EXPIRED))


# --- submitResult ----------------------------------------------------------------------------


def _submit(w, job, sender=None, terms=None, output=None, root=None, proof=None, **kw):
    trace = job.honest
    return _call(
        w,
        "submitResult",
        job.id,
        terms or job.terms,
        output or trace.output,
        root or trace.root,
        trace.proof(job.steps) if proof is None else proof,
        sender=sender or w.provider,
        **kw,
    )


@T.row("submitResult", "unknown_id")
def _(w):
    job = w.driver.open()
    job.id = MAX_UINT256
    return _submit(w, job, **_unexpected(MAX_UINT256, NONE_STATUS))


@T.row("submitResult", "wrong_caller")
def _(w):
    job = w.driver.open()
    return _submit(
        w, job, sender=w.stranger, error="JobMarket_CallerNotProvider", err_args=(job.id, w.stranger.address)
    )


@T.row("submitResult", "other_provider")
def _(w):
    job = w.driver.open()
    return _submit(
        w, job, sender=w.provider2, error="JobMarket_CallerNotProvider", err_args=(job.id, w.provider2.address)
    )


@T.row("submitResult", "wrong_terms")
def _(w):
    job = w.driver.open()
    bad, expected = _terms_mismatch(w, job)
    return _submit(w, job, terms=bad, **expected)


@T.row("submitResult", "zero_trace_root")
def _(w):
    job = w.driver.open()
    return _submit(w, job, root=ZERO32, error="JobMarket_ZeroTraceRoot", err_args=(job.id,))


@T.row("submitResult", "output_not_in_trace")
def _(w):
    job = w.driver.open()
    return _submit(w, job, output=h(b"\x05" * 32), error="JobMarket_InvalidTraceProof", err_args=(job.id, job.steps))


@T.row("submitResult", "empty_proof")
def _(w):
    job = w.driver.open()
    return _submit(w, job, proof=[], error="JobMarket_InvalidTraceProof", err_args=(job.id, job.steps))


def _submit_around_result_deadline(w, offset):
    job = w.driver.open()
    at(job_of(w.job_market, job.id)["resultDeadline"] + offset)
    if offset <= 0:
        return _submit(w, job, check=_status(w, job.id, SUBMITTED))
    return _submit(w, job, **_unexpected(job.id, LATE))


around(T, "submitResult", "result_deadline", (-1, 0), _submit_around_result_deadline)


@T.row("submitResult", "twice")
def _(w):
    job = _submitted(w)
    return _submit(w, job, **_unexpected(job.id, SUBMITTED))


# --- attest ------------------------------------------------------------------------------------


def _attest(w, job, valid=False, sender=None, terms=None, spot=(ZERO32, []), **kw):
    spot_hash, proof = spot
    return _call(w, "attest", job.id, terms or job.terms, valid, spot_hash, proof, sender=sender or w.verifier, **kw)


def _claimed(w, **kwargs):
    """A submitted job drawn for verification and claimed by `verifier`."""
    job = w.driver.open_drawn(**kwargs)
    w.driver.claim(job)
    return job


@T.row("attest", "unknown_id")
def _(w):
    job = _submitted(w)
    job.id = 0
    return _attest(w, job, **_unexpected(0, NONE_STATUS))


@T.row("attest", "not_submitted")
def _(w):
    job = w.driver.open()
    return _attest(w, job, **_unexpected(job.id, MATCHED))


@T.row("attest", "wrong_caller")
def _(w):
    job = _submitted(w)
    role = bytes(w.config.VERIFIER_ROLE())
    return _attest(w, job, sender=w.stranger, error="Leasehold_MissingRole", err_args=(role, w.stranger.address))


@T.row("attest", "verifier_is_the_solver")
def _(w):
    job = _submitted(w)
    w.config.setRole(w.config.VERIFIER_ROLE(), w.provider, True, {"from": w.governance})
    return _attest(w, job, sender=w.provider, error="JobMarket_VerifierIsProvider", err_args=(job.id,))


@T.row("attest", "twice")
def _(w):
    job = _claimed(w)
    w.driver.attest_valid(job, claim=False)
    return _attest(w, job, error="JobMarket_AlreadyAttested", err_args=(job.id, w.verifier.address))


@T.row("attest", "valid_without_a_claim")
def _(w):
    """The lazy verifier of issue 12: first come no longer attests."""
    job = w.driver.open_drawn()
    spot = w.driver.spot(job, w.verifier)
    return _attest(w, job, valid=True, spot=spot, error="JobMarket_NotClaimant", err_args=(job.id, w.verifier.address))


@T.row("attest", "valid_without_the_trace")
def _(w):
    """The lazy claimant: without the trace it has no spot proof."""
    job = _claimed(w)
    index = w.job_market.spotIndex(job.solver.root, w.verifier, job.steps)
    return _attest(w, job, valid=True, error="JobMarket_InvalidSpotProof", err_args=(job.id, index))


@T.row("attest", "invalid_by_another_than_the_claimant")
def _(w):
    job = _claimed(w)
    w.config.setRole(w.config.VERIFIER_ROLE(), w.stranger, True, {"from": w.governance})
    return _attest(w, job, sender=w.stranger, error="JobMarket_NotClaimant", err_args=(job.id, w.stranger.address))


@T.row("attest", "wrong_terms")
def _(w):
    job = _submitted(w)
    bad, expected = _terms_mismatch(w, job)
    return _attest(w, job, terms=bad, **expected)


def _attest_around_window_end(w, offset):
    job = _claimed(w)
    spot = w.driver.spot(job, w.verifier)
    at(_window_end(w, job) + offset)
    if offset < 0:
        return _attest(
            w, job, valid=True, spot=spot, check=lambda tx: job_of(w.job_market, job.id)["attestation"] == A_VALID
        )
    return _attest(w, job, valid=True, spot=spot, **_unexpected(job.id, FINALIZABLE))


around(T, "attest", "challenge_window_end", (-1,), _attest_around_window_end)


@T.row("attest", "disputed")
def _(w):
    job, _ = _disputed(w)
    return _attest(w, job, **_unexpected(job.id, DISPUTED))


@T.row("attest", "no_allowance")
def _(w):
    job = _submitted(w)
    w.config.setRole(w.config.VERIFIER_ROLE(), w.pauper, True, {"from": w.governance})
    return _attest(
        w,
        job,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.job_market.address, 0, params_of(w)["challengeBond"]),
    )


# --- claimVerification --------------------------------------------------------------------------


def _claim(w, job, sender=None, terms=None, **kw):
    return _call(w, "claimVerification", job.id, terms or job.terms, sender=sender or w.verifier, **kw)


@T.row("claimVerification", "unknown_id")
def _(w):
    job = _submitted(w)
    job.id = 0
    return _claim(w, job, **_unexpected(0, NONE_STATUS))


@T.row("claimVerification", "not_drawn")
def _(w):
    job = w.driver.open()
    w.driver.submit_drawn(job, drawn=False)
    return _claim(w, job, error="JobMarket_NotSampled", err_args=(job.id,))


@T.row("claimVerification", "after_256_blocks")
def _(w):
    job = w.driver.open_drawn()
    submit_block = job_of(w.job_market, job.id)["submitBlock"]
    brownie.chain.mine(256)
    return _claim(
        w, job, error="JobMarket_ClaimWindowClosed", err_args=(job.id, submit_block, brownie.chain.height + 1)
    )


@T.row("claimVerification", "twice")
def _(w):
    job = _claimed(w)
    w.config.setRole(w.config.VERIFIER_ROLE(), w.stranger, True, {"from": w.governance})
    return _claim(w, job, sender=w.stranger, error="JobMarket_AlreadyClaimed", err_args=(job.id, w.verifier.address))


@T.row("claimVerification", "wrong_caller")
def _(w):
    job = w.driver.open_drawn()
    role = bytes(w.config.VERIFIER_ROLE())
    return _claim(w, job, sender=w.stranger, error="Leasehold_MissingRole", err_args=(role, w.stranger.address))


@T.row("claimVerification", "verifier_is_the_solver")
def _(w):
    job = w.driver.open_drawn()
    w.config.setRole(w.config.VERIFIER_ROLE(), w.provider, True, {"from": w.governance})
    return _claim(w, job, sender=w.provider, error="JobMarket_VerifierIsProvider", err_args=(job.id,))


@T.row("claimVerification", "wrong_terms")
def _(w):
    job = w.driver.open_drawn()
    bad, expected = _terms_mismatch(w, job)
    return _claim(w, job, terms=bad, **expected)


@T.row("claimVerification", "no_allowance")
def _(w):
    job = w.driver.open_drawn()
    w.config.setRole(w.config.VERIFIER_ROLE(), w.pauper, True, {"from": w.governance})
    return _claim(
        w,
        job,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.job_market.address, 0, params_of(w)["verifierBond"]),
    )


# --- claimAndAttest ----------------------------------------------------------------------------


def _claim_and_attest(w, job, sender=None, terms=None, spot=None, **kw):
    sender = sender or w.verifier
    spot_hash, proof = spot or w.driver.spot(job, sender)
    return _call(w, "claimAndAttest", job.id, terms or job.terms, spot_hash, proof, sender=sender, **kw)


@T.row("claimAndAttest", "unknown_id")
def _(w):
    job = _submitted(w)
    spot = w.driver.spot(job, w.verifier)
    job.id = 0
    return _claim_and_attest(w, job, spot=spot, **_unexpected(0, NONE_STATUS))


@T.row("claimAndAttest", "not_drawn")
def _(w):
    job = w.driver.open()
    w.driver.submit_drawn(job, drawn=False)
    return _claim_and_attest(w, job, error="JobMarket_NotSampled", err_args=(job.id,))


@T.row("claimAndAttest", "already_claimed")
def _(w):
    job = _claimed(w)
    w.config.setRole(w.config.VERIFIER_ROLE(), w.stranger, True, {"from": w.governance})
    return _claim_and_attest(
        w, job, sender=w.stranger, error="JobMarket_AlreadyClaimed", err_args=(job.id, w.verifier.address)
    )


@T.row("claimAndAttest", "wrong_caller")
def _(w):
    job = w.driver.open_drawn()
    role = bytes(w.config.VERIFIER_ROLE())
    return _claim_and_attest(
        w, job, sender=w.stranger, error="Leasehold_MissingRole", err_args=(role, w.stranger.address)
    )


@T.row("claimAndAttest", "wrong_terms")
def _(w):
    job = w.driver.open_drawn()
    bad, expected = _terms_mismatch(w, job)
    return _claim_and_attest(w, job, terms=bad, **expected)


@T.row("claimAndAttest", "lazy_without_the_trace")
def _(w):
    job = w.driver.open_drawn()
    index = w.job_market.spotIndex(job.solver.root, w.verifier, job.steps)
    return _claim_and_attest(
        w,
        job,
        spot=(ZERO32, job.solver.proof(index)),
        error="JobMarket_InvalidSpotProof",
        err_args=(job.id, index),
    )


@T.row("claimAndAttest", "no_allowance")
def _(w):
    job = w.driver.open_drawn()
    w.config.setRole(w.config.VERIFIER_ROLE(), w.pauper, True, {"from": w.governance})
    return _claim_and_attest(
        w,
        job,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.job_market.address, 0, params_of(w)["verifierBond"]),
    )


# --- challenge ---------------------------------------------------------------------------------


def _challenge(w, job, sender=None, terms=None, **kw):
    return _call(w, "challenge", job.id, terms or job.terms, sender=sender or w.challenger, **kw)


@T.row("challenge", "unknown_id")
def _(w):
    job = _submitted(w)
    job.id = MAX_UINT256
    return _challenge(w, job, **_unexpected(MAX_UINT256, NONE_STATUS))


@T.row("challenge", "not_submitted")
def _(w):
    job = w.driver.open()
    return _challenge(w, job, **_unexpected(job.id, MATCHED))


@T.row("challenge", "by_the_solver")
def _(w):
    job = _submitted(w)
    return _challenge(w, job, sender=w.provider, error="JobMarket_ChallengerIsProvider", err_args=(job.id,))


@T.row("challenge", "wrong_terms")
def _(w):
    job = _submitted(w)
    bad, expected = _terms_mismatch(w, job)
    return _challenge(w, job, terms=bad, **expected)


def _challenge_around_window_end(w, offset):
    job = _submitted(w)
    at(_window_end(w, job) + offset)
    if offset < 0:
        return _challenge(w, job, check=_status(w, job.id, DISPUTED))
    return _challenge(w, job, **_unexpected(job.id, FINALIZABLE))


around(T, "challenge", "challenge_window_end", (-1,), _challenge_around_window_end)


@T.row("challenge", "already_disputed")
def _(w):
    job, _ = _disputed(w)
    return _challenge(w, job, sender=w.stranger, **_unexpected(job.id, DISPUTED))


@T.row("challenge", "finalized")
def _(w):
    job = _submitted(w)
    w.driver.finalize_after_window(job)
    return _challenge(w, job, **_unexpected(job.id, FINALIZED))


@T.row("challenge", "no_allowance")
def _(w):
    job = _submitted(w)
    return _challenge(
        w,
        job,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.job_market.address, 0, params_of(w)["challengeBond"]),
    )


# --- claimTimeout ------------------------------------------------------------------------------


@T.row("claimTimeout", "unknown_id")
def _(w):
    return _call(w, "claimTimeout", MAX_UINT256, sender=w.stranger, **_phase(MAX_UINT256, P_NONE))


@T.row("claimTimeout", "no_dispute")
def _(w):
    job = _submitted(w)
    return _call(w, "claimTimeout", job.id, sender=w.stranger, **_phase(job.id, P_NONE))


def _claim_around(setup, winner):
    def build(w, offset):
        job, d = setup(w)
        at(d["deadline"] + offset)
        if offset <= 0:
            return _call(
                w,
                "claimTimeout",
                job.id,
                sender=w.stranger,
                error="JobMarket_MoveDeadlineNotPassed",
                err_args=(job.id, d["deadline"]),
            )
        return _call(
            w,
            "claimTimeout",
            job.id,
            sender=w.stranger,
            check=lambda tx: event_args(tx, "DisputeResolved")["result"] == winner,
        )

    return build


around(T, "claimTimeout", "reveal_deadline", (1,), _claim_around(_disputed, CHALLENGER_WON))
around(T, "claimTimeout", "respond_deadline", (1,), _claim_around(_responding, SOLVER_WON))
around(T, "claimTimeout", "prove_deadline", (1,), _claim_around(lambda w: _disputed(w, steps=1), CHALLENGER_WON))


@T.row("claimTimeout", "vote_phase")
def _(w):
    job, d = _disputed(w, steps=1, workload=MATVEC256)
    at(d["deadline"] + 1)
    return _call(w, "claimTimeout", job.id, sender=w.stranger, **_phase(job.id, VOTE))


# --- proveStep ---------------------------------------------------------------------------------


def _prove(w, job, state=None, terms=None, sender=None, **kw):
    return _call(
        w,
        "proveStep",
        job.id,
        terms or job.terms,
        job.input if state is None else state,
        sender=sender or w.provider,
        **kw,
    )


@T.row("proveStep", "no_dispute")
def _(w):
    job = _submitted(w, steps=1)
    return _prove(w, job, **_phase(job.id, P_NONE))


@T.row("proveStep", "reveal_phase")
def _(w):
    job, _ = _disputed(w)
    return _prove(w, job, **_phase(job.id, REVEAL))


@T.row("proveStep", "state_not_the_agreed_one")
def _(w):
    job, d = _disputed(w, steps=1)
    other = b"\x09" * 32
    return _prove(
        w, job, state=other, error="JobMarket_StateHashMismatch", err_args=(job.id, _b(d["hLo"]), keccak256(other))
    )


@T.row("proveStep", "empty_state")
def _(w):
    job, d = _disputed(w, steps=1)
    return _prove(
        w, job, state=b"", error="JobMarket_StateHashMismatch", err_args=(job.id, _b(d["hLo"]), keccak256(b""))
    )


@T.row("proveStep", "wrong_terms")
def _(w):
    job, _ = _disputed(w, steps=1)
    bad, expected = _terms_mismatch(w, job)
    return _prove(w, job, terms=bad, **expected)


def _prove_around_deadline(w, offset):
    job, d = _disputed(w, steps=1)
    at(d["deadline"] + offset)
    if offset <= 0:
        return _prove(
            w, job, sender=w.stranger, check=lambda tx: event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
        )
    return _prove(w, job, error="JobMarket_MoveDeadlinePassed", err_args=(job.id, d["deadline"]))


around(T, "proveStep", "move_deadline", (-1, 0), _prove_around_deadline)


# --- reveal, respond -----------------------------------------------------------------------------


def _reveal(w, job, sender=None, h_mid=None, proof=None, **kw):
    d = dispute_of(w.job_market, job.id)
    mid = (d["lo"] + d["hi"]) // 2
    trace = job.solver
    return _call(
        w,
        "reveal",
        job.id,
        h_mid or h(trace.hashes[mid]),
        trace.proof(mid) if proof is None else proof,
        sender=sender or w.provider,
        **kw,
    )


@T.row("reveal", "no_dispute")
def _(w):
    job = _submitted(w)
    return _reveal(w, job, **_phase(job.id, P_NONE))


@T.row("reveal", "wrong_caller")
def _(w):
    job, _ = _disputed(w)
    return _reveal(
        w, job, sender=w.challenger, error="JobMarket_CallerNotProvider", err_args=(job.id, w.challenger.address)
    )


@T.row("reveal", "hash_not_in_trace")
def _(w):
    job, _ = _disputed(w)
    return _reveal(w, job, h_mid=h(b"\x03" * 32), error="JobMarket_InvalidTraceProof", err_args=(job.id, 4))


@T.row("reveal", "zero_hash_empty_proof")
def _(w):
    job, _ = _disputed(w)
    return _reveal(w, job, h_mid=ZERO32, proof=[], error="JobMarket_InvalidTraceProof", err_args=(job.id, 4))


def _reveal_around_deadline(w, offset):
    job, d = _disputed(w)
    at(d["deadline"] + offset)
    if offset <= 0:
        return _reveal(w, job, check=lambda tx: dispute_of(w.job_market, job.id)["phase"] == RESPOND)
    return _reveal(w, job, error="JobMarket_MoveDeadlinePassed", err_args=(job.id, d["deadline"]))


around(T, "reveal", "move_deadline", (-1, 0), _reveal_around_deadline)


@T.row("reveal", "twice")
def _(w):
    job, _ = _responding(w)
    return _reveal(w, job, **_phase(job.id, RESPOND))


@T.row("respond", "no_dispute")
def _(w):
    job = _submitted(w)
    return _call(w, "respond", job.id, True, sender=w.challenger, **_phase(job.id, P_NONE))


@T.row("respond", "before_the_reveal")
def _(w):
    job, _ = _disputed(w)
    return _call(w, "respond", job.id, True, sender=w.challenger, **_phase(job.id, REVEAL))


@T.row("respond", "wrong_caller")
def _(w):
    job, _ = _responding(w)
    return _call(
        w,
        "respond",
        job.id,
        False,
        sender=w.provider,
        error="JobMarket_CallerNotChallenger",
        err_args=(job.id, w.provider.address),
    )


def _respond_around_deadline(w, offset):
    job, d = _responding(w)
    at(d["deadline"] + offset)
    if offset <= 0:
        return _call(
            w,
            "respond",
            job.id,
            True,
            sender=w.challenger,
            check=lambda tx: dispute_of(w.job_market, job.id)["phase"] == REVEAL,
        )
    return _call(
        w,
        "respond",
        job.id,
        True,
        sender=w.challenger,
        error="JobMarket_MoveDeadlinePassed",
        err_args=(job.id, d["deadline"]),
    )


around(T, "respond", "move_deadline", (-1, 0), _respond_around_deadline)


# --- voteOnStep, resolveVote ---------------------------------------------------------------------


def _voting(w):
    job, d = _disputed(w, steps=1, workload=MATVEC256)
    assert d["phase"] == VOTE
    return job, d


@T.row("voteOnStep", "not_an_arbiter")
def _(w):
    job, _ = _voting(w)
    role = bytes(w.config.ARBITER_ROLE())
    return _call(
        w,
        "voteOnStep",
        job.id,
        True,
        sender=w.stranger,
        error="Leasehold_MissingRole",
        err_args=(role, w.stranger.address),
    )


@T.row("voteOnStep", "no_vote_open")
def _(w):
    job, _ = _disputed(w, steps=1)
    return _call(w, "voteOnStep", job.id, True, sender=w.arbiters[0], **_phase(job.id, PROVE))


@T.row("voteOnStep", "unknown_id")
def _(w):
    return _call(w, "voteOnStep", MAX_UINT256, True, sender=w.arbiters[0], **_phase(MAX_UINT256, P_NONE))


@T.row("voteOnStep", "challenger_as_arbiter")
def _(w):
    job, _ = _voting(w)
    w.config.setRole(w.config.ARBITER_ROLE(), w.challenger, True, {"from": w.governance})
    return _call(
        w,
        "voteOnStep",
        job.id,
        False,
        sender=w.challenger,
        error="JobMarket_ArbiterIsParty",
        err_args=(job.id, w.challenger.address),
    )


@T.row("voteOnStep", "solver_as_arbiter")
def _(w):
    job, _ = _voting(w)
    w.config.setRole(w.config.ARBITER_ROLE(), w.provider, True, {"from": w.governance})
    return _call(
        w,
        "voteOnStep",
        job.id,
        True,
        sender=w.provider,
        error="JobMarket_ArbiterIsParty",
        err_args=(job.id, w.provider.address),
    )


@T.row("voteOnStep", "twice")
def _(w):
    job, _ = _voting(w)
    w.job_market.voteOnStep(job.id, True, {"from": w.arbiters[0]})
    return _call(
        w,
        "voteOnStep",
        job.id,
        False,
        sender=w.arbiters[0],
        error="JobMarket_AlreadyVoted",
        err_args=(job.id, w.arbiters[0].address),
    )


def _vote_around_deadline(w, offset):
    job, d = _voting(w)
    at(d["deadline"] + offset)
    if offset <= 0:
        return _call(
            w,
            "voteOnStep",
            job.id,
            True,
            sender=w.arbiters[1],
            check=lambda tx: dispute_of(w.job_market, job.id)["votesForSolver"] == 1,
        )
    return _call(
        w,
        "voteOnStep",
        job.id,
        True,
        sender=w.arbiters[1],
        error="JobMarket_MoveDeadlinePassed",
        err_args=(job.id, d["deadline"]),
    )


around(T, "voteOnStep", "vote_deadline", (-1, 0), _vote_around_deadline)


@T.row("claimArbiterPay", "vote_not_resolved")
def _(w):
    job, _ = _voting(w)
    w.job_market.voteOnStep(job.id, True, {"from": w.arbiters[0]})
    return _call(
        w,
        "claimArbiterPay",
        job.id,
        1,
        sender=w.arbiters[0],
        error="JobMarket_NothingToClaim",
        err_args=(job.id, 1, w.arbiters[0].address),
    )


@T.row("claimArbiterPay", "did_not_vote")
def _(w):
    job, d = _voting(w)
    w.job_market.voteOnStep(job.id, True, {"from": w.arbiters[0]})
    at(d["deadline"] + 1)
    w.job_market.resolveVote(job.id, {"from": w.stranger})
    return _call(
        w,
        "claimArbiterPay",
        job.id,
        1,
        sender=w.arbiters[1],
        error="JobMarket_NothingToClaim",
        err_args=(job.id, 1, w.arbiters[1].address),
    )


@T.row("resolveVote", "no_vote_open")
def _(w):
    job, _ = _disputed(w)
    return _call(w, "resolveVote", job.id, sender=w.stranger, **_phase(job.id, REVEAL))


@T.row("resolveVote", "unknown_id")
def _(w):
    return _call(w, "resolveVote", 0, sender=w.stranger, **_phase(0, P_NONE))


def _resolve_vote_around_deadline(w, offset):
    job, d = _voting(w)
    w.job_market.voteOnStep(job.id, True, {"from": w.arbiters[0]})
    at(d["deadline"] + offset)
    if offset <= 0:
        return _call(
            w,
            "resolveVote",
            job.id,
            sender=w.stranger,
            error="JobMarket_MoveDeadlineNotPassed",
            err_args=(job.id, d["deadline"]),
        )
    return _call(
        w,
        "resolveVote",
        job.id,
        sender=w.stranger,
        check=lambda tx: event_args(tx, "DisputeResolved")["result"] == SOLVER_WON,
    )


around(T, "resolveVote", "vote_deadline", (1,), _resolve_vote_around_deadline)


# --- finalizeJob -------------------------------------------------------------------------------


@T.row("finalizeJob", "unknown_id")
def _(w):
    return _call(w, "finalizeJob", MAX_UINT256, sender=w.stranger, **_unexpected(MAX_UINT256, NONE_STATUS))


@T.row("finalizeJob", "not_submitted")
def _(w):
    job = w.driver.open()
    return _call(w, "finalizeJob", job.id, sender=w.stranger, **_unexpected(job.id, MATCHED))


def _finalize_around_window_end(w, offset):
    job = _submitted(w)
    at(_window_end(w, job) + offset)
    if offset < 0:
        return _call(w, "finalizeJob", job.id, sender=w.stranger, **_unexpected(job.id, SUBMITTED))
    return _call(w, "finalizeJob", job.id, sender=w.stranger, check=_status(w, job.id, FINALIZED))


around(T, "finalizeJob", "challenge_window_end", (0, 1), _finalize_around_window_end)


@T.row("finalizeJob", "disputed")
def _(w):
    job, _ = _disputed(w)
    at(_window_end(w, job) + 1)
    return _call(w, "finalizeJob", job.id, sender=w.stranger, **_unexpected(job.id, DISPUTED))


@T.row("finalizeJob", "twice")
def _(w):
    job = _submitted(w)
    w.driver.finalize_after_window(job)
    return _call(w, "finalizeJob", job.id, sender=w.provider, **_unexpected(job.id, FINALIZED))


ROWS = T.rows


claim_credit_row(T)
sweep_fees_row(T)


@pytest.mark.parametrize("row", T.params())
def test_hostile_call_is_refused_and_changes_nothing(anvil, world, row):
    run_row(anvil, world, row)
