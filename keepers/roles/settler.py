"""The settler: closes leases that ran out, resolves liveness challenges nobody answered,
and moves jobs on when only the clock can: finalizes a job whose window closed undisputed,
expires one whose result deadline passed, claims the timeout of a dispute whose mover missed
its deadline, and resolves an arbiter vote after its window.

The lease actions pay the caller a bounty reserved from the tenant's deposit at match time
(docs/leases.md); expiring a job pays the caller the whistleblower's share of the late-result
slash. Another settler (or a party) may get there first: the sender's simulation then refuses
the call, nothing is sent, and the refusal is logged at info.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, ConfigDict, Field

from keepers.jobs import JobBook
from keepers.lifecycle import Keeper
from keepers.market_view import MarketView, batch_calls
from keepers.sender import send_or_skip

LEASE_EXPIRED = 2  # Market.LeaseStatus.EXPIRED
LEASE_INSOLVENT = 3  # Market.LeaseStatus.INSOLVENT


class SettlerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_settlements_per_tick: int = Field(default=200, ge=1)
    # Lease actions sent at once. Each waits on a few round trips (estimate, nonce, broadcast,
    # receipt); one at a time, closing 1,000 leases took minutes (docs/performance.md).
    max_in_flight: int = Field(default=8, ge=1, le=64)


class SettlerKeeper(Keeper):
    role = "settler"
    RoleConfig = SettlerConfig

    def setup(self) -> None:
        self.view = MarketView(self, name="settler-view")
        self.jobs = JobBook(self, name="settler-jobs")
        self.job_market = self.jobs.job_market
        self.settlements = self.metrics.counter(
            "settlements", "Leases closed, challenges resolved, jobs finalized, expired or their disputes ended",
            ("action",),
        )
        self.add_job("settle", self.tick, self.config.chain.poll_interval_seconds)

    def tick(self) -> None:
        self.view.refresh()
        head = self.w3.eth.get_block("latest")
        now = head["timestamp"]
        market = self.view.market
        budget = self.role_config.max_settlements_per_tick
        leases = sorted(self.view.state.leases.items())
        # Every unchallenged lease's status in a few batched reads, not a round trip each.
        unchallenged = [(lease_id,) for lease_id, facts in leases if facts.challenge_deadline is None]
        statuses = dict(zip(
            (lease_id for (lease_id,) in unchallenged),
            batch_calls(self.w3, market, "statusOf", unchallenged, block_identifier=head["number"]),
        ))
        due = []
        for lease_id, facts in leases:
            if len(due) == budget:
                break
            if facts.challenge_deadline is not None:
                if now > facts.challenge_deadline:
                    due.append((market.functions.resolveLiveness(lease_id), "resolveLiveness", lease_id))
                continue
            if statuses[lease_id] in (LEASE_EXPIRED, LEASE_INSOLVENT):
                due.append((market.functions.closeLease(lease_id), "closeLease", lease_id))
        settled = 0
        if due:
            sender = self.sender  # built here, once: the cached property is not safe to build from several threads
            with ThreadPoolExecutor(self.role_config.max_in_flight, thread_name_prefix=f"{self.name}-settle") as pool:
                settled = sum(pool.map(lambda item: self._settle(sender, item[0], item[1], lease_id=item[2]), due))
        self.settle_jobs(now, budget - settled)

    def settle_jobs(self, now: int, budget: int) -> None:
        """Acts on the jobs whose next step is the clock's; the events' deadlines say which are due."""
        self.jobs.refresh()
        functions = self.job_market.functions
        for job in self.jobs.jobs("MATCHED", "SUBMITTED", "DISPUTED"):
            if budget == 0:
                return
            if job.status == "MATCHED" and now > job.result_deadline:
                call, action = functions.expireJob(job.job_id), "expireJob"
            elif job.status == "SUBMITTED" and now >= job.window_ends_at:
                call, action = functions.finalizeJob(job.job_id), "finalizeJob"
            elif job.status == "DISPUTED" and now > job.move_deadline:
                vote = job.phase == "VOTE"
                call = functions.resolveVote(job.job_id) if vote else functions.claimTimeout(job.job_id)
                action = "resolveVote" if vote else "claimTimeout"
            else:
                continue
            budget -= self._settle(self.sender, call, action, job_id=job.job_id)

    def _settle(self, sender, call, action: str, **subject: int) -> int:
        send = lambda: sender.send(call, label=action)  # noqa: E731
        if send_or_skip(self.log, action, send, metrics=self.metrics, **subject) is None:
            return 0
        self.settlements.labels(action).inc()
        return 1
