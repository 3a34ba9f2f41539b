"""The arbiter (ARBITER_ROLE): votes on the last step of disputes over arbiter-mode workloads.

For every open dispute in the VOTE phase, inside its vote window, where it is neither the
solver nor the challenger and has not voted, it derives the state s_lo from the published
input with the workload's executor, checks that it hashes to the agreed h_lo, runs that one
step and votes `voteOnStep(solverCorrect)`: whether the step's result hashes to the disputed
h_hi. When its own s_lo does not hash to h_lo (the parties agreed on a state it cannot
reproduce) it cannot judge and abstains; the vote window ends with `resolveVote` (the settler).

Each vote posts the dispute's arbiter bond (the payment token is approved to the JobMarket once,
for good, before the first vote). Once a vote it cast is resolved (the dispute left
the VOTE phase) it claims its bond and pay with `claimArbiterPay`; a vote in the minority has
nothing to claim (the contract refuses it) and is dropped.
"""

from __future__ import annotations

from functools import partial

from keepers.client import LeaseholdClient
from keepers.contracts.types import MAX_ALLOWANCE
from keepers.jobs import JobBook, JobFacts, Unexecutable, attempt, workload_of
from keepers.lifecycle import Keeper, NoRoleConfig
from keepers.workloads import keccak256


class ArbiterKeeper(Keeper):
    role = "arbiter"
    required_role = "ARBITER_ROLE"
    RoleConfig = NoRoleConfig

    def setup(self) -> None:
        self.client = LeaseholdClient(self.w3, self.deployment, self.sender)
        self.book = JobBook(self, name=f"arbiter-jobs-{self.account.address}")
        self.unexecutable = Unexecutable(self.log)
        self.votes = self.metrics.counter("arbiter_votes", "Votes cast on disputed steps", ("solver_correct",))
        self._done: set[tuple[int, int]] = set()  # (job id, dispute number) voted on or abstained from
        self._to_claim: set[tuple[int, int]] = set()  # votes cast, not claimed yet
        self.add_job("vote", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.book.refresh()
        self.claim()
        me = self.client.address
        voting = [
            job
            for job in self.book.jobs("DISPUTED")
            if job.phase == "VOTE"
            and me not in (job.provider, job.challenger)
            and (job.job_id, job.dispute_number) not in self._done
            and job.job_id not in self.unexecutable
        ]
        if not voting:
            return  # idle: no clock read
        now = self.client.now()
        for job in voting:
            if now <= job.move_deadline:
                self.unexecutable.run(job.job_id, partial(self.vote, job))

    def vote(self, job: JobFacts) -> None:
        key = (job.job_id, job.dispute_number)
        dispute = self.client.dispute(job.job_id)
        if dispute.phase != "VOTE" or self.client.has_voted(job.job_id, self.client.address):
            self._done.add(key)
            return
        published = self.book.terms(job.terms_hash)
        workload, terms = workload_of(published), published.terms
        state = workload.state_at(published.input, terms.seed, dispute.lo)
        if keccak256(state) != dispute.h_lo:
            self._done.add(key)
            self.log.warning(
                "cannot judge: the agreed state is not the honest one; abstaining",
                extra={
                    "event": "vote_abstained",
                    "job_id": job.job_id,
                    "step": dispute.lo,
                },
            )
            return
        solver_correct = keccak256(workload.step(state, dispute.lo, terms.seed)) == dispute.h_hi
        sent = attempt(
            self.log,
            "vote_on_step",
            job.job_id,
            lambda: self.client.vote_on_step(job.job_id, solver_correct, bond=MAX_ALLOWANCE),
            self.metrics,
        )
        self._done.add(key)
        if sent is not None:
            self.votes.labels(str(solver_correct).lower()).inc()
            self._to_claim.add(key)

    def claim(self) -> None:
        """Claims each resolved vote once: its dispute is no longer the job's open vote."""
        for job_id, number in sorted(self._to_claim):
            job = self.book.state.jobs.get(job_id)
            if job is not None and job.dispute_number == number and job.phase == "VOTE":
                continue  # still voting
            self._to_claim.discard((job_id, number))
            attempt(
                self.log,
                "claim_arbiter_pay",
                job_id,
                lambda job_id=job_id, number=number: self.client.claim_arbiter_pay(job_id, number),
                self.metrics,
            )
