"""What the job roles share: the jobs known from the JobMarket's events, their traces, and the
challenger's side of the bisection game.

`JobBook` is memory only, like `MarketView`: at every start it rescans the JobMarket's events
from the deployment block, so it also holds every published terms hash with its terms and
input (the `JobTermsPublished` event is the only place the input lives). A re-org drops the
events above the fork and replays the rest. The facts are what the events said; a role re-reads
the job (`LeaseholdClient.job`, `next_move`, `dispute`) before it acts, and the sender simulates.

`TraceCache` computes a job's trace (states, hashes, Merkle tree) once per terms hash and
fault, with the executors of keepers/workloads. `ChallengerGame` answers the solver's reveals
from the challenger's own trace and claims the timeout of a solver that stops moving: the
verifier (after attesting invalid) and the whistleblower (after challenging) both play it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from keepers.client import LeaseholdClient
from keepers.contracts.structs import JobTerms
from keepers.contracts.types import DisputeResult, Phase
from keepers.indexer import IndexedEvent
from keepers.sender import SendResult, send_or_skip
from keepers.workloads import TraceTree, Workload, WorkloadError, get_workload, keccak256

TERMINAL = frozenset({"FINALIZED", "EXPIRED", "SLASHED", "VOIDED"})
CLAIM_WINDOW_BLOCKS = 256  # JobMarket.CLAIM_WINDOW_BLOCKS: the chain knows the last 256 block hashes


def is_drawn(submit_block_hash: bytes, job_id: int, sample_bps: int) -> bool:
    """Whether the hash of a result's block draws the job for verification, as `JobMarket.isDrawn`
    computes it: keccak256(abi.encode(hash, jobId)) mod 10,000 below the sample rate."""
    digest = keccak256(bytes(submit_block_hash).rjust(32, b"\x00") + job_id.to_bytes(32, "big"))
    return int.from_bytes(digest, "big") % 10_000 < sample_bps


def spot_index(trace_root: bytes, verifier: str, steps: int) -> int:
    """The step whose state hash `verifier` proves to attest a result valid (`JobMarket.spotIndex`):
    keccak256(abi.encode(traceRoot, verifier)) mod (N + 1)."""
    address = bytes.fromhex(verifier.removeprefix("0x")).rjust(32, b"\x00")
    return int.from_bytes(keccak256(bytes(trace_root) + address), "big") % (steps + 1)


@dataclass(frozen=True)
class PublishedTerms:
    terms_hash: bytes
    terms: JobTerms
    input: bytes


@dataclass
class JobFacts:
    """One job as its events tell it. `status` is a stored status (never LATE or FINALIZABLE)."""

    job_id: int
    tenant: str
    provider: str
    terms_hash: bytes
    result_deadline: int
    status: str = "MATCHED"
    output_hash: bytes | None = None
    window_ends_at: int = 0
    verifier: str | None = None  # the claimant of a drawn job, or the verifier that attested
    attested_valid: bool | None = None
    submit_block: int = 0  # the block of the result, whose hash draws the verification sample
    challenger: str | None = None  # of the open dispute
    dispute_number: int = 0
    phase: str = "NONE"  # of the open dispute
    move_deadline: int = 0  # of the open dispute's phase, inclusive


@dataclass
class JobState:
    terms: dict[bytes, PublishedTerms] = field(default_factory=dict)
    jobs: dict[int, JobFacts] = field(default_factory=dict)

    def apply(self, event: IndexedEvent) -> None:
        args = event.args
        if event.name == "JobTermsPublished":
            terms_hash = bytes(args["termsHash"])
            self.terms[terms_hash] = PublishedTerms(
                terms_hash, JobTerms.from_event(args["terms"]), bytes(args["input"])
            )
            return
        if event.name == "JobOpened":
            self.jobs[args["jobId"]] = JobFacts(
                args["jobId"], args["tenant"], args["provider"], bytes(args["termsHash"]), args["resultDeadline"]
            )
            return
        job = self.jobs.get(args.get("jobId"))
        if job is None:
            return
        match event.name:
            case "ResultSubmitted":
                job.status, job.output_hash, job.window_ends_at = (
                    "SUBMITTED",
                    bytes(args["outputHash"]),
                    args["windowEndsAt"],
                )
                job.submit_block = event.block_number
            case "VerificationClaimed":
                job.verifier, job.window_ends_at = args["verifier"], args["windowEndsAt"]
            case "JobExpired":
                job.status = "EXPIRED"
            case "Attested":
                job.verifier, job.attested_valid = args["verifier"], args["valid"]
                if args["valid"]:
                    job.window_ends_at = args["windowEndsAt"]
            case "DisputeOpened":
                job.status, job.challenger, job.dispute_number = "DISPUTED", args["challenger"], args["number"]
                job.phase, job.move_deadline = Phase(args["phase"]).name, args["deadline"]
            case "MidpointRevealed":
                job.phase, job.move_deadline = "RESPOND", args["deadline"]
            case "MidpointAnswered":
                job.phase, job.move_deadline = Phase(args["phase"]).name, args["deadline"]
            case "DisputeResolved":
                job.challenger, job.phase, job.move_deadline = None, "NONE", 0
                result = DisputeResult(args["result"]).name
                if result == "CHALLENGER_WON":
                    job.status = "SLASHED"
                else:  # SOLVER_WON, or VOIDED (no majority): settled as the challenger's loss
                    job.status, job.window_ends_at = "SUBMITTED", args["windowEndsAt"]
            case "JobFinalized":
                job.status = "FINALIZED"


class JobBook:
    """Keeps a `JobState` current from the JobMarket's events.

    `JobBook(keeper, name)` scans with an indexer of its own; `JobBook(keeper)` has none and is
    fed by a role that scans the JobMarket together with other contracts (`apply`, `rollback`),
    so one `eth_getLogs` serves both.
    """

    EVENTS = (
        "JobTermsPublished",
        "JobOpened",
        "ResultSubmitted",
        "VerificationClaimed",
        "JobExpired",
        "Attested",
        "DisputeOpened",
        "MidpointRevealed",
        "MidpointAnswered",
        "DisputeResolved",
        "JobFinalized",
    )

    def __init__(self, keeper, name: str | None = None) -> None:
        self.job_market = keeper.contracts.job_market  # the typed wrapper; its `contract` feeds the indexer
        self.state = JobState()
        self._events: list[IndexedEvent] = []
        self._lock = threading.Lock()
        self.indexer = None
        if name is not None:
            # Memory only: forget any cursor a previous run left, so the scan starts at deployment.
            keeper.checkpoints.rollback(name, -1)
            self.indexer = keeper.indexer(
                [self.job_market.contract],
                name=name,
                on_event=self.apply,
                on_rollback=self.rollback,
                event_names=self.EVENTS,
            )

    def refresh(self) -> int:
        """Reads new events with the book's own indexer; returns how many arrived."""
        with self._lock:
            return self.indexer.poll()

    def terms(self, terms_hash: bytes) -> PublishedTerms | None:
        return self.state.terms.get(bytes(terms_hash))

    def jobs(self, *statuses: str) -> list[JobFacts]:
        """The jobs in any of `statuses` (every job when none is given), by id."""
        return [job for _, job in sorted(self.state.jobs.items()) if not statuses or job.status in statuses]

    def apply(self, event: IndexedEvent) -> None:
        self._events.append(event)
        self.state.apply(event)

    def rollback(self, block_number: int) -> None:
        """Forgets what was learnt above `block_number` (a re-org) and replays the rest."""
        self._events = [event for event in self._events if event.block_number <= block_number]
        self.state = JobState()
        for event in self._events:
            self.state.apply(event)


@dataclass(frozen=True)
class Trace:
    """A job's states s_0..s_N, their hashes h_0..h_N and the Merkle tree the solver commits to."""

    states: list[bytes]
    hashes: list[bytes]
    tree: TraceTree

    @property
    def output_hash(self) -> bytes:
        return self.hashes[-1]

    @property
    def root(self) -> bytes:
        return self.tree.root

    def proof(self, index: int) -> list[bytes]:
        return self.tree.proof(index)


def compute_trace(terms: JobTerms, input: bytes, fault_from_step: int | None = None) -> Trace:
    """The trace of a job, honest or corrupted from step `fault_from_step` on (capped at N)."""
    workload = get_workload(terms.workload)
    fault = None if fault_from_step is None else min(fault_from_step, terms.steps)
    states = workload.run(input, terms.seed, terms.steps, fault_from_step=fault)
    hashes = [keccak256(state) for state in states]
    return Trace(states, hashes, TraceTree(hashes))


class TraceCache:
    """Computed traces by (terms hash, fault step), the least recently used dropped past `size`."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._traces: OrderedDict[tuple[bytes, int | None], Trace] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, published: PublishedTerms, fault_from_step: int | None = None) -> Trace:
        key = (published.terms_hash, fault_from_step)
        with self._lock:
            if key in self._traces:
                self._traces.move_to_end(key)
                return self._traces[key]
        trace = compute_trace(published.terms, published.input, fault_from_step)
        with self._lock:
            self._traces[key] = trace
            while len(self._traces) > self.size:
                self._traces.popitem(last=False)
        return trace


def check_workloads(value: list[str] | None) -> list[str] | None:
    """A pydantic validator: every name is a workload the executors know (`[role] workloads`)."""
    for name in value or ():
        try:
            get_workload(name)
        except WorkloadError as error:
            raise ValueError(str(error)) from None
    return value


class Unexecutable:
    """Jobs a keeper cannot execute (an unknown workload, an input its executor refuses): skipped
    with one warning, so one bad job never stops a tick from handling the others."""

    def __init__(self, log) -> None:
        self.log = log
        self._jobs: set[int] = set()

    def __contains__(self, job_id: int) -> bool:
        return job_id in self._jobs

    def run(self, job_id: int, action: Callable[[], None]) -> None:
        try:
            action()
        except WorkloadError as error:
            self._jobs.add(job_id)
            self.log.warning(
                "job cannot be executed; skipped",
                extra={"event": "job_unexecutable", "job_id": job_id, "error": str(error)},
            )


def workload_of(published: PublishedTerms) -> Workload:
    return get_workload(published.terms.workload)


def attempt(log, action: str, job_id: int, send: Callable[[], SendResult], metrics=None) -> SendResult | None:
    """`send_or_skip` for an action on job `job_id`; a lost race counts in `metrics` when given."""
    return send_or_skip(log, action, send, metrics=metrics, job_id=job_id)


class ChallengerGame:
    """The challenger's moves in every open dispute `client`'s account raised.

    RESPOND: agree iff the revealed hash equals the challenger's own h_mid, so the interval keeps
    the first step where the two traces part. REVEAL or PROVE past its deadline: claim the timeout.
    """

    def __init__(self, client: LeaseholdClient, book: JobBook, traces: TraceCache, log, moves) -> None:
        self.client = client
        self.book = book
        self.traces = traces
        self.log = log
        self.moves = moves  # a counter labelled by action

    def disputes(self) -> Iterator[JobFacts]:
        me = self.client.address
        return (job for job in self.book.jobs("DISPUTED") if job.challenger == me)

    def play(self, now: int) -> None:
        for job in list(self.disputes()):
            self.move(job, now)

    def move(self, job: JobFacts, now: int) -> None:
        move = self.client.next_move(job.job_id)
        if move.phase == "RESPOND" and move.mover == self.client.address and now <= move.deadline:
            published = self.book.terms(job.terms_hash)
            dispute = self.client.dispute(job.job_id)
            agree = self.traces.get(published).hashes[dispute.mid] == dispute.h_mid
            self._send("respond", job.job_id, lambda: self.client.respond(job.job_id, agree))
        elif move.phase in ("REVEAL", "PROVE") and now > move.deadline:
            self._send("claim_timeout", job.job_id, lambda: self.client.claim_timeout(job.job_id))

    def _send(self, action: str, job_id: int, send: Callable[[], SendResult]) -> None:
        if attempt(self.log, action, job_id, send, self.client.sender.metrics) is not None:
            self.moves.labels(action).inc()
