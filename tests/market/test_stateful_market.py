"""Stateful test over the whole lease market (PROTOCOL.md §7 invariants 1, 2, 5, 6, 7).

Random create / cancel / match / top-up / withdraw / close / challenge / respond / resolve with
time moves; after every step the market's token balance must equal what it owes, every lease's
payouts stay within its deposits and only grow, statuses move only along the documented machine,
a settled lease refuses a second settle, and every slash splits exactly.
"""

import random

import brownie

from helpers import ZERO_ADDRESS as ZERO
from helpers import liveness_answer
from market.support import (
    ACTIVE,
    CLOSED,
    EXPIRED,
    INSOLVENT,
    L_NULL,
    LIVENESS_SPACING,
    LIVENESS_WINDOW,
    MATCH_FEE,
    OFFER_PRICE,
    R_MATCHED,
    R_OPEN,
    SETTLE_BOUNTY,
    TERMINATED,
    order,
    spec,
)

# Actions that went through, over all runs: proves the machine reaches every branch it claims to.
DONE = {}
# Lease status moves allowed between two observations (same status always allowed).
ALLOWED = {
    L_NULL: {ACTIVE},
    ACTIVE: {EXPIRED, INSOLVENT, CLOSED, TERMINATED},
    INSOLVENT: {EXPIRED, CLOSED, TERMINATED},
    EXPIRED: {CLOSED, TERMINATED},
    CLOSED: set(),
    TERMINATED: set(),
}


# Argument ranges of the rules.
ARGS = {
    "st_hours": (1, 30),
    "st_duration_hours": (1, 24),
    "st_pick": (0, 5),
    "st_amount": (1, 50_000_000),
    "st_seconds": (1, 2 * 3600),
    "st_who": (0, 3),
}
RUNS = 6
SWEEP_RATE = 0.1  # a fee sweep after this share of the steps
STEPS_PER_RUN = 55


class MarketMachine:
    """Rules and invariants, driven by a seeded random walk (brownie 1.22's compiled
    `state_machine` refuses machines defined outside brownie, and hypothesis' own runner spent
    most steps on empty examples). Every run starts from the same chain snapshot."""

    def __init__(self, market, token, registry, funded, stranger, provider, provider2, matcher, offers, treasury):
        brownie.chain.revert()
        self.market, self.token, self.registry = market, token, registry
        self.tenant, self.stranger, self.matcher = funded, stranger, matcher
        self.offers = offers
        self.ids = []
        self.deposited = {}  # id -> deposit + top-ups
        self.paid_out = {}  # id -> match fee + provider + fee + refund + bounty (ghost, from events)
        self.provider_paid = {}
        self.status = {}
        self.slashes = 0
        self.fees = 0  # ghost of the fees accrued since the last sweep, from events
        self.treasury = treasury

    # ------------------------------------------------------------- helpers

    def _pick(self, pick):
        # Mostly the newest few ids: old ones are usually settled already.
        return self.ids[-1 - pick % min(3, len(self.ids))] if self.ids else None

    def _who(self, who, lease_id):
        record = order(self.market, lease_id)
        return (
            self.tenant,
            self.stranger,
            record["provider"] if record["provider"] != ZERO else self.stranger,
            self.matcher,
        )[who]

    def _try(self, fn, *args):
        try:
            tx = fn(*args)
        except brownie.exceptions.VirtualMachineError:
            return None
        DONE[fn.abi["name"]] = DONE.get(fn.abi["name"], 0) + 1
        return tx

    def _account_close(self, tx):
        # brownie's EventDict has no .get
        for event in tx.events["LeaseClosed"] if "LeaseClosed" in tx.events else []:  # noqa: SIM401
            lid = event["leaseId"]
            self.paid_out[lid] += event["paid"] + event["fee"] + event["refunded"] + event["bounty"]
            self.provider_paid[lid] += event["paid"] + event["fee"]
            self.fees += event["fee"]
            with brownie.reverts():
                self.market.closeLease(lid, {"from": self.tenant})  # invariant 6
        if "ProviderSlashed" in tx.events:
            for s in tx.events["ProviderSlashed"]:
                assert s["slashed"] == s["toWhistleblower"] + s["toTenant"] + s["toTreasury"]  # invariant 7
                if s["provider"] == event_challenger(tx):
                    assert s["toWhistleblower"] == 0
                self.slashes += 1

    # ------------------------------------------------------------- rules

    def init_market(self):
        """Every run starts with two running leases and one open request to act on."""
        self.rule_create_and_match(10, 12, 0)
        self.rule_create_and_match(3, 24, 1)
        self.rule_create(5, 6)

    def rule_create(self, st_hours, st_duration_hours):
        deposit = MATCH_FEE + SETTLE_BOUNTY + OFFER_PRICE * 2 * st_hours
        tx = self.market.createRequest(
            spec(maxPricePerUnitHour=OFFER_PRICE, maxDurationSeconds=st_duration_hours * 3600),
            deposit,
            {"from": self.tenant},
        )
        rid = tx.return_value
        self.ids.append(rid)
        self.deposited[rid] = deposit
        self.paid_out[rid] = 0
        self.provider_paid[rid] = 0

    def rule_create_and_match(self, st_hours, st_duration_hours, st_pick):
        self.rule_create(st_hours, st_duration_hours)
        self.rule_match(st_pick * 3)

    def rule_cancel(self, st_pick, st_who):
        rid = self._pick(st_pick)
        if rid is None:
            return
        tx = self._try(self.market.cancelRequest, rid, {"from": (self.tenant, self.stranger)[st_who % 2]})
        if tx is not None:
            self.paid_out[rid] += tx.events["RequestCancelled"][0]["refunded"]

    def rule_match(self, st_pick):
        rid = self._pick(st_pick)
        if rid is None:
            return
        tx = self.market.matchRequests([(rid, self.offers[st_pick % 2])], {"from": self.matcher})
        if "LeaseStarted" in tx.events:
            self.paid_out[rid] += MATCH_FEE

    def rule_top_up(self, st_pick, st_amount):
        rid = self._pick(st_pick)
        if rid is None:
            return
        if self._try(self.market.topUp, rid, st_amount, {"from": self.stranger}) is not None:
            self.deposited[rid] += st_amount

    def rule_withdraw(self, st_pick):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        tx = self._try(self.market.withdrawEarnings, rid, {"from": order(self.market, rid)["provider"]})
        if tx is not None:
            e = tx.events["EarningsWithdrawn"][0]
            self.paid_out[rid] += e["amount"] + e["fee"]
            self.provider_paid[rid] += e["amount"] + e["fee"]
            self.fees += e["fee"]

    def rule_close(self, st_pick, st_who):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        tx = self._try(self.market.closeLease, rid, {"from": self._who(st_who, rid)})
        if tx is not None:
            self._account_close(tx)

    def rule_reclaim(self, st_pick):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        self._try(self.market.requestReclaim, rid, {"from": order(self.market, rid)["provider"]})

    def rule_challenge(self, st_pick, st_who):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        # Move time to the first moment a challenge is allowed, so the rule rarely idles.
        record = order(self.market, rid)
        earliest = (record["challengedAt"] or record["startTime"]) + LIVENESS_SPACING
        if brownie.chain[-1].timestamp < earliest:
            _sleep(earliest - brownie.chain[-1].timestamp)
        self._try(self.market.challengeLiveness, rid, {"from": self._who(st_who % 3, rid)})

    def rule_respond(self, st_pick):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        answer = liveness_answer(self.market, rid)
        self._try(self.market.respondLiveness, rid, answer.answer, {"from": order(self.market, rid)["provider"]})

    def rule_resolve(self, st_pick):
        rid = self._pick(st_pick)
        if rid is None or self.market.statusOf(rid) == L_NULL:
            return
        record = order(self.market, rid)
        if record["challenger"] != ZERO:
            _sleep(max(0, record["challengedAt"] + LIVENESS_WINDOW - brownie.chain[-1].timestamp))
        tx = self._try(self.market.resolveLiveness, rid, {"from": self.matcher})
        if tx is not None:
            self._account_close(tx)

    def rule_sleep(self, st_seconds):
        _sleep(st_seconds)

    def sweep(self):
        """Not a rule: drawn from its own stream (see the test), so the rules' walk stays as it was."""
        before = self.token.balanceOf(self.treasury)
        tx = self._try(self.market.sweepFees, {"from": self.stranger})
        if tx is None:
            assert self.fees == 0
            return
        assert tx.events["FeesSwept"][0]["amount"] == self.fees
        assert self.token.balanceOf(self.treasury) - before == self.fees
        self.fees = 0

    # ------------------------------------------------------------- invariants

    def invariant_balance_covers_what_is_owed(self):
        DONE["steps"] = DONE.get("steps", 0) + 1
        owed = 0
        for rid in self.ids:
            record = order(self.market, rid)
            if record["status"] == R_OPEN:
                owed += record["escrow"]
            elif record["status"] == R_MATCHED and record["closeReason"] == 0:
                owed += record["escrow"] - record["withdrawn"]
            owed += record["challengeBond"] if record["challenger"] != ZERO else 0
        assert self.market.accruedFees() == self.fees
        # The matcher's match fees are credited, held by the market until claimed.
        assert self.token.balanceOf(self.market) == owed + self.fees + self.market.creditOf(self.matcher)

    def invariant_payouts_within_deposits_and_monotone(self):
        for rid in self.ids:
            assert self.paid_out[rid] <= self.deposited[rid]
            record = order(self.market, rid)
            assert record["withdrawn"] == self.provider_paid[rid]

    def invariant_status_moves_along_the_machine(self):
        for rid in self.ids:
            new = self.market.statusOf(rid)
            old = self.status.get(rid, L_NULL)
            assert new == old or new in ALLOWED[old], (rid, old, new)
            self.status[rid] = new


def _sleep(seconds):
    brownie.chain.sleep(seconds + 1)
    brownie.chain.mine()


def event_challenger(tx):
    return tx.events["LivenessResolved"][0]["challenger"] if "LivenessResolved" in tx.events else None


def test_stateful_market(
    market, token, registry, funded, stranger, provider, provider2, matcher, offer_id, offer2_id, treasury
):
    # Enough stake for every offer unit, so capacity never hides the lease paths.
    for p in (provider, provider2):
        token.mint(p, 10**12, {"from": p})
        token.approve(market, 2**256 - 1, {"from": p})
        registry.stake(100_000 * 10**6, {"from": p})
    brownie.chain.snapshot()
    rules = [name for name in dir(MarketMachine) if name.startswith("rule_")]
    invariants = [name for name in dir(MarketMachine) if name.startswith("invariant_")]
    for seed in range(RUNS):
        rng = random.Random(seed)
        machine = MarketMachine(
            market, token, registry, funded, stranger, provider, provider2, matcher, (offer_id, offer2_id), treasury
        )
        sweeps = random.Random(-1 - seed)
        machine.init_market()
        for step in range(STEPS_PER_RUN):
            name = rng.choice(rules)
            method = getattr(machine, name)
            params = method.__code__.co_varnames[1 : method.__code__.co_argcount]
            args = {p: rng.randint(*ARGS[p]) for p in params}
            try:
                method(**args)
                if sweeps.random() < SWEEP_RATE:
                    machine.sweep()
                for invariant in invariants:
                    getattr(machine, invariant)()
            except AssertionError as exc:
                raise AssertionError(f"seed {seed} step {step}: {name}({args}): {exc}") from exc
    assert DONE["steps"] >= 300
    for action in (
        "cancelRequest",
        "topUp",
        "withdrawEarnings",
        "closeLease",
        "challengeLiveness",
        "respondLiveness",
        "resolveLiveness",
        "sweepFees",
    ):
        assert DONE.get(action, 0) > 0, (action, DONE)
