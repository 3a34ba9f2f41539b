"""Keeper roles by the name `leasehold keeper run ROLE` knows them."""

from keepers.lifecycle import Keeper
from keepers.roles.heartbeat import HeartbeatKeeper
from keepers.roles.provider import ProviderAgent

ROLES: dict[str, type[Keeper]] = {
    HeartbeatKeeper.role: HeartbeatKeeper,
    ProviderAgent.role: ProviderAgent,
}
