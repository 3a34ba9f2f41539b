"""The smallest role: reports the node's head (and the account's balance, if one is configured).

Useful to check a configuration and a node before running a real role, and the
keeper the framework's own tests run.
"""

from __future__ import annotations

from keepers.lifecycle import Keeper


class HeartbeatKeeper(Keeper):
    role = "heartbeat"

    def setup(self) -> None:
        self.add_job("heartbeat", self.beat, self.config.chain.poll_interval_seconds)

    def beat(self) -> None:
        head, lag = self.metrics.observe_head(self.w3, self.clock)
        if self.config.account is not None:
            self.metrics.account_balance_wei.set(self.w3.eth.get_balance(self.account.address))
        self.log.info("heartbeat", extra={"event": "heartbeat", "head_block": head, "head_lag_seconds": lag})
