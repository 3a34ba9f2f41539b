"""Actions on PayoutCredits and ProtocolFees, shared by the three contracts: any party claims its
credit, anyone sweeps a market's fees to the treasury."""

from __future__ import annotations

from scripts.campaign.functions import REFUSED


class PayoutActions:
    """Credit claims and fee sweeps (a mixin of Campaign)."""

    def act_claim_credit(self):
        """Any party claims its credit on any of the three contracts: exactly the credit, once;
        refused without one, and by the token while it still refuses the claimant."""
        roll = self.rng.random()
        # Mostly a credit its holder can claim now: a walk's credits pile up on blocked accounts
        # (a blocked treasury's slash shares), and a pick among all of them rarely finds one.
        # The matcher's match fees are always a credit (never transferred at the match); left out
        # here so they do not crowd out the refused payouts whose claims the walk exists to test.
        claimable = [
            k
            for k in sorted(self.credits)
            if self.credits[k] and not self._refuses(k[1]) and k[1] not in self._match_fee_takers
        ]
        # Guided: a credit on a contract whose claimCredit has not gone through yet, first.
        unclaimed = [k for k in claimable if not self.stats.ok[f"{self.contracts[k[0]]}.claimCredit"]]
        if unclaimed and roll < 0.6:
            contract, account = self.rng.choice(unclaimed)
        elif claimable and roll < 0.6:
            contract, account = self.rng.choice(claimable)
        elif self.credits and roll < 0.85:
            contract, account = self.rng.choice(sorted(self.credits))
        else:
            contract, account = self.rng.choice(sorted(self.owing)), self.rng.choice(sorted(self.parties))
        key = (contract, account)
        if not self.credits[key]:
            expect = {"Leasehold_NoCredit"}
        elif self._refuses(account):
            expect = REFUSED
        else:
            expect = set()  # must go through
        sender, target = self.claimants[account], self.owing[contract]
        if self._call(target, "claimCredit", (), sender, expect=expect):
            # Paid once: a second claim finds nothing.
            self._settle_again(target, "claimCredit", (), sender, "Leasehold_NoCredit")

    def act_sweep_fees(self):
        """Anyone sweeps a market's accrued fees to the current treasury: all of them, once;
        refused with none accrued, and by the token while it refuses the treasury (the fees wait)."""
        contracts = self._fee_contracts()
        # Guided: a market with fees whose sweep has not gone through yet, first.
        unswept = [c for c in contracts if self.fees[c] and not self.stats.ok[f"{self.contracts[c]}.sweepFees"]]
        contract = self.rng.choice(unswept or contracts)
        if not self.fees[contract]:
            expect = {"Leasehold_NoFees"}
        elif self._refuses(self.treasury_now):
            expect = REFUSED
        else:
            expect = set()  # must go through
        sender, target = self.parties[self.rng.choice(sorted(self.parties))], self.owing[contract]
        if self._call(target, "sweepFees", (), sender, expect=expect):
            self._settle_again(target, "sweepFees", (), sender, "Leasehold_NoFees")
