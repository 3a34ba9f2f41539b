"""The JobMarket's books in the demo report (scripts/market_report.py), from events alone."""

from keepers.contracts.types import DisputeResult
from scripts.market_report import ChainEvents, JobFlows, summary

ESCROW, VERIFIER_BOND, BOND, ARBITER_BOND, ARBITER_FEE = 100, 20, 50, 10, 10


def opened(job_id):
    return {"jobId": job_id, "escrow": ESCROW}


def book() -> ChainEvents:
    """Job 1 finalized after a valid attestation; 2 slashed by an arbiter majority (3 votes, 2 to 1)
    after a whistleblower caught its verifier, one of the two winners has claimed; 3 expired; 4 back
    to SUBMITTED after a tied vote (2 votes, both claimed); 5 survived a false challenge and is
    still open; 6 has a dispute open."""
    return ChainEvents(
        {
            "JobOpened": [opened(i) for i in range(1, 7)],
            "VerificationClaimed": [{"jobId": j, "bond": VERIFIER_BOND} for j in (1, 2, 4)],
            "Attested": [
                {"jobId": 1, "valid": True, "bond": VERIFIER_BOND},
                {"jobId": 2, "valid": True, "bond": VERIFIER_BOND},
                {"jobId": 4, "valid": True, "bond": VERIFIER_BOND},
            ],
            "DisputeOpened": [{"jobId": j, "number": 1, "bond": BOND} for j in (2, 4, 5, 6)],
            "StepVoted": [{"jobId": 2, "bond": ARBITER_BOND}] * 3 + [{"jobId": 4, "bond": ARBITER_BOND}] * 2,
            "VoteTallied": [
                {"jobId": 2, "number": 1, "outcome": 2, "fee": ARBITER_FEE, "payPerVote": 10, "dust": 0},
                {"jobId": 4, "number": 1, "outcome": 3, "fee": 0, "payPerVote": 0, "dust": 0},
            ],
            "ArbiterPaid": [{"jobId": 2, "amount": ARBITER_BOND + 10}] + [{"jobId": 4, "amount": ARBITER_BOND}] * 2,
            # Job 1's verifier is paid 12 of its own levy of 12 (the pool was empty): the pool keeps 0.
            "JobFinalized": [{"jobId": 1, "toProvider": 87, "protocolFee": 1, "verifierLevy": 12, "toVerifier": 12}],
            "JobExpired": [{"jobId": 3, "refunded": ESCROW}],
            "DisputeResolved": [
                {"jobId": 2, "number": 1, "result": DisputeResult.CHALLENGER_WON},
                {"jobId": 4, "number": 1, "result": DisputeResult.VOIDED},
                {"jobId": 5, "number": 1, "result": DisputeResult.SOLVER_WON},
            ],
            "ChallengerBondForfeited": [
                {"jobId": 4, "toDefender": 25, "toTreasury": 25},
                {"jobId": 5, "toDefender": 25, "toTreasury": 25},
            ],
            "VerifierBondForfeited": [{"jobId": 2, "toChallenger": 10, "toTreasury": 10}],
        }
    )


def test_job_flows_balance_and_equal_what_open_jobs_hold():
    flows = JobFlows.of(book())
    assert flows.inflow == 6 * ESCROW + 3 * VERIFIER_BOND + 4 * BOND + 5 * ARBITER_BOND
    # Still held: jobs 4, 5 and 6's escrow, job 4's verifier bond, job 6's open bond, and what the
    # second winner of job 2's vote has not claimed (its bond and its pay).
    assert flows.owed == 3 * ESCROW + VERIFIER_BOND + BOND + (ARBITER_BOND + 10)
    assert flows.inflow - flows.outflow == flows.owed
    assert flows.refunded_to_tenants == 2 * ESCROW  # expired, slashed
    assert flows.to_treasury == 1 + 25 + 25 + 10


def test_summary_counts_the_job_outcomes():
    events = book()
    events.by_name.update(
        {
            "ResultSubmitted": [{}] * 5,
            "ProviderSlashed": [
                {"reason": 2, "slashed": 9, "toTreasury": 0},
                {"reason": 1, "slashed": 1, "toTreasury": 0},
            ],
        }
    )
    figures = summary(events)
    assert (figures["jobs_matched"], figures["jobs_submitted"], figures["jobs_finalized"]) == (6, 5, 1)
    assert figures["jobs_failed"] == 2  # expired, slashed (a tied vote is the challenger's loss)
    assert (figures["disputes"], figures["disputes_won_by_challenger"]) == (4, 1)
    assert (figures["solver_slashes"], figures["verifier_slashes"], figures["arbiter_votes"]) == (2, 1, 5)
