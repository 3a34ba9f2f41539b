"""brownie, as a library, on an Anvil chain this process started by PID.

The demo and the gas script are plain Python programs (`python -m scripts.X`):
they start their own Anvil on a free port, point brownie's development network
at it, and stop it by PID when done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import brownie
from brownie import network, project

from keepers.devchain import REPO_ROOT, Anvil


@contextlib.contextmanager
def brownie_on_anvil(anvil: Anvil) -> Iterator[object]:
    """Loads the brownie project and connects it to `anvil`; yields the project."""
    loaded = project.get_loaded_projects()
    build = loaded[0] if loaded else project.load(str(REPO_ROOT), name="Leasehold")
    build.load_config()
    brownie._CONFIG.networks["development"]["cmd_settings"]["port"] = anvil.port
    network.connect("development")
    try:
        yield build
    finally:
        network.disconnect(kill_rpc=False)
