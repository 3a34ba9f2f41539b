"""keepers/contracts/types.py against the contracts: every enum, member and order, and the constants.

The Solidity side is read twice: the enum declarations parsed from contracts/types/DataTypes.sol,
and the enums the compiled ABIs use (`internalType: "enum Market.LeaseStatus"`), so an enum that
reaches an ABI without a Python twin fails here as well as one whose members moved.
"""

import json
import re
from pathlib import Path

import pytest

from keepers.contracts.types import SOLIDITY_CONSTANTS, SOLIDITY_ENUMS

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_TYPES = REPO_ROOT / "contracts" / "types" / "DataTypes.sol"
BUILD = REPO_ROOT / "build" / "contracts"

_LIBRARY = re.compile(r"\blibrary\s+(\w+)\s*\{")
_ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def solidity_enums(source: str) -> dict[str, list[str]]:
    """`{"Library.Enum": [member, ...]}` for every enum declared inside a library of `source`."""
    source = _COMMENTS.sub("", source)
    libraries = [(match.start(), match.group(1)) for match in _LIBRARY.finditer(source)]
    enums = {}
    for match in _ENUM.finditer(source):
        library = [name for start, name in libraries if start < match.start()][-1]
        members = [member.strip() for member in match.group(2).split(",")]
        enums[f"{library}.{match.group(1)}"] = [member for member in members if member]
    return enums


def python_enums() -> dict[str, list[str]]:
    return {name: [member.name for member in enum] for name, enum in SOLIDITY_ENUMS.items()}


def differences(solidity: dict[str, list[str]], python: dict[str, list[str]]) -> list[str]:
    """Each way the two sides differ, as a readable line; empty when they agree."""
    found = [f"{name}: in DataTypes.sol, not in types.py" for name in sorted(solidity.keys() - python.keys())]
    found += [f"{name}: in types.py, not in DataTypes.sol" for name in sorted(python.keys() - solidity.keys())]
    found += [
        f"{name}: DataTypes.sol has {solidity[name]}, types.py has {python[name]}"
        for name in sorted(solidity.keys() & python.keys())
        if solidity[name] != python[name]
    ]
    return found


def abi_enums() -> dict[str, set[str]]:
    """Every enum type the compiled contracts' ABIs use, with the artefacts that use it."""
    used: dict[str, set[str]] = {}

    def walk(node, artefact: str) -> None:
        if isinstance(node, dict):
            kind = node.get("internalType", "")
            if kind.startswith("enum "):
                used.setdefault(kind.removeprefix("enum ").removesuffix("[]"), set()).add(artefact)
            for value in node.values():
                walk(value, artefact)
        elif isinstance(node, list):
            for value in node:
                walk(value, artefact)

    for path in sorted(BUILD.glob("*.json")):
        walk(json.loads(path.read_text())["abi"], path.stem)
    return used


def test_every_enum_of_data_types_has_its_python_twin_with_the_same_members_in_order():
    assert differences(solidity_enums(DATA_TYPES.read_text()), python_enums()) == []


def test_every_enum_a_compiled_abi_uses_has_a_python_twin():
    used = abi_enums()
    assert used, "no enum found in build/contracts: run `make compile` first"
    missing = {name: sorted(artefacts) for name, artefacts in used.items() if name not in SOLIDITY_ENUMS}
    assert missing == {}


@pytest.mark.parametrize("name", sorted(SOLIDITY_CONSTANTS))
def test_constant_matches_its_contract(name):
    contract, constant = name.split(".")
    source = _COMMENTS.sub("", (REPO_ROOT / "contracts" / f"{contract}.sol").read_text())
    declared = re.findall(rf"\bconstant\b[^;=]*\b{constant}\s*=\s*([0-9_]+)\s*;", source)
    assert [int(value.replace("_", "")) for value in declared] == [SOLIDITY_CONSTANTS[name]]


def test_the_check_fails_on_a_reordered_added_or_missing_enum():
    source = DATA_TYPES.read_text()
    python = python_enums()
    swapped = source.replace("RENTAL,\n        JOB", "JOB,\n        RENTAL")
    assert differences(solidity_enums(swapped), python) == [
        "Market.RequestKind: DataTypes.sol has ['JOB', 'RENTAL'], types.py has ['RENTAL', 'JOB']"
    ]
    grown = source.replace("VOIDED\n    }", "VOIDED,\n        APPEALED\n    }")
    assert differences(solidity_enums(grown), python) == [
        "Jobs.DisputeResult: DataTypes.sol has ['SOLVER_WON', 'CHALLENGER_WON', 'VOIDED', 'APPEALED'], "
        "types.py has ['SOLVER_WON', 'CHALLENGER_WON', 'VOIDED']"
    ]
    extra = source.replace("library Jobs {", "library Jobs {\n    enum Appeal { NONE, OPEN }")
    assert differences(solidity_enums(extra), python) == ["Jobs.Appeal: in DataTypes.sol, not in types.py"]
