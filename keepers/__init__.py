"""Leasehold keepers: the off-chain roles of the market (see docs/keepers.md)."""
