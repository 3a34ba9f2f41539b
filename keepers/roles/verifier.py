"""The verifier (VERIFIER_ROLE): re-executes each submitted result and attests it.

For every job in SUBMITTED that nobody has attested yet, inside its window, it computes the
honest trace from the published terms and input and calls `attest(valid)`: valid posts the
verifier bond and restarts the window; not valid opens a dispute with this verifier as the
challenger (posting the challenge bond), which it then plays to the end (`ChallengerGame`).
The payment token is approved to the JobMarket once, for good.

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
        if not unattested and not any(self.game.disputes()):
            return  # idle: no clock read
        now = self.client.now()
        for job in unattested:
            if now < job.window_ends_at:
                self.unexecutable.run(job.job_id, partial(self.attest, job))
        self.game.play(now)

    def attest(self, job: JobFacts) -> None:
        current = self.client.job(job.job_id)
        if current.status != "SUBMITTED" or current.attestation != "NONE":
            return
        published = self.book.terms(job.terms_hash)
        valid = True if self.role_config.lazy else self.traces.get(published).output_hash == current.output_hash
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
