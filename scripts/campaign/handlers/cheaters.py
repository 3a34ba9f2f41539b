"""The cheaters of issue 12, walked beside the honest actors (issue 18, item 4).

Each cheating class has accounts used for its cheating alone, so its profit against honest play
can be read off the ghost ledger (profits.py):

- **edge-terms tenant** (`edge_tenant`, with `edge_expirer` its second account): publishes job
  terms at the edges the contract allows (the shortest result timeout; the most steps a dispute
  can bisect, more than any solver in the walk can trace) and requests them; any matcher pairs
  them with any feasible offer; the second account expires the job once late and takes the
  whistleblower share of the late-result slash, the tenant its compensation and the escrow back;
- **provider with a second account** (`sybil`, the second account of whichever provider it serves
  at the moment: the books count each of its moves with the provider it serves): it challenges
  the provider's leases' liveness (and resolves them) and expires the provider's late jobs;
- **abandoning solver** (provider p2 and `solver_alt`): the second account challenges p2's
  submitted (mostly validly attested) results and p2 never reveals: the challenger wins on timeout,
  and an honest verifier's bond goes with it;
- **steering matcher** (`matcher2`, while governance grants it the role): pairs a tenant with the
  dearest feasible offer; the ghost books what honest matching (the cheapest) would have saved.

Every call goes through the handler of the contract it calls (`_challenge_liveness`,
`_resolve_liveness`, `_expire`, `_challenge_job`, `_claim_timeout`, `_publish`, `_create`), so the
entry points are adapted in one place each.
"""

from __future__ import annotations

from keepers.workloads.base import keccak256
from scripts.campaign.constants import HOUR, ZERO
from scripts.campaign.enums import A_VALID, JOB, L_ACTIVE, P_REVEAL, RENTAL
from scripts.campaign.handlers.matcher_bonds import overpaid
from scripts.campaign.model import Terms

# JobMarket.MIN_RESULT_TIMEOUT_SECONDS: the shortest result timeout terms may set.
MIN_RESULT_TIMEOUT = 60


class CheaterActions:
    """The cheating classes' moves (a mixin of Campaign)."""

    # ----------------------------------------------------------------- the edge-terms tenant

    def _edge_terms(self) -> Terms:
        """Terms at the edges: the shortest result timeout, or the most steps the parameters allow."""
        self.salt += 1
        most = 1 << self.params["maxBisectionRounds"]
        huge = self.rng.random() < 0.5
        steps = most if huge else self.rng.randrange(1, min(9, most + 1))
        timeout = MIN_RESULT_TIMEOUT + self.rng.choice([0, 0, 30]) if not huge or self.rng.random() < 0.5 else HOUR
        window = min(HOUR, self.params["maxChallengeWindowSeconds"])
        seed = keccak256(b"edge-seed-%d" % self.salt)
        return Terms("hashchain", keccak256(b"edge-%d-%d" % (self.seed, self.salt)), seed, steps, timeout, window)

    def act_edge_job(self):
        """The edge tenant requests a job on edge terms, or its second account expires one that is late."""
        late = self._live_jobs(lambda j: j.tenant == self.edge_tenant.address and j.waiting)
        if late and (len(late) >= 3 or self.rng.random() < 0.5):
            job = min(late, key=lambda j: j.result_deadline)
            if self.ts + 1 <= job.result_deadline and job.result_deadline - self.ts <= 2 * HOUR:
                self._sleep(job.result_deadline - self.ts)  # the next transaction runs one second late
                self._moved()
            self.stats.cheats["edge expiries"] += 1
            return self._expire(self._job_of(job), self.edge_expirer)
        terms = self._edge_terms()
        if self._publish(terms, self.edge_tenant) is None:
            return
        spec, deposit = self._spec_for(JOB, terms.hash)
        self.stats.cheats["edge requests"] += 1
        self._create(spec, deposit, self.edge_tenant, terms=terms)

    # ----------------------------------------------------------------- the provider's second account

    def act_sybil(self):
        """A provider's second account challenges the provider's running leases, resolves its own
        challenges once their window passed, and expires the provider's late jobs."""
        roll = self.rng.random()
        mine = self._leases(lambda o: o.challenger == self.sybil.address)
        if roll < 0.3 and mine:
            self.stats.cheats["sybil resolutions"] += 1
            return self._resolve_liveness(self._pick(mine), self.sybil, wait=True)
        late = self._live_jobs(lambda j: j.waiting and j.result_deadline < self.ts + 1)
        if roll < 0.5 and late:
            self.stats.cheats["sybil expiries"] += 1
            return self._expire(self._job_of(self._pick(late)), self.sybil)
        active = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) == L_ACTIVE)
        if active:
            self.stats.cheats["sybil challenges"] += 1
            self._challenge_liveness(self._pick(active), self.sybil)

    # ----------------------------------------------------------------- the abandoning solver

    def _abandon_wanted(self) -> bool:
        """Guided: no dispute abandoned yet, so the walk steers toward its preconditions: p2 holding
        an offer that takes jobs (registry.py), JOB requests made for it and matched to it
        (lease_market.py), and its results submitted (job_market.py)."""
        return not self.stats.cheats["disputes to abandon"] and self.providers[self.abandoning].registered

    def _abandoner_job_offers(self) -> list:
        """p2's live offers that take jobs (a job policy set)."""
        return [
            o
            for o in self.offers.values()
            if o.provider == self.abandoning and o.job_rate and not o.removed and not o.paused
        ]

    def act_abandon(self):
        """p2's second account challenges p2's result; p2 never reveals, and the second account claims
        the timeout once the move deadline passed."""
        solver = self.abandoning
        disputed = self._live_jobs(lambda j: j.provider == solver and j.abandoned and j.disputed)
        if disputed and self.rng.random() < 0.7:
            job = self._job_of(self._pick(disputed))
            d = self._dispute(job.id)
            if d["phase"] == P_REVEAL and self.ts + 1 <= d["deadline"] and d["deadline"] - self.ts <= 3 * HOUR:
                self._sleep(d["deadline"] - self.ts)
                self._moved()
            self.stats.cheats["abandoned disputes claimed"] += 1
            return self._claim_timeout(job, self.solver_alt)
        open_jobs = self._live_jobs(
            lambda j: j.provider == solver and j.open and not j.abandoned and j.window_ends > self.ts + 1
        )
        attested = [j for j in open_jobs if j.attestation == A_VALID]
        job = self._pick(attested if attested and self.rng.random() < 0.8 else open_jobs)
        if job is None:
            return
        if self._challenge_job(self._job_of(job), self.solver_alt, job.terms.tuple) is not None:
            job.abandoned = True
            self.stats.cheats["disputes to abandon"] += 1

    # ----------------------------------------------------------------- the steering matcher

    def act_steer(self):
        """matcher2 pairs an open rental with the dearest offer that can take it."""
        orders = [self.orders[i] for i in sorted(self.live_orders)]
        orders = [o for o in orders if o.state == "open" and o.kind == RENTAL and o.deadline > self.ts + 1]
        candidates = [(o, [f for f in self.offers.values() if self._fits(o, f)]) for o in orders]
        candidates = [(o, fitting) for o, fitting in candidates if fitting]
        # Steering bites where the tenant had a cheaper choice: such a request first.
        choice = [(o, fitting) for o, fitting in candidates if len({f.price for f in fitting}) > 1]
        if not candidates:
            return
        order, fitting = self._pick(choice or candidates)
        dearest = max(fitting, key=lambda f: (f.price, -f.id))
        cheapest = min(f.price for f in fitting)
        self._mark(order.id)
        self._mark_offer(dearest.id)
        self._touched.add(dearest.provider)
        tx = self._match_pairs([(order.id, dearest.id)], self.matcher2)
        if tx is not None and "LeaseStarted" in tx.events:
            self.stats.cheats["steered matches"] += 1
            # What the tenant pays above honest matching, over the lease's term as far as its balance
            # buys it (MatcherBonds' own measure of an overpayment, which a won challenge refunds).
            gain = overpaid(self._lease_view(order.id), cheapest)
            self.steering += gain
            self.steered.add(order.id)
            if gain:
                # The match watchers see it at once and challenge it when they can win.
                self._watch_steered(order)

    # ----------------------------------------------------------------- governance gives roles back

    def act_regrant_role(self):
        """Governance re-grants a role it revoked from an account the walk relies on."""
        revoked = [key for key in self.primary_roles if not self.has_role[key]]
        role, account = self._pick(revoked)
        self._set_role(role, self._role_holder(account), True, self.owner)
