"""The ghost records the model of the books is made of, and the walk's counters.

One record per request (and, once matched, its lease), job, offer and provider, holding what the
walk did to it and what the contracts' events said; the books (books.py) keep them and the
invariants (invariants.py) compare them with the chain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from keepers.ids import to_bytes32
from keepers.workloads.base import keccak256
from keepers.workloads.registry import get_workload
from keepers.workloads.trace import TraceTree
from scripts.campaign.constants import ZERO, ZERO32
from scripts.campaign.enums import A_NONE, J_MATCHED, J_NONE, L_ACTIVE, R_OPEN


@dataclass
class Trace:
    states: list[bytes]
    hashes: list[bytes]
    tree: TraceTree

    @classmethod
    def of(cls, workload: str, input: bytes, seed: bytes, steps: int, fault: int | None) -> Trace:
        states = get_workload(workload).run(input, seed, steps, fault_from_step=fault)
        hashes = [keccak256(s) for s in states]
        return cls(states, hashes, TraceTree(hashes))


@dataclass
class Terms:
    workload: str
    input: bytes
    seed: bytes
    steps: int
    result_timeout: int
    window: int
    hash: bytes = b""
    honest: Trace | None = None

    @property
    def tuple(self) -> tuple:
        wid = to_bytes32(self.workload)
        return (wid, keccak256(self.input), self.seed, self.steps, self.result_timeout, self.window)


@dataclass
class Order:
    """A request of the lease market; once matched, a lease (RENTAL) or the opening of a job."""

    id: int
    tenant: str
    kind: int
    deposit: int
    deadline: int
    max_price: int
    units: int
    duration: int
    terms: Terms | None = None
    spec: tuple = ()
    state: str = "open"  # open, cancelled, lease, job
    # lease facts
    provider: str = ZERO
    offer: int = 0
    price: int = 0
    fee_bps: int = 0
    start: int = 0
    escrow: int = 0  # deposit - match fee + top-ups
    bounty: int = 0
    withdrawn: int = 0
    collateral: int = 0
    challenger: str = ZERO
    bond: int = 0
    challenged_at: int = 0
    challenge_deadline: int = 0  # fixed when the challenge opens (LivenessChallenged)
    called_off: bool = False  # the tenant closed during a challenge: the clock stopped at it
    reclaimable_at: int = 0
    closed: bool = False
    terminated: bool = False  # ended by a missed liveness challenge
    matcher: str = ZERO  # who matched it (LeaseStarted): its bond answers for the match
    match_challenged: bool = False  # a MatcherBonds.challengeMatch of it won
    deposited: int = 0  # deposit + top-ups (invariant 2)
    paid_out: int = 0  # match fee + provider + fees + refunds + bounty (invariant 2)
    seen: int = R_OPEN  # last observed request status
    lease_seen: int = L_ACTIVE  # last observed lease status


@dataclass
class Job:
    id: int
    tenant: str
    provider: str
    offer: int
    units: int
    collateral: int
    escrow: int
    terms: Terms
    result_deadline: int
    solver: Trace | None = None
    fault: int | None = None  # the solver's trace is wrong from this step on
    window_ends: int = 0
    verifier: str = ZERO  # the claimant of a drawn job, or the verifier that attested it invalid
    attestation: int = A_NONE
    verifier_bond: int = 0  # posted with the claim
    challenger: str = ZERO  # of the open dispute
    bond: int = 0
    colluding: bool = False  # the challenger answers against the honest trace
    abandoned: bool = False  # challenged by its solver's second account: the solver never reveals
    disputed: bool = False
    terminal: bool = False
    final: int = J_NONE  # the terminal status, once settled
    paid_out: int = 0
    seen: int = J_MATCHED  # last observed status
    bounty: int = 0  # the settle bounty reserved beside the escrow at the match
    fee_bps: int = 0  # protocolFeeBps fixed at the match
    verifier_fee_bps: int = 0  # verifierFeeBps fixed at the match
    sample_bps: int = 0  # verificationSampleBps fixed at the match: the draw and the sampled pay
    claim_bond: int = 0  # verifierBond fixed at the match: what a claim posts

    @property
    def waiting(self) -> bool:
        """Matched, no result yet."""
        return not self.window_ends and not self.terminal

    @property
    def open(self) -> bool:
        """Result in, no dispute running, not settled."""
        return bool(self.window_ends) and not self.disputed and not self.terminal


@dataclass
class Offer:
    id: int
    provider: str
    model: bytes
    units: int
    price: int
    max_duration: int
    in_use: int = 0
    paused: bool = False
    removed: bool = False
    job_rate: int = 0  # the job policy: steps per second (0: no jobs) and setup seconds
    job_setup: int = 0


@dataclass
class Provider:
    account: object
    registered: bool = False
    region: bytes = ZERO32
    free: int = 0
    locked: int = 0
    unbonding: int = 0
    ready_at: int = 0
    # Reputation facts: leases and jobs that paid the minimum, liveness challenges answered.
    leases_counted: int = 0
    jobs_counted: int = 0
    answered: int = 0


@dataclass
class Stats:
    steps: int = 0
    time_moves: int = 0
    checks: int = 0
    ok: Counter = field(default_factory=Counter)
    reverted: Counter = field(default_factory=Counter)
    indirect: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)  # (function, error)
    skips: Counter = field(default_factory=Counter)
    close_skips: Counter = field(default_factory=Counter)  # by Market.CloseSkipReason
    self_reports: int = 0
    slashes: int = 0
    blocklist_moves: int = 0  # blocklist and unblock calls on the token
    token_pauses: int = 0  # pauses of the token as a whole (every transfer refused until resumed)
    match_challenges: int = 0  # MatcherBonds.challengeMatch calls that won
    credits: int = 0  # payouts the token refused, credited instead
    credited: int = 0  # their sum, in token units
    cheats: Counter = field(default_factory=Counter)  # the cheating classes' moves (handlers/cheaters.py)
    role_moves: int = 0  # setRole calls that went through (grants and revocations mid-flight)
