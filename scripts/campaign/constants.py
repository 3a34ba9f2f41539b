"""The campaign's own constants: units, the actors' funds, the places and workloads it uses, and
the tuning of its gas check and of its guided coverage."""

from keepers.contracts.types import MAX_UINT256 as MAX_UINT
from keepers.contracts.types import ZERO_ADDRESS as ZERO
from keepers.ids import ZERO_BYTES32 as ZERO32
from keepers.ids import to_bytes32

__all__ = ["MAX_UINT", "ZERO", "ZERO32"]

USD = 10**6
HOUR = 3600
DAY = 86_400
FUNDS = 10_000_000 * USD

REGIONS = [to_bytes32(r) for r in ("eu-west", "us-east", "ap-south")]
WORKLOADS = ("hashchain", "matvec", "matvec-256")
# Gas (invariant 10): the first GAS_BASELINE successes of each (function, events) kind set its
# ceiling; every later one must stay within GAS_TOLERANCE of it plus GAS_SLACK gas.
GAS_BASELINE = 8
GAS_TOLERANCE = 1.10
GAS_SLACK = 5_000
# Guided coverage (functions.py `guidance`): an action whose function has not gone through yet is
# GUIDE times as likely, less as its successes mount; one leading to a function not reached yet
# (a job to dispute, a vote, a credit to claim) LEAD times more.
GUIDE = 5
LEAD = 3
# The walk's accounts: the node's unlocked ones, then fixed keys (brownie signs for those).
ACCOUNTS = 28
# "Cheating loses" (issue 18, item 4): a cheating class that profits against honest play at the end
# of a walk is an invariant violation (exit 1, with its reproduction command); the summary reports
# each class's books either way. `scripts.fuzz --no-cheating-must-lose` only reports them.
CHEATING_MUST_LOSE = True
# The shortest result timeout an honest provider's job policy takes (its `minResultTimeoutSeconds`):
# the walk's providers deliver when the walk submits their results, at its pace, so none of them can
# promise a result within a minute and a half. With 60 s, offers took the edge tenant's 90-second
# terms, and a slash's tenant compensation on them made edge terms pay: a harness artefact (no
# rational provider consents to terms it cannot meet), not a protocol hole. The edge book
# (profits.py) leaves out the compensation on terms at or above it, which honest tenants get alike.
REALISTIC_SETUP = 30 * 60
# Edge job terms (a cheating tenant's): the honest trace is computed only up to this many steps;
# beyond it no solver in the walk can deliver, as no provider could in the time the terms allow.
TRACEABLE_STEPS = 256
