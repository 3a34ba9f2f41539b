"""Actions on the token: the attacker donates straight to the contracts; the token's issuer
blocklists and unblocks parties, as USDC's can."""

from __future__ import annotations

from scripts.campaign.chain import mined


class TokenActions:
    """Transfers and blocklist moves outside the protocol (a mixin of Campaign)."""

    def act_donate(self):
        """Tokens sent straight to a contract: it then holds more than it owes, never less."""
        target = self.rng.choice([self.registry, self.market, self.jm])
        amount = self.rng.randrange(1, 1000)
        self.ts += 1
        mined(self.token.transfer(target, amount, {"from": self.attacker}))
        self._record("donate", target.address, amount)
        self.donations[target.address] += amount
        self._move(self.attacker.address, target.address, amount)

    def act_blocklist(self):
        """The token's issuer blocklists a party: transfers to or from it revert until unblocked. The
        treasury often: it receives only slash shares and sweeps, so a blocked one stays a while."""
        free = sorted(set(self.parties) - self.blocked)
        # Half the time a party of a running lease or job, which a settlement is about to pay: a
        # refusal the markets must credit, not only one that finds nobody to pay.
        paid_soon = {a for i in self.live_orders for a in (self.orders[i].tenant, self.orders[i].provider)}
        paid_soon |= {a for i in self.live_jobs for j in (self.jobs[i],) for a in (j.tenant, j.provider, j.verifier)}
        paid_soon = sorted(paid_soon & set(free))
        roll = self.rng.random()
        if self.treasury_now in free and roll < 0.3:
            account = self.treasury_now
        elif paid_soon and roll < 0.65:
            account = self.rng.choice(paid_soon)
        else:
            account = self.rng.choice(free)
        self._set_blocked(account, True)

    def act_unblock(self):
        self._set_blocked(self.rng.choice(sorted(self.blocked)), False)

    def _set_blocked(self, account: str, blocked: bool) -> None:
        self.ts += 1
        mined(self.token.setBlocked(account, blocked, {"from": self.gov}))
        self._record("blocked", account, blocked)
        (self.blocked.add if blocked else self.blocked.discard)(account)
        self.stats.blocklist_moves += 1
