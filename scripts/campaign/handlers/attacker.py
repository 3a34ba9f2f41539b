"""The attacker: holds tokens, approved nothing, holds no role, and calls what it must not."""

from __future__ import annotations

from keepers.ids import to_bytes32
from scripts.campaign.constants import USD, ZERO32
from scripts.campaign.enums import A_NONE, RENTAL
from scripts.campaign.functions import OZ_OWNER


class AttackerActions:
    """Calls every one of which must be refused with its own error (a mixin of Campaign)."""

    def act_attack(self):
        """Calls something the attacker must not: every one must be refused with its own error."""
        a = self.attacker
        settlement = (self.rng.choice(list(self.providers)), 1, 1, 1)
        op = self.rng.randrange(18)
        if op == 0 and self.rng.random() < 0.5:
            self._call(self.registry, "lockJobCollateral", (a.address, 1, 1), a)
        elif op == 0:
            self._call(self.registry, "tryReserve", (1, (a.address, ZERO32, ZERO32, 1, 1, 1, 0, 0, 0)), a)
        elif op == 1:
            self._call(self.registry, "release", (settlement, 1, 0), a)
        elif op == 2:
            self._call(self.registry, "recordOutcome", (settlement[0], 1), a)
        elif op == 3:
            self._call(self.registry, "slash", (settlement, (10**9, 0, a.address, a.address)), a)
        elif op == 4:
            self._call(self.jm, "openJob", (10**6, a, a, 1, 1, 0, 10**9, ZERO32), a)
        elif op == 5:
            self._call(self.market, "setJobMarket", (a,), a)
        elif op == 6:
            self._call(self.market, "setJobMarket", (a,), self.owner, expect={"LeaseMarket_JobMarketAlreadySet"})
        elif op == 7:
            self._call(self.config, "pause", (), a, expect=OZ_OWNER)
        elif op == 8:
            self._call(
                self.jm, "setWorkload", (to_bytes32("evil"), a, True), a, expect={"JobMarket_CallerNotGovernance"}
            )
        elif op == 9:
            self._call(self.registry, "stake", (USD,), a, expect={"ProviderRegistry_NotRegistered"})
        elif op == 10:
            self._match_pairs([(0, 1)], a, expect={"MatcherBonds_NotBonded"})
        elif op == 11:
            job = self._pick(self._live_jobs(lambda j: j.open and j.attestation == A_NONE))
            args = (job.id, job.terms.tuple, False) if job else (self._any_order_id(), self._some_terms(), False)
            self._attest(*args, a, expect={"Leasehold_MissingRole", "JobMarket_UnexpectedStatus"})
        elif op == 12:
            job = self._pick(self._live_jobs(lambda j: j.disputed))
            self._call(self.jm, "voteOnStep", (job.id if job else 1, True), a, expect={"Leasehold_MissingRole"})
        elif op == 13:
            lease = self._pick(self._leases())
            if lease:
                self._mark(lease.id)
            self._call(
                self.market,
                "withdrawEarnings",
                (lease.id if lease else 0,),
                a,
                expect={"LeaseMarket_CallerNotProvider", "LeaseMarket_LeaseNotFound"},
            )
        elif op == 14:
            spec, deposit = self._spec_for(RENTAL)
            self._call(
                self.market,
                "createRequest",
                (spec, deposit),
                a,
                expect={"ERC20InsufficientAllowance", "Leasehold_Paused", "LeaseMarket_DepositTooSmall"},
            )
        elif op == 15:
            expect = {"LeaseMarket_EmptyBatch", "Leasehold_Paused", "Leasehold_MissingRole"}
            self._match_pairs([], self.matcher, expect=expect)
        elif op == 16:
            self._call(self.config, "renounceOwnership", (), a, expect=OZ_OWNER)
        else:
            self._call(self.config, "acceptOwnership", (), a, expect=OZ_OWNER)
