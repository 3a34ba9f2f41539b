"""JobMarket: jobs paid from escrow, verified optimistically, disputed by bisection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_utils import to_checksum_address
from web3.types import BlockIdentifier

from keepers.contracts.fees import MoneyMarket
from keepers.contracts.structs import JobTerms
from keepers.contracts.transact import Transact


class JobMarket(MoneyMarket):
    # ---------------------------------------------------------------- tenants and solvers

    def publish_job_terms(self, terms: JobTerms, input: bytes) -> Transact:
        return self._transact("publishJobTerms", terms.as_tuple(), input)

    def submit_result(
        self, job_id: int, terms: JobTerms, output_hash: bytes, trace_root: bytes, output_proof: Sequence[bytes]
    ) -> Transact:
        return self._transact("submitResult", job_id, terms.as_tuple(), output_hash, trace_root, list(output_proof))

    # ---------------------------------------------------------------- verification and disputes

    def claim_verification(self, job_id: int, terms: JobTerms) -> Transact:
        """Claims a job drawn for verification (posting the verifier bond), first come."""
        return self._transact("claimVerification", job_id, terms.as_tuple())

    def claim_and_attest(self, job_id: int, terms: JobTerms, spot_hash: bytes, spot_proof: Sequence[bytes]) -> Transact:
        """Claims a drawn job and attests it valid in one call (a verifier that already holds the
        trace), first come, with the state hash at its spot and its proof."""
        return self._transact("claimAndAttest", job_id, terms.as_tuple(), spot_hash, list(spot_proof))

    def attest(
        self,
        job_id: int,
        terms: JobTerms,
        valid: bool,
        spot_hash: bytes = b"\x00" * 32,
        spot_proof: Sequence[bytes] = (),
    ) -> Transact:
        """Valid: the claimant, with the state hash at its spot and its proof against the solver's
        trace root; not valid: opens a dispute (the spot is ignored)."""
        return self._transact("attest", job_id, terms.as_tuple(), valid, spot_hash, list(spot_proof))

    def challenge(self, job_id: int, terms: JobTerms) -> Transact:
        return self._transact("challenge", job_id, terms.as_tuple())

    def reveal(self, job_id: int, h_mid: bytes, proof: Sequence[bytes]) -> Transact:
        return self._transact("reveal", job_id, h_mid, list(proof))

    def respond(self, job_id: int, agree: bool) -> Transact:
        return self._transact("respond", job_id, agree)

    def prove_step(self, job_id: int, terms: JobTerms, state_lo: bytes) -> Transact:
        return self._transact("proveStep", job_id, terms.as_tuple(), state_lo)

    def vote_on_step(self, job_id: int, solver_correct: bool) -> Transact:
        return self._transact("voteOnStep", job_id, solver_correct)

    def claim_arbiter_pay(self, job_id: int, number: int) -> Transact:
        return self._transact("claimArbiterPay", job_id, number)

    # ---------------------------------------------------------------- what only the clock moves on

    def claim_timeout(self, job_id: int) -> Transact:
        return self._transact("claimTimeout", job_id)

    def resolve_vote(self, job_id: int) -> Transact:
        return self._transact("resolveVote", job_id)

    def finalize_job(self, job_id: int) -> Transact:
        return self._transact("finalizeJob", job_id)

    def expire_job(self, job_id: int) -> Transact:
        return self._transact("expireJob", job_id)

    # ---------------------------------------------------------------- reads

    def job(self, job_id: int) -> dict[str, Any]:
        """`Jobs.Job` by field name (`getJob`)."""
        return self._struct("getJob", job_id)

    def status_of(self, job_id: int) -> int:
        """A `JobStatus` value, LATE and FINALIZABLE derived from the clock."""
        return self._call("statusOf", job_id)

    def dispute(self, job_id: int) -> dict[str, Any]:
        """`Jobs.Dispute` by field name (`disputeOf`)."""
        return self._struct("disputeOf", job_id)

    def next_move(self, job_id: int) -> tuple[int, int, str]:
        """(phase, deadline, mover) of the job's open dispute."""
        phase, deadline, mover = self._call("nextMove", job_id)
        return phase, deadline, mover

    def hash_terms(self, terms: JobTerms) -> bytes:
        return bytes(self._call("hashTerms", terms.as_tuple()))

    def is_published(self, terms_hash: bytes) -> bool:
        return self._call("isPublished", terms_hash)

    def terms_records(
        self, terms_hashes: Iterable[bytes], *, block: BlockIdentifier = "latest"
    ) -> list[dict[str, Any]]:
        """`Jobs.TermsRecord` by field name for each hash (all zero: unpublished), read at one block."""
        return self._structs("termsRecord", terms_hashes, block=block)

    def verifier_pool(self) -> int:
        """Payment tokens held to pay sampled verifiers."""
        return self._call("verifierPool")

    def is_drawn(self, submit_block_hash: bytes, job_id: int, sample_bps: int) -> bool:
        """The contract's own draw (keepers compute it locally: `keepers.jobs.is_drawn`)."""
        return self._call("isDrawn", submit_block_hash, job_id, sample_bps)

    def spot_index(self, trace_root: bytes, verifier: str, steps: int) -> int:
        """The step whose state hash `verifier` proves to attest valid (`keepers.jobs.spot_index`)."""
        return self._call("spotIndex", trace_root, to_checksum_address(verifier), steps)

    def has_voted(self, job_id: int, arbiter: str) -> bool:
        return self._call("hasVoted", job_id, to_checksum_address(arbiter))
