"""Actions on LeaseMarket's signed-request path: a gasless tenant signs EIP-712 requests (and an
ERC-2612 permit of the deposit), matchers submit them with `matchSignedRequest`, and the tenant
cancels nonces with `cancelSignedRequest`. Nonces are drawn out of order, replayed, cancelled and
then used, and deadlines run out.

The signing tenant is the permit tenant (its key is the walk's own). The request is created and
matched in one transaction: the books fold its RequestCreated as `createRequest`'s and its match
as `matchRequests`' (the model's order is set here before the call), and SignedRequestUsed spends
the nonce in the model. Every call of this path is in this module (`_match_signed`,
`_cancel_signed`), so a change of its entry points is made here alone.
"""

from __future__ import annotations

import brownie

from keepers.signed_requests import permit_signature, request_tuple, sign_request
from keepers.workloads.base import keccak256
from scripts.campaign.constants import HOUR, ZERO32
from scripts.campaign.enums import JOB, RENTAL
from scripts.campaign.failures import require
from scripts.campaign.model import Order

NO_PERMIT = (0, 0, ZERO32, ZERO32)
ROLE = "MatcherBonds_NotBonded"  # a caller without a matcher bond (docs/matching-accountability.md)
# A roll that picks each signature attack in `act_sign_and_match` (guided toward one not refused yet).
SIGNED_ROLLS = {
    "SignedRequests_NonceUsed": 0.0,
    "SignedRequests_NonceCancelled": 0.1,
    "SignedRequests_Expired": 0.15,
    "SignedRequests_InvalidSignature": 0.2,
}


class SignedRequestActions:
    """The signing tenant's and the matchers' calls on the signed path (a mixin of Campaign)."""

    def _fresh_nonce(self) -> int:
        """A nonce the tenant has neither used nor cancelled, drawn at random: nonces are used out of order."""
        while True:
            nonce = self.rng.randrange(2**32)
            if nonce not in self.sig_nonces:
                return nonce

    def _nonce_of(self, state: str) -> int | None:
        nonces = sorted(n for n, s in self.sig_nonces.items() if s == state)
        return self.rng.choice(nonces) if nonces else None

    def _signed(self, spec, deposit: int, nonce: int, deadline: int, key=None) -> tuple[tuple, bytes]:
        tenant = self.permit_tenant.address
        request = request_tuple(tenant, spec, deposit, nonce, deadline)
        signature = sign_request(
            key or self.permit_tenant.key, brownie.chain.id, self.market.address, spec, deposit, nonce, deadline, tenant
        )
        return request, signature

    def _deposit_permit(self, deposit: int) -> tuple:
        return permit_signature(
            self.permit_tenant.key,
            self.token.name(),
            brownie.chain.id,
            self.token.address,
            self.market.address,
            deposit,
            self.token.nonces(self.permit_tenant.address),
            self.ts + HOUR,
        )

    def act_sign_and_match(self):
        """The tenant signs a request; a matcher submits it with an offer. Mostly a fresh nonce, a live
        deadline, a permit and a fitting offer; sometimes a replayed or cancelled nonce, a lapsed
        deadline, a forged signature, no permit (and no allowance), or an offer that cannot take it."""
        kind = RENTAL if self.rng.random() < 0.75 else JOB
        terms = None
        terms_hash = ZERO32
        if kind == JOB:
            terms = self._new_terms()
            if self._publish(terms, self.rng.choice(self.tenants)) is None:
                return
            terms_hash = terms.hash
        spec, deposit = self._spec_for(kind, terms_hash)
        order = Order(0, self.permit_tenant.address, kind, deposit, spec[8], spec[6], spec[2], spec[7], terms, spec)
        nonce, deadline, key = self._fresh_nonce(), self.ts + self.rng.choice([60, HOUR, 6 * HOUR]), None
        expect = None
        roll = self.rng.random()
        # Guided: while one of the signature attacks has not been refused yet, it comes more often.
        missing = [e for e in SIGNED_ROLLS if not self.stats.refusals[("LeaseMarket.matchSignedRequest", e)]]
        if missing and self.rng.random() < 0.5:
            roll = SIGNED_ROLLS[self.rng.choice(missing)]
        if roll < 0.08 and self._nonce_of("used") is not None:
            nonce, expect = self._nonce_of("used"), {"SignedRequests_NonceUsed", ROLE}
        elif roll < 0.14 and self._nonce_of("cancelled") is not None:
            nonce, expect = self._nonce_of("cancelled"), {"SignedRequests_NonceCancelled", ROLE}
        elif roll < 0.19:
            deadline, expect = self.ts, {"SignedRequests_Expired", ROLE}  # lapsed by the time it mines
        elif roll < 0.23:
            key, expect = keccak256(b"not-the-tenant"), {"SignedRequests_InvalidSignature", ROLE}
        request, signature = self._signed(spec, deposit, nonce, deadline, key)
        permit = NO_PERMIT if self.rng.random() < 0.05 else self._deposit_permit(deposit)
        fitting = [o for o in self.offers.values() if self._fits(order, o)]
        offer = self._pick(fitting) if fitting and self.rng.random() < 0.9 else self._pick(self.offers.values())
        offer_id = offer.id if offer else 999
        if offer:
            self._mark_offer(offer.id)
            self._touched.add(offer.provider)
        sender = self.matcher if self.rng.random() < 0.9 else self.rng.choice([self.matcher2, self.attacker])
        self._gas_tag = ("signed", spec[0] == ZERO32, spec[3] == ZERO32, kind, permit is NO_PERMIT)
        self._pending_order = order
        self._pending_nonce = nonce
        if self._match_signed(request, permit, signature, offer_id, sender, expect) is not None:
            self._mark(order.id)

    def _match_signed(self, request, permit, signature, offer_id, sender, expect):
        args = (request, permit, signature, offer_id)
        expect = self._matcher_expect(sender, expect)
        tx = self._call(self.market, "matchSignedRequest", args, sender, expect=expect)
        if tx is None:
            return None
        # Spent: the same signature again is refused (invariant 6 for signatures).
        refusal = self._simulate(self.market, "matchSignedRequest", args, sender) or ""
        require(
            refusal.split(":")[0] in ("SignedRequests_NonceUsed", "SignedRequests_Expired"),
            f"replayed signed request {request[3]} was not refused as used: {refusal!r}",
        )
        return tx

    def act_cancel_signed(self):
        """The tenant cancels a nonce: mostly a fresh one (a request it will not let be matched),
        sometimes one it used or cancelled already, which must be refused."""
        roll = self.rng.random()
        nonce, expect = self._fresh_nonce(), None
        if roll < 0.15 and self._nonce_of("used") is not None:
            nonce, expect = self._nonce_of("used"), {"SignedRequests_NonceUsed"}
        elif roll < 0.3 and self._nonce_of("cancelled") is not None:
            nonce, expect = self._nonce_of("cancelled"), {"SignedRequests_NonceCancelled"}
        self._cancel_signed(nonce, expect)

    def _cancel_signed(self, nonce: int, expect):
        if self._call(self.market, "cancelSignedRequest", (nonce,), self.permit_sender, expect=expect) is None:
            return
        # A signature over the cancelled nonce no longer matches, and the cancel is final.
        self._settle_again(
            self.market, "cancelSignedRequest", (nonce,), self.permit_sender, "SignedRequests_NonceCancelled"
        )

    # ----------------------------------------------------------------- their events

    def on_SignedRequestUsed(self, e):
        order = self._pending_order
        require(
            (e["tenant"], e["nonce"], e["requestId"]) == (order.tenant, self._pending_nonce, order.id)
            and self.sig_nonces.get(e["nonce"]) is None,
            f"SignedRequestUsed {e}, model request {order.id} nonce {self._pending_nonce}",
        )
        self.sig_nonces[e["nonce"]] = "used"

    def on_SignedRequestCancelled(self, e):
        require(
            e["tenant"] == self.permit_tenant.address and self.sig_nonces.get(e["nonce"]) is None,
            f"SignedRequestCancelled {e}, model {self.sig_nonces.get(e['nonce'])}",
        )
        self.sig_nonces[e["nonce"]] = "cancelled"
