"""Runtime backends of the provider agent, chosen by `role.delivery.backend` (docs/delivery.md)."""
