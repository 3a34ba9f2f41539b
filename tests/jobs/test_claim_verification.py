"""claimVerification and the verifier pool: a job is verified when the hash of its result's block
draws it, by the bonded verifier that claims it first within 256 blocks; the levy of every job
funds the pool that pays the sampled verifier; a claimant that never attests loses its bond."""

import brownie

from keepers.jobs import is_drawn, spot_index

from helpers import ZERO_ADDRESS, event_args, reverts_with, reverts_with_args
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
    before = ctx.job_market.creditOf(ctx.verifier)
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toVerifier"] == SAMPLED_PAY
    # Credited, pay and bond: the verifier's standing balance for its next claim's bond.
    assert ctx.job_market.creditOf(ctx.verifier) - before == SAMPLED_PAY + VERIFIER_BOND
    assert ctx.job_market.verifierPool() == pool + LEVY - SAMPLED_PAY


def test_the_sampled_verifier_is_paid_no_more_than_the_pool_holds(ctx, driver):
    assert ctx.job_market.verifierPool() == 0
    job = driver.open_drawn()
    driver.attest_valid(job)
    before = ctx.job_market.creditOf(ctx.verifier)
    tx = driver.finalize_after_window(job)
    assert event_args(tx, "JobFinalized")["toVerifier"] == LEVY
    assert ctx.job_market.creditOf(ctx.verifier) - before == LEVY + VERIFIER_BOND
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
    # and the verifier's credit: its pay and bond, its standing balance for the next claim
    assert held - ctx.job_market.creditOf(ctx.verifier) == start


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


# --- claimAndAttest: the claim and the valid attestation in one call ------------------------------


def test_claim_and_attest_claims_and_attests_in_one_call(ctx, driver):
    job = driver.open_drawn(window=HOUR)
    brownie.chain.sleep(1800)
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.claim_and_attest(job)
    assert event_args(tx, "Attested") == {
        "jobId": job.id,
        "verifier": ctx.verifier,
        "valid": True,
        "bond": VERIFIER_BOND,
        "windowEndsAt": tx.timestamp + HOUR,
    }
    assert "VerificationClaimed" not in tx.events
    stored = job_of(ctx.job_market, job.id)
    assert stored["verifier"] == ctx.verifier and stored["attestation"] == 1  # VALID
    assert stored["windowEndsAt"] == tx.timestamp + HOUR
    # No credit yet: the bond is pulled.
    assert before - ctx.token.balanceOf(ctx.verifier) == VERIFIER_BOND


def test_claim_and_attest_is_refused_when_the_job_is_not_drawn(ctx, driver):
    job = driver.open()
    driver.submit_drawn(job, drawn=False)
    with reverts_with_args("JobMarket_NotSampled", job.id):
        driver.claim_and_attest(job)


def test_claim_and_attest_is_refused_once_another_verifier_claimed(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.stranger, True, {"from": ctx.governance})
    job = driver.open_drawn()
    driver.claim(job, ctx.stranger)
    with reverts_with_args("JobMarket_AlreadyClaimed", job.id, ctx.stranger.address):
        driver.claim_and_attest(job)


def test_claim_and_attest_is_refused_without_the_trace(ctx, driver):
    """A lazy verifier cannot claim and attest at once either: the spot proof is of its own spot."""
    job = driver.open_drawn()
    index = ctx.job_market.spotIndex(job.solver.root, ctx.verifier, job.steps)
    wrong = "0x" + "11" * 32
    with reverts_with_args("JobMarket_InvalidSpotProof", job.id, index):
        ctx.job_market.claimAndAttest(job.id, job.terms, wrong, job.solver.proof(index), {"from": ctx.verifier})
    assert job_of(ctx.job_market, job.id)["verifier"] == ZERO_ADDRESS


def test_claim_and_attest_is_refused_to_the_solver(ctx, driver):
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), ctx.provider, True, {"from": ctx.governance})
    job = driver.open_drawn()
    with reverts_with_args("JobMarket_VerifierIsProvider", job.id):
        driver.claim_and_attest(job, ctx.provider)


# --- the verifier's standing balance: its credit pays its next claim's bond -------------------


def test_a_claim_takes_its_bond_from_the_verifiers_credit(ctx, driver):
    first = driver.open_drawn()
    driver.claim_and_attest(first)
    driver.finalize_after_window(first)
    credit = ctx.job_market.creditOf(ctx.verifier)
    assert credit >= VERIFIER_BOND  # its pay and its bond, credited
    job = driver.open_drawn()
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.claim_and_attest(job)
    assert event_args(tx, "CreditSpent") == {"account": ctx.verifier, "amount": VERIFIER_BOND}
    assert ctx.token.balanceOf(ctx.verifier) == before  # no transfer in
    assert ctx.job_market.creditOf(ctx.verifier) == credit - VERIFIER_BOND
    # The two-step claim spends it too; the credit is claimed whole whenever the verifier wants.
    driver.finalize_after_window(job)
    other = driver.open_drawn()
    assert "CreditSpent" in driver.claim(other).events
    remaining = ctx.job_market.creditOf(ctx.verifier)
    ctx.job_market.claimCredit({"from": ctx.verifier})
    assert ctx.token.balanceOf(ctx.verifier) == before + remaining


def test_a_credit_short_of_the_bond_is_left_alone_and_the_bond_pulled(ctx, driver):
    job = driver.open_drawn()
    credit = ctx.job_market.creditOf(ctx.verifier)
    assert credit < VERIFIER_BOND
    before = ctx.token.balanceOf(ctx.verifier)
    tx = driver.claim(job)
    assert "CreditSpent" not in tx.events
    assert before - ctx.token.balanceOf(ctx.verifier) == VERIFIER_BOND
    assert ctx.job_market.creditOf(ctx.verifier) == credit


# --- property 12: the sample rate and the bond are fixed at the match -------------------------


def _submit_drawn_at(driver, job, fixed_bps: int, current_bps: int, drawn: bool):
    """Submits in a block that draws the job at the fixed rate (or not) and would draw it at the
    current one (or not, when drawn at the fixed one): the two rates decide differently."""
    for _ in range(200):
        tx = driver.submit(job)
        block_hash = brownie.web3.eth.get_block(tx.block_number)["hash"]
        at_fixed = is_drawn(bytes(block_hash), job.id, fixed_bps)
        at_current = is_drawn(bytes(block_hash), job.id, current_bps)
        if at_fixed == drawn and at_current != drawn:
            return tx
        brownie.chain.undo()
        brownie.chain.mine()
    raise AssertionError("no block told the two rates apart in 200 tries")


def test_given_governance_changes_the_sample_rate_and_bond_mid_job_the_draw_and_pay_are_the_ones_agreed(ctx, driver):
    """Property 12: the sample rate and the verifier bond are fixed at the match with the fees, so a
    `setParams` between the match and the claim (or the finalization) changes neither the draw, nor
    the bond posted, nor the verifier's pay of a running job."""
    for _ in range(4):  # unverified jobs: their levy funds the pool (v / s - v = 48 USD)
        driver.finalize_after_window(driver.open_submitted())
    drawn, undrawn = driver.open(), driver.open()
    params = list(ctx.config.params())
    assert (params[19], params[21]) == (VERIFIER_BOND, SAMPLE_BPS)  # verifierBond, verificationSampleBps
    params[19], params[21] = 50 * 10**6, 10_000  # every job drawn, a bond of 50 USD
    ctx.config.setParams(params, {"from": ctx.governance})

    _submit_drawn_at(driver, undrawn, SAMPLE_BPS, 10_000, drawn=False)
    with reverts_with_args("JobMarket_NotSampled", undrawn.id):
        driver.claim(undrawn)

    _submit_drawn_at(driver, drawn, SAMPLE_BPS, 100, drawn=True)
    params[21] = 100  # and lower again before the claim: still drawn at the agreed 20%
    ctx.config.setParams(params, {"from": ctx.governance})
    tx = driver.claim_and_attest(drawn)
    assert event_args(tx, "Attested")["bond"] == VERIFIER_BOND
    assert job_of(ctx.job_market, drawn.id)["sampleBps"] == SAMPLE_BPS
    tx = driver.finalize_after_window(drawn)
    # Levy over the agreed rate, 60 USD; at the current 1% it would be 1,200 (all the pool holds).
    assert event_args(tx, "JobFinalized")["toVerifier"] == SAMPLED_PAY
