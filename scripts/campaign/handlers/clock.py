"""Time moves: a few seconds, minutes, exactly to (or one second around) a live deadline, or days."""

from __future__ import annotations

from scripts.campaign.chain import rpc
from scripts.campaign.constants import DAY, HOUR, ZERO


class ClockActions:
    """Moves of the chain's clock (a mixin of Campaign)."""

    def _sleep(self, seconds: int) -> None:
        """Mines a block `seconds` after the last one (at least one)."""
        self.ts += max(1, seconds)
        rpc("evm_mine", [self.ts])
        self.stats.time_moves += 1
        self._record("time", self.ts - self._ts0)

    def _deadlines(self) -> list[int]:
        ts = []
        p = self.params
        for i in self.live_orders:
            o = self.orders[i]
            if o.state == "open":
                ts.append(o.deadline)
            else:
                ts.append(o.start + o.duration)
                if o.challenger != ZERO:
                    ts.append(o.challenged_at + p["livenessWindowSeconds"])
                else:
                    ts.append(o.start + p["livenessSpacingSeconds"])
                if o.reclaimable_at:
                    ts.append(o.reclaimable_at)
        for i in self.live_jobs:
            j = self.jobs[i]
            ts.append(j.result_deadline if j.waiting else j.window_ends)
            if j.disputed:
                ts.append(self.ts + p["moveTimeoutSeconds"])
        ts += [p.ready_at for p in self.providers.values() if p.unbonding]
        return [t for t in ts if t > self.ts]

    def _moved(self):
        self._time_moved = True

    def act_time_small(self):
        self._sleep(self.rng.randrange(1, 120))
        self._moved()

    def act_time_medium(self):
        self._sleep(self.rng.randrange(300, 1800))
        self._moved()

    def act_time_to_deadline(self):
        deadlines = self._deadlines()
        votes = self._vote_deadlines()
        if votes and self.rng.random() < 0.7:
            deadlines = votes  # guided: past a cast vote's window, so it can be resolved
        if not deadlines:
            return self.act_time_small()
        target = self.rng.choice(deadlines) + self.rng.choice([-1, 0, 0, 1, 2])
        self._sleep(max(1, target - self.ts - 1))  # the next transaction runs at `target`
        self._moved()

    def act_time_long(self):
        self._sleep(self.rng.randrange(6 * HOUR, 8 * DAY))
        self._moved()
