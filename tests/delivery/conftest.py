"""The delivery tests' fixtures, defined in delivery_setup.py (helpers are imported from there by name)."""

from delivery_setup import docker_engine, lease, make_provider, tenant  # noqa: F401 (fixtures)
