"""How a walk stops: a protocol finding (CampaignFailure) or a harness error (HarnessFailure).

A CampaignFailure is an invariant the contracts broke or a revert they may not raise; a
HarnessFailure is the harness failing to read the chain in time (scripts/localchain.HarnessError),
which says nothing about the protocol. Both name the seed, the step, the digest of the walk up
to that step and the command that replays it; `scripts.fuzz` exits 1 on the first, 3 on the second.
"""

from __future__ import annotations

from scripts.localchain import HarnessError


def reproduce_command(seed: int, steps: int, flags: str = "") -> str:
    return f".venv/bin/python -m scripts.fuzz --steps {steps} --seed {seed}{' ' + flags if flags else ''}"


def _where(seed: int, step: int, action: str, message: str, digest: str, flags: str = "") -> str:
    return (
        f"seed {seed}, step {step}, {action}: {message}\n"
        f"walk digest before step {step}: {digest}\n"
        f"reproduce: {reproduce_command(seed, step + 1, flags)}"
    )


class CampaignFailure(AssertionError):
    """An invariant broke or a call reverted in a way the protocol does not allow."""

    def __init__(self, seed: int, step: int, action: str, message: str, digest: str = "", flags: str = ""):
        self.seed, self.step, self.action, self.digest = seed, step, action, digest
        super().__init__(_where(seed, step, action, message, digest, flags))


class HarnessFailure(HarnessError):
    """The harness could not read what a step needed from the chain: the walk stops, no finding."""

    def __init__(self, seed: int, step: int, action: str, message: str, digest: str = ""):
        self.seed, self.step, self.action, self.digest = seed, step, action, digest
        super().__init__(_where(seed, step, action, message, digest))


class Violation(AssertionError):
    """Raised inside a step; the walk turns it into a CampaignFailure naming the step."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Violation(message)
