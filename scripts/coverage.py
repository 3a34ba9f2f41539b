"""`make coverage`: `brownie test --coverage` with brownie 1.22's coverage modules run from their source.

Brownie 1.22 ships its modules compiled with mypyc, and the compiled `brownie.test.coverage` enforces a
type its own data does not have (it merges per-transaction maps that are lists where the annotation says
dict), so every `--coverage` run ends in `TypeError: dict object expected; got list`. The wheel also
carries the pure-Python source of the same modules; this runner imports those few from source and then
hands over to brownie's own command line. tests/conftest.py starts Anvil with `--steps-tracing` under
`--coverage`, without which Anvil returns empty traces and the report is empty (README, Toolchain).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path

# The modules whose compiled form rejects the coverage data: imported from their .py instead.
FROM_SOURCE = ("brownie.test.coverage", "brownie.test.output", "brownie.network.transaction")


class _SourceFirst(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in FROM_SOURCE or not path:
            return None
        for folder in path:
            source = Path(folder) / (name.rpartition(".")[2] + ".py")
            if source.is_file():
                loader = importlib.machinery.SourceFileLoader(name, str(source))
                return importlib.util.spec_from_file_location(name, source, loader=loader)
        return None


def _with_immutables(verify):
    """Brownie compares a deployment's code with the compiled code byte for byte and, when they
    differ, drops the contract's program-counter map, so its lines are never counted. Solidity fills
    every `immutable` into the deployed code (the compiled code holds zeros there), and LeaseMarket
    links LeaseLiveness: code that differs only where the compiled code holds zero bytes or a link
    placeholder, at the same length, is the same contract with its immutables and links filled in."""

    def verify_deployed_code(address, expected_bytecode, language):
        if verify(address, expected_bytecode, language):
            return True
        from brownie.network import web3

        actual = bytes(web3.eth.get_code(address)).hex()
        expected = expected_bytecode.removeprefix("0x")
        if language != "Solidity" or len(actual) != len(expected):
            return False
        # A linked library's placeholder (`__$<34 hex>$__`, 20 bytes) stands for the address linked in.
        for marker in re.finditer(r"__\$[0-9a-fA-F]{34}\$__", expected):
            start, end = marker.span()
            expected = expected[:start] + actual[start:end] + expected[end:]
        # Byte by byte: an immutable's zeros match anything.
        pairs = zip(
            (actual[i : i + 2] for i in range(0, len(actual), 2)),
            (expected[i : i + 2] for i in range(0, len(expected), 2)),
            strict=True,
        )
        return all(a == e or e == "00" for a, e in pairs)

    return verify_deployed_code


def main(argv: list[str]) -> int:
    sys.meta_path.insert(0, _SourceFirst())
    import brownie.network.contract as contract

    contract._verify_deployed_code = _with_immutables(contract._verify_deployed_code)
    from brownie._cli.__main__ import main as brownie_main

    sys.argv = ["brownie", "test", *argv, "--coverage"]
    return brownie_main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
