"""The verifier (VERIFIER_ROLE): claims the jobs drawn for verification, re-executes them and
attests them with a spot proof.

A submitted result is drawn for paid verification when the hash of its block does it
(`JobMarket.isDrawn`: keccak256(blockhash, jobId) mod 10,000 below the sample rate fixed at the
job's match). For every SUBMITTED job nobody claimed, inside its window and within 256 blocks of
the result, the keeper computes the draw off-chain from that block's hash and leaves the jobs not
drawn alone. For a drawn job it re-executes the trace from the published terms and input first:
when its root is the solver's it claims the job and attests it valid in one call
(`claimAndAttest`, posting the verifier bond fixed at the match) with the state hash at its spot
(`spotIndex`, bound to its address) and the Merkle proof from its own tree; when it differs it
claims the job all the same and attests invalid, opening a dispute with
this verifier as the challenger (posting the challenge bond), which it then plays to the end
(`ChallengerGame`); winning it returns its claim's bond (flagging is not paid: docs/verification.md). A job it
claimed and has not attested yet (a restart between the two) is attested on the next tick. The
payment token is approved to the JobMarket once, for good.

It defends what it attested valid (issue 12, attack 2): when a dispute over such a job waits
for the solver's move (REVEAL or PROVE) and the solver has not moved with half the move timeout
left, the verifier makes the move from its own trace; the losing challenger's compensation is
then the verifier's, and its bond is safe however the solver behaves.

`lazy = true` tries to attest every submitted job valid without executing anything, as the lazy
verifier of issue 12 did: it holds no trace, so it has no spot proof and no claim, and the
contract refuses it (`JobMarket_NotClaimant`); it earns nothing (the demo runs one to show it).
"""

from __future__ import annotations

from functools import partial

from pydantic import BaseModel, ConfigDict, field_validator

from keepers.client import LeaseholdClient
from keepers.contracts.types import MAX_ALLOWANCE
from keepers.jobs import (
    CLAIM_WINDOW_BLOCKS,
    ChallengerGame,
    JobBook,
    JobFacts,
    TraceCache,
    Unexecutable,
    attempt,
    check_workloads,
    is_drawn,
    spot_index,
)
from keepers.lifecycle import Keeper


class VerifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lazy: bool = False  # try to attest valid without executing: refused on-chain (for demos and tests only)
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
            if (job.verifier is None or (job.verifier == me and job.attested_valid is None))
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
        me = self.client.address
        published = self.book.terms(job.terms_hash)
        if self.role_config.lazy:
            # No trace, so no spot proof and no claim: the contract refuses (JobMarket_NotClaimant).
            self._send_attestation(job, published, True, b"\x00" * 32, [])
            return
        claimed = current.verifier == me
        if not claimed:
            if int(current.verifier, 16) != 0:
                return  # another verifier claimed it
            if not self._drawn(current):
                return  # not drawn, or too late to claim: it finalizes without verification
        trace = self.traces.get(published)
        valid = trace.root == current.trace_root
        self._approve()
        if valid and not claimed:
            # The trace is in hand: the claim and the attestation in one call (one transaction less).
            index = spot_index(current.trace_root, me, published.terms.steps)
            proof = trace.proof(index)
            sent = attempt(
                self.log,
                "claim_and_attest",
                job.job_id,
                lambda: self.client.claim_and_attest(
                    job.job_id, published.terms, trace.hashes[index], list(proof), approve=False
                ),
                self.metrics,
            )
            if sent is not None:
                self._attested(job, True)
            return
        # Claimed either way: as the claimant it alone may attest, and winning its dispute returns the bond.
        if not claimed:
            sent = attempt(
                self.log,
                "claim_verification",
                job.job_id,
                lambda: self.client.claim_verification(job.job_id, published.terms, approve=False),
                self.metrics,
            )
            if sent is None:
                return
        if valid:
            index = spot_index(current.trace_root, me, published.terms.steps)
            self._send_attestation(job, published, True, trace.hashes[index], trace.proof(index))
        else:
            self._send_attestation(job, published, False, b"\x00" * 32, [])

    def _drawn(self, current) -> bool:
        """Whether the result's block drew the job, computed off-chain, while a claim is possible."""
        submit_block = current.submit_block
        if submit_block == 0 or self.client.w3.eth.block_number >= submit_block + CLAIM_WINDOW_BLOCKS:
            return False
        block_hash = bytes(self.client.w3.eth.get_block(submit_block)["hash"])
        return is_drawn(block_hash, current.job_id, current.sample_bps)  # the rate fixed at the match

    def _approve(self) -> None:
        if not self._approved:
            self.client.ensure_allowance(self.client.payment_token, self.client.job_market.address, MAX_ALLOWANCE)
            self._approved = True

    def _send_attestation(self, job: JobFacts, published, valid: bool, spot_hash: bytes, proof: list) -> None:
        sent = attempt(
            self.log,
            "attest",
            job.job_id,
            lambda: self.client.attest(job.job_id, published.terms, valid, spot_hash, list(proof), approve=False),
            self.metrics,
        )
        if sent is not None:
            self._attested(job, valid)

    def _attested(self, job: JobFacts, valid: bool) -> None:
        self.attestations.labels(str(valid).lower()).inc()
        self.log.info(
            "attested",
            extra={"event": "attested", "job_id": job.job_id, "valid": valid, "lazy": self.role_config.lazy},
        )
