"""Every custom error and every interface event and function says what it means.

Wallets, block explorers and keepers show NatSpec to people who meet an error or an event
without the source at hand: `libraries/Errors.sol` documents each error, and each interface in
`contracts/interfaces/` each of its events and functions (the implementations `@inheritdoc`).
Read from the compiler's AST of the build, so a new error, event or function without a
`@notice` fails here.
"""

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build" / "contracts"
INTERFACES = sorted(path.stem for path in (REPO / "contracts" / "interfaces").glob("*.sol"))


def _definition(name: str) -> dict:
    ast = json.loads((BUILD / f"{name}.json").read_text())["ast"]
    return next(node for node in ast["nodes"] if node.get("nodeType") == "ContractDefinition" and node["name"] == name)


def _undocumented(name: str, kinds: set[str]) -> list[str]:
    return [
        f"{node['nodeType']} {node.get('name') or node.get('kind')}"
        for node in _definition(name)["nodes"]
        if node["nodeType"] in kinds and "@notice" not in ((node.get("documentation") or {}).get("text") or "")
    ]


def test_every_error_has_a_notice():
    errors = [node for node in _definition("Errors")["nodes"] if node["nodeType"] == "ErrorDefinition"]
    assert len(errors) > 90, "Errors.sol was not read"
    assert _undocumented("Errors", {"ErrorDefinition"}) == []


@pytest.mark.parametrize("name", INTERFACES)
def test_every_event_and_function_of_an_interface_has_a_notice(name):
    assert _undocumented(name, {"EventDefinition", "FunctionDefinition"}) == []


def test_the_check_sees_a_missing_notice():
    # A contract of this build whose functions carry no NatSpec: the check must report them.
    assert _undocumented("TestStablecoin", {"FunctionDefinition"}) != []
