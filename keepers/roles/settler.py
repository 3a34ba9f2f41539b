"""The settler: closes leases that ran out, resolves liveness challenges nobody answered,
and moves jobs on when only the clock can: finalizes a job whose window closed undisputed,
expires one whose result deadline passed, claims the timeout of a dispute whose mover missed
its deadline, and resolves an arbiter vote after its window.

The lease actions pay the caller a bounty reserved from the tenant's deposit at match time
(docs/leases.md); expiring a job pays the caller the whistleblower's share of the late-result
slash. Due leases are closed `close_batch_size` at a time with `closeLeases`, which pays their
bounties in one transfer. Another settler (or a party) may get there first: a single call's
simulation is then refused, nothing is sent, and the refusal is logged at info; a lease of a
batch that someone closed first is skipped on chain while the batch closes the rest.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, ConfigDict, Field
from web3.logs import DISCARD

from keepers.contracts.transact import Transact
from keepers.contracts.types import MAX_CLOSE_BATCH, LeaseStatus
from keepers.jobs import JobBook
from keepers.lifecycle import Keeper
from keepers.market_view import MarketView
from keepers.sender import send_or_skip

CLOSE_LEASE = "close_lease"  # settlements and races lost are counted per lease under this action


class SettlerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_settlements_per_tick: int = Field(default=200, ge=1)
    # Lease actions sent at once. Each waits on a few round trips (estimate, nonce, broadcast,
    # receipt); one at a time, closing 1,000 leases took minutes (docs/performance.md).
    max_in_flight: int = Field(default=8, ge=1, le=64)
    # Leases per closeLeases transaction (the contract takes up to 200); 1 closes each lease with
    # its own closeLease, as before batches. A batch of 50 costs about 2.4 M gas when its leases
    # share a provider (docs/gas.md), up to about 5 M when each touches its own cold slots.
    close_batch_size: int = Field(default=50, ge=1, le=MAX_CLOSE_BATCH)


class SettlerKeeper(Keeper):
    role = "settler"
    RoleConfig = SettlerConfig

    def setup(self) -> None:
        self.view = MarketView(self, name="settler-view")
        self.jobs = JobBook(self, name="settler-jobs")
        self.job_market = self.jobs.job_market
        self.settlements = self.metrics.counter(
            "settlements",
            "Leases closed, challenges resolved, jobs finalized, expired or their disputes ended",
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
        unchallenged = [lease_id for lease_id, facts in leases if facts.challenge_deadline is None]
        statuses = dict(zip(unchallenged, market.statuses(unchallenged, block=head["number"])))
        due, closable = [], []
        for lease_id, facts in leases:
            if len(due) + len(closable) == budget:
                break
            if facts.challenge_deadline is not None:
                if now > facts.challenge_deadline:
                    due.append((market.resolve_liveness(lease_id), {"lease_id": lease_id}))
                continue
            if statuses[lease_id] in (LeaseStatus.EXPIRED, LeaseStatus.INSOLVENT):
                closable.append(lease_id)
        size = self.role_config.close_batch_size
        for ids in (closable[start : start + size] for start in range(0, len(closable), size)):
            # A lone lease goes by closeLease: cheaper than a batch of one, and if another settler
            # closed it first the simulation refuses it instead of a batch mining only a skip.
            if len(ids) == 1:
                due.append((market.close_lease(ids[0]), {"lease_id": ids[0]}))
            else:
                due.append((market.close_leases(ids), {"lease_ids": ids}))
        settled = 0
        if due:
            sender = self.sender  # built here, once: the cached property is not safe to build from several threads
            with ThreadPoolExecutor(self.role_config.max_in_flight, thread_name_prefix=f"{self.name}-settle") as pool:
                settled = sum(pool.map(lambda item: self._settle(sender, item[0], **item[1]), due))
        self.settle_jobs(now, budget - settled)

    def settle_jobs(self, now: int, budget: int) -> None:
        """Acts on the jobs whose next step is the clock's; the events' deadlines say which are due."""
        self.jobs.refresh()
        jobs = self.job_market
        for job in self.jobs.jobs("MATCHED", "SUBMITTED", "DISPUTED"):
            if budget == 0:
                return
            if job.status == "MATCHED" and now > job.result_deadline:
                transact = jobs.expire_job(job.job_id)
            elif job.status == "SUBMITTED" and now >= job.window_ends_at:
                transact = jobs.finalize_job(job.job_id)
            elif job.status == "DISPUTED" and now > job.move_deadline:
                transact = jobs.resolve_vote(job.job_id) if job.phase == "VOTE" else jobs.claim_timeout(job.job_id)
            else:
                continue
            budget -= self._settle(self.sender, transact, job_id=job.job_id)

    def _settle(self, sender, transact: Transact, **subject) -> int:
        """Sends one settlement; returns how many it settled (a batch: the leases it closed)."""
        action = transact.label
        result = send_or_skip(self.log, action, lambda: sender.send(transact), metrics=self.metrics, **subject)
        if result is None:
            return 0
        if action != "close_leases":
            self.settlements.labels(action).inc()
            return 1
        market = self.view.market.contract
        closed = len(market.events.LeaseClosed().process_receipt(result.receipt, errors=DISCARD))
        skips = market.events.CloseSkipped().process_receipt(result.receipt, errors=DISCARD)
        skipped = [e["args"]["leaseId"] for e in skips]
        if skipped:
            # Closed by another settler or a party between our read and our block: a race lost per lease.
            self.metrics.races_lost.labels(CLOSE_LEASE).inc(len(skipped))
            self.log.info(
                "leases of the batch were no longer closable",
                extra={"event": "close_skipped", "action": action, "lease_ids": skipped, "tx_hash": result.tx_hash},
            )
        # Counted per lease under close_lease, whether it went alone or in a batch.
        self.settlements.labels(CLOSE_LEASE).inc(closed)
        return closed
