"""Actions on the token: the attacker donates straight to the contracts; the token's issuer
blocklists and unblocks parties, as USDC's can, and pauses the token as a whole and resumes it."""

from __future__ import annotations

from scripts.campaign.chain import mined
from scripts.campaign.failures import require
from scripts.campaign.functions import PAUSED, succeeded


class TokenActions:
    """Transfers and blocklist moves outside the protocol (a mixin of Campaign)."""

    def act_donate(self):
        """Tokens sent straight to a contract: it then holds more than it owes, never less."""
        target = self.rng.choice([self.registry, self.market, self.jm])
        amount = self.rng.randrange(1, 1000)
        if self.token_paused:
            # The halted token refuses the donation too: nothing moves.
            refusal = self._simulate(self.token, "transfer", (target, amount), self.attacker) or ""
            require(refusal.startswith(PAUSED), f"a transfer went through the paused token: {refusal!r}")
            self._record("donate refused", target.address, amount)
            return
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
        leases = {a for i in self.live_orders for a in (self.orders[i].tenant, self.orders[i].provider)}
        jobs = {a for i in self.live_jobs for j in (self.jobs[i],) for a in (j.tenant, j.provider, j.verifier)}
        # Guided: while no credit of a contract has been claimed, the parties it is about to pay
        # (a job's, or the match watchers whose won challenges MatcherBonds pays).
        paid_soon = set()
        if not succeeded(self.stats, "JobMarket.claimCredit"):
            paid_soon |= jobs
        if not succeeded(self.stats, "MatcherBonds.claimCredit"):
            paid_soon |= {w.address for w in self.whistleblowers}
        paid_soon = paid_soon or leases | jobs
        paid_soon = sorted(paid_soon & set(free))
        roll = self.rng.random()
        if self._watcher_wanted():
            account = self.rng.choice(sorted(set(free) & {w.address for w in self.whistleblowers}))
        elif self.treasury_now in free and roll < 0.3:
            account = self.treasury_now
        elif paid_soon and roll < 0.65:
            account = self.rng.choice(paid_soon)
        else:
            account = self.rng.choice(free)
        self._set_blocked(account, True)

    def _watcher_wanted(self) -> bool:
        """Guided: no MatcherBonds credit claimed yet, a match challenge is open to a watcher, and no
        watcher is refused by the token: blocking one makes a won challenge's reward a credit."""
        if succeeded(self.stats, "MatcherBonds.claimCredit") or not self._challengeable(winnable=True):
            return False
        watchers = {w.address for w in self.whistleblowers}
        return not any(self._refuses(w) for w in watchers) and bool(watchers - self.blocked)

    def _held_credits(self) -> list[str]:
        """Guided: blocked accounts holding a credit on a contract whose `claimCredit` has not gone
        through yet: unblocked, they can claim it."""
        return sorted(
            {
                account
                for (contract, account), amount in self.credits.items()
                if amount
                and account in self.blocked
                and not succeeded(self.stats, f"{self.contracts[contract]}.claimCredit")
            }
        )

    def _credited_challenge_wanted(self) -> bool:
        """Guided: no MatcherBonds credit claimed yet, a match challenge the model expects to win is
        open, and the token refuses a watcher (or everyone, paused): the award will be credited."""
        if succeeded(self.stats, "MatcherBonds.claimCredit") or not self._challengeable(winnable=True):
            return False
        return self.token_paused or any(w.address in self.blocked for w in self.whistleblowers)

    def act_unblock(self):
        held = self._held_credits()
        self._set_blocked(self.rng.choice(held if held and self.rng.random() < 0.8 else sorted(self.blocked)), False)

    def _set_blocked(self, account: str, blocked: bool) -> None:
        self.ts += 1
        mined(self.token.setBlocked(account, blocked, {"from": self.gov}))
        self._record("blocked", account, blocked)
        (self.blocked.add if blocked else self.blocked.discard)(account)
        self.stats.blocklist_moves += 1

    def act_pause_token(self):
        """The token's issuer halts the token as a whole: every transfer refuses until it resumes.
        Every settlement payout is then credited (PayoutCredits), every call that pulls or pays
        with a plain transfer is refused with the token's `BlocklistPermitToken_Paused`, and no
        balance moves (books.py `_move`): the money is conserved through credits."""
        self._set_paused(True)

    def act_unpause_token(self):
        self._set_paused(False)

    def _set_paused(self, paused: bool) -> None:
        self.ts += 1
        mined(self.token.setPaused(paused, {"from": self.gov}))
        self._record("token paused", paused)
        self.token_paused = paused
        self.stats.token_pauses += paused
