"""setWorkload: governance only, a non-zero id, overwrite and removal, the event."""

from helpers import ZERO_ADDRESS, b32, event_args, reverts_with
from jobs.support import HASHCHAIN, MATVEC256, ZERO32


def test_revert_when_caller_not_governance(ctx):
    with reverts_with("JobMarket_CallerNotGovernance"):
        ctx.job_market.setWorkload(b32("new"), ctx.hashchain_verifier, False, {"from": ctx.stranger})


def test_revert_when_workload_id_zero(ctx):
    with reverts_with("JobMarket_InvalidWorkloadId"):
        ctx.job_market.setWorkload(ZERO32, ctx.hashchain_verifier, False, {"from": ctx.governance})


def test_when_governance_sets_a_workload(ctx):
    tx = ctx.job_market.setWorkload(b32("new"), ctx.matvec_verifier, True, {"from": ctx.governance})
    assert event_args(tx, "WorkloadSet") == {
        "workload": b32("new"),
        "stepVerifier": ctx.matvec_verifier,
        "arbiterMode": True,
    }
    assert tuple(ctx.job_market.workload(b32("new"))) == (ctx.matvec_verifier, True)


def test_deployed_workloads(ctx):
    assert tuple(ctx.job_market.workload(HASHCHAIN)) == (ctx.hashchain_verifier, False)
    assert tuple(ctx.job_market.workload(MATVEC256)) == (ZERO_ADDRESS, True)


def test_when_governance_removes_a_workload_publishing_is_refused(ctx, driver):
    from jobs.support import make_terms

    ctx.job_market.setWorkload(HASHCHAIN, ZERO_ADDRESS, False, {"from": ctx.governance})
    terms, input = make_terms()
    with reverts_with("JobMarket_WorkloadNotRegistered"):
        driver.publish(terms, input)


def test_given_published_terms_when_governance_changes_the_workload_the_record_keeps_the_old_verifier(ctx, driver):
    from jobs.support import make_terms

    terms, input = make_terms()
    driver.publish(terms, input)
    ctx.job_market.setWorkload(HASHCHAIN, ctx.matvec_verifier, True, {"from": ctx.governance})
    record = ctx.job_market.termsRecord(ctx.job_market.hashTerms(terms))
    assert record[0] == ctx.hashchain_verifier and record[1] is False
