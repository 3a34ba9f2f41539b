"""The registry of executors, keyed by the bytes32 workload ids used on-chain."""

import pytest

from keepers.workloads import WORKLOADS, Hashchain, Matvec, Matvec256, WorkloadError, get_workload, workload_id


def test_ids_are_ascii_names_right_padded_like_solidity_bytes32():
    assert workload_id("hashchain") == b"hashchain" + bytes(23)
    assert set(WORKLOADS) == {workload_id("hashchain"), workload_id("matvec"), workload_id("matvec-256")}


@pytest.mark.parametrize(
    "name, kind, onchain", [("hashchain", Hashchain, True), ("matvec", Matvec, True), ("matvec-256", Matvec256, False)]
)
def test_lookup_by_id_or_name(name, kind, onchain):
    workload = get_workload(workload_id(name))
    assert type(workload) is kind
    assert workload is get_workload(name)
    assert workload.id == workload_id(name)
    assert workload.onchain is onchain


def test_unknown_workload_is_one_readable_line():
    with pytest.raises(WorkloadError, match=r"unknown workload 0x6e6f70650+ \('nope'\)"):
        get_workload(workload_id("nope"))


def test_refuses_a_name_longer_than_32_bytes():
    with pytest.raises(WorkloadError, match="must be 1 to 32 ASCII characters"):
        workload_id("x" * 33)
