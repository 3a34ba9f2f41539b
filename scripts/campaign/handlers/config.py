"""Actions on ProtocolConfig: governance sets parameters, the catalogue, roles and the treasury,
pauses, and hands ownership over (Ownable2Step); the attacker tries the same."""

from __future__ import annotations

from keepers.ids import to_bytes32
from keepers.workloads.base import keccak256
from scripts.campaign.constants import DAY, HOUR, USD, ZERO, ZERO32
from scripts.campaign.enums import BPS, PARAM_FIELDS
from scripts.campaign.functions import OZ_OWNER


class ConfigActions:
    """Governance's calls (a mixin of Campaign)."""

    def _new_params(self) -> dict:
        p = dict(self.params)
        r = self.rng
        p.update(
            protocolFeeBps=r.randrange(0, 1001),
            verifierFeeBps=r.randrange(0, 3001),
            whistleblowerRewardBps=r.randrange(0, 6001),
            tenantCompensationBps=r.randrange(0, 4001),
            livenessSlashBps=r.randrange(100, 5001),
            lateResultSlashBps=r.randrange(0, 5001),
            minLeaseSeconds=r.choice([60, 600, HOUR]),
            reclaimNoticeSeconds=r.choice([HOUR, DAY]),
            livenessWindowSeconds=r.choice([60, 600, 1800]),
            livenessSpacingSeconds=r.choice([600, HOUR, 4 * HOUR]),
            moveTimeoutSeconds=r.choice([1800, HOUR, 2 * HOUR]),
            arbiterVoteWindowSeconds=r.choice([1800, HOUR]),
            maxChallengeWindowSeconds=r.choice([2 * HOUR, DAY]),
            maxBisectionRounds=r.choice([4, 8, 24]),
            matchFee=r.randrange(0, 2 * USD),
            settleBounty=r.randrange(0, USD),
            livenessBond=r.randrange(USD // 100, 20 * USD),
            challengeBond=r.randrange(USD // 100, 100 * USD),
            verifierBond=r.randrange(USD // 100, 50 * USD),
            jobCollateralBps=r.randrange(10_000, 30_001),
            verificationSampleBps=BPS,  # every result drawn: see Campaign.__init__
            arbiterBond=r.randrange(USD // 100, 20 * USD),
        )
        p["arbiterFee"] = r.randrange(0, p["challengeBond"] + 1)
        window = (
            p["maxChallengeWindowSeconds"]
            + (2 * p["maxBisectionRounds"] + 2) * p["moveTimeoutSeconds"]
            + p["arbiterVoteWindowSeconds"]
        )
        shortest = max(DAY, window + 1)
        p["unbondingPeriodSeconds"] = shortest if r.random() < 0.5 else min(60 * DAY, max(7 * DAY, shortest))
        return p

    def act_set_params(self):
        p = self._new_params()
        roll = self.rng.random()
        expect = None
        if roll < 0.1:
            p["protocolFeeBps"] = 1001
            expect = {"ProtocolConfig_ParamOutOfBounds"}
        elif roll < 0.15:
            p["whistleblowerRewardBps"], p["tenantCompensationBps"] = 6000, 5000
            expect = {"ProtocolConfig_SharesExceedWhole"}
        elif roll < 0.2:
            p["unbondingPeriodSeconds"] = DAY
            p["maxChallengeWindowSeconds"] = DAY
            expect = {"ProtocolConfig_UnbondingTooShort"}
        sender = self.owner if self.rng.random() < 0.9 else self.attacker
        if sender == self.attacker:
            expect = OZ_OWNER
        if self._call(self.config, "setParams", (tuple(p[k] for k in PARAM_FIELDS),), sender, expect=expect):
            self.params = p

    def act_set_gpu_model(self):
        model = self.rng.choice([*list(self.catalogue), to_bytes32("amd-mi300x-192gb")])
        entry = self.catalogue.get(model, {"vram": 192, "tier": 4, "collateral": 2500 * USD, "listed": True})
        listed = self.rng.random() < 0.8
        collateral = entry["collateral"] if self.rng.random() < 0.5 else self.rng.randrange(50, 4000) * USD
        args = (model, entry["vram"], entry["tier"], collateral, listed)
        self._gas_tag = model in self.catalogue
        sender = self.owner
        if self.rng.random() < 0.1:
            args = self.rng.choice(
                [
                    (ZERO32, *args[1:]),
                    (model, 0, *args[2:]),
                    (model, entry["vram"], 5, *args[3:]),
                    (model, entry["vram"], entry["tier"], 0, listed),
                ]
            )
        elif self.rng.random() < 0.1:
            sender = self.attacker
        if self._call(self.config, "setGpuModel", args, sender):
            self.catalogue[model] = {"vram": args[1], "tier": args[2], "collateral": args[3], "listed": args[4]}

    def act_set_role(self):
        """Governance grants or revokes a role mid-flight: the spare matcher, verifier and arbiter, and
        now and then the ones the walk relies on (the matcher, a verifier, an arbiter) and a market's
        MARKET_ROLE, which act_regrant_role soon gives back. A revoked market matches nothing new but
        settles everything it matched (settling needs no revocable role)."""
        role = self.rng.choice(["MATCHER", "VERIFIER", "ARBITER", "MARKET"])
        spare = {"MATCHER": self.matcher2, "VERIFIER": self.verifier2, "ARBITER": self.arbiter2}.get(role)
        relied = [a for (r, a) in self.primary_roles if r == role]
        account = spare if spare is not None and self.rng.random() < 0.7 else self._pick(relied)
        account = self._role_holder(account)
        granted = not self.has_role.get((role, account.address), False)
        sender = self.owner
        roll = self.rng.random()
        if roll < 0.08:
            return self._call(self.config, "setRole", (keccak256(b"NOT_A_ROLE"), account, True), sender)
        if roll < 0.12:
            return self._call(self.config, "setRole", (self.roles[role], ZERO, True), sender)
        if roll < 0.2:
            sender = self.attacker
        self._set_role(role, account, granted, sender)

    def _role_holder(self, address):
        """The account or market at `address`."""
        if isinstance(address, str):
            for holder in (self.market, self.jm, self.matcher, *self.verifiers, *self.arbiters):
                if holder.address == address:
                    return holder
        return address

    def _set_role(self, role: str, account, granted: bool, sender):
        """The one place setRole is sent from."""
        if self._call(self.config, "setRole", (self.roles[role], account, granted), sender):
            self.has_role[(role, account.address)] = granted
            self.stats.role_moves += 1

    def act_cache_settling_market(self):
        """Anyone copies a market's standing as a settling market into the registry (the deploy did
        it for both, so this rewrites the same flag); an account the config never named is refused."""
        sender = self.attacker if self.rng.random() < 0.5 else self.settler
        if self.rng.random() < 0.7:
            market = self.market if self.rng.random() < 0.5 else self.jm
            return self._call(self.registry, "cacheSettlingMarket", (market,), sender)
        return self._call(
            self.registry, "cacheSettlingMarket", (self.attacker,), sender, expect={"Leasehold_MissingRole"}
        )

    def act_set_treasury(self):
        new = self.treasury2 if self.treasury_now == self.treasury.address else self.treasury
        sender = self.owner if self.rng.random() < 0.85 else self.attacker
        if self._call(self.config, "setTreasury", (new if self.rng.random() < 0.95 else ZERO,), sender):
            self.treasury_now = new.address

    def act_pause(self):
        if self._call(self.config, "pause", (), self.owner if self.rng.random() < 0.9 else self.attacker):
            self.paused = True

    def act_unpause(self):
        if self._call(self.config, "unpause", (), self.owner if self.rng.random() < 0.95 else self.attacker):
            self.paused = False

    def act_ownership(self):
        """Ownable2Step: the owner offers the config to the other governance account, which accepts."""
        if self.pending_owner is not None and self.rng.random() < 0.8:
            sender = self.pending_owner if self.rng.random() < 0.9 else self.attacker
            if self._call(self.config, "acceptOwnership", (), sender):
                self.owner, self.pending_owner = self.pending_owner, None
            return
        if self.rng.random() < 0.3:
            return self._call(self.config, "renounceOwnership", (), self.attacker, expect=OZ_OWNER)
        other = self.gov2 if self.owner == self.gov else self.gov
        sender = self.owner if self.rng.random() < 0.9 else self.attacker
        if self._call(self.config, "transferOwnership", (other,), sender):
            self.pending_owner = other
