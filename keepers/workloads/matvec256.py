"""Workload `matvec-256`: the matvec step at width 256 (1024-byte states, 256x256 weights).

Too big to execute on-chain, so a disputed step goes to the arbiter committee; the executor is
the one Matvec implementation, at another width.
"""

from keepers.workloads.matvec import Matvec


class Matvec256(Matvec):
    def __init__(self) -> None:
        super().__init__(name="matvec-256", width=256, onchain=False)
