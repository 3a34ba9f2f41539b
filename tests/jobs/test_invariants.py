"""Stateful test of PROTOCOL.md §7 invariants 1, 2, 5, 6, 7 and 9 over random interleavings of
every job action: open, submit (honest or cheating), attest, challenge (honest or colluding),
dispute moves, time passing, expire, finalize, timeouts. Ghost sums are kept from the events."""

import brownie
from brownie import ZERO_ADDRESS
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from scripts.deploy import bond_matcher, local_matcher_bond

from jobs.support import (
    CHALLENGER_WON,
    DISPUTED,
    EXPIRED,
    FINALIZABLE,
    FINALIZED,
    LATE,
    MATCHED,
    PROVE,
    RESPOND,
    REVEAL,
    SETTLE_BOUNTY,
    SLASHED,
    SUBMITTED,
    VOIDED,
    dispute_of,
    job_of,
)

TERMINAL = {FINALIZED, EXPIRED, SLASHED, VOIDED}
ALLOWED = {
    MATCHED: {MATCHED, LATE, SUBMITTED},
    LATE: {LATE, EXPIRED},
    SUBMITTED: {SUBMITTED, FINALIZABLE, DISPUTED},
    FINALIZABLE: {FINALIZABLE, FINALIZED},
    DISPUTED: {DISPUTED, SUBMITTED, SLASHED, VOIDED},
    **{status: {status} for status in TERMINAL},
}
MAX_OPEN_JOBS = 6
MIN_STEPS = 200

pick = st.integers(min_value=0, max_value=2**16)
fault = st.integers(min_value=0, max_value=8)
flag = st.booleans()
seconds = st.integers(min_value=60, max_value=3 * 3600)


class JobMachine(RuleBasedStateMachine):
    """Driven by hypothesis directly; every run starts from the same chain snapshot. The test sets
    `ctx` (the job fixtures) before it runs; `steps` counts transactions over all runs."""

    ctx = jm = driver = None
    steps = 0
    transactions = 0

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        self.jobs = []
        self.status = {}
        self.escrow = {}
        self.paid_out = {}
        self.provider_start = self.ctx.token.balanceOf(self.ctx.provider)
        self.provider_income = 0
        self.fees = 0  # ghost of the fees accrued since the last sweep, from events

    # --- helpers ---------------------------------------------------------------------------------

    def _pick(self, st_pick):
        return self.jobs[st_pick % len(self.jobs)] if self.jobs else None

    def _record(self, tx):
        """Folds a transaction's events into the ghost sums and checks every slash split (inv. 7)."""
        type(self).transactions += 1
        for event in tx.events:
            name, args = event.name, dict(event)
            if name == "JobFinalized":
                job_id = args["jobId"]
                self.paid_out[job_id] += args["toProvider"] + args["protocolFee"] + args["verifierLevy"]
                self.provider_income += args["toProvider"]
                self.fees += args["protocolFee"]
            elif name == "JobExpired":
                self.paid_out[args["jobId"]] += args["refunded"]
            elif name == "DisputeResolved" and args["result"] == CHALLENGER_WON:
                self.paid_out[args["jobId"]] += self.escrow[args["jobId"]]
            elif name == "ChallengerBondForfeited":
                self.provider_income += args["toDefender"]
                self.fees += args["toTreasury"]
            elif name == "VerifierBondForfeited":
                self.fees += args["toTreasury"]
            elif name == "SettleBountyPaid" and args["recipient"] == self.ctx.provider:
                self.provider_income += args["bounty"]  # the solver settled a game or its job
            elif name == "ProviderSlashed":
                assert args["slashed"] == args["toWhistleblower"] + args["toTenant"] + args["toTreasury"]

    # --- rules ----------------------------------------------------------------------------------

    @initialize(first=fault, second=fault)
    def open_two_submitted_jobs(self, first, second):
        for st_fault in (first, second):
            job = self._open(st_fault)
            self._record(self.driver.submit(job, job.fault))

    @rule(st_fault=fault)
    def rule_open(self, st_fault):
        type(self).steps += 1
        if sum(self.jm.statusOf(j.id) not in TERMINAL for j in self.jobs) < MAX_OPEN_JOBS:
            self._open(st_fault)

    def _open(self, st_fault):
        job = self.driver.open(steps=8)
        job.fault = st_fault or None
        job.colluding = False
        self.jobs.append(job)
        self.status[job.id] = MATCHED
        self.escrow[job.id] = job_of(self.jm, job.id)["escrow"]
        self.paid_out[job.id] = 0
        type(self).transactions += 1
        return job

    @rule(st_pick=pick)
    def rule_submit(self, st_pick):
        type(self).steps += 1
        job = self._pick(st_pick)
        if job and self.jm.statusOf(job.id) == MATCHED:
            self._record(self.driver.submit(job, job.fault))

    @rule(st_pick=pick, st_flag=flag)
    def rule_attest(self, st_pick, st_flag):
        type(self).steps += 1
        job = self._pick(st_pick)
        if not job or self.jm.statusOf(job.id) != SUBMITTED:
            return
        stored = job_of(self.jm, job.id)
        if stored["attestation"] != 0:
            return
        if not st_flag:
            if stored["verifier"] in (ZERO_ADDRESS, self.ctx.verifier):
                self._record(self.driver.attest_invalid(job))
            return
        # Valid: the drawn job's claimant only, with the spot proof of the solver's trace (it
        # colludes when the result is wrong); a claim only within 256 blocks of the result.
        if stored["verifier"] == ZERO_ADDRESS:
            if brownie.chain.height > stored["submitBlock"] + 256 or not self.driver.is_drawn(job):
                return
            self._record(self.driver.claim(job))
        self._record(self.driver.attest_valid(job, claim=False))

    @rule(st_pick=pick, st_flag=flag)
    def rule_challenge(self, st_pick, st_flag):
        type(self).steps += 1
        job = self._pick(st_pick)
        if job and self.jm.statusOf(job.id) == SUBMITTED:
            job.colluding = st_flag
            self._record(self.driver.challenge(job))

    @rule(st_pick=pick)
    def rule_move(self, st_pick):
        type(self).steps += 1
        job = self._pick(st_pick)
        if not job or self.jm.statusOf(job.id) != DISPUTED:
            return
        d = dispute_of(self.jm, job.id)
        if brownie.chain.time() > d["deadline"]:
            return
        if d["phase"] == REVEAL:
            self._record(self.driver.reveal(job))
        elif d["phase"] == RESPOND:
            self._record(self.driver.respond(job, agree=False if job.colluding else None))
        elif d["phase"] == PROVE:
            self._record(self.driver.prove(job))

    @rule(st_seconds=seconds)
    def rule_sleep(self, st_seconds):
        type(self).steps += 1
        brownie.chain.sleep(st_seconds)
        brownie.chain.mine()

    @rule(st_pick=pick)
    def rule_settle(self, st_pick):
        type(self).steps += 1
        job = self._pick(st_pick)
        if not job:
            return
        status = self.jm.statusOf(job.id)
        anyone = {"from": self.ctx.stranger}
        if status == LATE:
            self._record(self.jm.expireJob(job.id, anyone))
        elif status == FINALIZABLE:
            self._record(self.jm.finalizeJob(job.id, anyone))
        elif status == DISPUTED and brownie.chain.time() > dispute_of(self.jm, job.id)["deadline"]:
            self._record(self.jm.claimTimeout(job.id, anyone))
        elif status in TERMINAL:
            # Invariant 6: a settled job is never settled again.
            for settle in (self.jm.finalizeJob, self.jm.expireJob):
                with brownie.reverts(revert_pattern=rf"JobMarket_UnexpectedStatus: {job.id}, {status}"):
                    settle(job.id, anyone)

    @rule()
    def rule_sweep(self):
        type(self).steps += 1
        if self.fees == 0:
            with brownie.reverts(revert_pattern=r"Leasehold_NoFees(:.*)?"):
                self.jm.sweepFees({"from": self.ctx.stranger})
            return
        before = self.ctx.token.balanceOf(self.ctx.treasury)
        self.jm.sweepFees({"from": self.ctx.stranger})
        type(self).transactions += 1
        assert self.ctx.token.balanceOf(self.ctx.treasury) - before == self.fees
        self.fees = 0

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def invariant_status_moves_along_the_machine(self):
        for job in self.jobs:
            now = self.jm.statusOf(job.id)
            assert now in ALLOWED[self.status[job.id]], (job.id, self.status[job.id], now)
            self.status[job.id] = now

    @invariant()
    def invariant_paid_never_exceeds_the_escrow(self):
        for job in self.jobs:
            assert self.paid_out[job.id] <= self.escrow[job.id]
            if self.status[job.id] in TERMINAL:
                assert self.paid_out[job.id] == self.escrow[job.id]

    @invariant()
    def invariant_the_contract_holds_exactly_what_it_owes(self):
        owed = 0
        for job in self.jobs:
            if self.status[job.id] in TERMINAL:
                continue
            stored = job_of(self.jm, job.id)
            owed += stored["escrow"] + SETTLE_BOUNTY  # the bounty is reserved beside the price
            if stored["verifier"] != ZERO_ADDRESS:
                owed += stored["verifierBond"]  # fixed at the match; a claimant's once posted, until the job settles
            if stored["status"] == DISPUTED:
                owed += dispute_of(self.jm, job.id)["bond"]
        assert self.jm.accruedFees() == self.fees
        # The verifier pool holds the levy of unverified jobs and the bonds of silent claimants; the
        # verifier's credit, the pay and bonds of the jobs it verified (its standing balance).
        owed += self.jm.creditOf(self.ctx.verifier)
        assert self.ctx.token.balanceOf(self.jm) == owed + self.fees + self.jm.verifierPool()

    @invariant()
    def invariant_the_solver_is_paid_only_by_finalize_and_compensation(self):
        assert self.ctx.token.balanceOf(self.ctx.provider) - self.provider_start == self.provider_income
        for job in self.jobs:
            if self.status[job.id] != FINALIZED:
                assert self.jm.statusOf(job.id) != FINALIZED


def test_job_invariants_hold_under_random_sequences(ctx):
    # Every example opens jobs within one challenge window: a matcher matches at most half its bond
    # of value per window (the exposure cap), so it is bonded for the machine's volume.
    bond_matcher(ctx.matcher_bonds, ctx.token, ctx.matcher, local_matcher_bond(ctx.token))
    brownie.chain.snapshot()
    JobMachine.ctx, JobMachine.jm, JobMachine.driver = ctx, ctx.job_market, ctx.driver
    JobMachine.steps = JobMachine.transactions = 0
    run_state_machine_as_test(
        JobMachine, settings=settings(max_examples=25, stateful_step_count=20, deadline=None, derandomize=True)
    )
    print(f"stateful jobs: {JobMachine.steps} steps, {JobMachine.transactions} job transactions")
    assert JobMachine.steps >= MIN_STEPS, JobMachine.steps
