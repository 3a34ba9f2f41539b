"""Stateful test of the registry against ghost books (PROTOCOL.md §7 invariants 3, 4 and 8).

Random sequences of stake / requestUnstake / withdrawUnstaked / addOffer / updateOffer /
removeOffer / tryReserve / release / slash with time moves. After every step:
- invariant 3: Σ providers' free + locked + unbonding == totalStake == the registry's token
  balance == the ghost sum, and each provider's buckets equal the ghost's;
- invariant 4: locked ≤ stake for every provider; unitsInUse ≤ units for every offer;
and on every withdrawal, invariant 8: it happens no earlier than unbondingPeriod after the
provider's latest unstake request.
"""

import brownie
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from helpers import DAY, USD
from registry.support import EU_WEST, METADATA_URI, NONE, STAKE_INSUFFICIENT, UNITS_UNAVAILABLE, make_terms

UNBONDING = 7 * DAY
COLLATERAL = 2_000 * USD
MAX_OFFERS = 6
MIN_STEPS = 200


who = st.integers(min_value=0, max_value=1)
index = st.integers(min_value=0, max_value=255)
amount = st.integers(min_value=0, max_value=9_000 * USD)
units = st.integers(min_value=0, max_value=6)
reason = st.integers(min_value=0, max_value=2)
seconds = st.integers(min_value=0, max_value=8 * DAY)


class RegistryMachine(RuleBasedStateMachine):
    """Driven by hypothesis directly; every run starts from the same chain snapshot.

    The contracts and accounts are set as class attributes by the test before it runs.
    """

    registry = token = market = tenant = treasury = h100 = None
    providers = ()
    steps = 0

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        self.books = {p.address: {"free": 0, "locked": 0, "unbonding": 0, "requested_at": 0} for p in self.providers}
        self.offers = []  # [{"id", "provider", "units", "in_use", "removed"}]
        self.matches = []  # [(provider, offer index, units, collateral)]

    def _step(self):
        type(self).steps += 1

    # ------------------------------------------------------------------ provider rules

    @rule(who=who, amount=amount)
    def rule_stake(self, who, amount):
        p = self.providers[who]
        if amount == 0:
            with brownie.reverts(revert_pattern="ProviderRegistry_ZeroAmount(: .*)?"):
                self.registry.stake(0, {"from": p})
        else:
            self.registry.stake(amount, {"from": p})
            self.books[p.address]["free"] += amount
        self._step()

    @rule(who=who, amount=amount)
    def rule_request_unstake(self, who, amount):
        p = self.providers[who]
        book = self.books[p.address]
        if amount == 0 or amount > book["free"]:
            with brownie.reverts(revert_pattern="ProviderRegistry_(ZeroAmount|InsufficientFreeStake)(: .*)?"):
                self.registry.requestUnstake(amount, {"from": p})
        else:
            tx = self.registry.requestUnstake(amount, {"from": p})
            book["free"] -= amount
            book["unbonding"] += amount
            book["requested_at"] = brownie.chain[tx.block_number].timestamp
        self._step()

    @rule(who=who)
    def rule_withdraw_unstaked(self, who):
        p = self.providers[who]
        book = self.books[p.address]
        if book["unbonding"] == 0:
            with brownie.reverts(revert_pattern="ProviderRegistry_NothingUnbonding(: .*)?"):
                self.registry.withdrawUnstaked({"from": p})
        else:
            try:
                tx = self.registry.withdrawUnstaked({"from": p})
            except brownie.exceptions.VirtualMachineError as error:
                assert error.revert_msg.startswith("ProviderRegistry_UnbondingNotReady")
                assert brownie.chain[-1].timestamp < book["requested_at"] + UNBONDING
            else:
                # Invariant 8: nothing leaves before a full unbonding period after the latest request.
                assert brownie.chain[tx.block_number].timestamp >= book["requested_at"] + UNBONDING
                assert tx.events["UnstakeWithdrawn"]["amount"] == book["unbonding"]
                book["unbonding"] = 0
        self._step()

    @precondition(lambda self: len(self.offers) < MAX_OFFERS)
    @rule(who=who, units=units)
    def rule_add_offer(self, who, units):
        p = self.providers[who]
        offered = units + 1
        tx = self.registry.addOffer(self.h100, offered, USD, 30 * DAY, {"from": p})
        offer_id = tx.events["OfferAdded"]["offerId"]
        self.offers.append({"id": offer_id, "provider": p.address, "units": offered, "in_use": 0, "removed": False})
        self._step()

    @precondition(lambda self: self.offers)
    @rule(index=index, units=units)
    def rule_update_offer(self, index, units):
        o = self.offers[index % len(self.offers)]
        if o["removed"]:
            pattern = "ProviderRegistry_OfferRemoved(: .*)?"
        elif units == 0:
            pattern = "ProviderRegistry_InvalidUnits(: .*)?"
        elif units < o["in_use"]:
            pattern = "ProviderRegistry_UnitsBelowInUse(: .*)?"
        else:
            pattern = None
        if pattern:
            with brownie.reverts(revert_pattern=pattern):
                self.registry.updateOffer(o["id"], units, USD, 30 * DAY, {"from": o["provider"]})
        else:
            self.registry.updateOffer(o["id"], units, USD, 30 * DAY, {"from": o["provider"]})
            o["units"] = units
        self._step()

    @precondition(lambda self: self.offers)
    @rule(index=index)
    def rule_remove_offer(self, index):
        o = self.offers[index % len(self.offers)]
        if o["removed"]:
            with brownie.reverts(revert_pattern="ProviderRegistry_OfferRemoved(: .*)?"):
                self.registry.removeOffer(o["id"], {"from": o["provider"]})
        else:
            self.registry.removeOffer(o["id"], {"from": o["provider"]})
            o["removed"] = True
        self._step()

    # ------------------------------------------------------------------ market rules

    @precondition(lambda self: self.offers)
    @rule(index=index, units=units)
    def rule_try_reserve(self, index, units):
        o = self.offers[index % len(self.offers)]
        book = self.books[o["provider"]]
        terms = make_terms(self.tenant, units=units)
        reason = self.registry.checkMatch(o["id"], terms)
        tx = self.registry.tryReserve(o["id"], terms, {"from": self.market})
        collateral = units * COLLATERAL
        if reason != NONE:
            assert "CollateralLocked" not in tx.events
        if o["removed"]:
            assert reason != NONE
        elif units == 0 or o["in_use"] + units > o["units"]:
            assert reason == UNITS_UNAVAILABLE
        elif collateral > book["free"]:
            assert reason == STAKE_INSUFFICIENT
        else:
            assert reason == NONE
            assert tx.events["CollateralLocked"]["collateral"] == collateral
            book["free"] -= collateral
            book["locked"] += collateral
            o["in_use"] += units
            self.matches.append((o["provider"], self.offers.index(o), units, collateral))
        self._step()

    @precondition(lambda self: self.matches)
    @rule(index=index)
    def rule_release(self, index):
        provider, offer_index, units, collateral = self.matches.pop(index % len(self.matches))
        o = self.offers[offer_index]
        self.registry.release((provider, o["id"], units, collateral), 1, 0, {"from": self.market})
        self.books[provider]["locked"] -= collateral
        self.books[provider]["free"] += collateral
        o["in_use"] -= units
        self._step()

    @precondition(lambda self: self.matches)
    @rule(index=index, amount=amount, reason=reason)
    def rule_slash(self, index, amount, reason):
        provider, offer_index, units, collateral = self.matches.pop(index % len(self.matches))
        o = self.offers[offer_index]
        book = self.books[provider]
        order = (amount, reason, self.treasury.address if reason == 2 else provider, self.tenant.address)
        tx = self.registry.slash((provider, o["id"], units, collateral), order, {"from": self.market})

        slashed = min(amount, collateral + book["free"] + book["unbonding"])
        from_locked = min(slashed, collateral)
        from_free = min(slashed - from_locked, book["free"])
        from_unbonding = slashed - from_locked - from_free
        book["locked"] -= collateral
        book["free"] += collateral - from_locked - from_free
        book["unbonding"] -= from_unbonding
        o["in_use"] -= units

        event = tx.events["ProviderSlashed"]
        assert event["slashed"] == slashed
        # Invariant 7: the split adds up; a self-report pays the provider nothing.
        assert event["toWhistleblower"] + event["toTenant"] + event["toTreasury"] == slashed
        if order[2] == provider:
            assert event["toWhistleblower"] == 0
        self._step()

    @rule(seconds=seconds)
    def rule_move_time(self, seconds):
        brownie.chain.sleep(seconds)
        self._step()

    # ------------------------------------------------------------------ invariants

    @invariant()
    def invariant_stake_is_conserved(self):
        on_chain_sum = 0
        for p in self.providers:
            facts = self.registry.provider(p)
            book = self.books[p.address]
            assert (facts["freeStake"], facts["lockedStake"], facts["unbondingStake"]) == (
                book["free"],
                book["locked"],
                book["unbonding"],
            )
            on_chain_sum += facts["freeStake"] + facts["lockedStake"] + facts["unbondingStake"]
        ghost_sum = sum(b["free"] + b["locked"] + b["unbonding"] for b in self.books.values())
        assert on_chain_sum == ghost_sum == self.registry.totalStake() == self.token.balanceOf(self.registry)

    @invariant()
    def invariant_locked_and_units_within_bounds(self):
        for p in self.providers:
            facts = self.registry.provider(p)
            assert facts["lockedStake"] <= facts["freeStake"] + facts["lockedStake"] + facts["unbondingStake"]
            assert facts["lockedStake"] == sum(m[3] for m in self.matches if m[0] == p.address)
        for o in self.offers:
            offer = self.registry.offer(o["id"])
            assert offer["unitsInUse"] <= offer["units"]
            assert offer["unitsInUse"] == o["in_use"]


def test_registry_invariants_hold_under_random_sequences(
    chain, registry, token, market_caller, tenant, treasury, provider, provider2, h100
):
    providers = (provider, provider2)
    for p in providers:
        registry.registerProvider(EU_WEST, METADATA_URI, {"from": p})
        token.mint(p, 10**30, {"from": p})
        token.approve(registry, 2**256 - 1, {"from": p})
    chain.snapshot()

    RegistryMachine.registry = registry
    RegistryMachine.token = token
    RegistryMachine.market = market_caller
    RegistryMachine.tenant = tenant
    RegistryMachine.treasury = treasury
    RegistryMachine.providers = providers
    RegistryMachine.h100 = h100
    RegistryMachine.steps = 0
    run_state_machine_as_test(
        RegistryMachine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None, derandomize=True)
    )
    print(f"stateful registry: {RegistryMachine.steps} steps")
    assert RegistryMachine.steps >= MIN_STEPS, RegistryMachine.steps
