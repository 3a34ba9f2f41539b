"""Issue 12, attacks 2 and 4, on a real chain: each now loses money for the attacker.

Attack 2: a solver's second account challenges a result a verifier attested valid and the solver
never moves, so that the timeout burns the honest verifier's bond. The verifier now makes the
solver side's moves from the trace it re-executed; the attacker pair loses its bond, half of it
to the verifier, and the verifier keeps its bond and earns its fee.

Attack 4: in an arbiter-mode job the tenant challenges its own honest solver and agrees with
every reveal, hoping nobody votes and the void hands it the compute for free. No majority is now
the challenger's loss: the solver keeps its pay and the tenant loses its bond.

Balances are payment-token balances; "honest play" is the same job finalized without the attack.
"""

from helpers import USD, event_args, reverts_with
from jobs.support import (
    CHALLENGE_BOND,
    CHALLENGER_WON,
    DEPOSIT,
    ESCROW,
    MATVEC256,
    PROTOCOL_FEE_BPS,
    R_VOIDED,
    REVEAL,
    SETTLE_BOUNTY,
    SLASHED,
    SOLVER_WON,
    SUBMITTED,
    VERIFIER_BOND,
    VERIFIER_FEE_BPS,
    dispute_of,
    h,
    job_of,
    sleep_past,
)

PROTOCOL_FEE = ESCROW * PROTOCOL_FEE_BPS // 10_000
VERIFIER_FEE = ESCROW * VERIFIER_FEE_BPS // 10_000
SOLVER_PAY = ESCROW - PROTOCOL_FEE - VERIFIER_FEE
TO_DEFENDER = CHALLENGE_BOND // 2  # whistleblowerRewardBps = 50 %


def _balance(ctx, *accounts) -> int:
    """Tokens held and credited in the job market (where a sampled verifier's pay and bond wait)."""
    return sum(ctx.token.balanceOf(a) + ctx.job_market.creditOf(a) for a in accounts)


def _verifier_reveal(ctx, job):
    """The verifier's reveal, from the honest trace it re-executed."""
    d = dispute_of(ctx.job_market, job.id)
    mid = (d["lo"] + d["hi"]) // 2
    return ctx.job_market.reveal(job.id, h(job.honest.hashes[mid]), job.honest.proof(mid), {"from": ctx.verifier})


def _timeout(ctx, job):
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    return ctx.job_market.claimTimeout(job.id, {"from": ctx.stranger})


def _attested_honest_job(ctx, driver, **kwargs):
    job = driver.open_drawn(**kwargs)
    driver.attest_valid(job)
    return job


# --- attack 2: the honest verifier defends what it vouched for -----------------------------------


def test_attack_2_the_verifier_reveals_the_challenger_gives_up_and_the_attacker_pays(ctx, driver):
    attacker = (ctx.provider, ctx.challenger)  # the solver and its second account
    job = _attested_honest_job(ctx, driver)
    attacker_before, verifier_before = _balance(ctx, *attacker), _balance(ctx, ctx.verifier)
    driver.challenge(job)  # by the second account; the solver then never moves
    _verifier_reveal(ctx, job)
    tx = _timeout(ctx, job)  # the challenger cannot dispute a true midpoint and gives up
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    assert event_args(tx, "ChallengerBondForfeited")["defender"] == ctx.verifier
    driver.finalize_after_window(job)
    # Honest play would have paid the pair SOLVER_PAY: the attack costs it the whole bond.
    assert _balance(ctx, *attacker) - attacker_before == SOLVER_PAY - CHALLENGE_BOND
    # The verifier: fee, bond back, and the defender's half of the bond.
    assert _balance(ctx, ctx.verifier) - verifier_before == VERIFIER_FEE + VERIFIER_BOND + TO_DEFENDER


def test_attack_2_the_verifier_plays_the_whole_game_and_proves_the_last_step(ctx, driver):
    attacker = (ctx.provider, ctx.challenger)
    job = _attested_honest_job(ctx, driver, steps=13)
    attacker_before, verifier_before = _balance(ctx, *attacker), _balance(ctx, ctx.verifier)
    driver.challenge(job)
    while dispute_of(ctx.job_market, job.id)["phase"] == REVEAL:
        _verifier_reveal(ctx, job)
        driver.respond(job, agree=False)  # the attacker disputes everything
    d = dispute_of(ctx.job_market, job.id)
    tx = ctx.job_market.proveStep(job.id, job.terms, job.honest.states[d["lo"]], {"from": ctx.verifier})
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    forfeit = event_args(tx, "ChallengerBondForfeited")
    assert (forfeit["defender"], forfeit["toDefender"]) == (ctx.verifier, TO_DEFENDER)
    driver.finalize_after_window(job)
    assert _balance(ctx, *attacker) - attacker_before == SOLVER_PAY - CHALLENGE_BOND
    assert (
        _balance(ctx, ctx.verifier) - verifier_before == VERIFIER_FEE + VERIFIER_BOND + TO_DEFENDER + SETTLE_BOUNTY
    )  # it ended the game


def test_when_the_solver_defends_itself_the_compensation_stays_the_solvers(ctx, driver):
    job = _attested_honest_job(ctx, driver, steps=5)
    driver.challenge(job)
    _verifier_reveal(ctx, job)
    driver.respond(job)
    driver.bisect(job)  # the solver's own reveals from here on
    tx = driver.prove(job)
    assert event_args(tx, "ChallengerBondForfeited")["defender"] == ctx.provider


def test_a_verifier_that_stays_silent_while_the_solver_abandons_loses_its_bond(ctx, driver):
    """It was given every move of the solver's side: silence is not defending what it vouched for."""
    job = _attested_honest_job(ctx, driver)
    driver.challenge(job)
    tx = _timeout(ctx, job)
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
    assert event_args(tx, "VerifierBondForfeited")["verifier"] == ctx.verifier
    assert ctx.job_market.statusOf(job.id) == SLASHED


def test_revert_reveal_by_a_verifier_that_did_not_attest_valid(ctx, driver):
    job = driver.open_submitted()
    driver.challenge(job)
    with reverts_with("JobMarket_CallerNotProvider"):
        _verifier_reveal(ctx, job)


def test_revert_reveal_by_a_verifier_that_attested_invalid(ctx, driver):
    job = driver.open_submitted(fault_from_step=3)
    driver.attest_invalid(job)
    with reverts_with("JobMarket_CallerNotProvider"):
        _verifier_reveal(ctx, job)


def test_a_verifier_cannot_reveal_what_the_solvers_trace_does_not_commit_to(ctx, driver):
    job = _attested_honest_job(ctx, driver)
    driver.challenge(job)
    d = dispute_of(ctx.job_market, job.id)
    mid = (d["lo"] + d["hi"]) // 2
    with reverts_with("JobMarket_InvalidTraceProof"):
        ctx.job_market.reveal(job.id, h(job.honest.hashes[mid + 1]), job.honest.proof(mid), {"from": ctx.verifier})


# --- attack 4: no majority is the challenger's loss -----------------------------------------------


def test_attack_4_a_tenant_challenging_its_own_honest_solver_pays_when_nobody_votes(ctx, driver):
    tenant_before, provider_before = _balance(ctx, ctx.tenant), _balance(ctx, ctx.provider)
    job = driver.open_submitted(workload=MATVEC256, steps=5)
    driver.challenge(job, challenger=ctx.tenant)
    driver.bisect(job, agree=True)  # the tenant agrees with every reveal
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])  # no arbiter votes
    tx = ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})
    assert event_args(tx, "DisputeResolved")["result"] == R_VOIDED
    assert ctx.job_market.statusOf(job.id) == SUBMITTED
    driver.finalize_after_window(job)
    # Honest play: the tenant pays the deposit (escrow + match fee); the verifier levy funds the pool.
    honest_tenant = -DEPOSIT
    assert _balance(ctx, ctx.tenant) - tenant_before == honest_tenant - CHALLENGE_BOND
    assert _balance(ctx, ctx.provider) - provider_before == SOLVER_PAY + TO_DEFENDER
    assert job_of(ctx.job_market, job.id)["status"] != SLASHED


# --- arbiters: bonded, paid per vote by the challenger's bond and the minority's bonds -----------

ARBITER_BOND = 10 * USD
ARBITER_FEE = 10 * USD


def _voting_job(ctx, driver, fault_from_step=3):
    """A matvec-256 job over 5 steps whose dispute reached its vote on step 2 -> 3."""
    job = driver.open_submitted(workload=MATVEC256, steps=5, fault_from_step=fault_from_step)
    driver.challenge(job)
    driver.bisect(job)
    return job


def _claim(ctx, job, arbiter, number=1):
    return ctx.job_market.claimArbiterPay(job.id, number, {"from": arbiter})


def test_the_majority_is_paid_the_fee_and_the_minoritys_bond_and_the_minority_loses_its_bond(ctx, driver):
    job = _voting_job(ctx, driver)  # the solver cheated at step 3: "wrong" is the true vote
    a = ctx.arbiters
    before = {x: _balance(ctx, x) for x in (*a, ctx.challenger)}
    for arbiter, vote in zip(a, (False, False, True)):
        tx = ctx.job_market.voteOnStep(job.id, vote, {"from": arbiter})
        assert event_args(tx, "StepVoted")["bond"] == ARBITER_BOND
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    tx = ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})
    pay = (ARBITER_FEE + ARBITER_BOND) // 2
    assert event_args(tx, "VoteTallied") == {
        "jobId": job.id,
        "number": 1,
        "outcome": 2,
        "fee": ARBITER_FEE,
        "payPerVote": pay,
        "dust": 0,
    }
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON
    for arbiter in a[:2]:
        assert event_args(_claim(ctx, job, arbiter), "ArbiterPaid")["amount"] == ARBITER_BOND + pay
        assert _balance(ctx, arbiter) - before[arbiter] == pay
    with reverts_with("JobMarket_NothingToClaim"):
        _claim(ctx, job, a[2])
    assert _balance(ctx, a[2]) - before[a[2]] == -ARBITER_BOND
    # The winning challenger paid the committee's fee out of its bond (and won the slash share).
    assert event_args(tx, "ProviderSlashed")["toWhistleblower"] == 0  # no finder's share (issue 12, property 5)


def test_without_a_majority_every_voter_gets_its_bond_back_and_nobody_is_paid(ctx, driver):
    job = _voting_job(ctx, driver)
    a = ctx.arbiters
    ctx.job_market.voteOnStep(job.id, True, {"from": a[0]})
    ctx.job_market.voteOnStep(job.id, False, {"from": a[1]})
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    tx = ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})
    assert (event_args(tx, "VoteTallied")["outcome"], event_args(tx, "VoteTallied")["fee"]) == (3, 0)
    for arbiter in a[:2]:
        assert event_args(_claim(ctx, job, arbiter), "ArbiterPaid")["amount"] == ARBITER_BOND
    # The challenger could not win: its whole bond is forfeited, half to the solver.
    forfeit = event_args(tx, "ChallengerBondForfeited")
    assert (forfeit["toDefender"], forfeit["toTreasury"]) == (TO_DEFENDER, CHALLENGE_BOND - TO_DEFENDER - SETTLE_BOUNTY)


def test_an_absent_arbiter_earns_nothing_and_a_claim_is_paid_once(ctx, driver):
    job = _voting_job(ctx, driver, fault_from_step=None)  # honest: "correct" is the true vote
    a = ctx.arbiters
    ctx.job_market.voteOnStep(job.id, True, {"from": a[0]})
    with reverts_with("JobMarket_NothingToClaim"):
        _claim(ctx, job, a[0])  # not resolved yet
    sleep_past(dispute_of(ctx.job_market, job.id)["deadline"])
    tx = ctx.job_market.resolveVote(job.id, {"from": ctx.stranger})
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    assert event_args(_claim(ctx, job, a[0]), "ArbiterPaid")["amount"] == ARBITER_BOND + ARBITER_FEE
    with reverts_with("JobMarket_NothingToClaim"):
        _claim(ctx, job, a[0])
    with reverts_with("JobMarket_NothingToClaim"):
        _claim(ctx, job, a[1])  # did not vote
    # The losing challenger's bond paid the fee first; the rest is split as usual.
    forfeit = event_args(tx, "ChallengerBondForfeited")
    rest = CHALLENGE_BOND - ARBITER_FEE
    assert (forfeit["toDefender"], forfeit["toTreasury"]) == (rest // 2, rest - rest // 2 - SETTLE_BOUNTY)
