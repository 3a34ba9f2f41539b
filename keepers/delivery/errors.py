"""Why a delivery step was refused, as one line for the tenant and the agent's log."""

from __future__ import annotations

from keepers.errors import KeeperError


class DeliveryRefused(KeeperError):
    """A deploy, access or logs request the agent refuses; `status` is the HTTP status it answers with.

    Nothing was started (or what was half-started is gone) and the lease is unaffected.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


class BackendError(DeliveryRefused):
    """The runtime could not start the workload (no such command or image, a port taken, a crash at start)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 422)
