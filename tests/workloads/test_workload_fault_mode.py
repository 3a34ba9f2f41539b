"""Workload.run and state_hashes with `fault_from_step`: the trace of a cheating provider."""

import pytest

from keepers.workloads import Hashchain, Matvec, Matvec256, WorkloadError, keccak256

SEED = keccak256(b"fault")


@pytest.mark.parametrize(
    "workload, input",
    [(Hashchain(), keccak256(b"input")), (Matvec(), bytes(range(64))), (Matvec256(), bytes(1024))],
    ids=["hashchain", "matvec", "matvec-256"],
)
@pytest.mark.parametrize("fault_from_step", [1, 4, 6])
def test_trace_diverges_exactly_from_the_fault_step(workload, input, fault_from_step):
    n = 6
    honest = workload.state_hashes(input, SEED, n)
    faulty = workload.state_hashes(input, SEED, n, fault_from_step=fault_from_step)
    assert len(faulty) == n + 1
    for index in range(n + 1):
        assert (faulty[index] == honest[index]) is (index < fault_from_step)


def test_faulty_step_is_the_first_that_fails_the_step_check():
    workload = Matvec()
    states = workload.run(bytes(range(64)), SEED, 5, fault_from_step=3)
    assert workload.step(states[1], 1, SEED) == states[2]
    assert workload.step(states[2], 2, SEED) != states[3]


def test_state_at_matches_run_in_both_modes():
    workload = Hashchain()
    input = keccak256(b"state-at")
    honest = workload.run(input, SEED, 4)
    faulty = workload.run(input, SEED, 4, fault_from_step=2)
    for index in range(5):
        assert workload.state_at(input, SEED, index) == honest[index]
        assert workload.state_at(input, SEED, index, fault_from_step=2) == faulty[index]


def test_hashes_are_keccak_of_the_states():
    workload = Matvec()
    states = workload.run(bytes(64), SEED, 3)
    assert workload.state_hashes(bytes(64), SEED, 3) == [keccak256(state) for state in states]
    assert states[0] == bytes(64)


@pytest.mark.parametrize("fault_from_step", [0, 4, -1])
def test_refuses_a_fault_step_outside_the_trace(fault_from_step):
    with pytest.raises(WorkloadError, match=f"fault step {fault_from_step} is outside 1..3"):
        Hashchain().run(bytes(32), SEED, 3, fault_from_step=fault_from_step)


@pytest.mark.parametrize("n", [0, 2**24 + 1])
def test_refuses_a_step_count_outside_bounds(n):
    with pytest.raises(WorkloadError, match=f"step count {n} is outside 1..16777216"):
        Hashchain().run(bytes(32), SEED, n)


def test_refuses_an_invalid_input():
    with pytest.raises(WorkloadError, match="matvec: state is 63 bytes, expected 64"):
        Matvec().run(bytes(63), SEED, 1)
