"""The verifier (VERIFIER_ROLE): re-executes each submitted result and attests it.

For every job in SUBMITTED that nobody has attested yet, inside its window, it computes the
honest trace from the published terms and input and calls `attest(valid)`. Valid means the
solver's trace root is the root of the honest trace (the output alone is not enough: a verifier
vouches for a trace it can defend, leaf by leaf). Valid posts the verifier bond and restarts the
window; not valid opens a dispute with this verifier as the challenger (posting the challenge
bond), which it then plays to the end (`ChallengerGame`). The payment token is approved to the
JobMarket once, for good.

It defends what it attested valid (issue 12, attack 2): when a dispute over such a job waits
for the solver's move (REVEAL or PROVE) and the solver has not moved with half the move timeout
left, the verifier makes the move from its own trace; the losing challenger's compensation is
then the verifier's, and its bond is safe however the solver behaves.

`lazy = true` attests valid without executing anything: the verifier a whistleblower exists to
catch (the demo runs one).
"""

from __future__ import annotations

from functools import partial

from pydantic import BaseModel, ConfigDict, field_validator

from keepers.client import LeaseholdClient
from keepers.contracts.types import MAX_ALLOWANCE
from keepers.jobs import ChallengerGame, JobBook, JobFacts, TraceCache, Unexecutable, attempt, check_workloads
from keepers.lifecycle import Keeper


class VerifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lazy: bool = False  # attest valid without executing (for demos and tests only)
    workloads: list[str] | None = None  # names of the workloads to attest; None: every known workload

    _known = field_validator("workloads")(check_workloads)


class VerifierKeeper(Keeper):
    role = "verifier"
    required_role = "VERIFIER_ROLE"
    RoleConfig = VerifierConfig

    def setup(self) -> None:
        self.client = LeaseholdClient(self.w3, self.deployment, self.sender)
        self.book = JobBook(self, name=f"verifier-jobs-{self.account.address}")
        self.traces = TraceCache()
        self.unexecutable = Unexecutable(self.log)
        self.attestations = self.metrics.counter("attestations", "Results attested", ("valid",))
        moves = self.metrics.counter("dispute_moves", "Moves in disputes as the challenger", ("action",))
        self.game = ChallengerGame(self.client, self.book, self.traces, self.log, moves)
        self.defences = self.metrics.counter(
            "defence_moves", "Solver-side moves made for results attested valid", ("action",)
        )
        self._approved = False
        self.add_job("verify", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.book.refresh()
        me = self.client.address
        wanted = self.role_config.workloads
        unattested = [
            job
            for job in self.book.jobs("SUBMITTED")
            if job.verifier is None
            and job.provider != me
            and job.job_id not in self.unexecutable
            and (wanted is None or self.book.terms(job.terms_hash).terms.workload_name in wanted)
        ]
        defended = [
            job
            for job in self.book.jobs("DISPUTED")
            if job.verifier == me and job.attested_valid and job.phase in ("REVEAL", "PROVE")
        ]
        if not unattested and not defended and not any(self.game.disputes()):
            return  # idle: no clock read
        now = self.client.now()
        for job in unattested:
            if now < job.window_ends_at:
                self.unexecutable.run(job.job_id, partial(self.attest, job))
        for job in defended:
            self.unexecutable.run(job.job_id, partial(self.defend, job, now))
        self.game.play(now)

    def defend(self, job: JobFacts, now: int) -> None:
        """The solver side's move, from this verifier's trace, once the solver let half its time pass."""
        dispute = self.client.dispute(job.job_id)
        if dispute.phase not in ("REVEAL", "PROVE") or now > dispute.deadline:
            return
        if now < dispute.deadline - dispute.move_timeout_seconds // 2:
            return  # the solver's turn first
        published = self.book.terms(job.terms_hash)
        trace = self.traces.get(published)
        jobs = self.client.contracts.job_market
        if dispute.phase == "REVEAL":
            transact = jobs.reveal(job.job_id, trace.hashes[dispute.mid], trace.proof(dispute.mid))
        else:
            transact = jobs.prove_step(job.job_id, published.terms, trace.states[dispute.lo])
        if attempt(self.log, transact.label, job.job_id, partial(self.client.send, transact), self.metrics) is not None:
            self.defences.labels(transact.label).inc()

    def attest(self, job: JobFacts) -> None:
        current = self.client.job(job.job_id)
        if current.status != "SUBMITTED" or current.attestation != "NONE":
            return
        published = self.book.terms(job.terms_hash)
        valid = True if self.role_config.lazy else self.traces.get(published).root == current.trace_root
        if not self._approved:
            self.client.ensure_allowance(self.client.payment_token, self.client.job_market.address, MAX_ALLOWANCE)
            self._approved = True
        sent = attempt(
            self.log,
            "attest",
            job.job_id,
            lambda: self.client.attest(job.job_id, published.terms, valid, approve=False),
            self.metrics,
        )
        if sent is not None:
            self.attestations.labels(str(valid).lower()).inc()
            self.log.info(
                "attested",
                extra={"event": "attested", "job_id": job.job_id, "valid": valid, "lazy": self.role_config.lazy},
            )
