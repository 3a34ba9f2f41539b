"""The delivery tests' fixtures, defined in delivery_setup.py (helpers are imported from there by name)."""

from delivery_setup import (  # noqa: F401 (fixtures)
    client_for, docker_engine, funded_key, keeper_config, lease, make_provider, matcher_account, protocol, tenant, w3,
)
