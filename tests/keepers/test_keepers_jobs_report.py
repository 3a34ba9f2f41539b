"""The JobMarket's books in the demo report (scripts/market_report.py), from events alone."""

from keepers.contracts.types import DisputeResult
from scripts.market_report import ChainEvents, JobFlows, summary

ESCROW, VERIFIER_BOND, BOND = 100, 20, 50


def opened(job_id):
    return {"jobId": job_id, "escrow": ESCROW}


def book() -> ChainEvents:
    """Job 1 finalized after a valid attestation; 2 slashed after a whistleblower caught its verifier;
    3 expired; 4 voided by a tied vote; 5 survived a false challenge and is still open; 6 has a dispute open."""
    return ChainEvents(
        {
            "JobOpened": [opened(i) for i in range(1, 7)],
            "Attested": [
                {"jobId": 1, "valid": True, "bond": VERIFIER_BOND},
                {"jobId": 2, "valid": True, "bond": VERIFIER_BOND},
                {"jobId": 4, "valid": True, "bond": VERIFIER_BOND},
            ],
            "DisputeOpened": [{"jobId": j, "number": 1, "bond": BOND} for j in (2, 4, 5, 6)],
            "JobFinalized": [{"jobId": 1, "toProvider": 94, "protocolFee": 1, "verifierFee": 5, "tenantRefund": 0}],
            "JobExpired": [{"jobId": 3, "refunded": ESCROW}],
            "DisputeResolved": [
                {"jobId": 2, "number": 1, "result": DisputeResult.CHALLENGER_WON},
                {"jobId": 4, "number": 1, "result": DisputeResult.VOIDED},
                {"jobId": 5, "number": 1, "result": DisputeResult.SOLVER_WON},
            ],
            "ChallengerBondForfeited": [{"jobId": 5, "toDefender": 25, "toTreasury": 25}],
            "VerifierBondForfeited": [{"jobId": 2, "toChallenger": 10, "toTreasury": 10}],
        }
    )


def test_job_flows_balance_and_equal_what_open_jobs_hold():
    flows = JobFlows.of(book())
    assert flows.inflow == 6 * ESCROW + 3 * VERIFIER_BOND + 4 * BOND
    # Still held: job 5's escrow; job 6's escrow and open bond.
    assert flows.owed == 2 * ESCROW + BOND
    assert flows.inflow - flows.outflow == flows.owed
    assert flows.refunded_to_tenants == 3 * ESCROW  # expired, slashed, voided
    assert flows.to_treasury == 1 + 25 + 10


def test_summary_counts_the_job_outcomes():
    events = book()
    events.by_name.update(
        {
            "ResultSubmitted": [{}] * 5,
            "StepVoted": [{}] * 2,
            "ProviderSlashed": [
                {"reason": 2, "slashed": 9, "toTreasury": 0},
                {"reason": 1, "slashed": 1, "toTreasury": 0},
            ],
        }
    )
    figures = summary(events)
    assert (figures["jobs_matched"], figures["jobs_submitted"], figures["jobs_finalized"]) == (6, 5, 1)
    assert figures["jobs_failed"] == 3  # expired, slashed, voided
    assert (figures["disputes"], figures["disputes_won_by_challenger"]) == (4, 1)
    assert (figures["solver_slashes"], figures["verifier_slashes"], figures["arbiter_votes"]) == (2, 1, 2)
