"""Constants, enums and a driver shared by the job market tests.

Traces come from the real executors in keepers/workloads: a solver's trace is either the
honest one or one corrupted from step k on (`fault_from_step=k`), so a dispute narrows to the
step k-1 -> k exactly as it would between real keepers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import brownie

from keepers.contracts.types import Attestation, DisputeResult, JobStatus, Phase, RequestKind, SlashReason
from keepers.workloads.base import keccak256
from keepers.workloads.registry import get_workload
from keepers.workloads.trace import TraceTree

from helpers import USD, b32

HASHCHAIN = b32("hashchain")
MATVEC = b32("matvec")
MATVEC256 = b32("matvec-256")
EU_WEST = b32("eu-west")
H100 = b32("nvidia-h100-80gb")
ZERO32 = "0x" + "00" * 32
SEED = b32("seed-1")

HOUR = 3600
MINUTE = 60
STAKE = 50_000 * USD
COLLATERAL = 2_000 * USD  # one H100 unit
OFFER_UNITS = 8
OFFER_PRICE = 2 * USD
MATCH_FEE = USD // 2
ESCROW = 100 * USD  # the job's price: what the job market holds for it, besides the settle bounty
SETTLE_BOUNTY = USD // 4  # reserved from the deposit at the match, paid to whoever settles the job
DEPOSIT = ESCROW + SETTLE_BOUNTY + MATCH_FEE
CHALLENGE_BOND = 50 * USD
VERIFIER_BOND = 20 * USD
PROTOCOL_FEE_BPS = 100
VERIFIER_FEE_BPS = 1_200  # the verifier levy, taken from every job's price
SAMPLE_BPS = 2_000  # the share of results drawn for paid verification
WHISTLEBLOWER_BPS = 5_000
TENANT_COMP_BPS = 3_000
LATE_SLASH_BPS = 500
MOVE_TIMEOUT = HOUR
VOTE_WINDOW = HOUR
FUNDS = 1_000_000 * USD

# The contracts' enums (keepers/contracts/types.py) under the short names these tests use;
# unpacking fails when a Solidity enum gains or loses a member.
(NONE, MATCHED, LATE, SUBMITTED, FINALIZABLE, DISPUTED, FINALIZED, EXPIRED, SLASHED, VOIDED) = JobStatus
A_NONE, A_VALID, A_INVALID = Attestation
P_NONE, REVEAL, RESPOND, PROVE, VOTE = Phase
SOLVER_WON, CHALLENGER_WON, R_VOIDED = DisputeResult
LATE_RESULT, DISPUTE_LOST = SlashReason.LATE_RESULT, SlashReason.DISPUTE_LOST
JOB_KIND = RequestKind.JOB

JOB_FIELDS = [
    "provider",
    "offerId",
    "units",
    "tenant",
    "resultDeadline",
    "windowEndsAt",
    "status",
    "attestation",
    "collateral",
    "escrow",
    "termsHash",
    "outputHash",
    "traceRoot",
    "verifier",
    "verifierBond",
    "submitBlock",
    "sampleBps",
]
DISPUTE_FIELDS = [
    "challenger",
    "bond",
    "lo",
    "hi",
    "deadline",
    "phase",
    "arbiterMode",
    "moveTimeoutSeconds",
    "voteWindowSeconds",
    "number",
    "verifierDefends",
    "hLo",
    "hHi",
    "hMid",
    "windowLeft",
    "votesForSolver",
    "votesForChallenger",
]


def now() -> int:
    return brownie.chain[-1].timestamp


def sleep_past(timestamp: int) -> None:
    """Mines the next block one second after `timestamp`."""
    brownie.chain.mine(timestamp=timestamp + 1)


def sleep_to(timestamp: int) -> None:
    """Mines the next block at `timestamp` (for views read at that time)."""
    brownie.chain.mine(timestamp=timestamp)


def next_tx_at(timestamp: int) -> None:
    """The next transaction's block gets exactly `timestamp`, however slow the machine is."""
    brownie.web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def h(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def rounds_for(steps: int) -> int:
    """⌈log2 N⌉: the most reveals a dispute over N steps can take."""
    return math.ceil(math.log2(steps)) if steps > 1 else 0


@dataclass
class Trace:
    """A solver's (or a watcher's) view of a job: its states, their hashes and its tree."""

    states: list[bytes]
    hashes: list[bytes]
    tree: TraceTree

    @classmethod
    def of(cls, workload_id: str, input: bytes, seed: str, steps: int, fault_from_step: int | None = None) -> Trace:
        workload = get_workload(bytes.fromhex(workload_id[2:]))
        states = workload.run(input, bytes.fromhex(seed[2:]), steps, fault_from_step=fault_from_step)
        hashes = [keccak256(state) for state in states]
        return cls(states, hashes, TraceTree(hashes))

    @property
    def root(self) -> str:
        return h(self.tree.root)

    @property
    def output(self) -> str:
        return h(self.hashes[-1])

    def proof(self, index: int) -> list[str]:
        return [h(node) for node in self.tree.proof(index)]


@dataclass
class Job:
    id: int
    terms: tuple
    input: bytes
    steps: int
    workload: str
    honest: Trace
    solver: Trace | None = None
    reveals: int = field(default=0)


def default_input(workload_id: str, salt: int = 0) -> bytes:
    """A valid input state for the workload: hashchain 32 bytes, matvec Q16.16 values."""
    workload = get_workload(bytes.fromhex(workload_id[2:]))
    if workload_id == HASHCHAIN:
        return keccak256(b"input" + salt.to_bytes(4, "big"))
    width = workload.state_length // 4
    values = [((i * 7919 + salt * 104729) % 5 - 2) << 16 for i in range(width)]
    return b"".join(v.to_bytes(4, "big", signed=True) for v in values)


def make_terms(workload=HASHCHAIN, steps=8, seed=SEED, input=None, result_timeout=HOUR, window=HOUR, salt=0):
    input = default_input(workload, salt) if input is None else input
    return (workload, h(keccak256(input)), seed, steps, result_timeout, window), input


def job_of(job_market, job_id: int) -> dict:
    return dict(zip(JOB_FIELDS, job_market.getJob(job_id)))


def dispute_of(job_market, job_id: int) -> dict:
    return dict(zip(DISPUTE_FIELDS, job_market.disputeOf(job_id)))


class Driver:
    """Plays the parties of a job against the real contracts."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.jm = ctx.job_market

    # --- setup -----------------------------------------------------------------------------

    def publish(self, terms, input, sender=None):
        return self.jm.publishJobTerms(terms, input, {"from": sender or self.ctx.stranger})

    def open(
        self,
        workload=HASHCHAIN,
        steps=8,
        salt=None,
        provider=None,
        window=HOUR,
        result_timeout=HOUR,
        seed=SEED,
        deposit=DEPOSIT,
    ):
        """Publishes terms, creates a JOB request and matches it with the provider's offer."""
        ctx = self.ctx
        salt = ctx.next_salt() if salt is None else salt
        terms, input = make_terms(workload, steps, seed, result_timeout=result_timeout, window=window, salt=salt)
        self.publish(terms, input)
        terms_hash = self.jm.hashTerms(terms)
        spec = (
            H100,
            0,
            1,
            ZERO32,
            0,
            0,
            3 * USD,
            86_400,
            now() + HOUR,
            JOB_KIND,
            terms_hash,
            False,  # rematch: rentals only
        )
        request_id = ctx.market.createRequest(spec, deposit, {"from": ctx.tenant}).return_value
        offer = ctx.offer2 if provider == ctx.provider2 else ctx.offer
        ctx.market.matchRequests([(request_id, offer)], {"from": ctx.matcher})
        honest = Trace.of(workload, input, seed, steps)
        return Job(request_id, terms, input, steps, workload, honest)

    def submit(self, job: Job, fault_from_step: int | None = None, sender=None):
        solver = (
            job.honest
            if fault_from_step is None
            else Trace.of(job.workload, job.input, job.terms[2], job.steps, fault_from_step)
        )
        job.solver = solver
        return self.jm.submitResult(
            job.id,
            job.terms,
            solver.output,
            solver.root,
            solver.proof(job.steps),
            {"from": sender or self.provider_of(job)},
        )

    def submit_drawn(self, job: Job, fault_from_step: int | None = None, drawn: bool = True, sender=None):
        """Submits the result in a block whose hash draws the job for verification (or, with
        `drawn=False`, does not). A solver cannot choose its block's hash; a test can: it undoes
        the submission and submits again a block later, a new block with a new hash."""
        for _ in range(100):
            tx = self.submit(job, fault_from_step, sender)
            if self.is_drawn(job) == drawn:
                return tx
            brownie.chain.undo()
            brownie.chain.mine()
        raise AssertionError("no block drew the job in 100 tries")

    def is_drawn(self, job: Job) -> bool:
        """Whether the hash of the result's block draws the job, as a verifier keeper computes it."""
        facts = job_of(self.jm, job.id)
        block, sample_bps = facts["submitBlock"], facts["sampleBps"]  # the rate fixed at the match
        return self.jm.isDrawn(brownie.web3.eth.get_block(block)["hash"], job.id, sample_bps)

    def claim(self, job: Job, verifier=None):
        return self.jm.claimVerification(job.id, job.terms, {"from": verifier or self.ctx.verifier})

    def spot(self, job: Job, verifier, trace: Trace | None = None) -> tuple[str, list[str]]:
        """The spot proof `verifier` shows from `trace` (the solver's, which a re-executing
        verifier holds when the result is right, unless given)."""
        trace = trace or job.solver
        index = self.jm.spotIndex(trace.root, verifier, job.steps)
        return h(trace.hashes[index]), trace.proof(index)

    def attest_valid(self, job: Job, verifier=None, claim: bool = True):
        """Claims the (drawn) job and attests it valid with the spot proof of the solver's trace."""
        verifier = verifier or self.ctx.verifier
        if claim:
            self.claim(job, verifier)
        spot_hash, proof = self.spot(job, verifier)
        return self.jm.attest(job.id, job.terms, True, spot_hash, proof, {"from": verifier})

    def claim_and_attest(self, job: Job, verifier=None, trace: Trace | None = None):
        """Claims the (drawn) job and attests it valid in one call, with the spot proof of `trace`."""
        verifier = verifier or self.ctx.verifier
        spot_hash, proof = self.spot(job, verifier, trace)
        return self.jm.claimAndAttest(job.id, job.terms, spot_hash, proof, {"from": verifier})

    def attest_invalid(self, job: Job, verifier=None):
        return self.jm.attest(job.id, job.terms, False, ZERO32, [], {"from": verifier or self.ctx.verifier})

    def open_drawn(self, fault_from_step=None, **kwargs) -> Job:
        """A job whose result is in and drawn for verification."""
        job = self.open(**kwargs)
        self.submit_drawn(job, fault_from_step)
        return job

    def provider_of(self, job: Job):
        return job_of(self.jm, job.id)["provider"]

    def open_submitted(self, fault_from_step=None, **kwargs) -> Job:
        job = self.open(**kwargs)
        self.submit(job, fault_from_step)
        return job

    # --- the game ----------------------------------------------------------------------------

    def challenge(self, job: Job, challenger=None):
        return self.jm.challenge(job.id, job.terms, {"from": challenger or self.ctx.challenger})

    def reveal(self, job: Job):
        d = dispute_of(self.jm, job.id)
        mid = (d["lo"] + d["hi"]) // 2
        job.reveals += 1
        return self.jm.reveal(job.id, h(job.solver.hashes[mid]), job.solver.proof(mid), {"from": self.provider_of(job)})

    def respond(self, job: Job, view: Trace | None = None, agree: bool | None = None):
        """Answers as a challenger that believes `view` (the honest trace unless given)."""
        d = dispute_of(self.jm, job.id)
        if agree is None:
            mid = (d["lo"] + d["hi"]) // 2
            agree = h((view or job.honest).hashes[mid]) == h(d["hMid"])
        return self.jm.respond(job.id, agree, {"from": d["challenger"]})

    def bisect(self, job: Job, view: Trace | None = None, agree: bool | None = None):
        """Plays reveal/respond rounds until one step is left; returns the number of rounds.

        The challenger answers from `view` (the honest trace unless given), or always `agree`.
        """
        rounds = 0
        while dispute_of(self.jm, job.id)["phase"] == REVEAL:
            self.reveal(job)
            self.respond(job, view, agree)
            rounds += 1
        return rounds

    def prove(self, job: Job, sender=None, state: bytes | None = None):
        d = dispute_of(self.jm, job.id)
        state = job.solver.states[d["lo"]] if state is None else state
        return self.jm.proveStep(job.id, job.terms, state, {"from": sender or self.provider_of(job)})

    def finalize_after_window(self, job: Job, sender=None):
        sleep_to(job_of(self.jm, job.id)["windowEndsAt"])
        return self.jm.finalizeJob(job.id, {"from": sender or self.ctx.stranger})
