"""Actions on ProviderRegistry: providers register, stake, unstake and manage their offers."""

from __future__ import annotations

from scripts.campaign.constants import DAY, HOUR, REALISTIC_SETUP, REGIONS, USD, ZERO32


class RegistryActions:
    """Providers' calls (a mixin of Campaign); the market-only hooks are in attacker.py."""

    def act_register(self):
        candidates = [p for p in self.providers.values() if not p.registered]
        p = self._pick(candidates) or self.rng.choice(list(self.providers.values()))
        region = self.rng.choice(REGIONS)
        uri = f"https://gpu.example.org/{self.rng.randrange(100)}.json"
        if self.rng.random() < 0.1:
            region, uri = self.rng.choice([(ZERO32, uri), (region, ""), (region, "x" * 257)])
        self._call(self.registry, "registerProvider", (region, uri), p.account)

    def act_update_provider(self):
        p = self.rng.choice(list(self.providers.values()))
        region = self.rng.choice([*REGIONS, ZERO32])
        self._call(self.registry, "updateProvider", (region, "ipfs://meta"), p.account)

    def act_stake(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        amount = self.rng.choice([0, 1, self.rng.randrange(1, 30_000) * USD])
        self._call(self.registry, "stake", (amount,), p.account)

    def act_request_unstake(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        amount = self.rng.choice([0, p.free + 1] + [self.rng.randrange(1, p.free // 4 + 2)] * 4)
        self._call(self.registry, "requestUnstake", (amount,), p.account)

    def act_withdraw_unstaked(self):
        unbonding = [p for p in self.providers.values() if p.unbonding]
        p = self._pick(unbonding) or self.rng.choice(list(self.providers.values()))
        if p.unbonding and self.ts + 1 < p.ready_at:
            expect = {"ProviderRegistry_UnbondingNotReady"}  # invariant 8
        elif not p.unbonding:
            expect = {"ProviderRegistry_NothingUnbonding"}
        else:
            expect = None
        self._call(self.registry, "withdrawUnstaked", (), p.account, expect=expect)

    def act_add_offer(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        if self._abandon_wanted() and not self._abandoner_job_offers() and self.rng.random() < 0.7:
            p = self.providers[self.abandoning]  # guided: the abandoning solver needs an offer for jobs
        model = self.rng.choice(list(self.catalogue))
        units = self.rng.randrange(1, 9)
        price = self.rng.randrange(1, 5) * USD
        duration = self.rng.choice([2 * DAY, 7 * DAY, 30 * DAY])
        if self.rng.random() < 0.1:
            units, price, duration = self.rng.choice([(0, price, duration), (units, 0, duration), (units, price, 60)])
        self._add_offer((model, units, price, duration), p.account)

    def _add_offer(self, args: tuple, sender):
        """The one place addOffer is sent from; an offer's terms are `args` (the model's Offer mirrors them)."""
        return self._call(self.registry, "addOffer", args, sender)

    def _offer_and_owner(self):
        offer = self._pick(o for o in self.offers.values() if not o.removed) or self._pick(self.offers.values())
        if offer is None:
            return None, self.attacker
        self._mark_offer(offer.id)
        owner = self.providers[offer.provider].account
        return offer, (owner if self.rng.random() < 0.9 else self.attacker)

    def act_update_offer(self):
        offer, sender = self._offer_and_owner()
        if offer is None:
            return self._update_offer((1, 1, 1, DAY), sender)
        units = self.rng.choice([max(1, offer.in_use), offer.units, offer.units + 2, max(0, offer.in_use - 1)])
        self._update_offer((offer.id, units, self.rng.randrange(1, 5) * USD, 30 * DAY), sender)

    def _update_offer(self, args: tuple, sender):
        """The one place updateOffer is sent from."""
        return self._call(self.registry, "updateOffer", args, sender)

    def act_set_offer_job_policy(self):
        """The jobs an offer takes: most take every job the honest tenants make (1 to 6 hours), some
        refuse the short ones (a 3-hour setup against 1-hour timeouts), a few none; now and then a
        setup above the bound. No honest provider of the walk takes a result timeout under
        `REALISTIC_SETUP`: its results come when the walk submits them, at the walk's pace (a
        rational provider declares what it can deliver; property 1, providers consent to job terms)."""
        without = [o for o in self.offers.values() if o.job_rate == 0 and not o.removed]
        if self._abandon_wanted() and not self._abandoner_job_offers():
            # Guided: the abandoning solver's offers first, with the policy every walk job fits.
            without = [o for o in without if o.provider == self.abandoning] or without
        offer = self._pick(without)
        if offer is None:
            offer, sender = self._offer_and_owner()
        else:
            self._mark_offer(offer.id)
            sender = self.providers[offer.provider].account if self.rng.random() < 0.9 else self.attacker
        if offer is None:
            return self._call(self.registry, "setOfferJobPolicy", (1, 1, 0), sender)
        roll = self.rng.random()
        wanted = offer.provider == self.abandoning and self._abandon_wanted()
        policy = (
            (10, REALISTIC_SETUP) if roll < 0.8 or wanted else self.rng.choice([(1, 3 * HOUR), (0, 0), (5, 31 * DAY)])
        )
        self._call(self.registry, "setOfferJobPolicy", (offer.id, *policy), sender)

    def act_pause_offer(self):
        offer, sender = self._offer_and_owner()
        if offer is None:
            return self._call(self.registry, "pauseOffer", (1, True), sender)
        # Mostly resumes a paused offer, so the market keeps capacity.
        if not offer.paused and self.rng.random() < 0.6:
            offer, sender = self._pick(o for o in self.offers.values() if o.paused and not o.removed) or offer, sender
        paused = not offer.paused if self.rng.random() < 0.9 else offer.paused
        self._call(self.registry, "pauseOffer", (offer.id, paused), sender)

    def act_remove_offer(self):
        offer, sender = self._offer_and_owner()
        self._call(self.registry, "removeOffer", (offer.id if offer else 1,), sender)
