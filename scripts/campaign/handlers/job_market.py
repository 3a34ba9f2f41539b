"""Actions on JobMarket: tenants publish terms; solvers submit, verifiers attest, whistleblowers
challenge, the dispute's parties move, arbiters vote, anyone finalizes or expires; governance
registers workloads."""

from __future__ import annotations

from keepers.ids import to_bytes32
from keepers.jobs import spot_index
from keepers.workloads.base import keccak256
from keepers.workloads.registry import get_workload
from scripts.campaign.chain import read_batch
from scripts.campaign.constants import HOUR, TRACEABLE_STEPS, WORKLOADS, ZERO, ZERO32
from scripts.campaign.enums import A_NONE, BPS, P_PROVE, P_RESPOND, P_REVEAL, P_VOTE
from scripts.campaign.functions import succeeded
from scripts.campaign.model import Job, Terms, Trace


class JobMarketActions:
    """Calls on the job market (a mixin of Campaign)."""

    def _new_terms(self) -> Terms:
        # Guided: while no arbiter has voted, half the jobs are of the workload arbiters vote on.
        voted = succeeded(self.stats, "JobMarket.voteOnStep")
        workload = "matvec-256" if not voted and self.rng.random() < 0.5 else self.rng.choice(WORKLOADS)
        self.salt += 1
        steps = self.rng.randrange(1, 9) if workload != "matvec-256" else self.rng.randrange(1, 5)
        if workload == "hashchain":
            input = keccak256(b"input-%d-%d" % (self.seed, self.salt))
        else:
            width = get_workload(workload).state_length // 4
            input = b"".join(
                (((i * 7919 + self.salt * 104729) % 5 - 2) << 16).to_bytes(4, "big", signed=True) for i in range(width)
            )
        window = self.rng.randrange(
            min(HOUR, self.params["maxChallengeWindowSeconds"]),
            min(3 * HOUR, self.params["maxChallengeWindowSeconds"]) + 1,
        )
        seed = keccak256(b"seed-%d" % self.salt)
        return Terms(workload, input, seed, steps, self.rng.choice([HOUR, 3 * HOUR, 6 * HOUR]), window)

    def _publish(self, terms: Terms, sender, corrupt: bool = False):
        args = terms.tuple, terms.input
        if corrupt:
            args = self.rng.choice(
                [
                    ((terms.tuple[0], keccak256(b"other"), *terms.tuple[2:]), terms.input),
                    ((*terms.tuple[:3], 0, *terms.tuple[4:]), terms.input),
                    ((*terms.tuple[:5], 60), terms.input),
                    ((to_bytes32("unknown"), *terms.tuple[1:]), terms.input),
                ]
            )
        self._gas_tag = terms.workload
        tx = self._call(self.jm, "publishJobTerms", args, sender)
        if tx is not None:
            terms.hash = bytes(tx.return_value)
            # Terms beyond what the walk can trace (an edge tenant's) have no honest trace: no solver
            # in the walk delivers them, as none could in the time such terms allow.
            if terms.steps <= TRACEABLE_STEPS:
                terms.honest = Trace.of(terms.workload, terms.input, terms.seed, terms.steps, None)
            self.published[terms.hash] = terms
        return tx

    def act_publish_terms(self):
        """Publishing alone, often a repeat or a corrupt set: must be refused with the right error."""
        if self.published and self.rng.random() < 0.5:
            terms = self.rng.choice(list(self.published.values()))
            self._call(
                self.jm,
                "publishJobTerms",
                (terms.tuple, terms.input),
                self.attacker,
                expect={
                    "JobMarket_TermsAlreadyPublished",
                    "JobMarket_ChallengeWindowOutOfBounds",
                    "JobMarket_StepsOutOfBounds",
                },
            )
            return
        self._publish(self._new_terms(), self.rng.choice(self.tenants), corrupt=self.rng.random() < 0.5)

    def _job(self, predicate):
        job = self._pick(self._live_jobs(predicate))
        return None if job is None else self._job_of(job)

    def _job_of(self, job):
        """Marks `job` as the step's subject (the cheaters' moves name theirs directly)."""
        self._gas_tag = job.terms.workload
        self._mark(job.id)
        self._touched.add(job.provider)
        self._mark_offer(job.offer)
        self._subject = job
        return job

    def _dispute(self, job_id: int) -> dict:
        fields = [
            "challenger",
            "bond",
            "lo",
            "hi",
            "deadline",
            "phase",
            "arbiterMode",
            "moveTimeoutSeconds",
            "voteWindowSeconds",
            "number",
            "verifierDefends",
            "hLo",
            "hHi",
            "hMid",
            "windowLeft",
            "votesForSolver",
            "votesForChallenger",
            "arbiterBond",
            "arbiterFee",
        ]
        return dict(zip(fields, read_batch([(self.jm.disputeOf, job_id)])[0]))

    def act_submit_result(self):
        def due(j):
            return j.waiting and j.solver is not None and (j.result_deadline > self.ts or self.rng.random() < 0.1)

        job = None
        if self._abandon_wanted():
            # Guided: the abandoning solver's results first, while it has had no dispute to abandon.
            job = self._job(lambda j: j.provider == self.abandoning and due(j) and j.result_deadline > self.ts + 1)
        job = job or self._job(due)
        if job is None:
            args = (self._any_order_id(), self._some_terms(), b"\1" * 32, b"\1" * 32, [])
            return self._call(self.jm, "submitResult", args, self.attacker)
        solver = job.solver
        proof = solver.tree.proof(job.terms.steps)
        args = (job.id, job.terms.tuple, solver.hashes[-1], solver.tree.root, proof)
        sender = self.providers[job.provider].account
        roll = self.rng.random()
        if roll < 0.05:
            args = (*args[:3], ZERO32, proof)
        elif roll < 0.1:
            args = (*args[:2], keccak256(b"wrong"), *args[3:])
        elif roll < 0.14:
            sender = self.attacker
        if self._call(self.jm, "submitResult", args, sender) is not None and self.rng.random() < 0.3:
            # A verifier keeper claims a drawn job at once: the chain knows the block's hash 256 blocks.
            self._claim(job, self.rng.choice(self.verifiers))

    def _some_terms(self) -> tuple:
        return (
            self.rng.choice(list(self.published.values())).tuple
            if self.published
            else Terms("hashchain", b"\0" * 32, ZERO32, 1, HOUR, HOUR).tuple
        )

    def act_claim_verification(self):
        job = self._job(lambda j: j.open and j.verifier == ZERO and self._in_window(j))
        if job is None:
            return self._call(
                self.jm, "claimVerification", (self._any_order_id(), self._some_terms()), self.verifiers[0]
            )
        sender = (
            self.rng.choice(self.verifiers)
            if self.rng.random() < 0.9
            else self.rng.choice([self.attacker, self.providers[job.provider].account])
        )
        self._claim(job, sender)

    def _claim(self, job: Job, sender):
        """Claims a job for verification: refused unless the hash of its result's block drew it
        (at the sample rate in force), within 256 blocks, first come."""
        return self._call(self.jm, "claimVerification", (job.id, job.terms.tuple), sender)

    def act_claim_and_attest(self):
        """A verifier that holds the trace claims a job and attests it valid in one call (the
        solver's trace: a colluder holds it too), first come; sometimes a lazy one without the
        spot, the attacker, or the solver itself."""
        job = self._job(lambda j: j.open and j.verifier == ZERO and self._in_window(j))
        if job is None:
            return self._call(
                self.jm, "claimAndAttest", (self._any_order_id(), self._some_terms(), ZERO32, []), self.verifiers[0]
            )
        roll = self.rng.random()
        if roll < 0.85:
            sender = self.rng.choice(self.verifiers)
        else:
            sender = self.rng.choice([self.attacker, self.providers[job.provider].account])
        spot = (ZERO32, [])
        if roll < 0.8 or roll >= 0.85:
            index = spot_index(job.solver.tree.root, sender.address, job.terms.steps)
            spot = (job.solver.hashes[index], job.solver.tree.proof(index))
        return self._call(self.jm, "claimAndAttest", (job.id, job.terms.tuple, *spot), sender)

    def act_attest(self):
        job = self._job(lambda j: j.open and j.attestation == A_NONE and self._in_window(j))
        if job is None:
            return self._attest(self._any_order_id(), self._some_terms(), True, self.verifiers[0])
        honest = job.solver.hashes[-1] == job.terms.honest.hashes[-1]
        valid = honest if self.rng.random() < 0.75 else not honest  # a colluding or a wrong verifier, sometimes
        claimant = next((v for v in self.verifiers if v.address == job.verifier), None)
        if claimant is not None and self.rng.random() < 0.85:
            sender = claimant
        elif self.rng.random() < 0.9:
            sender = self.rng.choice(self.verifiers)
        else:
            sender = self.rng.choice([self.attacker, self.providers[job.provider].account])
        # The spot proof of the solver's trace (a colluder holds it too), or none: a lazy verifier's.
        spot = (ZERO32, [])
        if valid and self.rng.random() < 0.9:
            index = spot_index(job.solver.tree.root, sender.address, job.terms.steps)
            spot = (job.solver.hashes[index], job.solver.tree.proof(index))
        self._attest(job.id, job.terms.tuple, valid, sender, spot=spot)

    def _attest(
        self, job_id: int, terms: tuple, valid: bool, sender, expect: set[str] | None = None, spot=(ZERO32, [])
    ):
        """The one place attest is sent from (verifiers, the attacker, the job's own provider)."""
        return self._call(self.jm, "attest", (job_id, terms, valid, *spot), sender, expect=expect)

    def act_challenge_job(self):
        job = self._job(lambda j: j.open and self._in_window(j))
        if job is None:
            return self._send_challenge(self._any_order_id(), self._some_terms(), self.whistleblowers[0])
        honest = job.solver.hashes[-1] == job.terms.honest.hashes[-1]
        # Guided: while no arbiter has voted, a result arbiters would vote on is disputed whatever it is.
        voting = job.terms.workload == "matvec-256" and not succeeded(self.stats, "JobMarket.voteOnStep")
        if honest and not voting and self.rng.random() < 0.7:
            return self._call(self.jm, "finalizeJob", (job.id,), self.settler)  # nothing to blow the whistle on
        sender = self.rng.choice([*self.whistleblowers, self.settler])
        if self.rng.random() < 0.05:
            sender = self.providers[job.provider].account
        terms = job.terms.tuple if self.rng.random() < 0.95 else self._some_terms()
        if self._challenge_job(job, sender, terms) is not None:
            job.colluding = self.rng.random() < 0.15

    def _challenge_job(self, job: Job, sender, terms: tuple):
        """The one place JobMarket.challenge is sent from (whistleblowers, a solver's second account)."""
        return self._send_challenge(job.id, terms, sender)

    def _send_challenge(self, job_id: int, terms: tuple, sender):
        return self._call(self.jm, "challenge", (job_id, terms), sender)

    def _in_window(self, job: Job) -> bool:
        return job.window_ends > self.ts + 1 or self.rng.random() < 0.1

    def act_dispute_move(self):
        job = self._job(lambda j: j.disputed)
        if job is None:
            return self._call(self.jm, "reveal", (self._any_order_id(), ZERO32, []), self.attacker)
        d = self._dispute(job.id)
        self._dispute_before = d
        self._slash_order = (job.collateral, ZERO, job.tenant)  # no finder's share of a job slash
        phase = d["phase"]
        provider = self.providers[job.provider].account
        if phase in (P_REVEAL, P_RESPOND, P_PROVE) and self.ts > d["deadline"] and self.rng.random() < 0.8:
            # The move is overdue: settle it, as a keeper would, rather than send a move bound to fail.
            return self._claim_timeout(job, self.settler)
        if phase == P_REVEAL and job.abandoned:
            # Its solver never reveals in a dispute its own second account opened: only the timeout ends it.
            self._claim_timeout(job, self.settler)
        elif phase == P_REVEAL:
            mid = (d["lo"] + d["hi"]) // 2
            args = (job.id, job.solver.hashes[mid], job.solver.tree.proof(mid))
            if self.rng.random() < 0.05:
                args = (job.id, keccak256(b"lie"), job.solver.tree.proof(mid))
            self._call(self.jm, "reveal", args, provider if self.rng.random() < 0.95 else self.attacker)
        elif phase == P_RESPOND:
            mid = (d["lo"] + d["hi"]) // 2
            agree = job.terms.honest.hashes[mid] == bytes(d["hMid"])
            if job.colluding:
                agree = not agree
            sender = self._account_any(d["challenger"]) if self.rng.random() < 0.95 else self.attacker
            self._call(self.jm, "respond", (job.id, agree), sender)
        elif phase == P_PROVE:
            state = job.solver.states[d["lo"]]
            if self.rng.random() < 0.05:
                state = b"\7" * len(state)
            # Anyone may prove: the outcome depends only on the states.
            sender = self.rng.choice([provider, self.settler, self.attacker])
            if self._call(self.jm, "proveStep", (job.id, job.terms.tuple, state), sender) is not None:
                self._settle_again(
                    self.jm, "proveStep", (job.id, job.terms.tuple, state), sender, "JobMarket_UnexpectedPhase"
                )
        elif phase == P_VOTE:
            self.act_vote(job)
        else:
            self._send_job_call("claimTimeout", job.id, self.settler)

    def act_vote(self, job: Job | None = None):
        job = job or self._job(lambda j: j.disputed)
        if job is None:
            return self._call(self.jm, "voteOnStep", (self._any_order_id(), True), self.arbiters[0])
        d = self._dispute(job.id)
        self._dispute_before = d
        lo = d["lo"]
        state = job.solver.states[lo]
        correct = keccak256(get_workload(job.terms.workload).step(state, lo, job.terms.seed)) == bytes(d["hHi"])
        vote = correct if self.rng.random() < 0.85 else not correct
        # Mostly an arbiter that has not voted yet (a second vote is refused).
        voted = self.arbiter_votes.get((job.id, d["number"]), {})
        fresh = [a for a in self.arbiters if a.address not in voted]
        arbiter = self.rng.choice(fresh if fresh and self.rng.random() < 0.9 else self.arbiters)
        self._call(self.jm, "voteOnStep", (job.id, vote), arbiter)

    def act_resolve_vote(self):
        job = self._job(lambda j: j.disputed)
        job_id = job.id if job else self._any_order_id()
        if job:
            self._dispute_before = self._dispute(job.id)
            self._slash_order = (job.collateral, ZERO, job.tenant)  # no finder's share of a job slash
        if self._call(self.jm, "resolveVote", (job_id,), self.settler) is not None:
            self._settle_again(self.jm, "resolveVote", (job_id,), self.settler, "JobMarket_UnexpectedPhase")

    def _vote_deadlines(self) -> list[int]:
        """Guided: while no vote has been resolved, the deadlines of the votes cast so far (a vote is
        resolved only once its window is over: time_to_deadline moves there)."""
        if succeeded(self.stats, "JobMarket.resolveVote"):
            return []
        voted = sorted({job_id for (job_id, _), votes in self.arbiter_votes.items() if votes} & self.live_jobs)
        deadlines = []
        for job_id in voted:
            d = self._dispute(job_id)
            if d["phase"] == P_VOTE and d["deadline"] >= self.ts:
                deadlines.append(d["deadline"])
        return deadlines

    def _claimable_votes(self) -> list[tuple[int, int, str]]:
        """(job, dispute number, arbiter) of resolved votes not claimed yet, the minority's included."""
        return [
            (job_id, number, arbiter)
            for (job_id, number), votes in self.arbiter_votes.items()
            if (job_id, number) in self.tallies
            for arbiter, vote in votes.items()
            if vote != 3
        ]

    def act_claim_arbiter_pay(self):
        claimable = self._claimable_votes()
        if not claimable:
            return self._call(self.jm, "claimArbiterPay", (self._any_order_id(), 1), self.arbiters[0])
        job_id, number, arbiter = self.rng.choice(claimable)
        account = next(a for a in self.arbiters if a.address == arbiter)
        sender = account if self.rng.random() < 0.9 else self.attacker
        self._call(self.jm, "claimArbiterPay", (job_id, number), sender)

    def act_claim_timeout(self):
        job = self._job(lambda j: j.disputed)
        sender = self.rng.choice([self.settler, self.attacker])
        if job is None:
            return self._send_job_call("claimTimeout", self._any_order_id(), sender)
        self._claim_timeout(job, sender)

    def _claim_timeout(self, job: Job, sender):
        """The one place claimTimeout is sent from (anyone; an abandoning solver's second account)."""
        self._dispute_before = self._dispute(job.id)
        self._slash_order = (job.collateral, ZERO, job.tenant)  # no finder's share of a job slash
        if self._send_job_call("claimTimeout", job.id, sender) is not None:
            self._settle_again(self.jm, "claimTimeout", (job.id,), self.settler, "JobMarket_UnexpectedPhase")

    def act_finalize(self):
        job = self._job(lambda j: j.open)
        job_id = job.id if job else self._any_order_id()
        if self._call(self.jm, "finalizeJob", (job_id,), self.rng.choice([self.settler, self.attacker])) is not None:
            self._settle_again(self.jm, "finalizeJob", (job_id,), self.settler, "JobMarket_UnexpectedStatus")

    def act_expire(self):
        job = self._job(lambda j: j.waiting)
        job_id = job.id if job else self._any_order_id()
        # Sometimes the late solver reports itself; no caller gets a share of a job slash.
        reporters = [self.settler, self.whistleblowers[0]]
        sender = self.rng.choice(reporters + ([self.providers[job.provider].account] if job else []))
        if job is None:
            return self._send_job_call("expireJob", job_id, sender)
        self._expire(job, sender)

    def _expire(self, job: Job, sender):
        """The one place expireJob is sent from (anyone, the late solver, a tenant's or provider's second account)."""
        self._slash_order = (job.collateral * self.params["lateResultSlashBps"] // BPS, ZERO, job.tenant)
        if self._send_job_call("expireJob", job.id, sender) is not None:
            self._settle_again(self.jm, "expireJob", (job.id,), self.settler, "JobMarket_UnexpectedStatus")

    def _send_job_call(self, fn: str, job_id: int, sender):
        """The one place claimTimeout and expireJob are sent from."""
        return self._call(self.jm, fn, (job_id,), sender)

    def act_set_workload(self):
        name = self.rng.choice(["hashchain", "matvec"])
        verifier = self.d.step_verifiers[name]
        args = (to_bytes32(name), verifier, False)
        sender = self.owner
        roll = self.rng.random()
        if roll < 0.15:
            args = (ZERO32, verifier, False)
        elif roll < 0.35:
            sender = self.attacker
        self._call(self.jm, "setWorkload", args, sender)
