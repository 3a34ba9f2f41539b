"""The ten invariants of PROTOCOL.md §7, checked after every step against the model of the books.

`Invariants._check_invariants` reads every view it needs in one JSON-RPC batch and compares;
`_check_gas` (invariant 10) runs on every successful transaction. docs/campaign.md has the table
of what each check compares.
"""

from __future__ import annotations

from collections import Counter

from scripts.campaign.chain import read_batch
from scripts.campaign.constants import GAS_BASELINE, GAS_SLACK, GAS_TOLERANCE
from scripts.campaign.enums import (
    J_DISPUTED,
    J_EXPIRED,
    J_FINALIZABLE,
    J_FINALIZED,
    J_LATE,
    J_MATCHED,
    J_SLASHED,
    J_SUBMITTED,
    J_VOIDED,
    L_ACTIVE,
    L_CLOSED,
    L_EXPIRED,
    L_INSOLVENT,
    L_TERMINATED,
    R_CANCELLED,
    R_EXPIRED,
    R_MATCHED,
    R_OPEN,
)
from scripts.campaign.failures import require
from scripts.campaign.model import Job, Order

# Status moves allowed between two observations (staying put is always allowed): invariant 5.
# Observations are one step apart, and a step may both move the clock and send a transaction,
# so the allowed moves are the transitive closure of the documented machine.


def _closure(moves: dict[int, set[int]]) -> dict[int, set[int]]:
    closed = {status: set(targets) for status, targets in moves.items()}
    changed = True
    while changed:
        changed = False
        for targets in closed.values():
            reachable = set().union(*(closed[t] for t in targets)) if targets else set()
            if not reachable <= targets:
                targets |= reachable
                changed = True
    return closed


REQUEST_MOVES = {
    R_OPEN: {R_EXPIRED, R_MATCHED, R_CANCELLED},
    R_EXPIRED: {R_CANCELLED},
    R_MATCHED: set(),
    R_CANCELLED: set(),
}
LEASE_MOVES = {
    L_ACTIVE: {L_EXPIRED, L_INSOLVENT, L_CLOSED, L_TERMINATED},
    L_INSOLVENT: {L_EXPIRED, L_CLOSED, L_TERMINATED},
    L_EXPIRED: {L_CLOSED, L_TERMINATED},
    L_CLOSED: set(),
    L_TERMINATED: set(),
}
JOB_TERMINAL = {J_FINALIZED, J_EXPIRED, J_SLASHED, J_VOIDED}
JOB_MOVES = {
    J_MATCHED: {J_LATE, J_SUBMITTED},
    J_LATE: {J_EXPIRED},
    J_SUBMITTED: {J_FINALIZABLE, J_DISPUTED},
    J_FINALIZABLE: {J_FINALIZED},
    J_DISPUTED: {J_SUBMITTED, J_SLASHED, J_VOIDED},
    **{status: set() for status in JOB_TERMINAL},
}
REQUEST_MOVES, LEASE_MOVES, JOB_MOVES = _closure(REQUEST_MOVES), _closure(LEASE_MOVES), _closure(JOB_MOVES)


class Invariants:
    """The checks, on the books (a mixin of Campaign)."""

    def _check_invariants(self) -> None:
        self.stats.checks += 1
        owed = self._owed()
        contracts = list(owed)
        accounts = sorted(a for a in self._touched if isinstance(a, str) and a in self.ledger and a not in owed)
        providers = sorted((self._touched & set(self.providers)) | {self.rng.choice(list(self.providers))})
        if self.offers:
            self._touched.add(-self.rng.choice(list(self.offers)))
        offers = sorted(self._touched_offers)
        settled = self._recent_settled()
        order_ids = sorted(self.live_orders) + [i for kind, i in settled if kind in ("lease", "request")]
        job_ids = sorted(self.live_jobs) + [i for kind, i in settled if kind == "job"]
        orders = [self.orders[i] for i in order_ids if self.orders[i].state in ("open", "cancelled", "lease")]
        credit_keys = set(self._touched_credits)
        if self.credits:
            credit_keys.add(self.rng.choice(sorted(self.credits)))
        credit_keys = sorted(credit_keys)

        calls = [(self.token.balanceOf, a) for a in contracts + accounts]
        calls.append((self.registry.totalStake,))
        calls += [(self.registry.provider, p) for p in providers]
        calls += [(self.registry.offer, o) for o in offers]
        calls += [(self.market.statusOf if o.state == "lease" else self.market.requestStatusOf, o.id) for o in orders]
        calls += [(self.jm.statusOf, i) for i in job_ids]
        calls += [(self.owing[contract].creditOf, account) for contract, account in credit_keys]
        calls += [(self.owing[contract].accruedFees,) for contract in self._fee_contracts()]
        matchers = sorted(self.matcher_bonds)
        calls += [(self.bonds.bondOf, m) for m in matchers]
        calls.append((self.token.paused,))
        values = iter(read_batch(calls))

        # Invariant 1: each contract holds what it owes: exactly, plus what was donated to it.
        for address in contracts:
            balance = next(values)
            name = self.contracts[address]
            require(balance == self.ledger[address], f"{name} balance {balance}, ledger {self.ledger[address]}")
            require(
                balance == owed[address] + self.donations[address],
                f"{name} holds {balance}, owes {owed[address]} + donated {self.donations[address]}",
            )
        # Every account a step paid or charged holds what the ghost ledger says.
        for address in accounts:
            balance = next(values)
            require(balance == self.ledger[address], f"{address} balance {balance}, ledger {self.ledger[address]}")
        # Invariant 3: Σ buckets == recorded total == tokens held (less donations).
        total = next(values)
        require(total == self._stake(), f"totalStake {total}, ghost {self._stake()}")
        running = list(self._running_matches())
        for address in providers:
            p = self.providers[address]
            chain = next(values)
            free, locked, unbonding = chain[1], chain[2], chain[3]
            require(
                (free, locked, unbonding) == (p.free, p.locked, p.unbonding),
                f"provider {address[:10]} stake {(free, locked, unbonding)}, ghost {(p.free, p.locked, p.unbonding)}",
            )
            # Paid leases and jobs are counted (issue 12, property 9); answers are uptime.
            facts = (chain[7], chain[9], chain[10])  # leasesCompleted, jobsFinalized, livenessAnswered
            ghost = (p.leases_counted, p.jobs_counted, p.answered)
            require(facts == ghost, f"provider {address[:10]} leases, jobs, answers {facts}, ghost {ghost}")
            # Invariant 4: locked collateral is exactly what its running matches hold, and ≤ stake.
            held = sum(m.collateral for m in running if m.provider == address)
            require(locked == held and locked <= free + locked + unbonding, f"locked {locked}, running matches {held}")
        for offer_id in offers:
            o = self.offers[offer_id]
            in_use = next(values)[2]
            held = sum(m.units for m in running if m.offer == offer_id)
            require(
                in_use == o.in_use == held and in_use <= o.units,
                f"offer {offer_id} in use {in_use}, ghost {o.in_use}/{held} of {o.units}",
            )
        # Invariants 2 and 5: status moves along the machine; payouts within deposits, exact at the end.
        for o in orders:
            self._check_order(o, next(values))
        for i in job_ids:
            self._check_job(self.jobs[i], next(values))
        # Credits: each account's credit on each contract is what the model credited and not yet
        # claimed (their sum is in invariant 1's "owes" above).
        for contract, account in credit_keys:
            credit, ghost = next(values), self.credits[(contract, account)]
            require(credit == ghost, f"{self.contracts[contract]}.creditOf({account[:10]}) {credit}, ghost {ghost}")
        # Protocol fees: each market's accrual is what the model accrued since its last sweep (in
        # invariant 1's "owes" above too).
        for contract in self._fee_contracts():
            accrued = next(values)
            require(
                accrued == self.fees[contract],
                f"{self.contracts[contract]}.accruedFees() {accrued}, ghost {self.fees[contract]}",
            )
        # Matcher bonds: each is what the model booked (a refused match challenge took nothing; a won
        # one exactly its award). Their sum is in invariant 1's "owes" for MatcherBonds above.
        for matcher in matchers:
            bond = next(values)[0]
            require(
                bond == self.matcher_bonds[matcher],
                f"bond of {matcher[:10]} {bond}, ghost {self.matcher_bonds[matcher]}",
            )
        paused = next(values)
        require(paused == self.token_paused, f"token paused {paused}, model {self.token_paused}")

    @property
    def _touched_offers(self) -> set[int]:
        return {-o for o in self._touched if isinstance(o, int) and o < 0}

    @property
    def _touched_ids(self) -> set[int]:
        return {o for o in self._touched if isinstance(o, int) and o >= 0}

    def _recent_settled(self) -> list[tuple[str, int]]:
        """This step's settlements and two older ones drawn at random: terminal states never move."""
        recent = list(self.settled)
        picks = [recent[self.rng.randrange(len(recent))] for _ in range(2)] if recent else []
        return [s for s in recent if s[1] in self._touched_ids] + picks

    def _check_order(self, o: Order, status: int) -> None:
        if o.state in ("open", "cancelled"):
            require(status == o.seen or status in REQUEST_MOVES[o.seen], f"request {o.id} moved {o.seen} -> {status}")
            model = R_CANCELLED if o.state == "cancelled" else (R_EXPIRED if self.ts > o.deadline else R_OPEN)
            require(status == model, f"request {o.id} status {status}, model {model}")
            o.seen = status
            require(o.paid_out == (o.deposited if o.state == "cancelled" else 0), f"request {o.id} paid {o.paid_out}")
            return
        require(
            status == o.lease_seen or status in LEASE_MOVES[o.lease_seen],
            f"lease {o.id} moved {o.lease_seen} -> {status}",
        )
        model = self._lease_status(o, self.ts)
        require(status == model, f"lease {o.id} status {status}, model {model}")
        o.lease_seen = status
        require(o.paid_out <= o.deposited, f"lease {o.id} paid {o.paid_out} of {o.deposited}")
        if o.closed:
            require(o.paid_out == o.deposited, f"closed lease {o.id} paid {o.paid_out} of {o.deposited}")

    def _check_job(self, j: Job, status: int) -> None:
        require(status == j.seen or status in JOB_MOVES[j.seen], f"job {j.id} moved {j.seen} -> {status}")
        model = self._job_status(j)
        require(status == model, f"job {j.id} status {status}, model {model}")
        j.seen = status
        require(j.paid_out <= j.escrow, f"job {j.id} paid {j.paid_out} of {j.escrow}")
        if j.terminal:
            require(j.paid_out == j.escrow, f"settled job {j.id} paid {j.paid_out} of {j.escrow}")

    def _check_gas(self, name: str, tx) -> None:
        """Invariant 10: the gas of an operation kind does not grow as leases, offers and jobs pile up."""
        # A first credit of an account, or the first fee after a sweep, writes a fresh storage slot
        # (20,000 gas more than adding to one): how many the call wrote is part of its kind. A skipped
        # pair or lease costs what the checks before its reason cost: the reason is part of the kind too.
        # A batch close's size is in the kind through its count of LeaseClosed and CloseSkipped.
        events = Counter(
            f"{e.name}:{e['reason']}" if e.name in ("MatchSkipped", "CloseSkipped") else e.name for e in tx.events
        )
        kind = (name, self._gas_tag, tuple(sorted(events.items())), self._fresh_credits, self._fresh_fees)
        base = self.gas_base[kind]
        if len(base) < GAS_BASELINE:
            base.append(tx.gas_used)
            return
        ceiling = int(max(base) * GAS_TOLERANCE) + GAS_SLACK
        require(tx.gas_used <= ceiling, f"gas of {kind} grew to {tx.gas_used} from at most {max(base)}")
        worst = self.gas_worst.get(kind)
        if worst is None or tx.gas_used - max(base) > worst[0]:
            self.gas_worst[kind] = (tx.gas_used - max(base), max(base))
