"""Arbiter mode (matvec-256): the last step is voted on; a strict majority decides, a tie or no
votes (result VOIDED) is settled as the challenger's loss: the window resumes, its bond is split."""

import pytest

from helpers import USD, event_args, reverts_with
from jobs.support import (
    CHALLENGE_BOND,
    CHALLENGER_WON,
    MATVEC256,
    R_VOIDED,
    SLASHED,
    SOLVER_WON,
    SUBMITTED,
    VOTE,
    dispute_of,
    next_tx_at,
    sleep_past,
)


@pytest.fixture
def voting(ctx, driver):
    """A matvec-256 job over 5 steps, attested valid, challenged and bisected to one step."""
    job = driver.open_drawn(workload=MATVEC256, steps=5, fault_from_step=3)
    driver.attest_valid(job)
    driver.challenge(job)
    driver.bisect(job)
    d = dispute_of(ctx.job_market, job.id)
    assert (d["lo"], d["hi"], d["phase"]) == (2, 3, VOTE)
    return job


def _vote(ctx, job, arbiter, solver_correct):
    return ctx.job_market.voteOnStep(job.id, solver_correct, {"from": arbiter})


def _resolve(ctx, job):
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    return ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})


def test_when_majority_says_the_solver_was_wrong(ctx, voting):
    a = ctx.arbiters
    tx = _vote(ctx, voting, a[0], False)
    assert event_args(tx, "StepVoted") == {
        "jobId": voting.id,
        "arbiter": a[0],
        "solverCorrect": False,
        "bond": 10 * USD,
    }
    _vote(ctx, voting, a[1], False)
    _vote(ctx, voting, a[2], True)
    assert ctx.job_market.hasVoted(voting.id, a[0])
    tx = _resolve(ctx, voting)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
    assert ctx.job_market.statusOf(voting.id) == SLASHED


def test_when_majority_says_the_solver_was_right(ctx, voting):
    _vote(ctx, voting, ctx.arbiters[0], True)
    tx = _resolve(ctx, voting)
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    assert ctx.job_market.statusOf(voting.id) == SUBMITTED


@pytest.mark.parametrize("votes", [(), (True, False)])
def test_when_tied_or_nobody_votes_the_challenger_could_not_win_and_loses_its_bond(ctx, voting, votes):
    """Issue 12, attack 4: no majority is the challenger's failure, not a free void."""
    for arbiter, vote in zip(ctx.arbiters, votes):
        _vote(ctx, voting, arbiter, vote)
    token = ctx.token
    parties = (ctx.tenant, ctx.challenger, ctx.verifier, ctx.provider)
    before = {p: token.balanceOf(p) for p in parties}
    tx = _resolve(ctx, voting)
    resolved = event_args(tx, "DisputeResolved")
    assert resolved["result"] == R_VOIDED
    assert "ProviderSlashed" not in tx.events
    assert event_args(tx, "ChallengerBondForfeited")["defender"] == ctx.provider
    assert token.balanceOf(ctx.tenant) == before[ctx.tenant]
    assert token.balanceOf(ctx.challenger) == before[ctx.challenger]
    assert token.balanceOf(ctx.verifier) == before[ctx.verifier]
    assert token.balanceOf(ctx.provider) - before[ctx.provider] == CHALLENGE_BOND // 2
    assert ctx.job_market.statusOf(voting.id) == SUBMITTED
    assert resolved["windowEndsAt"] == ctx.job_market.getJob(voting.id)["windowEndsAt"]


def test_revert_vote_when_caller_not_arbiter(ctx, voting):
    with reverts_with("Leasehold_MissingRole"):
        _vote(ctx, voting, ctx.stranger, True)


@pytest.mark.parametrize("party", ["provider", "challenger"])
def test_revert_vote_when_arbiter_is_a_party(ctx, voting, party):
    account = getattr(ctx, party)
    ctx.config.setRole(ctx.config.ARBITER_ROLE(), account, True, {"from": ctx.governance})
    with reverts_with("JobMarket_ArbiterIsParty"):
        _vote(ctx, voting, account, party == "provider")


def test_revert_vote_twice(ctx, voting):
    _vote(ctx, voting, ctx.arbiters[0], True)
    with reverts_with("JobMarket_AlreadyVoted"):
        _vote(ctx, voting, ctx.arbiters[0], False)


def test_revert_vote_after_the_window(ctx, voting):
    sleep_past(dispute_of(ctx.job_market, voting.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlinePassed"):
        _vote(ctx, voting, ctx.arbiters[0], True)


def test_revert_vote_when_not_voting(ctx, driver):
    job = driver.open_submitted(workload=MATVEC256, steps=5)
    driver.challenge(job)
    with reverts_with("JobMarket_UnexpectedPhase"):
        _vote(ctx, job, ctx.arbiters[0], True)


def test_revert_resolve_before_the_window_ends(ctx, voting):
    next_tx_at(dispute_of(ctx.job_market, voting.id)["deadline"])
    with reverts_with("JobMarket_MoveDeadlineNotPassed"):
        ctx.job_market.resolveVote(voting.id, {"from": ctx.stranger})


def test_revert_resolve_when_not_voting(ctx, driver):
    job = driver.open_submitted(workload=MATVEC256, steps=5)
    with reverts_with("JobMarket_UnexpectedPhase"):
        ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})


def test_revert_prove_in_arbiter_mode(ctx, voting, driver):
    with reverts_with("JobMarket_UnexpectedPhase"):
        driver.prove(voting)


def test_given_a_second_dispute_arbiters_vote_again(ctx, driver):
    job = driver.open_submitted(workload=MATVEC256, steps=2)
    driver.challenge(job, ctx.stranger)
    driver.bisect(job, agree=False)
    _vote(ctx, job, ctx.arbiters[0], True)
    _resolve(ctx, job)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    assert not ctx.job_market.hasVoted(job.id, ctx.arbiters[0])
    d = dispute_of(ctx.job_market, job.id)
    assert d["number"] == 2 and d["votesForSolver"] == 0
    _vote(ctx, job, ctx.arbiters[0], False)
    tx = _resolve(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
