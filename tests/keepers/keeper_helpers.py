"""Chain and clock helpers of the keeper framework tests."""

import io
from contextlib import contextmanager

from keepers.config import KeeperConfig
from keepers.observability import make_logger
from keepers.roles.matcher import MatcherKeeper


def logging_matcher(data: dict, environ: dict, name: str) -> tuple[MatcherKeeper, io.StringIO]:
    """A matcher keeper built from a keeper config, logging JSON into the returned stream."""
    stream = io.StringIO()
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data),
        environ=environ,
        name=name,
        logger=make_logger(name, "matcher", "INFO", stream=stream),
    )
    return matcher, stream


class FakeClock:
    """A clock the sender reads and a sleep that advances it, then runs `on_sleep` (e.g. mine a block)."""

    def __init__(self):
        self.now = 0.0
        self.on_sleep = None

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep()


@contextmanager
def automine_off(w3):
    """Holds transactions in the pool until a test mines them; restores automine even on failure."""
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        yield
    finally:
        w3.provider.make_request("evm_setAutomine", [True])


# With the latest base fee at LOW_BASE_FEE the sender caps its first version at
# 2 * 1 + 1 (priority) = 3 gwei; blocks at STUCK_BASE_FEE cannot include it.
LOW_BASE_FEE = 10**9
STUCK_BASE_FEE = 3_200_000_000


def mine_with_base_fee(w3, base_fee_wei):
    w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base_fee_wei)])
    w3.provider.make_request("evm_mine", [])
