"""One stateful campaign over the whole protocol (PROTOCOL.md §7), as a seeded random walk.

Split the way Sablier Flow splits its invariant tests:

- `model.py` and `books.py`: the model of the books (ghost state): records of every request,
  lease, job, offer and provider, the token ledger, credits and accrued fees, and every protocol
  event folded in with its amounts recomputed;
- `invariants.py`: the ten invariants, checked after every step against the books;
- `handlers/`: the actions, one module per contract (and the attacker, the token, the clock);
- `walk.py`: `Campaign`, the driver: set-up, the weights, one seeded action per step, the digest;
- `functions.py`: every function driven and the errors it may raise; `enums.py`: the contracts'
  enums restated; `chain.py`: reads of the chain that wait, boundedly, for what they read.

A revert is fine when its custom error is one the function may raise for that call (it is
counted); any other revert (a Panic, no reason, an error the function does not declare) is a
failure, as is any broken invariant: `CampaignFailure`, naming the seed, the step, the walk's
digest and the command that replays it. A read the chain does not answer in time is a
`HarnessFailure` instead, never taken for a finding. docs/campaign.md describes every check.
"""

from scripts.campaign.chain import without_undo_snapshots
from scripts.campaign.failures import CampaignFailure, HarnessFailure, reproduce_command
from scripts.campaign.functions import ALLOWED, FUNCTIONS, INDIRECT, ONE_SHOT, must_succeed, succeeded
from scripts.campaign.model import Stats
from scripts.campaign.walk import Campaign

__all__ = [
    "ALLOWED",
    "FUNCTIONS",
    "INDIRECT",
    "ONE_SHOT",
    "Campaign",
    "CampaignFailure",
    "HarnessFailure",
    "Stats",
    "must_succeed",
    "reproduce_command",
    "succeeded",
    "without_undo_snapshots",
]
