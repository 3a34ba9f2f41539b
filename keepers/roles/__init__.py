"""Keeper roles by the name `leasehold keeper run ROLE` knows them."""

from keepers.lifecycle import Keeper
from keepers.roles.heartbeat import HeartbeatKeeper

ROLES: dict[str, type[Keeper]] = {
    HeartbeatKeeper.role: HeartbeatKeeper,
}
