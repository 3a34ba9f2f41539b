"""Reference workloads of verified jobs: executors equal bit for bit to the on-chain step
verifiers, and the Merkle trace commitment the dispute game proves against (docs/workloads.md)."""

from keepers.workloads.base import MAX_STEPS, Workload, WorkloadError, corrupt, keccak256, workload_id
from keepers.workloads.hashchain import Hashchain
from keepers.workloads.matvec import Matvec
from keepers.workloads.matvec256 import Matvec256
from keepers.workloads.registry import WORKLOADS, get_workload
from keepers.workloads.trace import TraceTree, hash_pair, leaf_of, verify_proof

__all__ = [
    "MAX_STEPS",
    "WORKLOADS",
    "Hashchain",
    "Matvec",
    "Matvec256",
    "TraceTree",
    "Workload",
    "WorkloadError",
    "corrupt",
    "get_workload",
    "hash_pair",
    "keccak256",
    "leaf_of",
    "verify_proof",
    "workload_id",
]
