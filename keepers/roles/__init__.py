"""Keeper roles by the name `leasehold keeper run ROLE` knows them."""

from keepers.lifecycle import Keeper
from keepers.roles.arbiter import ArbiterKeeper
from keepers.roles.heartbeat import HeartbeatKeeper
from keepers.roles.matcher import MatcherKeeper
from keepers.roles.prober import ProberKeeper
from keepers.roles.provider import ProviderAgent
from keepers.roles.settler import SettlerKeeper
from keepers.roles.tenant import TenantKeeper
from keepers.roles.verifier import VerifierKeeper
from keepers.roles.whistleblower import WhistleblowerKeeper

ROLES: dict[str, type[Keeper]] = {
    role.role: role
    for role in (
        ArbiterKeeper,
        HeartbeatKeeper,
        MatcherKeeper,
        ProberKeeper,
        ProviderAgent,
        SettlerKeeper,
        TenantKeeper,
        VerifierKeeper,
        WhistleblowerKeeper,
    )
}
