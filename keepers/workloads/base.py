"""What every workload executor is: a deterministic step over a byte-encoded state.

A job runs `s_{i+1} = step(s_i, i, seed)` for i = 0..N-1 from `s_0 = input`; its trace is the
list of state hashes `h_i = keccak256(s_i)`. The on-chain step verifiers (IStepVerifier) compute
the same step bit for bit, which is what lets a dispute settle on one step (docs/workloads.md).
"""

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator

from eth_hash.backends import pysha3
from eth_hash.main import Keccak256

# The trace tree hashes three times per step; pysha3's C keccak (pinned in requirements.txt)
# is about five times faster than eth_hash's default pycryptodome backend.
keccak256 = Keccak256(pysha3)

MAX_STEPS = 2**24
UINT256_LIMIT = 2**256


class WorkloadError(ValueError):
    """A job or state that a workload refuses; the message is one readable line."""


def workload_id(name: str) -> bytes:
    """The bytes32 id of a workload: its ASCII name right-padded with zeros (Solidity `bytes32("name")`)."""
    raw = name.encode("ascii")
    if not 1 <= len(raw) <= 32:
        raise WorkloadError(f"workload name {name!r} must be 1 to 32 ASCII characters")
    return raw.ljust(32, b"\0")


def corrupt(state: bytes) -> bytes:
    """A different state of the same length: the first byte with every bit flipped."""
    return bytes([state[0] ^ 0xFF]) + state[1:]


class Workload(ABC):
    """A deterministic computation over states of `state_length` bytes.

    Subclasses set `name`, `state_length` and `onchain` (whether an on-chain IStepVerifier
    checks a disputed step, or arbiters vote on it) and implement `_step`.
    """

    name: str
    state_length: int
    onchain: bool

    @property
    def id(self) -> bytes:
        return workload_id(self.name)

    def is_valid_state(self, state: bytes) -> bool:
        return len(state) == self.state_length

    def initial_state(self, input: bytes) -> bytes:
        """The state s_0 of a job whose input is `input`, refused unless it is a valid state."""
        self._check_state(input)
        return bytes(input)

    def step(self, state: bytes, index: int, seed: bytes) -> bytes:
        """The state after step `index` from `state`: what `IStepVerifier.step` returns on-chain."""
        self._check_state(state)
        if not 0 <= index < UINT256_LIMIT:
            raise WorkloadError(f"{self.name}: step index {index} is not a uint256")
        self._check_seed(seed)
        return self._step(bytes(state), index, bytes(seed))

    def iter_states(self, input: bytes, seed: bytes, n: int, *, fault_from_step: int | None = None) -> Iterator[bytes]:
        """Yields s_0..s_n, one at a time, so a long trace never sits in memory whole.

        With `fault_from_step=k` (1 <= k <= n), every state from s_k on is replaced by a corrupted
        copy of the honest one (`corrupt`): the trace agrees with the honest trace up to h_{k-1}
        and differs at every index from k on, so a dispute narrows to the step k-1 -> k.
        """
        state = self.initial_state(input)
        self._check_seed(seed)
        if not 1 <= n <= MAX_STEPS:
            raise WorkloadError(f"{self.name}: step count {n} is outside 1..{MAX_STEPS}")
        if fault_from_step is not None and not 1 <= fault_from_step <= n:
            raise WorkloadError(f"{self.name}: fault step {fault_from_step} is outside 1..{n}")
        faulty_from = n + 1 if fault_from_step is None else fault_from_step
        seed = bytes(seed)
        yield state
        for index in range(n):
            state = self._step(state, index, seed)
            yield corrupt(state) if index + 1 >= faulty_from else state

    def run(self, input: bytes, seed: bytes, n: int, *, fault_from_step: int | None = None) -> list[bytes]:
        """The states s_0..s_n (n + 1 of them)."""
        return list(self.iter_states(input, seed, n, fault_from_step=fault_from_step))

    def state_hashes(self, input: bytes, seed: bytes, n: int, *, fault_from_step: int | None = None) -> list[bytes]:
        """The trace h_0..h_n, h_i = keccak256(s_i), without keeping the states."""
        return [keccak256(state) for state in self.iter_states(input, seed, n, fault_from_step=fault_from_step)]

    def state_at(self, input: bytes, seed: bytes, index: int, *, fault_from_step: int | None = None) -> bytes:
        """The state s_index of the trace (what a solver reveals for a disputed step)."""
        if index < 0:
            raise WorkloadError(f"{self.name}: state index {index} is negative")
        if index == 0:
            return self.initial_state(input)
        # A fault from a later step leaves this prefix of the trace honest.
        fault = fault_from_step if fault_from_step is not None and fault_from_step <= index else None
        # The last state the iteration yields is the one at `index`; only it is kept.
        last = deque(self.iter_states(input, seed, index, fault_from_step=fault), maxlen=1)
        return last[0] if last else b""

    @abstractmethod
    def _step(self, state: bytes, index: int, seed: bytes) -> bytes:
        """The step on arguments already checked."""

    def _check_state(self, state: bytes) -> None:
        if not self.is_valid_state(state):
            raise WorkloadError(f"{self.name}: state is {len(state)} bytes, expected {self.state_length}")

    def _check_seed(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise WorkloadError(f"{self.name}: seed is {len(seed)} bytes, expected 32")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
