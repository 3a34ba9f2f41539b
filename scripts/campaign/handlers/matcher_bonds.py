"""Actions on MatcherBonds: a match watcher challenges a dominated match, and a matcher whose bond a
won challenge took below the minimum bonds again (docs/matching-accountability.md).

The split a won challenge pays from the matcher's bond is computed in one function,
`match_challenge_award`, from the lease as the market reports it and the bond's parameters as
MatcherBonds reports them: a change of the contract's split (a disgorgement, a grace) is made there.
"""

from __future__ import annotations

from scripts.campaign.constants import HOUR, ZERO, ZERO32
from scripts.campaign.failures import require
from scripts.campaign.functions import succeeded
from scripts.campaign.model import Offer, Order


def overpaid(lease: dict, better_price: int) -> int:
    """What `lease`'s tenant (the market's `getLease` view) overpays against an offer at
    `better_price`: MatcherBonds' `_overpaid`, the saving over the lease's term, capped by what its
    balance buys at the matched price. The steering book (profits.py) counts a steered match's gain
    with it too, so that the gain and a won challenge's refund to the tenant are one amount."""
    price, units, duration = lease["pricePerUnitHour"], lease["units"], lease["durationSeconds"]
    saving = price - better_price
    return min(saving * units * duration // HOUR, (lease["escrow"] - lease["settleBounty"]) * saving // price)


def match_challenge_award(lease: dict, better_price: int, bond: int, params: dict) -> tuple[int, int, int]:
    """What a won `challengeMatch` of `lease` (the market's `getLease` view, read before the call)
    pays from a bond of `bond` when an offer at `better_price` was free at the match: (to the
    tenant, to the challenger, to the treasury). MatcherBonds' `_overpaid`, `_value` and `_slash`:
    the tenant's overpayment over the lease's term (capped by what its balance buys at the matched
    price), then the challenger's reward, then the lease's whole value disgorged to the treasury,
    each capped by what is left of the bond."""
    price, units, duration = lease["pricePerUnitHour"], lease["units"], lease["durationSeconds"]
    value = price * units * duration // HOUR
    to_tenant = min(overpaid(lease, better_price), bond)
    to_challenger = min(params["challengerReward"], bond - to_tenant)
    to_treasury = min(value, bond - to_tenant - to_challenger)
    return to_tenant, to_challenger, to_treasury


class MatcherBondActions:
    """Match challenges and re-bonding (a mixin of Campaign)."""

    def _better_offers(self, lease: Order) -> list[Offer]:
        """Offers the model holds able to take `lease`'s terms now at a strictly lower price."""
        spec, better = lease.spec, []
        for offer in self.offers.values():
            p, model = self.providers[offer.provider], self.catalogue[offer.model]
            if offer.id == lease.offer or offer.paused or offer.removed or offer.provider == lease.tenant:
                continue
            if (spec[0] != ZERO32 and spec[0] != offer.model) or model["vram"] < spec[1] or model["tier"] < spec[4]:
                continue
            if (spec[3] != ZERO32 and spec[3] != p.region) or spec[5] > 0:
                continue
            if (
                offer.price < lease.price
                and lease.duration <= offer.max_duration
                and offer.in_use + lease.units <= offer.units
                and p.free >= lease.units * model["collateral"]
            ):
                better.append(offer)
        return better

    def _challengeable(self, winnable: bool = False) -> bool:
        """A lease whose match can still be challenged (within the window, not challenged yet);
        `winnable`: and the model holds a better offer for it."""
        window = self.bond_params["challengeWindowSeconds"]
        return any(
            not o.match_challenged and self.ts < o.start + window and (not winnable or self._better_offers(o))
            for o in self._leases()
        )

    def act_challenge_match(self):
        """A match watcher (a whistleblower) proves a cheaper feasible offer against a lease matched
        within the challenge window: mostly the cheapest the model holds better, sometimes any offer
        against any lease (refused: the same offer, not better, changed since the match, window over,
        challenged already). A refused challenge changes nothing (invariant 1 on MatcherBonds and each
        matcher's bond, every step); a won one pays the tenant, the challenger and the treasury from
        the matcher's bond, as `match_challenge_award` computes from the lease and the parameters."""
        watcher = self.rng.choice(self.whistleblowers)
        # Guided: while no MatcherBonds credit has been claimed, a watcher the token refuses (its
        # reward is then credited), if there is one.
        refused = [w for w in self.whistleblowers if self._refuses(w.address)]
        if refused and not succeeded(self.stats, "MatcherBonds.claimCredit"):
            watcher = self.rng.choice(refused)
        window = self.bond_params["challengeWindowSeconds"]
        leases = [
            self.orders[i]
            for i in sorted(self.live_orders)
            if self.orders[i].state == "lease" and self.orders[i].matcher != ZERO
        ]
        open_ = [o for o in leases if not o.match_challenged and self.ts + 1 <= o.start + window]
        candidates = [(o, self._better_offers(o)) for o in open_]
        candidates = [(o, better) for o, better in candidates if better]
        expect = None
        if candidates and self.rng.random() < 0.75:
            lease, better = self._pick(candidates)
            offer_id = min(better, key=lambda f: (f.price, f.id)).id
        elif leases and self.rng.random() < 0.8:
            lease = self._pick(leases)
            offer_id = self.rng.choice([lease.offer, *sorted(self.offers)])
            if lease.match_challenged:
                expect = {"MatcherBonds_AlreadyChallenged", "MatcherBonds_ChallengeWindowClosed"}
            elif offer_id == lease.offer and self.ts + 1 <= lease.start + window:
                expect = {"MatcherBonds_SameOffer"}
        else:
            # Any id: an unknown one, a request never matched, or a matched JOB, which a challenge
            # takes too (docs/matching-accountability.md, "JOB matches"). Against a JOB only with an
            # offer no match can name (0), so the walk meets its refusals, never a JOB's award.
            lease, offer_id = None, self.rng.choice([0, *sorted(self.offers)])
        lease_id = lease.id if lease is not None else self._any_order_id()
        if lease is None and lease_id in self.orders and self.orders[lease_id].state != "lease":
            offer_id = 0
            expect = {
                "MatcherBonds_UnknownMatcher",
                "MatcherBonds_OfferNotBetter",
                "MatcherBonds_ChallengeWindowClosed",
            }
        elif lease is None and lease_id not in self.orders:
            expect = {"LeaseMarket_RequestNotFound"}
        if lease is not None:
            self._mark(lease.id)
            self._touched.update((lease.tenant, lease.matcher))
            # The lease and the bond as the contracts hold them before the call: the award's inputs.
            self._challenge_view = self._lease_view(lease.id)
        self._call(self.bonds, "challengeMatch", (lease_id, offer_id), watcher, expect=expect)

    def _lease_view(self, lease_id: int) -> dict | None:
        """The market's `getLease` view of a lease, as a dict."""
        view = self.market.getLease(lease_id)
        return dict(view.dict()) if hasattr(view, "dict") else None

    def _watch_steered(self, lease: Order):
        """A rational match watcher's answer to a steered match (docs/matching-accountability.md): a
        won challenge pays it `challengerReward`, well above its gas, so it challenges every dominated
        match it can win, and at once (a cheaper rival only ever stops qualifying: its offer or its
        provider changing, its units or its provider's free stake taken). It tries the model's better
        offers cheapest first, each simulated as a watcher's keeper does, and sends the first the
        contract would take; with none (a rival changed within the grace before the match, say) the
        steered match stays unchallenged, counted as such. Besides it, `act_challenge_match` goes on
        sending the random challenges, refused ones included."""
        watcher = self.rng.choice(self.whistleblowers)
        for offer in sorted(self._better_offers(lease), key=lambda f: (f.price, f.id)):
            if self._simulate(self.bonds, "challengeMatch", (lease.id, offer.id), watcher) is None:
                self._mark(lease.id)
                self._touched.update((lease.tenant, lease.matcher))
                self._challenge_view = self._lease_view(lease.id)
                self.stats.cheats["steered matches challenged"] += 1
                return self._call(self.bonds, "challengeMatch", (lease.id, offer.id), watcher)
        self.stats.cheats["steered matches unchallengeable"] += 1
        return None

    def on_MatchChallenged(self, e):
        lease = self.orders[e["leaseId"]]
        matcher, offer = e["matcher"], self.offers[e["offerId"]]
        require(matcher == lease.matcher, f"challenge of lease {lease.id} names matcher {matcher}, not {lease.matcher}")
        require(not lease.match_challenged, f"lease {lease.id}'s match challenged twice")
        require(offer.price < lease.price, f"offer {offer.id} at {offer.price} beat lease {lease.id} at {lease.price}")
        require(self.ts <= lease.start + self.bond_params["challengeWindowSeconds"], "challenge after the window")
        bond = self.matcher_bonds[matcher]
        award = match_challenge_award(self._challenge_view, offer.price, bond, self.bond_params)
        paid = (e["toTenant"], e["toChallenger"], e["toTreasury"])
        require(paid == award, f"challenge of lease {lease.id} paid {paid}, model {award} from a bond of {bond}")
        lease.match_challenged = True
        self.matcher_bonds[matcher] = bond - sum(paid)
        self._move(self.bonds.address, lease.tenant, e["toTenant"])
        self._move(self.bonds.address, e["challenger"], e["toChallenger"])
        self._move(self.bonds.address, self.treasury_now, e["toTreasury"])
        self.stats.match_challenges += 1

    def act_rebond(self):
        """A matcher whose bond a won challenge took below the minimum bonds the shortfall again
        (refused by the token while it refuses the matcher); with nothing short, a zero bond is refused."""
        short = [
            m for m in (self.matcher, self.matcher2) if self.matcher_bonds[m.address] < self.bond_params["minBond"]
        ]
        matcher = self._pick(short) or self.rng.choice([self.matcher, self.matcher2])
        amount = max(self.bond_params["minBond"] - self.matcher_bonds[matcher.address], 0)
        self._gas_tag = self._bond_gas_tag(matcher.address)
        self._call(self.bonds, "bond", (amount,), matcher, expect={"MatcherBonds_ZeroAmount"} if not amount else None)

    def _bond_gas_tag(self, matcher: str) -> str | None:
        """Invariant 10's kind of a bond: a won challenge that took a whole bond left its storage slot
        empty, and bonding again writes a fresh slot (some 17,000 gas more than adding to a bond), a
        kind of its own (`make fuzz STEPS=50000 SEED=1` stopped at step 31,821 on it: 76,121 gas
        against a ceiling set by re-bonds of bonds a challenge had only cut)."""
        return "empty bond" if not self.matcher_bonds[matcher] else None

    def on_Bonded(self, e):
        require(e["matcher"] in self.matcher_bonds, f"bond for {e['matcher']}, not a matcher of the walk")
        self.matcher_bonds[e["matcher"]] += e["amount"]
        require(e["total"] == self.matcher_bonds[e["matcher"]], f"bond total {e['total']}")
        self._move(e["matcher"], self.bonds.address, e["amount"])
