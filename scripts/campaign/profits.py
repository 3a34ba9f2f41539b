"""Ghost books of each cheating class's profit against honest play, and the "cheating loses" check.

Each cheating class (handlers/cheaters.py) acts through accounts used for its cheating alone, and
the books sum the tokens that go in and out of the class because of its cheating, against what
honest play would have brought it (the counterfactual), event by event as the walk folds them:

- tenant on edge terms, its second account expiring (per matched request): the change of the two
  accounts' wealth (balance, credits, what is in flight and would come back), plus what they paid
  for results actually delivered: an honest tenant's trade is token-neutral, it pays for what it gets;
  less the compensation a slash paid it on terms an honest provider's realistic policy takes (a
  result timeout of `REALISTIC_SETUP` or more): a solver that lies or is late on such terms is
  slashed whoever the tenant is, and an honest tenant on the same terms is compensated alike, so
  only the compensation on terms below it (which only an unrealistic policy takes) is the edge's;
- a provider whose second account challenges and expires (per cheating move): a challenge of its own
  lease books the bond out and back and the slash less the finder's share it keeps (honest play: no
  challenge, no slash); its own late job expired books the finder's share it keeps (honest play: a
  third party expires it and takes that share);
- solver abandoning what its second account disputes (per abandoned dispute): the bond out and
  back, the verifier's forfeited share it takes, the slash less the finder's share, and less the pay
  the honest result would have earned (honest play: the result finalizes);
- matcher steering to the dearest feasible offer (per steered match): what its tenants pay above
  the cheapest feasible offer over the lease's term, as far as the lease's balance buys it
  (MatcherBonds' `_overpaid`; the dearest provider's gain), less what the match watchers' won
  challenges of the steered leases (MatcherBonds.challengeMatch: a rational watcher challenges each
  one it can win at once, matcher_bonds.py `_watch_steered`) take from the steering matcher's bond.

A class **profits** when what it booked against honest play is above zero. The honest actors'
own profit (the change of their wealth) is printed beside, for reference. Reported in the
summary, and an invariant (`CHEATING_MUST_LOSE`, constants.py, on since issue 18: a class that
profits at the end of a walk is a violation); `scripts.fuzz --no-cheating-must-lose` only reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from scripts.campaign.constants import REALISTIC_SETUP, ZERO
from scripts.campaign.enums import BPS, SOLVER_WON
from scripts.campaign.failures import Violation
from scripts.campaign.model import Job

EDGE = "tenant on edge terms, second account expiring"
SYBIL = "provider, second account challenging its leases and expiring its jobs"
ABANDON = "solver abandoning the disputes its second account opens"
STEER = "matcher steering tenants to the dearest feasible offer"
UNITS = {
    EDGE: ("edge requests matched", "matched request"),
    SYBIL: ("sybil moves", "cheating move"),
    ABANDON: ("disputes to abandon", "abandoned dispute"),
    STEER: ("steered matches", "steered match"),
}


@dataclass
class ClassProfit:
    name: str
    gain: int  # booked against honest play, in token units
    units: int
    unit: str

    @property
    def per_unit(self) -> float:
        return self.gain / self.units if self.units else 0.0

    @property
    def profits(self) -> bool:
        """Cheating brought the class more than honest play would have."""
        return self.units > 0 and self.gain > 0


class Profits:
    """The profit books and the cheating report (a mixin of Campaign)."""

    def _start_profits(self) -> None:
        self.gains: Counter = Counter()  # class -> booked against honest play (all but EDGE)
        self.edge_delivered = 0  # what the edge tenant paid for results it got
        self.edge_remedies = 0  # slash compensation on its consented terms, which honest play gets too
        self.burnt_verifier_bonds = 0  # honest verifiers' bonds forfeited in abandoned disputes
        self.steered: set[int] = set()  # the steered leases' ids
        self._wealth0 = self._wealths()

    # ----------------------------------------------------------------- folding the cheats

    def _book_cheating(self, name: str, e) -> None:
        """Books one event against honest play, before the books fold it (it reads the state before)."""
        g = self.gains
        sybil, alt = self.sybil.address, self.solver_alt.address
        subject = self._subject
        edge_job = isinstance(subject, Job) and subject.tenant == self.edge_tenant.address
        if name == "ProviderSlashed" and edge_job and subject.terms.result_timeout >= REALISTIC_SETUP:
            # Terms an honest provider's realistic policy consents to: the slash of a lying or late
            # solver compensates any tenant so, an honest one on the same terms too. Not the edge's.
            self.edge_remedies += e["toTenant"]
        if name == "ProviderSlashed":
            finder = self._slash_order[1]
            if finder == sybil:
                # A late job: a third party would have expired it and taken the finder's share.
                # A lease: no challenge, no slash at all.
                g[SYBIL] += e["toWhistleblower"] - (0 if isinstance(self._subject, Job) else e["slashed"])
            elif e["provider"] == self.abandoning and finder == alt:
                g[ABANDON] += e["toWhistleblower"] - e["slashed"]
        elif name == "LivenessChallenged" and e["challenger"] == sybil:
            g[SYBIL] -= e["bond"]
        elif name == "LivenessAnswered" and self.orders[e["leaseId"]].challenger == sybil:
            g[SYBIL] += e["bond"]  # to the provider, or back to the sybil as the lease's tenant
        elif name == "LivenessResolved" and e["challenger"] == sybil:
            g[SYBIL] += e["bondReturned"]
        elif name == "DisputeOpened" and e["challenger"] == alt:
            g[ABANDON] -= e["bond"]
        elif name in ("DisputeResolved", "VerifierBondForfeited", "ChallengerBondForfeited"):
            job = self.jobs[e["jobId"]]
            if not (job.abandoned and job.challenger == alt):
                return
            if name == "VerifierBondForfeited":
                g[ABANDON] += e["toChallenger"]
                self.burnt_verifier_bonds += job.verifier_bond
            elif name == "ChallengerBondForfeited":
                g[ABANDON] += e["toSolver"]
            elif e["result"] != SOLVER_WON:
                fees = self.params["protocolFeeBps"] + self.params["verifierFeeBps"]
                g[ABANDON] += job.bond - (job.escrow - job.escrow * fees // BPS)
        elif name == "MatchChallenged" and e["leaseId"] in self.steered:
            # A steered match challenged: the bond it costs the steering ring (the tenant's refund
            # of its overpayment included, which the overpayment booked at the match counted). Not
            # a challenge of another match of matcher2's (one it made as any matcher, unsteered).
            g[STEER] -= e["toTenant"] + e["toChallenger"] + e["toTreasury"]
        elif name == "JobFinalized" and self.jobs[e["jobId"]].tenant == self.edge_tenant.address:
            self.edge_delivered += e["toProvider"] + e["protocolFee"] + e["verifierLevy"]

    # ----------------------------------------------------------------- wealth

    def _wealths(self) -> dict[str, int]:
        """Every tracked account's wealth, marked to market from the ghost books."""
        wealth: dict[str, int] = defaultdict(int, {address: self.ledger[address] for address in self._tracked()})
        for (_, account), amount in self.credits.items():
            wealth[account] += amount
        for address, p in self.providers.items():
            wealth[address] += p.free + p.locked + p.unbonding
        for i in self.live_orders:
            o = self.orders[i]
            if o.state == "open":
                wealth[o.tenant] += o.deposit
                continue
            # A challenged or liveness-terminated lease streams no further than the challenge.
            accrued = self._accrued(o, o.challenged_at if o.challenger != ZERO or o.terminated else self.ts)
            wealth[o.tenant] += o.escrow - accrued
            wealth[o.provider] += accrued - o.withdrawn
            wealth[o.challenger] += o.bond
        for i in self.live_jobs:
            j = self.jobs[i]
            wealth[j.tenant] += j.escrow
            wealth[j.verifier] += j.verifier_bond  # a claimant's, held until the job settles
            wealth[j.challenger] += j.bond
        return wealth

    def _profit(self, wealth: dict[str, int], accounts: list[str]) -> int:
        return sum(wealth.get(a, 0) - self._wealth0.get(a, 0) for a in accounts)

    def honest_profits(self) -> dict[str, int]:
        """The other actors' own profit (wealth now less at set-up), for reference beside the cheaters'.
        Providers are the four of the walk, each sometimes served by the second account."""
        wealth = self._wealths()
        return {
            "tenants": self._profit(wealth, [t.address for t in self.tenants]),
            "providers": self._profit(wealth, list(self.providers)),
            "matcher": self._profit(wealth, [self.matcher.address]),
            "verifiers": self._profit(wealth, [v.address for v in self.verifiers]),
        }

    # ----------------------------------------------------------------- the report

    def class_profits(self) -> list[ClassProfit]:
        """Each cheating class's profit against honest play, from the ghost books now."""
        edge = [self.edge_tenant.address, self.edge_expirer.address]
        self.stats.cheats["edge requests matched"] = sum(
            o.tenant == self.edge_tenant.address and o.state == "job" for o in self.orders.values()
        )
        self.stats.cheats["sybil moves"] = sum(
            self.stats.cheats[m] for m in ("sybil challenges", "sybil expiries", "sybil resolutions")
        )
        gains = dict(self.gains)
        gains[EDGE] = self._profit(self._wealths(), edge) + self.edge_delivered - self.edge_remedies
        gains[STEER] = gains.get(STEER, 0) + self.steering
        return [
            ClassProfit(name, gains.get(name, 0), self.stats.cheats[counter], unit)
            for name, (counter, unit) in UNITS.items()
        ]

    def check_cheating_loses(self) -> None:
        """The "cheating loses" check as an invariant: raises on any class that profits."""
        paying = [c.name for c in self.class_profits() if c.profits]
        if paying:
            raise Violation(f"cheating profits against honest play: {'; '.join(paying)}")
