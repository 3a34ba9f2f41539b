"""The whistleblower: re-executes every result a verifier attested valid and challenges a wrong one.

Anyone may run it; it needs only payment tokens for the challenge bond (approved to the
JobMarket once). A job whose result it found right is not executed again. When it challenges,
it plays the dispute as the challenger (`ChallengerGame`, shared with the verifier); if the
solver loses, the verifier that vouched for the result loses its bond too.
"""

from __future__ import annotations

from functools import partial

from pydantic import BaseModel, ConfigDict, field_validator

from keepers.client import LeaseholdClient
from keepers.contracts.types import MAX_ALLOWANCE
from keepers.jobs import ChallengerGame, JobBook, JobFacts, TraceCache, Unexecutable, attempt, check_workloads
from keepers.lifecycle import Keeper


class WhistleblowerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    workloads: list[str] | None = None  # names of the workloads to check; None: every known workload

    _known = field_validator("workloads")(check_workloads)


class WhistleblowerKeeper(Keeper):
    role = "whistleblower"
    RoleConfig = WhistleblowerConfig

    def setup(self) -> None:
        self.client = LeaseholdClient(self.w3, self.deployment, self.sender)
        self.book = JobBook(self, name=f"whistleblower-jobs-{self.account.address}")
        self.traces = TraceCache()
        self.unexecutable = Unexecutable(self.log)
        self.challenges = self.metrics.counter("job_challenges", "Attested results challenged")
        moves = self.metrics.counter("dispute_moves", "Moves in disputes as the challenger", ("action",))
        self.game = ChallengerGame(self.client, self.book, self.traces, self.log, moves)
        self._confirmed: set[int] = set()  # jobs whose attested result this keeper found right
        self._approved = False
        self.add_job("watch", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.book.refresh()
        me = self.client.address
        wanted = self.role_config.workloads
        unchecked = [
            job
            for job in self.book.jobs("SUBMITTED")
            if job.attested_valid
            and job.job_id not in self._confirmed
            and job.job_id not in self.unexecutable
            and me not in (job.provider, job.verifier)
            and (wanted is None or self.book.terms(job.terms_hash).terms.workload_name in wanted)
        ]
        if not unchecked and not any(self.game.disputes()):
            return  # idle: no clock read
        now = self.client.now()
        for job in unchecked:
            if now < job.window_ends_at:
                self.unexecutable.run(job.job_id, partial(self.check, job))
        self.game.play(now)

    def check(self, job: JobFacts) -> None:
        published = self.book.terms(job.terms_hash)
        if self.traces.get(published).output_hash == job.output_hash:
            self._confirmed.add(job.job_id)
            return
        if self.client.job(job.job_id).status != "SUBMITTED":
            return
        if not self._approved:
            self.client.ensure_allowance(self.client.payment_token, self.client.job_market.address, MAX_ALLOWANCE)
            self._approved = True
        sent = attempt(
            self.log,
            "challenge",
            job.job_id,
            lambda: self.client.challenge(job.job_id, published.terms, approve=False),
            self.metrics,
        )
        if sent is not None:
            self.challenges.inc()
            self.log.warning(
                "wrong attested result challenged",
                extra={
                    "event": "result_challenged",
                    "job_id": job.job_id,
                    "verifier": job.verifier,
                },
            )
