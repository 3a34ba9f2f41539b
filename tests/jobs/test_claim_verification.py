"""claimVerification and the verifier pool: a job is verified when the hash of its result's block
draws it, by the bonded verifier that claims it first within 256 blocks; the levy of every job
funds the pool that pays the sampled verifier; a claimant that never attests loses its bond."""

import brownie

from keepers.jobs import is_drawn, spot_index

from helpers import event_args, reverts_with, reverts_with_args
from jobs.support import (
    ESCROW,
    HOUR,
    PROTOCOL_FEE_BPS,
    SAMPLE_BPS,
    VERIFIER_BOND,
    VERIFIER_FEE_BPS,
    job_of,
)

LEVY = ESCROW * VERIFIER_FEE_BPS // 10_000  # 12 USD of a 100 USD job
FEE = ESCROW * PROTOCOL_FEE_BPS // 10_000
SAMPLED_PAY = ESCROW * VERIFIER_FEE_BPS // SAMPLE_BPS  # v / s of the price: 60 USD


def test_revert_when_the_job_is_not_drawn(ctx, driver):
    job = driver.open()
    driver.submit_drawn(job, drawn=False)
    with reverts_with_args("JobMarket_NotSampled", job.id):
        driver.claim(job)


def test_revert_when_claimed_after_256_blocks(ctx, driver):
    job = driver.open_drawn()
    submit_block = job_of(ctx.job_market, job.id)["submitBlock"]
    brownie.chain.mine(256)
    with reverts_with_args("JobMarket_ClaimWindowClosed", job.id, submit_block, submit_block + 257):
        driver.claim(job)


def test_claimed_in_the_last_block_of_the_window(ctx, driver):
    job = driver.open_drawn()
    brownie.chain.mine(255)
    tx = driver.claim(job)
    assert tx.block_number == job_of(ctx.job_market, job.id)["submitBlock"] + 256


def test_revert_when_already_claimed(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.stranger, True, {"from": ctx.governance})
    job = driver.open_drawn()
    driver.claim(job)
    with reverts_with_args("JobMarket_AlreadyClaimed", job.id, ctx.verifier.address):
        driver.claim(job, ctx.stranger)


def test_revert_when_caller_lacks_verifier_role(ctx, driver):
    job = driver.open_drawn()
    with reverts_with("Leasehold_MissingRole"):
        driver.claim(job, ctx.stranger)


def test_revert_when_the_solver_claims_its_own_job(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.provider, True, {"from": ctx.governance})
    job = driver.open_drawn()
    with reverts_with_args("JobMarket_VerifierIsProvider", job.id):
        driver.claim(job, ctx.provider)


def test_revert_when_no_result(ctx, driver):
    job = driver.open()
    with reverts_with("JobMarket_UnexpectedStatus"):
        driver.claim(job)


def test_a_claim_posts_the_bond_and_restarts_the_window(ctx, driver):
    job = driver.open_drawn(window=HOUR)
    brownie.chain.sleep(1800)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.claim(job)
    assert event_args(tx, "VerificationClaimed") == {
        "jobId": job.id,
        "verifier": ctx.verifier,
        "bond": VERIFIER_BOND,
        "windowEndsAt": tx.timestamp + HOUR,
    }
    stored = job_of(ctx.job_market, job.id)
    assert stored["verifier"] == ctx.verifier and stored["verifierBond"] == VERIFIER_BOND
    assert stored["windowEndsAt"] == tx.timestamp + HOUR
    assert before - ctx.token.balanceOf(ctx.verifier) == VERIFIER_BOND


def test_the_submission_block_replaces_the_met_deadline_in_the_view(ctx, driver):
    job = driver.open()
    assert job_of(ctx.job_market, job.id)["resultDeadline"] > 0
    tx = driver.submit(job)
    stored = job_of(ctx.job_market, job.id)
    assert stored["submitBlock"] == tx.block_number and stored["resultDeadline"] == 0


def test_an_unclaimed_drawn_job_finalizes_and_its_levy_joins_the_pool(ctx, driver):
    job = driver.open_drawn()
    pool = ctx.job_market.verifierPool()
    tx = driver.finalize_after_window(job)
    paid = event_args(tx, "JobFinalized")
    assert paid["toProvider"] == ESCROW - FEE - LEVY and paid["verifierLevy"] == LEVY and paid["toVerifier"] == 0
    assert ctx.job_market.verifierPool() - pool == LEVY


def test_a_silent_claimant_loses_its_bond_to_the_pool(ctx, driver):
    job = driver.open_drawn()
    driver.claim(job)
    pool = ctx.job_market.verifierPool()
    before = ctx.token.balanceOf(ctx.verifier)
    driver.finalize_after_window(job)
    assert ctx.token.balanceOf(ctx.verifier) == before
    assert ctx.job_market.verifierPool() - pool == LEVY + VERIFIER_BOND


def test_the_sampled_verifier_is_paid_levy_over_sample_rate_from_the_pool(ctx, driver):
    # Fill the pool with the levy of unverified jobs: v / s - v = 48 USD needs four of them.
    for _ in range(4):
        driver.finalize_after_window(driver.open_submitted())
    pool = ctx.job_market.verifierPool()
    assert pool + LEVY >= SAMPLED_PAY
    job = driver.open_drawn()
    driver.attest_valid(job)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toVerifier"] == SAMPLED_PAY
    assert ctx.token.balanceOf(ctx.verifier) - before == SAMPLED_PAY + VERIFIER_BOND
    assert ctx.job_market.verifierPool() == pool + LEVY - SAMPLED_PAY


def test_the_sampled_verifier_is_paid_no_more_than_the_pool_holds(ctx, driver):
    assert ctx.job_market.verifierPool() == 0
    job = driver.open_drawn()
    driver.attest_valid(job)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toVerifier"] == LEVY
    assert ctx.token.balanceOf(ctx.verifier) - before == LEVY + VERIFIER_BOND
    assert ctx.job_market.verifierPool() == 0


def test_money_is_conserved_with_the_pool(ctx, driver):
    """After every job is settled, the job market holds exactly the treasury's fees and the pool."""
    start = ctx.token.balanceOf(ctx.job_market) - ctx.job_market.accruedFees() - ctx.job_market.verifierPool()
    for _ in range(3):
        driver.finalize_after_window(driver.open_submitted())
    silent = driver.open_drawn()
    driver.claim(silent)
    driver.finalize_after_window(silent)
    verified = driver.open_drawn()
    driver.attest_valid(verified)
    driver.finalize_after_window(verified)
    held = ctx.token.balanceOf(ctx.job_market) - ctx.job_market.accruedFees() - ctx.job_market.verifierPool()
    assert held == start


def test_a_claimant_that_flags_a_wrong_result_gets_its_bonds_back_and_no_pay(ctx, driver):
    """No pay for flagging: a cheater's own second account could claim its drawn job, flag it and
    be paid, losing less than when caught (property 5). Its bonds come back; the pool is untouched."""
    for _ in range(5):  # unverified jobs: their levy funds the pool
        driver.finalize_after_window(driver.open_submitted())
    job = driver.open_drawn(fault_from_step=1)
    driver.claim(job)
    before, pool = ctx.token.balanceOf(ctx.verifier), ctx.job_market.verifierPool()
    driver.attest_invalid(job)
    driver.bisect(job)
    driver.prove(job)
    assert ctx.token.balanceOf(ctx.verifier) == before + VERIFIER_BOND  # its challenge bond and its claim's
    assert ctx.job_market.verifierPool() == pool


def test_the_keepers_draw_and_spot_are_the_contracts(ctx, driver):
    """The verifier keeper computes both off-chain (keepers/jobs.py) before it claims and attests."""
    job = driver.open_submitted(steps=1000)
    block_hash = bytes(brownie.web3.eth.get_block(job_of(ctx.job_market, job.id)["submitBlock"])["hash"])
    for sample_bps in (100, 2_000, 5_000, 10_000):
        assert is_drawn(block_hash, job.id, sample_bps) == ctx.job_market.isDrawn(block_hash, job.id, sample_bps)
    root = bytes.fromhex(job.solver.root[2:])
    for account in (ctx.verifier, ctx.stranger, ctx.tenant):
        assert spot_index(root, account.address, job.steps) == ctx.job_market.spotIndex(root, account, job.steps)


def test_a_claimant_front_run_by_another_challenge_gets_its_bond_back_when_the_solver_is_slashed(ctx, driver):
    """A self-reporting cheater's second account challenges before the claimant can attest: the
    claimant vouched for nothing, so the slash costs it nothing (and pays it nothing)."""
    job = driver.open_drawn(fault_from_step=1)
    driver.claim(job)
    before = ctx.token.balanceOf(ctx.verifier)
    pool = ctx.job_market.verifierPool()
    driver.challenge(job)
    driver.bisect(job)
    driver.prove(job)
    assert ctx.token.balanceOf(ctx.verifier) == before + VERIFIER_BOND
    assert ctx.job_market.verifierPool() == pool
