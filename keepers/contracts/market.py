"""LeaseMarket: requests, matching, and the streaming leases matched rental requests become."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from web3.types import BlockIdentifier

from keepers.contracts.fees import MoneyMarket
from keepers.contracts.structs import RequestSpec
from keepers.contracts.transact import Transact
from keepers.liveness import seed_slot


class LeaseMarket(MoneyMarket):
    # ---------------------------------------------------------------- tenants

    def create_request(self, spec: RequestSpec, deposit: int) -> Transact:
        return self._transact("createRequest", spec.as_tuple(), deposit)

    def create_request_with_permit(
        self, spec: RequestSpec, deposit: int, permit_deadline: int, v: int, r: bytes, s: bytes
    ) -> Transact:
        """`createRequest` with an EIP-2612 permit of the deposit signed by the tenant (no approval first)."""
        return self._transact("createRequestWithPermit", spec.as_tuple(), deposit, permit_deadline, v, r, s)

    def cancel_request(self, request_id: int) -> Transact:
        return self._transact("cancelRequest", request_id)

    def top_up(self, lease_id: int, amount: int) -> Transact:
        return self._transact("topUp", lease_id, amount)

    def close_lease(self, lease_id: int) -> Transact:
        return self._transact("closeLease", lease_id)

    # ---------------------------------------------------------------- matchers and settlers

    def match_requests(self, pairs: Sequence[tuple[int, int]]) -> Transact:
        """Matches (request id, offer id) pairs; the chain skips a pair it finds unmatchable (`MatchSkipped`)."""
        return self._transact("matchRequests", list(pairs))

    def close_leases(self, lease_ids: Sequence[int]) -> Transact:
        """Closes ended leases in one transaction; one no longer closable is skipped (`CloseSkipped`)."""
        return self._transact("closeLeases", list(lease_ids))

    def challenge_liveness(self, lease_id: int) -> Transact:
        return self._transact("challengeLiveness", lease_id)

    def resolve_liveness(self, lease_id: int) -> Transact:
        return self._transact("resolveLiveness", lease_id)

    # ---------------------------------------------------------------- providers

    def withdraw_earnings(self, lease_id: int) -> Transact:
        return self._transact("withdrawEarnings", lease_id)

    def request_reclaim(self, lease_id: int) -> Transact:
        return self._transact("requestReclaim", lease_id)

    def respond_liveness(self, lease_id: int, answer: bytes) -> Transact:
        """Answers a liveness challenge with a capacity proof for its seed (`keepers.liveness.CapacityProof.answer`)."""
        return self._transact("respondLiveness", lease_id, answer)

    def match_signed_request(self, request: tuple, permit: tuple, signature: bytes, offer_id: int) -> Transact:
        """Posts a tenant's EIP-712 signed request and matches it with `offer_id` (matchers only)."""
        return self._transact("matchSignedRequest", request, permit, signature, offer_id)

    def cancel_signed_request(self, nonce: int) -> Transact:
        return self._transact("cancelSignedRequest", nonce)

    # ---------------------------------------------------------------- reads

    def job_market(self, *, block: BlockIdentifier = "latest") -> str:
        """The job market's address; the zero address while none is set."""
        return self._call("jobMarket", block=block)

    def liveness_seed(self, lease_id: int, *, block: BlockIdentifier = "latest") -> bytes:
        """The seed of the lease's latest liveness challenge (`LivenessChallenged.seed`), read from storage."""
        return bytes(self.w3.eth.get_storage_at(self.address, seed_slot(lease_id), block_identifier=block))

    def next_request_id(self) -> int:
        return self._call("nextRequestId")

    def get_request(self, request_id: int) -> tuple:
        return self._call("getRequest", request_id)

    def get_lease(self, lease_id: int) -> tuple:
        return self._call("getLease", lease_id)

    def order(self, lease_id: int) -> dict[str, Any]:
        """`Market.Order` of a lease by field name (`getLease`)."""
        return self._struct("getLease", lease_id)

    def exposure_of(self, matcher: str) -> tuple[int, int]:
        """(exposure, window end) of `matcher` (docs/matching-accountability.md, the exposure cap)."""
        return tuple(self._call("exposureOf", matcher))

    def request_status_of(self, request_id: int) -> int:
        return self._call("requestStatusOf", request_id)

    def nonce_status(self, tenant: str, nonce: int) -> int:
        """`Market.NonceStatus` of a tenant's signed-request nonce (0 while unused)."""
        return self._call("nonceStatus", tenant, nonce)

    def terms_hash_of(self, lease_id: int) -> bytes:
        """What the request behind a lease committed to: a JOB's terms, a RENTAL's workload manifest."""
        return bytes(self._call("jobTermsHashOf", lease_id))

    # ---------------------------------------------------------------- batched reads (one block)

    def requests(self, request_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[tuple]:
        """Raw `Market.Order` tuples (`getRequest`)."""
        return self._batch("getRequest", request_ids, block=block)

    def request_structs(self, request_ids: Iterable[int], *, block: BlockIdentifier) -> list[dict[str, Any]]:
        return self._structs("getRequest", request_ids, block=block)

    def request_statuses(self, request_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[int]:
        return self._batch("requestStatusOf", request_ids, block=block)

    def leases(self, lease_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[tuple]:
        """Raw `Market.Order` tuples (`getLease`)."""
        return self._batch("getLease", lease_ids, block=block)

    def statuses(self, lease_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[int]:
        """`statusOf` (a `LeaseStatus` value) of each lease."""
        return self._batch("statusOf", lease_ids, block=block)

    def balances(self, lease_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[int]:
        return self._batch("balanceOf", lease_ids, block=block)

    def accrued(self, lease_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[int]:
        return self._batch("accruedOf", lease_ids, block=block)

    def withdrawable(self, lease_ids: Iterable[int], *, block: BlockIdentifier = "latest") -> list[int]:
        return self._batch("withdrawableOf", lease_ids, block=block)
