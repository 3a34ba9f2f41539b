"""Anvil's old states go to a directory of ours, removed when the chain stops (keepers/devchain.py).

Left to Anvil, they go to ~/.foundry/anvil/tmp and stay there after every run: 75 GB of them filled
this machine's disk over a day of tests and benchmarks.
"""

import os
from pathlib import Path

from keepers.devchain import Anvil

ANVIL_DEFAULT_CACHE = Path.home() / ".foundry" / "anvil" / "tmp"
BLOCKS = 6_000  # more than Anvil keeps in memory, so it writes states out
CHUNK = 500  # blocks a call: each answers well within the RPC's 5 s timeout on a loaded machine


def _mine(anvil: Anvil) -> None:
    for _ in range(BLOCKS // CHUNK):
        anvil.rpc("anvil_mine", [hex(CHUNK)])


def _default_cache_entries() -> set[str]:
    return set(os.listdir(ANVIL_DEFAULT_CACHE)) if ANVIL_DEFAULT_CACHE.is_dir() else set()


def test_old_states_go_to_the_chains_own_directory_and_leave_with_it():
    before = _default_cache_entries()
    anvil = Anvil().start()
    try:
        cache = anvil._owned_cache
        assert cache is not None and cache.is_dir()
        _mine(anvil)
        written = [path for path in cache.rglob("*") if path.is_file()]
        assert written, "Anvil wrote no state out: mine more blocks for this test to mean anything"
        assert _default_cache_entries() == before
    finally:
        anvil.stop()
    assert not cache.exists()
    assert anvil._owned_cache is None


def test_a_cache_path_given_is_used_and_left_to_its_owner(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    with Anvil(cache_path=cache) as anvil:
        _mine(anvil)
    assert any(path.is_file() for path in cache.rglob("*"))  # `leasehold dev down` removes it, not `stop`
