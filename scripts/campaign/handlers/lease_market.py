"""Actions on LeaseMarket: tenants create, cancel and top up requests; the matcher matches;
providers, tenants, settlers and whistleblowers run, close and challenge leases."""

from __future__ import annotations

import brownie

from keepers import liveness
from keepers.signed_requests import permit_signature
from keepers.workloads.base import keccak256
from scripts.campaign.constants import DAY, HOUR, USD, ZERO, ZERO32
from scripts.campaign.enums import BPS, JOB, L_ACTIVE, MAX_CLOSE_BATCH, RENTAL
from scripts.campaign.failures import require
from scripts.campaign.functions import ALLOWED, NOT_BONDED, PROOF_REFUSED, succeeded
from scripts.campaign.model import Offer, Order


class LeaseMarketActions:
    """Tenants', the matcher's and the lease parties' calls (a mixin of Campaign)."""

    # ----------------------------------------------------------------- tenant actions

    def _spec_for(self, kind: int, terms_hash: bytes = ZERO32):
        """A request spec that fits a live offer (or, sometimes, none)."""

        def affordable(o: Offer) -> int:
            """Units of the offer its provider's free stake can still back."""
            per_unit = self.catalogue[o.model]["collateral"]
            return min(o.units - o.in_use, self.providers[o.provider].free // per_unit)

        offers = [o for o in self.offers.values() if not o.removed and not o.paused]
        affordable_offers = [o for o in offers if affordable(o) > 0]
        if kind == JOB and self._abandon_wanted():
            # Guided: a job for the abandoning solver's offers, while it has had no dispute to abandon.
            affordable_offers = [o for o in self._abandoner_job_offers() if affordable(o) > 0] or affordable_offers
        offer = self._pick(affordable_offers or offers)
        if offer is None:
            offer = Offer(0, ZERO, self.rng.choice(list(self.catalogue)), 2, 2 * USD, 30 * DAY)
        provider = self.providers.get(offer.provider)
        model = self.catalogue[offer.model]
        # Guided: while no match challenge has won, rentals are mostly open to any model at up to
        # twice the price, so a request meets offers at different prices and steering can bite.
        steerable = kind == RENTAL and not succeeded(self.stats, "MatcherBonds.challengeMatch")
        any_model = self.rng.random() < (0.7 if steerable else 0.2)
        units = self.rng.randrange(1, max(2, min(3, affordable(offer) if offer.id else 2) + 1))
        max_price = offer.price * self.rng.choice([2, 2, 1] if steerable else [1, 1, 2])
        max_price += 0 if self.rng.random() < 0.9 else -1
        duration = self.rng.choice([HOUR, 6 * HOUR, DAY, 2 * DAY]) if kind == RENTAL else DAY
        spec = (
            ZERO32 if any_model else offer.model,
            model["vram"] if any_model else 0,
            units,
            provider.region if provider and self.rng.random() < 0.3 else ZERO32,
            self.rng.choice([0, 0, model["tier"]]),
            0 if self.rng.random() < 0.95 else 9000,
            max(1, max_price),
            duration,
            self.ts + self.rng.choice([600, 2 * HOUR, 6 * HOUR, DAY]),
            kind,
            terms_hash,
            False,  # re-match: the campaign does not model re-opened requests yet
        )
        p = self.params
        minimum = p["matchFee"] + p["settleBounty"] + -(-spec[6] * units * p["minLeaseSeconds"] // HOUR)
        if kind == RENTAL:
            deposit = minimum + spec[6] * units * self.rng.choice([0, 2, 6, 12, 24, 48])
        else:
            deposit = minimum + self.rng.randrange(1, 200) * USD
        if self.rng.random() < 0.07:
            deposit = minimum - 1
        return spec, deposit

    def _create(self, spec, deposit, tenant, terms=None, permit=False):
        # Zero "any" fields are left unwritten: a different kind of createRequest for gas.
        self._gas_tag = (spec[0] == ZERO32, spec[3] == ZERO32, spec[10] == ZERO32)
        order = Order(
            0,
            tenant.address if not permit else self.permit_tenant.address,
            spec[9],
            deposit,
            spec[8],
            spec[6],
            spec[2],
            spec[7],
            terms,
            spec,
        )
        self._pending_order = order
        if permit:
            v, r, s = self._permit(deposit)
            tx = self._call(
                self.market, "createRequestWithPermit", (spec, deposit, self.ts + HOUR, v, r, s), self.permit_sender
            )
        else:
            tx = self._call(self.market, "createRequest", (spec, deposit), tenant)
        if tx is not None:
            self._mark(order.id)

    def _permit(self, value: int):
        _, v, r, s = permit_signature(
            self.permit_tenant.key,
            self.token.name(),
            brownie.chain.id,
            self.token.address,
            self.market.address,
            value,
            self.token.nonces(self.permit_tenant.address),
            self.ts + HOUR,
        )
        return v, "0x" + r.hex(), "0x" + s.hex()

    def act_create_rental(self):
        spec, deposit = self._spec_for(RENTAL)
        tenant = self.rng.choice(self.tenants) if self.rng.random() < 0.95 else self.attacker
        self._create(spec, deposit, tenant)

    def act_create_with_permit(self):
        spec, deposit = self._spec_for(RENTAL)
        self._create(spec, deposit, None, permit=True)

    def act_publish_and_request_job(self):
        terms = self._new_terms()
        tenant = self.rng.choice(self.tenants)
        if self.rng.random() < 0.9:
            if self._publish(terms, tenant) is None:
                return
            terms_hash = terms.hash
        else:
            terms_hash = keccak256(b"unpublished-%d" % self.salt)  # the match must skip it
        spec, deposit = self._spec_for(JOB, terms_hash)
        self._create(spec, deposit, tenant, terms=terms)

    def act_cancel(self):
        open_orders = [self.orders[i] for i in sorted(self.live_orders) if self.orders[i].state == "open"]
        expired = [o for o in open_orders if o.deadline < self.ts]
        order = self._pick(expired if expired and self.rng.random() < 0.8 else open_orders)
        if order is None or self.rng.random() < 0.15:
            return self._call(self.market, "cancelRequest", (self._any_order_id(),), self.rng.choice(self.tenants))
        sender = self._account(order.tenant) if self.rng.random() < 0.7 else self.settler
        self._mark(order.id)
        if self._call(self.market, "cancelRequest", (order.id,), sender) is not None:
            self._settle_again(self.market, "cancelRequest", (order.id,), sender, "LeaseMarket_RequestNotOpen")

    def act_top_up(self):
        lease = self._pick(self._leases())
        lease_id = lease.id if lease else self._any_order_id()
        amount = self.rng.choice([0, self.rng.randrange(1, 20) * USD])
        funder = self.rng.choice([*self.tenants, self.settler])
        self._mark(lease_id)
        self._call(self.market, "topUp", (lease_id, amount), funder)

    # ----------------------------------------------------------------- matcher

    def _fits(self, order: Order, offer: Offer) -> bool:
        p = self.providers[offer.provider]
        model = self.catalogue[offer.model]
        spec = order.spec
        if (spec[0] != ZERO32 and spec[0] != offer.model) or (spec[0] == ZERO32 and model["vram"] < spec[1]):
            return False
        if model["tier"] < spec[4] or (spec[3] != ZERO32 and spec[3] != p.region) or spec[5] > 0:
            return False
        return (
            self.ts < order.deadline
            and not offer.paused
            and not offer.removed
            and offer.provider != order.tenant
            and offer.price <= order.max_price
            and order.duration <= offer.max_duration
            and offer.in_use + order.units <= offer.units
            and p.free >= order.units * model["collateral"]
        )

    def _takes_job(self, order: Order, offer: Offer) -> bool:
        """The offer's job policy takes the job's terms (the rule books.py `on_JobOpened` checks)."""
        terms = order.terms
        rate = offer.job_rate
        return terms is not None and rate > 0 and terms.result_timeout >= offer.job_setup + -(-terms.steps // rate)

    def act_match(self):
        open_orders = [self.orders[i] for i in sorted(self.live_orders) if self.orders[i].state == "open"]
        if self.rng.random() < 0.9:
            open_orders = [o for o in open_orders if o.deadline > self.ts + 1]
        pairs = []
        for order in self.rng.sample(open_orders, min(len(open_orders), self.rng.randrange(1, 4))):
            fitting = [o for o in self.offers.values() if self._fits(order, o)]
            # Guided: while the abandoning solver (p2) has had no dispute to abandon, its offers that
            # take the job (their job policy fits its terms) get it first.
            if order.kind == JOB and self._abandon_wanted():
                fitting = [o for o in fitting if o.provider == self.abandoning and self._takes_job(order, o)] or fitting
            offer = self._pick(fitting) if fitting and self.rng.random() < 0.85 else self._pick(self.offers.values())
            pairs.append((order.id, offer.id if offer else 999))
            self._mark(order.id)
            if offer:
                self._mark_offer(offer.id)
                self._touched.add(offer.provider)
        if self.rng.random() < 0.05:
            pairs.append((self._any_order_id(), self.rng.choice([0, 999, 2**41])))
        sender = self.matcher if self.rng.random() < 0.95 else self.rng.choice([self.attacker, self.matcher2])
        self._match_pairs(pairs, sender)

    def _match_pairs(self, pairs: list, sender, expect: set[str] | None = None):
        """The one place matchRequests is sent from (the honest matcher, the steering one, the attacker)."""
        # Gas (invariant 10): a pair's checks differ by the request's kind (a job's read its terms
        # and the offer's job policy), so the kinds of the batch's requests are part of its kind.
        self._gas_tag = tuple(self.orders[i].kind if i in self.orders else None for i, _ in pairs)
        expect = self._matcher_expect(sender, expect)
        return self._call(self.market, "matchRequests", (pairs,), sender, expect=expect)

    def _matcher_expect(self, sender, expect: set[str] | None) -> set[str] | None:
        """What a matching call by `sender` may be refused with, given its bond as the model
        holds it: a caller without a bond of at least the minimum (the attacker; a matcher a won
        challenge left short, until it bonds again) is refused `MatcherBonds_NotBonded` before
        anything else is checked, whatever the call's own expectation; a bonded one is refused as the
        call expects (any of the function's declared errors when it names none)."""
        if self.matcher_bonds.get(sender.address, 0) < self.bond_params["minBond"]:
            return {NOT_BONDED}
        return expect

    def _send_liveness(self, fn: str, lease_id: int, sender, *, honest: bool = True):
        """The one place challengeLiveness, respondLiveness and resolveLiveness are sent from.

        An answer carries the capacity proof for the challenge's seed (keepers/liveness.py): the whole
        work when `honest`, which no proof error may refuse; otherwise a root over no computed leaf,
        which must be refused (the spot check, unless an earlier check refuses it first).
        """
        lease = self.orders.get(lease_id)
        if fn == "challengeLiveness":
            # A lease's first challenge writes its seed slot fresh (20,000 gas more than a later one).
            self._gas_tag = lease is None or lease.challenged_at == 0
        if fn != "respondLiveness":
            return self._call(self.market, fn, (lease_id,), sender)
        units = lease.units if lease is not None and lease.kind == RENTAL else 1
        self._gas_tag = units  # the proof's depth grows with the units
        seed = bytes(brownie.web3.eth.get_storage_at(self.market.address, liveness.seed_slot(lease_id)))
        proof = liveness.prove(seed, units) if honest else liveness.partial(seed, units, 0)
        name = "LeaseMarket.respondLiveness"
        refused_before = sum(self.stats.refusals[(name, error)] for error in PROOF_REFUSED)
        tx = self._call(self.market, fn, (lease_id, proof.answer), sender, expect=None if honest else ALLOWED[name])
        if honest:
            refused = sum(self.stats.refusals[(name, error)] for error in PROOF_REFUSED) - refused_before
            require(refused == 0, f"{name}: the whole work for lease {lease_id} was refused by the spot check")
        return tx

    # ----------------------------------------------------------------- lease actions

    def act_withdraw_earnings(self):
        lease = self._pick(self._leases())
        if lease is None:
            return self._call(self.market, "withdrawEarnings", (self._any_order_id(),), self.attacker)
        self._mark(lease.id)
        sender = self.providers[lease.provider].account if self.rng.random() < 0.9 else self.attacker
        self._call(self.market, "withdrawEarnings", (lease.id,), sender)

    def act_request_reclaim(self):
        lease = self._pick(self._leases())
        if lease is None:
            return self._call(self.market, "requestReclaim", (self._any_order_id(),), self.attacker)
        self._mark(lease.id)
        self._call(self.market, "requestReclaim", (lease.id,), self.providers[lease.provider].account)

    def act_close_lease(self):
        ended = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE)
        lease = self._pick(ended if ended and self.rng.random() < 0.6 else self._leases())
        if lease is None:
            return self._call(self.market, "closeLease", (self._any_order_id(),), self.settler)
        self._mark(lease.id)
        self._touched.add(lease.provider)
        self._mark_offer(lease.offer)
        self._subject = lease
        sender = self.rng.choice(
            [self._account(lease.tenant), self.providers[lease.provider].account, self.settler, self.settler]
        )
        if self._call(self.market, "closeLease", (lease.id,), sender) is not None:
            self._settle_again(self.market, "closeLease", (lease.id,), self.settler, "LeaseMarket_LeaseSettled")

    def act_close_leases(self):
        """A settler's batch: mostly ended leases, now and then with an active, challenged, settled,
        repeated or unknown id among them, which must be skipped; rarely an empty or oversized list."""
        roll = self.rng.random()
        if roll < 0.03:
            return self._call(self.market, "closeLeases", ([],), self.settler, expect={"LeaseMarket_EmptyBatch"})
        if roll < 0.05:
            return self._call(
                self.market,
                "closeLeases",
                ([1] * (MAX_CLOSE_BATCH + 1),),
                self.settler,
                expect={"LeaseMarket_BatchTooLarge"},
            )
        ended = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE)
        ids = [o.id for o in self.rng.sample(ended, min(len(ended), self.rng.randint(1, 4)))]
        for _ in range(self.rng.choice([0, 0, 1, 2]) if ids else 1):
            ids.insert(self.rng.randrange(len(ids) + 1), self._any_order_id())
        if self.rng.random() < 0.1:
            ids.append(ids[0])  # listed twice: the second listing finds it settled
        closing = []
        for i in ids:
            o = self.orders.get(i)
            if o is None or o.state != "lease":
                continue
            self._mark(o.id)
            self._touched.add(o.provider)
            self._mark_offer(o.offer)
            closable = not o.closed and o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE
            if closable and all(o is not c for c in closing):
                closing.append(o)
        # Mostly a third party; sometimes a party of a listed lease, whose bounty then goes to its tenant.
        parties = [self._account(o.tenant) for o in closing] + [self.providers[o.provider].account for o in closing]
        sender = self.rng.choice(parties) if parties and self.rng.random() < 0.2 else self.settler
        self._close_queue, self._batch_bounty, self._batch_caller = list(closing), 0, sender.address
        tx = self._call(self.market, "closeLeases", (ids,), sender)
        require(tx is not None, f"closeLeases of {ids} refused")
        require(self._close_queue == [], f"batch left {[o.id for o in self._close_queue]} open, model closes them")
        self._close_queue, self._batch_bounty = None, None
        closed = [e["leaseId"] for e in tx.events["LeaseClosed"]] if "LeaseClosed" in tx.events else []
        skipped = len(tx.events["CloseSkipped"]) if "CloseSkipped" in tx.events else 0
        require(
            closed == [o.id for o in closing] and len(closed) + skipped == len(ids),
            f"batch {ids}: closed {closed}, skipped {skipped}, model closes {[o.id for o in closing]}",
        )
        for o in closing:
            self._settle_again(self.market, "closeLease", (o.id,), self.settler, "LeaseMarket_LeaseSettled")

    def act_challenge_liveness(self):
        active = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) == L_ACTIVE)
        lease = self._pick(active if active and self.rng.random() < 0.9 else self._leases())
        if lease is None:
            return self._send_liveness("challengeLiveness", self._any_order_id(), self.rng.choice(self.whistleblowers))
        # Sometimes the provider challenges itself: it must never profit (invariant 7). Sometimes the
        # lease's own tenant checks it: its bond comes back on the answer (issue 12, the timesharer).
        sender = self.rng.choice(
            [*self.whistleblowers, self.settler, self.providers[lease.provider].account, self._account(lease.tenant)]
        )
        self._challenge_liveness(lease, sender)

    def _challenge_liveness(self, lease: Order, sender):
        """The one place challengeLiveness is sent from (whistleblowers, the provider, its second account)."""
        self._mark(lease.id)
        # A prober waits for the first moment the spacing allows, if the lease still runs then.
        earliest = (lease.challenged_at or lease.start) + self.params["livenessSpacingSeconds"]
        if self.ts + 1 < earliest and self._lease_status(lease, earliest) == L_ACTIVE and self.rng.random() < 0.7:
            self._sleep(earliest - 1 - self.ts)
            self._moved()
        return self._send_liveness("challengeLiveness", lease.id, sender)

    def act_respond_liveness(self):
        lease = self._pick(self._leases(lambda o: o.challenger != ZERO))
        if lease is None:
            return self._send_liveness("respondLiveness", self._any_order_id(), self.attacker)
        self._mark(lease.id)
        self._touched.add(lease.provider)
        # Sometimes the provider answers without the work (a bot on a dark GPU): always refused.
        draw = self.rng.random()
        sender = self.providers[lease.provider].account if draw < 0.9 else self.attacker
        self._send_liveness("respondLiveness", lease.id, sender, honest=not 0.75 <= draw < 0.9)

    def act_resolve_liveness(self):
        lease = self._pick(self._leases(lambda o: o.challenger != ZERO))
        if lease is None:
            return self._send_liveness("resolveLiveness", self._any_order_id(), self.settler)
        sender = self.rng.choice([self.settler, self.settler, self._account(lease.tenant)])
        self._resolve_liveness(lease, sender, wait=self.rng.random() < 0.6)

    def _resolve_liveness(self, lease: Order, sender, wait: bool):
        """The one place resolveLiveness is sent from; `wait`: first wait out the provider's window."""
        self._mark(lease.id)
        self._touched.add(lease.provider)
        self._mark_offer(lease.offer)
        self._subject = lease
        self._slash_order = (lease.collateral * self.params["livenessSlashBps"] // BPS, lease.challenger, lease.tenant)
        deadline = lease.challenged_at + self.params["livenessWindowSeconds"]
        if self.ts + 1 <= deadline and wait:
            self._sleep(deadline - self.ts)  # a dark provider: wait out its window, then resolve
            self._moved()
        if self._send_liveness("resolveLiveness", lease.id, sender) is not None:
            self._settle_again(self.market, "resolveLiveness", (lease.id,), self.settler, "LeaseMarket_NoOpenChallenge")
