"""sweepFees and accruedFees in the job market: the finalization's protocol fee and the treasury's
shares of forfeited bonds accrue, and anyone sweeps them to the config's treasury."""

from helpers import event_args, reverts_with
from jobs.support import ESCROW, PROTOCOL_FEE_BPS

FEE = ESCROW * PROTOCOL_FEE_BPS // 10_000


def test_when_a_job_is_finalized_then_its_fee_is_swept_to_the_treasury(ctx, driver):
    job = driver.open_submitted()
    treasury_before = ctx.token.balanceOf(ctx.treasury)
    driver.finalize_after_window(job)
    assert ctx.token.balanceOf(ctx.treasury) == treasury_before
    assert ctx.job_market.accruedFees() == FEE
    tx = ctx.job_market.sweepFees({"from": ctx.stranger})
    assert tx.return_value == FEE
    assert event_args(tx, "FeesSwept") == {"treasury": ctx.treasury, "amount": FEE}
    assert ctx.token.balanceOf(ctx.treasury) - treasury_before == FEE
    assert ctx.job_market.accruedFees() == 0


def test_revert_when_no_fee_has_accrued(ctx):
    with reverts_with("Leasehold_NoFees"):
        ctx.job_market.sweepFees({"from": ctx.stranger})
