"""The workloads a keeper can execute, by their on-chain bytes32 id."""

from types import MappingProxyType

from keepers.workloads.base import Workload, WorkloadError, workload_id
from keepers.workloads.hashchain import Hashchain
from keepers.workloads.matvec import Matvec
from keepers.workloads.matvec256 import Matvec256

WORKLOADS: MappingProxyType[bytes, Workload] = MappingProxyType(
    {workload.id: workload for workload in (Hashchain(), Matvec(), Matvec256())}
)


def get_workload(id_or_name: bytes | str) -> Workload:
    """The executor of a workload given its bytes32 id (as read from a job) or its name."""
    key = workload_id(id_or_name) if isinstance(id_or_name, str) else bytes(id_or_name)
    try:
        return WORKLOADS[key]
    except KeyError:
        readable = key.rstrip(b"\0").decode("ascii", errors="replace")
        raise WorkloadError(f"unknown workload 0x{key.hex()} ({readable!r})") from None
