"""keepers/contracts is the one way in: nothing else in keepers/ or the scripts builds a contract call.

A source scan, so a role that reaches past the wrappers fails here before review. Brownie's
scripts (deploy, gas, the campaign) drive brownie contract objects, not web3, and the benchmark
pre-signs raw load; they are outside the rule.
"""

import re
from pathlib import Path

import pytest

from keepers.contracts.transact import snake_case

REPO_ROOT = Path(__file__).resolve().parents[2]
# Where web3 contracts may be built and called: the contract layer, and the factory it uses.
ALLOWED = {"keepers/contracts", "keepers/deployment.py"}
SCANNED = [
    *sorted((REPO_ROOT / "keepers").rglob("*.py")),
    REPO_ROOT / "scripts" / "demo.py",
    REPO_ROOT / "scripts" / "market_report.py",
    *sorted((REPO_ROOT / "scripts" / "econ").rglob("*.py")),
]
CALL_BUILDING = re.compile(r"\.functions\b|\beth\.contract\(|\bbatch_requests\(|\bmake_batch_request\(")


def offending_lines(path: Path) -> list[str]:
    return [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if CALL_BUILDING.search(line)
    ]


def test_only_the_contract_layer_builds_contract_calls():
    outside = [path for path in SCANNED if not any(str(path.relative_to(REPO_ROOT)).startswith(a) for a in ALLOWED)]
    assert [line for path in outside for line in offending_lines(path)] == []


def test_the_scan_sees_a_call_built_outside_the_layer():
    assert CALL_BUILDING.search("self.sender.send(market.functions.closeLease(7), label='closeLease')")
    assert CALL_BUILDING.search("w3.eth.contract(address=address, abi=abi)")
    assert not CALL_BUILDING.search("self.sender.send(self.contracts.market.close_lease(7))")


@pytest.mark.parametrize(
    "function, label",
    [
        ("claimTimeout", "claim_timeout"),
        ("matchRequests", "match_requests"),
        ("closeLeases", "close_leases"),
        ("createRequestWithPermit", "create_request_with_permit"),
        ("metadataURI", "metadata_uri"),
        ("attest", "attest"),
    ],
)
def test_an_action_is_labelled_by_its_function_in_snake_case(function, label):
    assert snake_case(function) == label
