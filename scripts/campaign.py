"""One stateful campaign over the whole protocol (PROTOCOL.md §7), as a seeded random walk.

`Campaign(seed)` deploys the protocol with scripts/deploy.py on the chain brownie is connected
to, creates every kind of actor, and `run(steps)` takes one action per step: a call of an
external state-changing function of ProtocolConfig, ProviderRegistry, LeaseMarket or JobMarket
by some actor with mostly valid arguments, a time move, or the token's issuer blocklisting or
unblocking a party (the token is BlocklistPermitToken, so a settlement payout it refuses is
credited and later claimed). After every step it checks the ten invariants against a ghost model
built from the calls it made and the events they emitted, payout credits and accrued protocol
fees included.

A revert is fine when its custom error is one the function may raise for that call (it is
counted); any other revert (a Panic, no reason, an error the function does not declare) is a
failure, as is any broken invariant. Failures raise `CampaignFailure`, naming the seed and the
step; the walk is reproducible from the seed alone (block timestamps are set by the walk, not
the wall clock). docs/campaign.md describes the model and every check.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import brownie
import brownie.network.account as brownie_account
from brownie import web3
from brownie.exceptions import VirtualMachineError, decode_typed_error
from eth_account import Account
from eth_account.messages import encode_typed_data

from keepers.ids import to_bytes32
from keepers.workloads.base import keccak256
from keepers.workloads.registry import get_workload
from keepers.workloads.trace import TraceTree
from scripts.deploy import deploy, load_catalogue

USD = 10**6
BPS = 10_000
HOUR = 3600
DAY = 86_400
MAX_UINT = 2**256 - 1
ZERO = "0x" + "00" * 20
ZERO32 = b"\0" * 32
FUNDS = 10_000_000 * USD

# Market.RequestStatus / LeaseStatus / CloseReason, Jobs.Status / Attestation / Phase / DisputeResult.
R_NULL, R_OPEN, R_EXPIRED, R_MATCHED, R_CANCELLED = range(5)
L_NULL, L_ACTIVE, L_EXPIRED, L_INSOLVENT, L_CLOSED, L_TERMINATED = range(6)
C_NONE, C_TENANT, C_RECLAIM, C_EXPIRED, C_INSOLVENT, C_LIVENESS = range(6)
# Market.CloseSkipReason, and closeLeases' bound.
K_NONE, K_NOT_FOUND, K_SETTLED, K_CHALLENGE_OPEN, K_ACTIVE = range(5)
MAX_CLOSE_BATCH = 200
(J_NONE, J_MATCHED, J_LATE, J_SUBMITTED, J_FINALIZABLE, J_DISPUTED,
 J_FINALIZED, J_EXPIRED, J_SLASHED, J_VOIDED) = range(10)
A_NONE, A_VALID, A_INVALID = range(3)
P_NONE, P_REVEAL, P_RESPOND, P_PROVE, P_VOTE = range(5)
SOLVER_WON, CHALLENGER_WON, VOIDED = range(3)
S_LIVENESS, S_LATE, S_DISPUTE = range(3)
RENTAL, JOB = 0, 1

# Status moves allowed between two observations (staying put is always allowed): invariant 5.
# Observations are one step apart, and a step may both move the clock and send a transaction,
# so the allowed moves are the transitive closure of the documented machine.


def _closure(moves: dict[int, set[int]]) -> dict[int, set[int]]:
    closed = {status: set(targets) for status, targets in moves.items()}
    changed = True
    while changed:
        changed = False
        for targets in closed.values():
            reachable = set().union(*(closed[t] for t in targets)) if targets else set()
            if not reachable <= targets:
                targets |= reachable
                changed = True
    return closed


REQUEST_MOVES = {
    R_OPEN: {R_EXPIRED, R_MATCHED, R_CANCELLED}, R_EXPIRED: {R_CANCELLED}, R_MATCHED: set(), R_CANCELLED: set(),
}
LEASE_MOVES = {
    L_ACTIVE: {L_EXPIRED, L_INSOLVENT, L_CLOSED, L_TERMINATED},
    L_INSOLVENT: {L_EXPIRED, L_CLOSED, L_TERMINATED},
    L_EXPIRED: {L_CLOSED, L_TERMINATED},
    L_CLOSED: set(),
    L_TERMINATED: set(),
}
JOB_TERMINAL = {J_FINALIZED, J_EXPIRED, J_SLASHED, J_VOIDED}
JOB_MOVES = {
    J_MATCHED: {J_LATE, J_SUBMITTED},
    J_LATE: {J_EXPIRED},
    J_SUBMITTED: {J_FINALIZABLE, J_DISPUTED},
    J_FINALIZABLE: {J_FINALIZED},
    J_DISPUTED: {J_SUBMITTED, J_SLASHED, J_VOIDED},
    **{status: set() for status in JOB_TERMINAL},
}
REQUEST_MOVES, LEASE_MOVES, JOB_MOVES = _closure(REQUEST_MOVES), _closure(LEASE_MOVES), _closure(JOB_MOVES)

REGIONS = [to_bytes32(r) for r in ("eu-west", "us-east", "ap-south")]
WORKLOADS = ("hashchain", "matvec", "matvec-256")
# Registry functions only a market may call: the attacker calls them directly (and must be
# refused); their successes are counted from the events the markets' calls make them emit.
INDIRECT = {
    "ProviderRegistry.tryReserve": "CollateralLocked",
    "ProviderRegistry.release": "CollateralReleased",
    "ProviderRegistry.recordOutcome": "LivenessAnswered",
    "ProviderRegistry.slash": "ProviderSlashed",
    "JobMarket.openJob": "JobOpened",
}
# Functions no walk can make succeed: one-shot wiring done by scripts/deploy.py, and giving up
# governance for good (only the attacker calls it, and must be refused).
ONE_SHOT = {"LeaseMarket.setJobMarket", "ProtocolConfig.renounceOwnership"}
# Gas (invariant 10): the first GAS_BASELINE successes of each (function, events) kind set its
# ceiling; every later one must stay within GAS_TOLERANCE of it plus GAS_SLACK gas.
GAS_BASELINE = 8
# Guided coverage: an action whose function has not gone through yet is this many times as likely.
GUIDE = 5
GAS_TOLERANCE = 1.10
GAS_SLACK = 5_000

OZ_OWNER = {"OwnableUnauthorizedAccount"}
ERC20 = {"ERC20InsufficientAllowance", "ERC20InsufficientBalance"}
# The payment (and stake) token refusing a blocklisted account, as USDC does. SafeERC20 bubbles
# the token's own revert data, so brownie decodes the token's error. Only calls that move tokens
# from the caller (deposits, stakes, bonds) or pay one party with a plain transfer (the caller's
# unstake, match fee, liveness bond back, credit claim; the tenant's refund on cancel) may raise
# it: every settlement payout is credited instead (PayoutCredits).
REFUSED = {"BlocklistPermitToken_Blocked"}
CLAIM = {"Leasehold_NoCredit"} | REFUSED
# A sweep pays the treasury with a plain transfer: a blocklisted treasury refuses it, and the fees wait.
SWEEP = {"Leasehold_NoFees"} | REFUSED

# Every custom error each function may legitimately raise; anything else is a failure.
ALLOWED = {
    "ProtocolConfig.setParams": {"ProtocolConfig_ParamOutOfBounds", "ProtocolConfig_UnbondingTooShort",
                                 "ProtocolConfig_SharesExceedWhole"} | OZ_OWNER,
    "ProtocolConfig.setGpuModel": {"ProtocolConfig_InvalidGpuModel", "ProtocolConfig_InvalidVram",
                                   "ProtocolConfig_InvalidTier", "ProtocolConfig_CollateralOutOfBounds"} | OZ_OWNER,
    "ProtocolConfig.setRole": {"ProtocolConfig_UnknownRole", "Leasehold_ZeroAddress"} | OZ_OWNER,
    "ProtocolConfig.setTreasury": {"Leasehold_ZeroAddress"} | OZ_OWNER,
    "ProtocolConfig.pause": {"EnforcedPause"} | OZ_OWNER,
    "ProtocolConfig.unpause": {"ExpectedPause"} | OZ_OWNER,
    "ProtocolConfig.transferOwnership": OZ_OWNER,
    "ProtocolConfig.acceptOwnership": OZ_OWNER,
    "ProtocolConfig.renounceOwnership": OZ_OWNER,
    "ProviderRegistry.registerProvider": {"Leasehold_Paused", "ProviderRegistry_AlreadyRegistered",
                                          "ProviderRegistry_InvalidRegion", "ProviderRegistry_InvalidMetadataURI"},
    "ProviderRegistry.updateProvider": {"ProviderRegistry_NotRegistered", "ProviderRegistry_InvalidRegion",
                                        "ProviderRegistry_InvalidMetadataURI"},
    "ProviderRegistry.stake": {"ProviderRegistry_ZeroAmount", "ProviderRegistry_NotRegistered",
                               "ProviderRegistry_StakeOverflow"} | ERC20 | REFUSED,
    "ProviderRegistry.requestUnstake": {"ProviderRegistry_ZeroAmount", "ProviderRegistry_NotRegistered",
                                        "ProviderRegistry_InsufficientFreeStake"},
    "ProviderRegistry.withdrawUnstaked": {"ProviderRegistry_NothingUnbonding",
                                          "ProviderRegistry_UnbondingNotReady"} | REFUSED,
    "ProviderRegistry.addOffer": {"Leasehold_Paused", "ProviderRegistry_NotRegistered",
                                  "ProviderRegistry_GpuModelNotListed", "ProviderRegistry_InvalidUnits",
                                  "ProviderRegistry_InvalidPrice", "ProviderRegistry_InvalidMaxDuration"},
    "ProviderRegistry.updateOffer": {"ProviderRegistry_OfferNotFound", "ProviderRegistry_NotOfferOwner",
                                     "ProviderRegistry_OfferRemoved", "ProviderRegistry_InvalidUnits",
                                     "ProviderRegistry_InvalidPrice", "ProviderRegistry_InvalidMaxDuration",
                                     "ProviderRegistry_UnitsBelowInUse"},
    "ProviderRegistry.pauseOffer": {"ProviderRegistry_OfferNotFound", "ProviderRegistry_NotOfferOwner",
                                    "ProviderRegistry_OfferRemoved", "ProviderRegistry_OfferPausedAlready"},
    "ProviderRegistry.removeOffer": {"ProviderRegistry_OfferNotFound", "ProviderRegistry_NotOfferOwner",
                                     "ProviderRegistry_OfferRemoved"},
    "ProviderRegistry.tryReserve": {"Leasehold_MissingRole"},
    "ProviderRegistry.release": {"Leasehold_MissingRole"},
    "ProviderRegistry.recordOutcome": {"Leasehold_MissingRole"},
    "ProviderRegistry.slash": {"Leasehold_MissingRole"},
    "LeaseMarket.createRequest": {"Leasehold_Paused", "LeaseMarket_InvalidUnits", "LeaseMarket_ZeroPrice",
                                  "LeaseMarket_DurationTooShort", "LeaseMarket_MatchDeadlineNotInFuture",
                                  "LeaseMarket_InvalidTier", "LeaseMarket_InvalidReputation",
                                  "LeaseMarket_JobTermsMismatch", "LeaseMarket_DepositTooSmall"} | ERC20 | REFUSED,
    "LeaseMarket.cancelRequest": {"LeaseMarket_RequestNotFound", "LeaseMarket_RequestNotOpen",
                                  "LeaseMarket_CancelNotAllowed"} | REFUSED,
    "LeaseMarket.topUp": {"LeaseMarket_LeaseNotFound", "LeaseMarket_ZeroAmount",
                          "LeaseMarket_LeaseNotActive"} | REFUSED,
    "LeaseMarket.matchRequests": {"Leasehold_MissingRole", "Leasehold_Paused", "LeaseMarket_EmptyBatch"} | REFUSED,
    "LeaseMarket.withdrawEarnings": {"LeaseMarket_LeaseNotFound", "LeaseMarket_CallerNotProvider",
                                     "LeaseMarket_NothingToWithdraw"},
    "LeaseMarket.requestReclaim": {"LeaseMarket_LeaseNotFound", "LeaseMarket_CallerNotProvider",
                                   "LeaseMarket_LeaseNotActive", "LeaseMarket_ReclaimAlreadyRequested"},
    "LeaseMarket.respondLiveness": {"LeaseMarket_LeaseNotFound", "LeaseMarket_CallerNotProvider",
                                    "LeaseMarket_NoOpenChallenge", "LeaseMarket_ChallengeWindowClosed"} | REFUSED,
    "LeaseMarket.closeLease": {"LeaseMarket_LeaseNotFound", "LeaseMarket_LeaseSettled", "LeaseMarket_ChallengeOpen",
                               "LeaseMarket_ReclaimNoticeNotOver", "LeaseMarket_CloseNotAllowed"},
    "LeaseMarket.closeLeases": {"LeaseMarket_EmptyBatch", "LeaseMarket_BatchTooLarge"},
    "LeaseMarket.challengeLiveness": {"LeaseMarket_LeaseNotFound", "LeaseMarket_LeaseNotActive",
                                      "LeaseMarket_ChallengeOpen", "LeaseMarket_ChallengeTooSoon"} | ERC20 | REFUSED,
    "LeaseMarket.resolveLiveness": {"LeaseMarket_LeaseNotFound", "LeaseMarket_NoOpenChallenge",
                                    "LeaseMarket_ChallengeWindowOpen"},
    "LeaseMarket.setJobMarket": {"LeaseMarket_CallerNotGovernance", "LeaseMarket_JobMarketAlreadySet"},
    "JobMarket.setWorkload": {"JobMarket_CallerNotGovernance", "JobMarket_InvalidWorkloadId"},
    "JobMarket.publishJobTerms": {"JobMarket_WorkloadNotRegistered", "JobMarket_InputHashMismatch",
                                  "JobMarket_InvalidInput", "JobMarket_StepsOutOfBounds",
                                  "JobMarket_ResultTimeoutOutOfBounds", "JobMarket_ChallengeWindowOutOfBounds",
                                  "JobMarket_TermsAlreadyPublished"},
    "JobMarket.openJob": {"JobMarket_CallerNotMarket"},
    "JobMarket.submitResult": {"JobMarket_UnexpectedStatus", "JobMarket_CallerNotProvider", "JobMarket_TermsMismatch",
                               "JobMarket_ZeroTraceRoot", "JobMarket_InvalidTraceProof"},
    "JobMarket.attest": {"JobMarket_UnexpectedStatus", "Leasehold_MissingRole", "JobMarket_VerifierIsProvider",
                         "JobMarket_AlreadyAttested", "JobMarket_TermsMismatch"} | ERC20 | REFUSED,
    "JobMarket.challenge": {"JobMarket_UnexpectedStatus", "JobMarket_ChallengerIsProvider",
                            "JobMarket_TermsMismatch"} | ERC20 | REFUSED,
    "JobMarket.reveal": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlinePassed", "JobMarket_CallerNotProvider",
                         "JobMarket_InvalidTraceProof"},
    "JobMarket.respond": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlinePassed", "JobMarket_CallerNotChallenger"},
    "JobMarket.proveStep": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlinePassed", "JobMarket_TermsMismatch",
                            "JobMarket_StateHashMismatch"},
    "JobMarket.voteOnStep": {"Leasehold_MissingRole", "JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlinePassed",
                             "JobMarket_ArbiterIsParty", "JobMarket_AlreadyVoted"},
    "JobMarket.resolveVote": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlineNotPassed"},
    "JobMarket.claimTimeout": {"JobMarket_UnexpectedPhase", "JobMarket_MoveDeadlineNotPassed"},
    "JobMarket.finalizeJob": {"JobMarket_UnexpectedStatus"},
    "JobMarket.expireJob": {"JobMarket_UnexpectedStatus"},
    "ProviderRegistry.claimCredit": CLAIM,
    "LeaseMarket.claimCredit": CLAIM,
    "JobMarket.claimCredit": CLAIM,
    "LeaseMarket.sweepFees": SWEEP,
    "JobMarket.sweepFees": SWEEP,
}
ALLOWED["LeaseMarket.createRequestWithPermit"] = ALLOWED["LeaseMarket.createRequest"]
FUNCTIONS = tuple(ALLOWED)


class CampaignFailure(AssertionError):
    """An invariant broke or a call reverted in a way the protocol does not allow."""

    def __init__(self, seed: int, step: int, action: str, message: str):
        self.seed, self.step, self.action = seed, step, action
        super().__init__(
            f"seed {seed}, step {step}, {action}: {message}\n"
            f"reproduce: python -m scripts.fuzz --steps {step + 1} --seed {seed}"
        )


class _Violation(AssertionError):
    pass


def require(condition: bool, message: str) -> None:
    if not condition:
        raise _Violation(message)


@contextlib.contextmanager
def without_undo_snapshots() -> Iterator[None]:
    """Stops brownie from taking an evm_snapshot after every transaction (for `chain.undo`).

    A walk of 50,000 transactions would otherwise keep 50,000 snapshots of the whole chain state
    in Anvil's memory. `brownie.network.account` is plain Python and builds a fresh `Chain()` for
    each transaction, so swapping that name is enough; everything else still reaches the real one.
    """
    real = brownie_account.Chain

    class _NoUndo:
        def __init__(self):
            self._chain = real()

        def _add_to_undo_buffer(self, *args):
            return None

        def __getattr__(self, name):
            return getattr(self._chain, name)

    brownie_account.Chain = _NoUndo
    try:
        yield
    finally:
        brownie_account.Chain = real


# ------------------------------------------------------------------------------- ghost records


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
    reclaimable_at: int = 0
    closed: bool = False
    terminated: bool = False  # ended by a missed liveness challenge
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
    verifier: str = ZERO
    attestation: int = A_NONE
    verifier_bond: int = 0
    challenger: str = ZERO  # of the open dispute
    bond: int = 0
    colluding: bool = False  # the challenger answers against the honest trace
    disputed: bool = False
    terminal: bool = False
    final: int = J_NONE  # the terminal status, once settled
    paid_out: int = 0
    seen: int = J_MATCHED  # last observed status

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


@dataclass
class Provider:
    account: object
    registered: bool = False
    region: bytes = ZERO32
    free: int = 0
    locked: int = 0
    unbonding: int = 0
    ready_at: int = 0


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
    credits: int = 0  # payouts the token refused, credited instead
    credited: int = 0  # their sum, in token units


# ------------------------------------------------------------------------------------- engine


class Campaign:
    """The deployed protocol, the actors, the ghost model and the walk."""

    def __init__(self, seed: int):
        self.seed = seed
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.step = 0
        self._setup()

    # ----------------------------------------------------------------- setup

    def _setup(self) -> None:
        chain_accounts = list(brownie.accounts)
        # Fixed keys beyond the node's unlocked accounts: brownie signs for them locally.
        extra = [brownie.accounts.add(keccak256(b"leasehold-campaign-%d" % i)) for i in range(24 - len(chain_accounts))]
        pool = chain_accounts + extra
        for account in extra:
            pool[0].transfer(account, 10**20)
        (self.gov, self.treasury, p0, p1, p2, p3, t0, t1, self.matcher, v0, v1, w0, w1, a0, a1, a2, self.settler,
         self.attacker, self.gov2, self.treasury2, self.matcher2, self.verifier2, self.arbiter2, self.spare) = pool[:24]
        self.permit_tenant = Account.from_key(keccak256(b"leasehold-campaign-permit"))
        self.permit_sender = brownie.accounts.add(self.permit_tenant.key)
        self.gov.transfer(self.permit_sender, 10**20)

        self._rpc("anvil_setBlockTimestampInterval", [1])
        # The token's issuer is governance; it blocklists and unblocks parties during the walk.
        token = brownie.project.get_loaded_projects()[0].BlocklistPermitToken.deploy({"from": self.gov})
        d = deploy(self.gov, treasury=self.treasury.address, payment_token=token)
        self.d = d
        self.config, self.registry, self.market, self.jm, self.token = (
            d.config, d.registry, d.market, d.job_market, d.payment_token,
        )
        self.contracts = {c.address: name for c, name in (
            (self.config, "ProtocolConfig"), (self.registry, "ProviderRegistry"), (self.market, "LeaseMarket"),
            (self.jm, "JobMarket"),
        )}
        self.owing = {self.registry.address: self.registry, self.market.address: self.market, self.jm.address: self.jm}
        self.providers = {p.address: Provider(p) for p in (p0, p1, p2, p3)}
        self.tenants = [t0, t1]
        self.verifiers = [v0, v1, self.verifier2]
        self.whistleblowers = [w0, w1]
        self.arbiters = [a0, a1, a2, self.arbiter2]
        self.roles = {
            "MATCHER": self.config.MATCHER_ROLE(), "VERIFIER": self.config.VERIFIER_ROLE(),
            "ARBITER": self.config.ARBITER_ROLE(), "MARKET": self.config.MARKET_ROLE(),
        }
        opts = {"from": self.gov}
        self.config.setRole(self.roles["MATCHER"], self.matcher, True, opts)
        for v in (v0, v1):
            self.config.setRole(self.roles["VERIFIER"], v, True, opts)
        for a in (a0, a1, a2):
            self.config.setRole(self.roles["ARBITER"], a, True, opts)
        self.has_role = {(r, a.address): True for r, accts in (
            ("MATCHER", [self.matcher]), ("VERIFIER", [v0, v1]), ("ARBITER", [a0, a1, a2])) for a in accts}

        # Everyone holds tokens and has approved the three contracts, except the attacker, who
        # holds tokens but approved nothing; treasury2 holds a little so its first fee costs
        # the same gas as any other.
        funded = [p.account for p in self.providers.values()] + self.tenants + self.verifiers + self.whistleblowers + [
            self.settler, self.attacker, self.matcher, self.matcher2, self.spare]
        for account in funded:
            self.token.mint(account, FUNDS, {"from": account})
            if account != self.attacker:
                for spender in (self.registry, self.market, self.jm):
                    self.token.approve(spender, MAX_UINT, {"from": account})
        self.token.mint(self.permit_tenant.address, FUNDS, {"from": self.gov})
        self.token.mint(self.treasury2, 1, {"from": self.gov})
        self.token.mint(self.treasury, 1, {"from": self.gov})
        # Everyone the protocol may pay, and so the token may refuse: what governance-of-the-token
        # blocklists, and who claims a credit. Not the attacker (it donates with plain transfers).
        self.parties = {a.address: a for a in [*(p.account for p in self.providers.values()), *self.tenants,
                                               self.permit_sender, *self.verifiers, *self.whistleblowers,
                                               self.matcher, self.matcher2, self.settler, self.treasury,
                                               self.treasury2]}

        self.catalogue = {
            to_bytes32(m["id"]): {"vram": m["vram_gb"], "tier": m["tier"], "collateral": m["collateral_per_unit"] * USD,
                                   "listed": True}
            for m in load_catalogue()
        }
        p = self.config.params()
        self.params = dict(p.dict()) if hasattr(p, "dict") else dict(zip(PARAM_FIELDS, p))
        self.owner = self.gov
        self.pending_owner = None
        self.treasury_now = self.treasury.address
        self.paused = False

        # Ghost books.
        self.ledger: dict[str, int] = defaultdict(int)
        for address in self._tracked():
            self.ledger[address] = self.token.balanceOf(address)
        self.donations = Counter()  # tokens sent straight to a contract
        self.blocked: set[str] = set()  # accounts the token refuses, as governance last set them
        self.credits: Counter = Counter()  # (contract, account) -> credit, recomputed from the payouts
        self._credited: Counter = Counter()  # the credits the current transaction must emit
        self._fresh_credits = 0
        self._fresh_fees = 0
        self._touched_credits: set[tuple[str, str]] = set()
        self.fees: Counter = Counter()  # contract -> protocol fees accrued there since its last sweep
        self.orders: dict[int, Order] = {}
        self.jobs: dict[int, Job] = {}
        self.offers: dict[int, Offer] = {}
        self.published: dict[bytes, Terms] = {}
        self.live_orders: set[int] = set()  # open requests and running leases
        self.live_jobs: set[int] = set()
        self.settled: deque[tuple[str, int]] = deque(maxlen=64)  # recently settled, re-checked
        self.gas_base: dict[tuple, list[int]] = defaultdict(list)
        self.gas_worst: dict[tuple, tuple[int, int]] = {}
        self.salt = 0
        self.ts = self._chain_time()

    def _tracked(self) -> list[str]:
        accounts = [self.gov, self.gov2, self.treasury, self.treasury2, self.matcher, self.matcher2, self.settler,
                    self.attacker, self.spare, *self.tenants, *self.verifiers, *self.whistleblowers, *self.arbiters]
        return [a.address for a in accounts] + list(self.providers) + [
            self.permit_tenant.address, self.registry.address, self.market.address, self.jm.address]

    def close(self) -> None:
        """Gives the chain its wall clock back (the test session's Anvil outlives the walk)."""
        self._rpc("anvil_removeBlockTimestampInterval", [])

    # ----------------------------------------------------------------- chain helpers

    @staticmethod
    def _rpc(method: str, params: list):
        response = web3.provider.make_request(method, params)
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response.get("result")

    def _chain_time(self) -> int:
        return web3.eth.get_block("latest")["timestamp"]

    def _sleep(self, seconds: int) -> None:
        self.ts += max(1, seconds)
        self._rpc("evm_mine", [self.ts])
        self.stats.time_moves += 1

    # ----------------------------------------------------------------- the walk

    def run(self, steps: int, on_step: Callable[[Campaign], None] | None = None) -> Stats:
        for _ in range(steps):
            self.do_step()
            if on_step is not None:
                on_step(self)
        return self.stats

    def do_step(self) -> None:
        actions = self._actions()
        names = [a[0] for a in actions]
        # Guided: an action whose function has not gone through yet is tried more often.
        weights = [w * (GUIDE if ACTION_TARGET.get(n) and not self.stats.ok[ACTION_TARGET[n]] else 1)
                   for n, w in actions]
        name = self.rng.choices(names, weights)[0]
        self._touched: set[str] = set()
        self._touched_credits = set()
        self._time_moved = False
        self._subject = None
        self._gas_tag = None
        self._close_queue = None
        self._batch_bounty = None
        try:
            getattr(self, "act_" + name)()
            self._check_invariants()
        except _Violation as violation:
            raise CampaignFailure(self.seed, self.step, name, str(violation)) from None
        self.stats.steps += 1
        self.step += 1
        if self.step % 500 == 0:
            brownie.history.clear()  # brownie keeps every receipt otherwise
            require(self._chain_time() == self.ts, f"clock drift: chain {self._chain_time()} model {self.ts}")

    def _actions(self) -> list[tuple[str, float]]:
        """Each action with its weight: an action with something to act on is likely, one without
        is still tried now and then (and must be refused with a declared error)."""
        providers = self.providers.values()
        unregistered = sum(not p.registered for p in providers)
        live_offers = sum(not o.removed for o in self.offers.values())
        open_orders = sum(self.orders[i].state == "open" for i in self.live_orders)
        expired_orders = sum(
            self.orders[i].state == "open" and self.orders[i].deadline < self.ts for i in self.live_orders)
        leases = self._leases()
        challenged = sum(o.challenger != ZERO for o in leases)
        jobs = self._live_jobs()
        waiting = sum(j.waiting for j in jobs)
        open_jobs = sum(j.open for j in jobs)
        disputed = sum(j.disputed for j in jobs)
        voting = sum(j.disputed and j.terms.workload == "matvec-256" for j in jobs)
        live = len(self.live_orders) + len(self.live_jobs)

        def when(condition, weight, otherwise=0.3):
            return weight if condition else otherwise

        return [
            ("register", when(unregistered, 30, 0.5)),
            ("update_provider", 1),
            ("stake", when(any(p.registered and p.free < 40_000 * USD for p in providers), 6, 1)),
            ("request_unstake", 2),
            ("withdraw_unstaked", when(any(p.unbonding and p.ready_at <= self.ts + 1 for p in providers), 6, 0.5)),
            ("add_offer", when(live_offers < 4, 10, 0.8)),
            ("update_offer", 1),
            ("pause_offer", 1.5),
            ("remove_offer", when(live_offers > 3, 0.4, 0.1)),
            ("create_rental", when(live < 14, 6, 1)),
            ("create_with_permit", 1),
            ("publish_and_request_job", when(live < 14, 10, 1)),
            ("publish_terms", 1),
            ("cancel", when(expired_orders, 6, 1)),
            ("match", when(open_orders - expired_orders, 12, 0.5)),
            ("top_up", when(leases, 2)),
            ("withdraw_earnings", when(leases, 3)),
            ("request_reclaim", when(leases, 1.5)),
            ("close_lease", when(leases, 3)),
            ("close_leases", when(leases, 1.5, 0.2)),
            ("challenge_liveness", when(len(leases) > challenged, 3)),
            ("respond_liveness", when(challenged, 2.5)),
            ("resolve_liveness", when(challenged, 4)),
            ("submit_result", when(waiting, 10)),
            ("attest", when(open_jobs, 5)),
            ("challenge_job", when(open_jobs, 5)),
            ("dispute_move", when(disputed, 30 * disputed)),
            ("vote", when(voting, 10)),
            ("resolve_vote", when(voting, 2, 0.2)),
            ("claim_timeout", when(disputed, 2, 0.2)),
            ("finalize", when(open_jobs, 5)),
            ("expire", when(waiting, 2)),
            ("time_small", 6),
            ("time_medium", 3),
            ("time_to_deadline", 6),
            ("time_long", 0.3),
            ("set_params", 1),
            ("set_gpu_model", 1),
            ("set_role", 1),
            ("set_treasury", 0.5),
            ("pause", when(not self.paused, 0.5, 0)),
            ("unpause", when(self.paused, 5, 0.1)),
            ("ownership", 1.2),
            ("set_workload", 0.7),
            ("donate", 0.3),
            # A blocked party that acts (provider, tenant, verifier...) is soon unblocked, or the walk
            # would lose its moves; a blocked treasury, which only receives, stays for a while and
            # piles up credits on the registry (slash shares) and refuses the markets' fee sweeps.
            ("blocklist", when(len(self.blocked) < 2, 1.2, 0)),
            ("unblock", when(self.blocked - {self.treasury.address, self.treasury2.address}, 3,
                             0.6 if self.blocked else 0)),
            ("claim_credit", when(any(a not in self.blocked for _, a in self.credits), 6, 0.5)),
            ("sweep_fees", when(any(self.fees.values()), 1.5, 0.3)),
            ("attack", 4),
        ]

    # ----------------------------------------------------------------- calling

    def _call(self, contract, fn: str, args: tuple, sender, *, expect: set[str] | None = None):
        """Sends one transaction. Returns the receipt, or None after an allowed revert.

        `expect` narrows the allowed errors when the walk knows the call must fail that way.
        """
        name = f"{self.contracts[contract.address]}.{fn}"
        self._touched.add(sender.address)
        refusal = self._simulate(contract, fn, args, sender)
        if refusal is None:
            self.ts += 1  # every transaction mines a block one second after the previous one
            try:
                tx = getattr(contract, fn)(*args, {"from": sender})
            except VirtualMachineError as exc:
                refusal = exc.revert_msg or ""
        if refusal is not None:
            error = refusal.split(":")[0].strip()
            allowed = ALLOWED[name] if expect is None else expect
            require(error in allowed, f"{name} by {sender.address[:10]} reverted with {refusal or 'no reason'!r}; "
                                      f"allowed: {sorted(allowed)}")
            if error in REFUSED:
                refused = web3.to_checksum_address(refusal.split(":")[1].strip())
                require(refused in self.blocked, f"{name}: the token refused {refused}, which is not blocklisted")
            self.stats.reverted[name] += 1
            self.stats.errors[error] += 1
            self.stats.refusals[(name, error)] += 1
            return None
        require(expect is None or not expect, f"{name} succeeded where it must revert with {sorted(expect or ())}")
        require(tx.timestamp == self.ts, f"block time {tx.timestamp} != model {self.ts}")
        self.stats.ok[name] += 1
        self._fold(tx)
        self._check_gas(name, tx)
        return tx

    def _simulate(self, contract, fn: str, args: tuple, sender) -> str | None:
        """Runs the call at the next block's timestamp without mining it: the decoded revert, or
        None when it would go through. A refused call then costs one eth_call, not a block."""
        call = {"from": sender.address, "to": contract.address, "data": getattr(contract, fn).encode_input(*args),
                "gas": hex(30_000_000)}
        response = web3.provider.make_request("eth_call", [call, "latest", {}, {"time": hex(self.ts + 1)}])
        if "error" not in response:
            return None
        data = response["error"].get("data")
        if isinstance(data, dict):
            data = data.get("data")
        return decode_typed_error(data) if data and data != "0x" else ""

    def _check_gas(self, name: str, tx) -> None:
        """Invariant 10: the gas of an operation kind does not grow as leases, offers and jobs pile up."""
        # A first credit of an account, or the first fee after a sweep, writes a fresh storage slot
        # (20,000 gas more than adding to one): how many the call wrote is part of its kind. A skipped
        # pair or lease costs what the checks before its reason cost: the reason is part of the kind too.
        # A batch close's size is in the kind through its count of LeaseClosed and CloseSkipped.
        events = Counter(f"{e.name}:{e['reason']}" if e.name in ("MatchSkipped", "CloseSkipped") else e.name
                         for e in tx.events)
        kind = (name, self._gas_tag, tuple(sorted(events.items())), self._fresh_credits, self._fresh_fees)
        base = self.gas_base[kind]
        if len(base) < GAS_BASELINE:
            base.append(tx.gas_used)
            return
        ceiling = int(max(base) * GAS_TOLERANCE) + GAS_SLACK
        require(tx.gas_used <= ceiling, f"gas of {kind} grew to {tx.gas_used} from at most {max(base)}")
        worst = self.gas_worst.get(kind)
        if worst is None or tx.gas_used - max(base) > worst[0]:
            self.gas_worst[kind] = (tx.gas_used - max(base), max(base))

    def _move(self, payer: str, payee: str, amount: int) -> None:
        if amount and payee in self.blocked and payer in self.owing:
            # The token refuses the payee: the contract keeps the money and owes it as a credit.
            key = (payer, payee)
            self._fresh_credits += self.credits[key] == 0
            self.credits[key] += amount
            self._credited[key] += amount
            self._touched_credits.add(key)
            self._touched.add(payee)
            self.stats.credits += 1
            self.stats.credited += amount
            return
        self.ledger[payer] -= amount
        self.ledger[payee] += amount
        self._touched.update((payer, payee))

    def _accrue(self, contract: str, amount: int) -> None:
        """A protocol fee (or the treasury's share of a forfeited bond) stays in `contract` until a sweep."""
        self._fresh_fees += amount > 0 and self.fees[contract] == 0
        self.fees[contract] += amount

    # ----------------------------------------------------------------- event folding

    def _fold(self, tx) -> None:
        slashed_in_tx = "ProviderSlashed" in tx.events
        self._credited = Counter()
        self._fresh_credits = 0
        self._fresh_fees = 0
        emitted = Counter()
        for event in tx.events:
            if event.name == "PaymentCredited":
                emitted[(event.address, event["account"])] += event["amount"]
                continue
            if event.name == "CreditClaimed":
                self._on_credit_claimed(event.address, dict(event))
                continue
            if event.name == "FeesSwept":
                self._on_fees_swept(event.address, dict(event))
                continue
            handler = getattr(self, "on_" + event.name, None)
            if handler is None:
                continue
            if event.name == "CollateralReleased" and slashed_in_tx:
                self._slash_release = dict(event)
                continue
            handler(dict(event))
            indirect = [n for n, ev in INDIRECT.items() if ev == event.name]
            for n in indirect:
                self.stats.indirect[n] += 1
        if self._batch_bounty:
            # closeLeases pays the bounties owed to its caller in one payout, after every lease.
            self._move(self.market.address, self._batch_caller, self._batch_bounty)
        # Every refused payout the model expects is credited, to the account and in the amount the
        # model recomputed (per contract and account: one payout may merge two of the model's), and
        # nothing else is.
        require(emitted == +self._credited, f"credited {dict(emitted)}, model {dict(+self._credited)}")

    def _on_fees_swept(self, contract: str, e: dict) -> None:
        require(e["treasury"] == self.treasury_now, f"swept to {e['treasury']}, treasury {self.treasury_now}")
        require(e["amount"] == self.fees[contract] > 0, f"swept {e['amount']}, accrued {self.fees[contract]}")
        del self.fees[contract]
        self._move(contract, self.treasury_now, e["amount"])

    def _on_credit_claimed(self, contract: str, e: dict) -> None:
        key = (contract, e["account"])
        require(e["account"] not in self.blocked, f"{e['account']} claimed while the token refuses it")
        require(e["amount"] == self.credits[key] > 0, f"claimed {e['amount']}, credit {self.credits[key]}")
        del self.credits[key]
        self._touched_credits.add(key)
        self.ledger[contract] -= e["amount"]
        self.ledger[e["account"]] += e["amount"]
        self._touched.update(key)

    def on_Staked(self, e):
        p = self.providers[e["provider"]]
        p.free += e["amount"]
        self._move(p.account.address, self.registry.address, e["amount"])
        require(e["freeStake"] == p.free, f"Staked freeStake {e['freeStake']} != ghost {p.free}")

    def on_UnstakeRequested(self, e):
        p = self.providers[e["provider"]]
        p.free -= e["amount"]
        p.unbonding += e["amount"]
        p.ready_at = self.ts + self.params["unbondingPeriodSeconds"]
        require(e["unbondingStake"] == p.unbonding and e["readyAt"] == p.ready_at, f"UnstakeRequested {e} vs ghost")

    def on_UnstakeWithdrawn(self, e):
        p = self.providers[e["provider"]]
        # Invariant 8: not before the unbonding period of the latest request has passed.
        require(self.ts >= p.ready_at, f"unstake withdrawn at {self.ts} before {p.ready_at}")
        require(e["amount"] == p.unbonding, f"withdrew {e['amount']}, ghost unbonding {p.unbonding}")
        p.unbonding = 0
        self._move(self.registry.address, p.account.address, e["amount"])

    def on_ProviderRegistered(self, e):
        p = self.providers[e["provider"]]
        p.registered, p.region = True, bytes(e["region"])

    def on_ProviderUpdated(self, e):
        self.providers[e["provider"]].region = bytes(e["region"])

    def on_OfferAdded(self, e):
        self.offers[e["offerId"]] = Offer(e["offerId"], e["provider"], bytes(e["gpuModel"]), e["units"],
                                          e["pricePerUnitHour"], e["maxDurationSeconds"])

    def on_OfferUpdated(self, e):
        o = self.offers[e["offerId"]]
        require(e["units"] >= o.in_use, f"offer {o.id} units {e['units']} below in use {o.in_use}")
        o.units, o.price, o.max_duration = e["units"], e["pricePerUnitHour"], e["maxDurationSeconds"]

    def on_OfferPauseSet(self, e):
        self.offers[e["offerId"]].paused = e["paused"]

    def on_OfferRemoved(self, e):
        o = self.offers[e["offerId"]]
        require(not o.removed, f"offer {o.id} removed twice")
        o.removed = True

    def on_CollateralLocked(self, e):
        o, p = self.offers[e["offerId"]], self.providers[e["provider"]]
        expected = e["units"] * self.catalogue[o.model]["collateral"]
        require(e["collateral"] == expected, f"collateral {e['collateral']} != units x collateralPerUnit {expected}")
        require(o.in_use + e["units"] <= o.units and not o.paused and not o.removed, f"offer {o.id} over-reserved")
        require(p.free >= e["collateral"], f"locked {e['collateral']} with free stake {p.free}")
        o.in_use += e["units"]
        p.free -= e["collateral"]
        p.locked += e["collateral"]
        self._touched.add(p.account.address)

    def on_CollateralReleased(self, e):
        o, p = self.offers[e["offerId"]], self.providers[e["provider"]]
        # A batch close releases its leases one after the other, in the order the model expects them.
        if self._close_queue is None:
            subject = self._subject
        else:
            subject = self._close_queue.pop(0) if self._close_queue else None
        self._released = subject
        require(subject is not None and subject.offer == e["offerId"] and subject.units == e["units"]
                and subject.collateral == e["collateral"], f"release {e} does not match the settled match")
        o.in_use -= e["units"]
        p.locked -= e["collateral"]
        p.free += e["collateral"]

    def on_ProviderSlashed(self, e):
        """The registry's slash, replayed on the ghost buckets; invariants 7 and 8."""
        subject, order = self._subject, self._slash_order
        p, o = self.providers[e["provider"]], self.offers[subject.offer]
        c = subject.collateral
        amount, whistleblower, tenant = order
        available = c + p.free + p.unbonding
        slashed = min(amount, available)
        from_locked = min(slashed, c)
        rest = slashed - from_locked
        from_free = min(rest, p.free)
        from_unbonding = rest - from_free
        require(e["slashed"] == slashed, f"slashed {e['slashed']}, model {slashed}")
        require(slashed == amount, f"slash of {amount} only found {slashed}: stake left before its window closed")
        require(self._slash_release["collateral"] == c - from_locked, "released collateral after slash mismatch")
        third = lambda a: a not in (ZERO, p.account.address)  # noqa: E731
        to_w = slashed * self.params["whistleblowerRewardBps"] // BPS if third(whistleblower) else 0
        to_t = slashed * self.params["tenantCompensationBps"] // BPS if third(tenant) else 0
        require(e["slashed"] == e["toWhistleblower"] + e["toTenant"] + e["toTreasury"], f"slash split {e} is not whole")
        require((e["toWhistleblower"], e["toTenant"]) == (to_w, to_t), f"slash split {e}, model {to_w}, {to_t}")
        if not third(whistleblower):
            self.stats.self_reports += 1
            require(e["toWhistleblower"] == 0, "a provider reporting itself was paid")
        o.in_use -= subject.units
        p.locked -= c
        p.free = p.free + (c - from_locked) - from_free
        p.unbonding -= from_unbonding
        self.stats.slashes += 1
        self._move(self.registry.address, whistleblower if to_w else self.treasury_now, to_w)
        self._move(self.registry.address, tenant if to_t else self.treasury_now, to_t)
        self._move(self.registry.address, self.treasury_now, e["toTreasury"])
        self._touched.add(p.account.address)

    def on_OutcomeRecorded(self, e):
        pass

    def on_RequestCreated(self, e):
        order = self._pending_order
        order.id = e["requestId"]
        require(e["tenant"] == order.tenant and e["deposit"] == order.deposit, f"RequestCreated {e} vs the call")
        order.deposited = order.deposit
        self.orders[order.id] = order
        self.live_orders.add(order.id)
        self._move(order.tenant, self.market.address, order.deposit)

    def on_RequestCancelled(self, e):
        order = self.orders[e["requestId"]]
        require(order.state == "open" and e["refunded"] == order.deposit, f"cancel refunded {e['refunded']} of {order}")
        order.state = "cancelled"
        order.paid_out += e["refunded"]
        self.live_orders.discard(order.id)
        self.settled.append(("request", order.id))
        self._move(self.market.address, order.tenant, e["refunded"])

    def on_MatchSkipped(self, e):
        self.stats.skips[e["reason"]] += 1

    def _match_fee(self, order: Order, escrow: int, matcher: str) -> int:
        fee = order.deposit - escrow
        require(fee == min(self.params["matchFee"], order.deposit), f"match fee {fee} on request {order.id}")
        require(self.ts <= order.deadline and order.state == "open", f"request {order.id} matched when not open")
        order.paid_out += fee
        self._move(self.market.address, matcher, fee)
        return fee

    def on_LeaseStarted(self, e):
        order = self.orders[e["leaseId"]]
        offer = self.offers[e["offerId"]]
        fee = self._match_fee(order, e["balance"] + e["settleBounty"], e["matcher"])
        escrow = order.deposit - fee
        require(e["settleBounty"] == min(self.params["settleBounty"], escrow), f"bounty {e['settleBounty']}")
        require(e["pricePerUnitHour"] <= order.max_price and e["provider"] != order.tenant
                and order.duration <= offer.max_duration, f"lease {order.id} breaks its request's terms")
        order.state = "lease"
        order.provider, order.offer, order.price = e["provider"], e["offerId"], e["pricePerUnitHour"]
        order.fee_bps, order.start, order.escrow = self.params["protocolFeeBps"], self.ts, escrow
        order.bounty, order.collateral = e["settleBounty"], e["collateral"]

    def on_JobOpened(self, e):
        order = self.orders[e["jobId"]]
        terms = order.terms
        require(e["resultDeadline"] == self.ts + terms.result_timeout, "result deadline")
        self.jobs[order.id] = Job(order.id, order.tenant, e["provider"], e["offerId"], e["units"], e["collateral"],
                                  e["escrow"], terms, e["resultDeadline"])
        self.live_jobs.add(order.id)

    def on_JobHandedOver(self, e):
        order = self.orders[e["requestId"]]
        self._match_fee(order, e["escrow"], e["matcher"])
        order.state = "job"
        self.live_orders.discard(order.id)
        self._move(self.market.address, self.jm.address, e["escrow"])
        job = self.jobs[order.id]
        job.fault = self.rng.choice([None, None, None] + list(range(1, job.terms.steps + 1)))
        job.solver = job.terms.honest if job.fault is None else Trace.of(
            job.terms.workload, job.terms.input, job.terms.seed, job.terms.steps, job.fault)

    def _accrued(self, lease: Order, until: int) -> int:
        end = min(lease.start + lease.duration, until)
        if end <= lease.start:
            return 0
        return min(lease.escrow - lease.bounty, lease.price * lease.units * (end - lease.start) // HOUR)

    def _lease_status(self, lease: Order, at: int) -> int:
        if lease.closed:
            return L_TERMINATED if lease.terminated else L_CLOSED
        if at >= lease.start + lease.duration:
            return L_EXPIRED
        if self._accrued(lease, at) == lease.escrow - lease.bounty:
            return L_INSOLVENT
        return L_ACTIVE

    def on_EarningsWithdrawn(self, e):
        lease = self.orders[e["leaseId"]]
        until = lease.challenged_at if lease.challenger != ZERO else self.ts
        gross = self._accrued(lease, until) - lease.withdrawn
        require(e["amount"] + e["fee"] == gross and e["fee"] == gross * lease.fee_bps // BPS,
                f"withdrawal {e} of lease {lease.id}, model gross {gross}")
        lease.withdrawn += gross
        lease.paid_out += gross
        self._move(self.market.address, lease.provider, e["amount"])
        self._accrue(self.market.address, e["fee"])

    def on_LeaseToppedUp(self, e):
        lease = self.orders[e["leaseId"]]
        lease.escrow += e["amount"]
        lease.deposited += e["amount"]
        require(e["balance"] == lease.escrow - lease.bounty, f"top-up balance {e['balance']}")
        self._move(e["funder"], self.market.address, e["amount"])

    def on_ReclaimRequested(self, e):
        lease = self.orders[e["leaseId"]]
        require(e["reclaimableAt"] == self.ts + self.params["reclaimNoticeSeconds"], "reclaimableAt")
        lease.reclaimable_at = e["reclaimableAt"]

    def on_LivenessChallenged(self, e):
        lease = self.orders[e["leaseId"]]
        require(e["bond"] == self.params["livenessBond"], "liveness bond")
        lease.challenger, lease.bond, lease.challenged_at = e["challenger"], e["bond"], self.ts
        self._move(e["challenger"], self.market.address, e["bond"])

    def on_LivenessAnswered(self, e):
        lease = self.orders[e["leaseId"]]
        require(self.ts <= lease.challenged_at + self.params["livenessWindowSeconds"], "answered after the window")
        require(e["bond"] == lease.bond, "answered bond")
        self._move(self.market.address, lease.provider, lease.bond)
        lease.challenger, lease.bond = ZERO, 0

    def on_LivenessResolved(self, e):
        lease = self.orders[e["leaseId"]]
        require(self.ts > lease.challenged_at + self.params["livenessWindowSeconds"], "resolved inside the window")
        require(e["bondReturned"] == lease.bond and e["challenger"] == lease.challenger, "resolved bond")
        self._move(self.market.address, lease.challenger, lease.bond)
        lease.challenger, lease.bond = ZERO, 0
        lease.terminated = True

    def on_LeaseClosed(self, e):
        lease = self.orders[e["leaseId"]]
        if self._close_queue is not None:
            require(self._released is lease, f"batch closed lease {lease.id}, model expected another")
        liveness = e["reason"] == C_LIVENESS
        stop = lease.challenged_at if liveness else self.ts
        if not liveness:
            status = self._lease_status(lease, self.ts)
            caller = e["caller"]
            expected = {L_EXPIRED: C_EXPIRED, L_INSOLVENT: C_INSOLVENT}.get(
                status, C_TENANT if caller == lease.tenant else C_RECLAIM)
            require(e["reason"] == expected, f"close reason {e['reason']}, model {expected} (status {status})")
            recipient = lease.tenant if caller in (lease.tenant, lease.provider) else caller
            require(e["bountyRecipient"] == recipient, "bounty recipient")
        accrued = self._accrued(lease, stop)
        gross = accrued - lease.withdrawn
        refund = lease.escrow - lease.bounty - accrued
        require((e["paid"] + e["fee"], e["fee"], e["refunded"], e["bounty"])
                == (gross, gross * lease.fee_bps // BPS, refund, lease.bounty),
                f"close {e} of lease {lease.id}, model gross {gross} refund {refund} bounty {lease.bounty}")
        lease.withdrawn = accrued
        lease.paid_out += gross + refund + lease.bounty
        lease.closed = True
        self.live_orders.discard(lease.id)
        self.settled.append(("lease", lease.id))
        self._move(self.market.address, lease.provider, e["paid"])
        self._accrue(self.market.address, e["fee"])
        if self._batch_bounty is not None and e["bountyRecipient"] != lease.tenant:
            self._batch_bounty += lease.bounty
            self._move(self.market.address, lease.tenant, refund)
        else:
            self._move(self.market.address, lease.tenant, refund)
            self._move(self.market.address, e["bountyRecipient"], lease.bounty)

    def on_CloseSkipped(self, e):
        lease = self.orders.get(e["leaseId"])
        if lease is None or lease.state != "lease":
            expected = K_NOT_FOUND
        elif lease.closed:
            expected = K_SETTLED
        elif lease.challenger != ZERO:
            expected = K_CHALLENGE_OPEN
        else:
            require(self._lease_status(lease, self.ts) == L_ACTIVE, f"lease {lease.id} skipped, model can close it")
            expected = K_ACTIVE
        require(e["reason"] == expected, f"close of {e['leaseId']} skipped for {e['reason']}, model {expected}")
        self.stats.close_skips[expected] += 1

    def on_JobTermsPublished(self, e):
        pass

    def on_ResultSubmitted(self, e):
        job = self.jobs[e["jobId"]]
        require(e["windowEndsAt"] == self.ts + job.terms.window, "window from the result")
        job.window_ends = e["windowEndsAt"]

    def on_Attested(self, e):
        job = self.jobs[e["jobId"]]
        job.verifier = e["verifier"]
        if e["valid"]:
            require(e["bond"] == self.params["verifierBond"] and e["windowEndsAt"] == self.ts + job.terms.window,
                    "valid attestation bond or window")
            job.attestation, job.verifier_bond, job.window_ends = A_VALID, e["bond"], e["windowEndsAt"]
            self._move(e["verifier"], self.jm.address, e["bond"])
        else:
            job.attestation = A_INVALID

    def on_DisputeOpened(self, e):
        job = self.jobs[e["jobId"]]
        require(e["bond"] == self.params["challengeBond"], "challenge bond")
        require(self.ts < job.window_ends, "dispute opened after the window")
        job.challenger, job.bond, job.disputed = e["challenger"], e["bond"], True
        self._move(e["challenger"], self.jm.address, e["bond"])

    def on_StepProven(self, e):
        job = self.jobs[e["jobId"]]
        lo = e["stepIndex"]
        d = self._dispute_before
        workload = get_workload(job.terms.workload)
        state = job.solver.states[lo]
        correct = keccak256(workload.step(state, lo, job.terms.seed)) == bytes(d["hHi"])
        require(e["solverCorrect"] == correct, f"on-chain step {lo} says {e['solverCorrect']}, executor {correct}")

    def on_DisputeResolved(self, e):
        job = self.jobs[e["jobId"]]
        result = e["result"]
        if result == SOLVER_WON:
            job.window_ends = e["windowEndsAt"]
            job.challenger, job.bond, job.disputed = ZERO, 0, False
            return
        self._end_job(job, J_SLASHED if result == CHALLENGER_WON else J_VOIDED)
        self._move(self.jm.address, job.tenant, job.escrow)
        self._move(self.jm.address, job.challenger, job.bond)
        job.paid_out += job.escrow
        if result == VOIDED and job.attestation == A_VALID:
            self._move(self.jm.address, job.verifier, job.verifier_bond)

    def on_ChallengerBondForfeited(self, e):
        job = self.jobs[e["jobId"]]
        bond = self._dispute_before["bond"]
        to_solver = bond * self.params["whistleblowerRewardBps"] // BPS
        require((e["toSolver"], e["toTreasury"]) == (to_solver, bond - to_solver), f"forfeit {e} of bond {bond}")
        self._move(self.jm.address, job.provider, e["toSolver"])
        self._accrue(self.jm.address, e["toTreasury"])

    def on_VerifierBondForfeited(self, e):
        job = self.jobs[e["jobId"]]
        to_challenger = job.verifier_bond * self.params["whistleblowerRewardBps"] // BPS
        require((e["toChallenger"], e["toTreasury"]) == (to_challenger, job.verifier_bond - to_challenger),
                f"verifier forfeit {e}")
        self._move(self.jm.address, job.challenger, e["toChallenger"])
        self._accrue(self.jm.address, e["toTreasury"])

    def on_JobFinalized(self, e):
        job = self.jobs[e["jobId"]]
        # Invariant 9: the solver is paid only once its window closed with no dispute open.
        require(self.ts >= job.window_ends and not job.disputed,
                f"job {job.id} paid at {self.ts}, window {job.window_ends}")
        pf = job.escrow * self.params["protocolFeeBps"] // BPS
        vf = job.escrow * self.params["verifierFeeBps"] // BPS
        valid = job.attestation == A_VALID
        expected = (job.escrow - pf - vf, pf, vf if valid else 0, 0 if valid else vf)
        got = (e["toProvider"], e["protocolFee"], e["verifierFee"], e["tenantRefund"])
        require(got == expected, f"finalize split {got}, model {expected}")
        self._end_job(job, J_FINALIZED)
        job.paid_out += sum(got)
        self._move(self.jm.address, job.provider, e["toProvider"])
        self._accrue(self.jm.address, pf)
        if valid:
            self._move(self.jm.address, job.verifier, vf + job.verifier_bond)
        else:
            self._move(self.jm.address, job.tenant, vf)

    def on_JobExpired(self, e):
        job = self.jobs[e["jobId"]]
        require(self.ts > job.result_deadline and e["refunded"] == job.escrow, f"expire {e}")
        self._end_job(job, J_EXPIRED)
        job.paid_out += job.escrow
        self._move(self.jm.address, job.tenant, job.escrow)

    def _end_job(self, job: Job, status: int) -> None:
        require(not job.terminal, f"job {job.id} settled twice")
        job.terminal = True
        job.disputed = False
        job.final = status
        self.live_jobs.discard(job.id)
        self.settled.append(("job", job.id))

    # ----------------------------------------------------------------- invariants

    def _owed(self) -> dict[str, int]:
        """What each contract owes, from the ghost records alone."""
        market = 0
        for i in self.live_orders:
            o = self.orders[i]
            market += o.deposit if o.state == "open" else o.escrow - o.withdrawn
            market += o.bond
        jm = 0
        for i in self.live_jobs:
            j = self.jobs[i]
            jm += j.escrow + j.verifier_bond * (j.attestation == A_VALID) + j.bond
        owed = {self.market.address: market, self.jm.address: jm, self.registry.address: self._stake()}
        for (contract, _), amount in self.credits.items():
            owed[contract] += amount
        for contract, amount in self.fees.items():
            owed[contract] += amount
        return owed

    def _stake(self) -> int:
        return sum(p.free + p.locked + p.unbonding for p in self.providers.values())

    def _read(self, calls: list[tuple]) -> list:
        """Reads many views in one JSON-RPC batch (one round trip, no per-call chain-id lookups)."""
        if not calls:
            return []
        batch = [("eth_call", [{"to": fn._address, "data": fn.encode_input(*args)}, "latest"]) for fn, *args in calls]
        responses = web3.provider.make_batch_request(batch)
        if isinstance(responses, dict):
            raise _Violation(f"view batch failed: {responses}")
        responses = sorted(responses, key=lambda r: r["id"])
        values = []
        for (fn, *args), response in zip(calls, responses):
            require("error" not in response, f"view {fn._name}{tuple(args)} failed: {response.get('error')}")
            value = fn.decode_output(response["result"])
            values.append(value)
        return values

    def _check_invariants(self) -> None:
        self.stats.checks += 1
        owed = self._owed()
        contracts = list(owed)
        accounts = [a for a in self._touched if isinstance(a, str) and a in self.ledger and a not in owed]
        providers = sorted((self._touched & set(self.providers)) | {self.rng.choice(list(self.providers))})
        if self.offers:
            self._touched.add(-self.rng.choice(list(self.offers)))
        offers = sorted(self._touched_offers)
        settled = self._recent_settled()
        order_ids = sorted(self.live_orders) + [i for kind, i in settled if kind in ("lease", "request")]
        job_ids = sorted(self.live_jobs) + [i for kind, i in settled if kind == "job"]
        orders = [self.orders[i] for i in order_ids if self.orders[i].state in ("open", "cancelled", "lease")]
        credit_keys = set(self._touched_credits)
        if self.credits:
            credit_keys.add(self.rng.choice(sorted(self.credits)))
        credit_keys = sorted(credit_keys)

        calls = [(self.token.balanceOf, a) for a in contracts + accounts]
        calls.append((self.registry.totalStake,))
        calls += [(self.registry.provider, p) for p in providers]
        calls += [(self.registry.offer, o) for o in offers]
        calls += [(self.market.statusOf if o.state == "lease" else self.market.requestStatusOf, o.id) for o in orders]
        calls += [(self.jm.statusOf, i) for i in job_ids]
        calls += [(self.owing[contract].creditOf, account) for contract, account in credit_keys]
        calls += [(self.owing[contract].accruedFees,) for contract in self._fee_contracts()]
        values = iter(self._read(calls))

        # Invariant 1: each contract holds what it owes: exactly, plus what was donated to it.
        for address in contracts:
            balance = next(values)
            name = self.contracts[address]
            require(balance == self.ledger[address], f"{name} balance {balance}, ledger {self.ledger[address]}")
            require(balance == owed[address] + self.donations[address],
                    f"{name} holds {balance}, owes {owed[address]} + donated {self.donations[address]}")
        # Every account a step paid or charged holds what the ghost ledger says.
        for address in accounts:
            balance = next(values)
            require(balance == self.ledger[address], f"{address} balance {balance}, ledger {self.ledger[address]}")
        # Invariant 3: Σ buckets == recorded total == tokens held (less donations).
        total = next(values)
        require(total == self._stake(), f"totalStake {total}, ghost {self._stake()}")
        running = list(self._running_matches())
        for address in providers:
            p = self.providers[address]
            chain = next(values)
            free, locked, unbonding = chain[1], chain[2], chain[3]
            require((free, locked, unbonding) == (p.free, p.locked, p.unbonding),
                    f"provider {address[:10]} stake {(free, locked, unbonding)}, "
                    f"ghost {(p.free, p.locked, p.unbonding)}")
            # Invariant 4: locked collateral is exactly what its running matches hold, and ≤ stake.
            held = sum(m.collateral for m in running if m.provider == address)
            require(locked == held and locked <= free + locked + unbonding, f"locked {locked}, running matches {held}")
        for offer_id in offers:
            o = self.offers[offer_id]
            in_use = next(values)[2]
            held = sum(m.units for m in running if m.offer == offer_id)
            require(in_use == o.in_use == held and in_use <= o.units,
                    f"offer {offer_id} in use {in_use}, ghost {o.in_use}/{held} of {o.units}")
        # Invariants 2 and 5: status moves along the machine; payouts within deposits, exact at the end.
        for o in orders:
            self._check_order(o, next(values))
        for i in job_ids:
            self._check_job(self.jobs[i], next(values))
        # Credits: each account's credit on each contract is what the model credited and not yet
        # claimed (their sum is in invariant 1's "owes" above).
        for contract, account in credit_keys:
            credit, ghost = next(values), self.credits[(contract, account)]
            require(credit == ghost, f"{self.contracts[contract]}.creditOf({account[:10]}) {credit}, ghost {ghost}")
        # Protocol fees: each market's accrual is what the model accrued since its last sweep (in
        # invariant 1's "owes" above too).
        for contract in self._fee_contracts():
            accrued = next(values)
            require(accrued == self.fees[contract],
                    f"{self.contracts[contract]}.accruedFees() {accrued}, ghost {self.fees[contract]}")

    def _fee_contracts(self) -> list[str]:
        return [self.market.address, self.jm.address]

    def _running_matches(self) -> Iterator:
        for i in self.live_orders:
            if self.orders[i].state == "lease":
                yield self.orders[i]
        for i in self.live_jobs:
            yield self.jobs[i]

    @property
    def _touched_offers(self) -> set[int]:
        return {-o for o in self._touched if isinstance(o, int) and o < 0}

    @property
    def _touched_ids(self) -> set[int]:
        return {o for o in self._touched if isinstance(o, int) and o >= 0}

    def _recent_settled(self) -> list[tuple[str, int]]:
        """This step's settlements and two older ones drawn at random: terminal states never move."""
        recent = list(self.settled)
        picks = [recent[self.rng.randrange(len(recent))] for _ in range(2)] if recent else []
        return [s for s in recent if s[1] in self._touched_ids] + picks

    def _check_order(self, o: Order, status: int) -> None:
        if o.state in ("open", "cancelled"):
            require(status == o.seen or status in REQUEST_MOVES[o.seen], f"request {o.id} moved {o.seen} -> {status}")
            model = R_CANCELLED if o.state == "cancelled" else (R_EXPIRED if self.ts > o.deadline else R_OPEN)
            require(status == model, f"request {o.id} status {status}, model {model}")
            o.seen = status
            require(o.paid_out == (o.deposited if o.state == "cancelled" else 0), f"request {o.id} paid {o.paid_out}")
            return
        require(status == o.lease_seen or status in LEASE_MOVES[o.lease_seen],
                f"lease {o.id} moved {o.lease_seen} -> {status}")
        model = self._lease_status(o, self.ts)
        require(status == model, f"lease {o.id} status {status}, model {model}")
        o.lease_seen = status
        require(o.paid_out <= o.deposited, f"lease {o.id} paid {o.paid_out} of {o.deposited}")
        if o.closed:
            require(o.paid_out == o.deposited, f"closed lease {o.id} paid {o.paid_out} of {o.deposited}")

    def _job_status(self, j: Job) -> int:
        if j.terminal:
            return j.final
        if j.disputed:
            return J_DISPUTED
        if j.window_ends:
            return J_FINALIZABLE if self.ts >= j.window_ends else J_SUBMITTED
        return J_LATE if self.ts > j.result_deadline else J_MATCHED

    def _check_job(self, j: Job, status: int) -> None:
        require(status == j.seen or status in JOB_MOVES[j.seen], f"job {j.id} moved {j.seen} -> {status}")
        model = self._job_status(j)
        require(status == model, f"job {j.id} status {status}, model {model}")
        j.seen = status
        require(j.paid_out <= j.escrow, f"job {j.id} paid {j.paid_out} of {j.escrow}")
        if j.terminal:
            require(j.paid_out == j.escrow, f"settled job {j.id} paid {j.paid_out} of {j.escrow}")

    # ----------------------------------------------------------------- picking

    def _pick(self, items):
        items = list(items)
        return self.rng.choice(items) if items else None

    def _registered(self):
        return [p for p in self.providers.values() if p.registered]

    def _mark(self, *ids: int) -> None:
        self._touched.update(ids)

    def _mark_offer(self, offer_id: int) -> None:
        self._touched.add(-offer_id)

    def _leases(self, predicate=lambda o: True):
        leases = (self.orders[i] for i in sorted(self.live_orders))
        return [o for o in leases if o.state == "lease" and predicate(o)]

    def _live_jobs(self, predicate=lambda j: True):
        return [self.jobs[i] for i in sorted(self.live_jobs) if predicate(self.jobs[i])]

    def _any_order_id(self) -> int:
        """Mostly a live id; sometimes a settled or never-used one, which must be refused."""
        roll = self.rng.random()
        if roll < 0.1 or not self.orders:
            return self.rng.choice([0, 10**9, len(self.orders) + 5])
        if roll < 0.3:
            return self.rng.choice(list(self.orders))
        live = sorted(self.live_orders | self.live_jobs)
        return self.rng.choice(live) if live else self.rng.choice(list(self.orders))

    def _settle_again(self, contract, fn: str, args: tuple, sender, error: str) -> None:
        """Invariant 6: a second settle of what was just settled is refused, with `error`."""
        try:
            getattr(contract, fn).call(*args, {"from": sender})
        except VirtualMachineError as exc:
            got = (exc.revert_msg or "").split(":")[0]
            require(got == error, f"second {fn} reverted with {exc.revert_msg!r}, expected {error}")
            return
        raise _Violation(f"second {fn}{args} went through")

    # ----------------------------------------------------------------- provider actions

    def act_register(self):
        candidates = [p for p in self.providers.values() if not p.registered]
        p = self._pick(candidates) or self.rng.choice(list(self.providers.values()))
        region = self.rng.choice(REGIONS)
        uri = "https://gpu.example.org/%d.json" % self.rng.randrange(100)
        if self.rng.random() < 0.1:
            region, uri = self.rng.choice([(ZERO32, uri), (region, ""), (region, "x" * 257)])
        self._call(self.registry, "registerProvider", (region, uri), p.account)

    def act_update_provider(self):
        p = self.rng.choice(list(self.providers.values()))
        region = self.rng.choice(REGIONS + [ZERO32])
        self._call(self.registry, "updateProvider", (region, "ipfs://meta"), p.account)

    def act_stake(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        amount = self.rng.choice([0, 1, self.rng.randrange(1, 30_000) * USD])
        self._call(self.registry, "stake", (amount,), p.account)

    def act_request_unstake(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        amount = self.rng.choice([0, p.free + 1] + [self.rng.randrange(1, p.free // 4 + 2)] * 4)
        self._call(self.registry, "requestUnstake", (amount,), p.account)

    def act_withdraw_unstaked(self):
        unbonding = [p for p in self.providers.values() if p.unbonding]
        p = self._pick(unbonding) or self.rng.choice(list(self.providers.values()))
        if p.unbonding and self.ts + 1 < p.ready_at:
            expect = {"ProviderRegistry_UnbondingNotReady"}  # invariant 8
        elif not p.unbonding:
            expect = {"ProviderRegistry_NothingUnbonding"}
        else:
            expect = None
        self._call(self.registry, "withdrawUnstaked", (), p.account, expect=expect)

    def act_add_offer(self):
        p = self._pick(self._registered()) or self.rng.choice(list(self.providers.values()))
        model = self.rng.choice(list(self.catalogue))
        units = self.rng.randrange(1, 9)
        price = self.rng.randrange(1, 5) * USD
        duration = self.rng.choice([2 * DAY, 7 * DAY, 30 * DAY])
        if self.rng.random() < 0.1:
            units, price, duration = self.rng.choice([(0, price, duration), (units, 0, duration), (units, price, 60)])
        self._call(self.registry, "addOffer", (model, units, price, duration), p.account)

    def _offer_and_owner(self):
        offer = self._pick(o for o in self.offers.values() if not o.removed) or self._pick(self.offers.values())
        if offer is None:
            return None, self.attacker
        self._mark_offer(offer.id)
        owner = self.providers[offer.provider].account
        return offer, (owner if self.rng.random() < 0.9 else self.attacker)

    def act_update_offer(self):
        offer, sender = self._offer_and_owner()
        if offer is None:
            return self._call(self.registry, "updateOffer", (1, 1, 1, DAY), sender)
        units = self.rng.choice([max(1, offer.in_use), offer.units, offer.units + 2, max(0, offer.in_use - 1)])
        self._call(self.registry, "updateOffer", (offer.id, units, self.rng.randrange(1, 5) * USD, 30 * DAY), sender)

    def act_pause_offer(self):
        offer, sender = self._offer_and_owner()
        if offer is None:
            return self._call(self.registry, "pauseOffer", (1, True), sender)
        # Mostly resumes a paused offer, so the market keeps capacity.
        if not offer.paused and self.rng.random() < 0.6:
            offer, sender = self._pick(o for o in self.offers.values() if o.paused and not o.removed) or offer, sender
        paused = not offer.paused if self.rng.random() < 0.9 else offer.paused
        self._call(self.registry, "pauseOffer", (offer.id, paused), sender)

    def act_remove_offer(self):
        offer, sender = self._offer_and_owner()
        self._call(self.registry, "removeOffer", (offer.id if offer else 1,), sender)

    # ----------------------------------------------------------------- tenant actions

    def _spec_for(self, kind: int, terms_hash: bytes = ZERO32):
        """A request spec that fits a live offer (or, sometimes, none)."""
        def affordable(o: Offer) -> int:
            """Units of the offer its provider's free stake can still back."""
            per_unit = self.catalogue[o.model]["collateral"]
            return min(o.units - o.in_use, self.providers[o.provider].free // per_unit)

        offers = [o for o in self.offers.values() if not o.removed and not o.paused]
        offer = self._pick([o for o in offers if affordable(o) > 0] or offers)
        if offer is None:
            offer = Offer(0, ZERO, self.rng.choice(list(self.catalogue)), 2, 2 * USD, 30 * DAY)
        provider = self.providers.get(offer.provider)
        model = self.catalogue[offer.model]
        any_model = self.rng.random() < 0.2
        units = self.rng.randrange(1, max(2, min(3, affordable(offer) if offer.id else 2) + 1))
        max_price = offer.price * self.rng.choice([1, 1, 2]) + (0 if self.rng.random() < 0.9 else -1)
        duration = self.rng.choice([HOUR, 6 * HOUR, DAY, 2 * DAY]) if kind == RENTAL else DAY
        spec = (
            ZERO32 if any_model else offer.model,
            model["vram"] if any_model else 0,
            units,
            provider.region if provider and self.rng.random() < 0.3 else ZERO32,
            self.rng.choice([0, 0, model["tier"]]),
            0 if self.rng.random() < 0.95 else 9000,
            max(1, max_price),
            duration,
            self.ts + self.rng.choice([600, 2 * HOUR, 6 * HOUR, DAY]),
            kind,
            terms_hash,
        )
        p = self.params
        minimum = p["matchFee"] + p["settleBounty"] + -(-spec[6] * units * p["minLeaseSeconds"] // HOUR)
        if kind == RENTAL:
            deposit = minimum + spec[6] * units * self.rng.choice([0, 2, 6, 12, 24, 48])
        else:
            deposit = minimum + self.rng.randrange(1, 200) * USD
        if self.rng.random() < 0.07:
            deposit = minimum - 1
        return spec, deposit

    def _create(self, spec, deposit, tenant, terms=None, permit=False):
        # Zero "any" fields are left unwritten: a different kind of createRequest for gas.
        self._gas_tag = (spec[0] == ZERO32, spec[3] == ZERO32, spec[10] == ZERO32)
        order = Order(0, tenant.address if not permit else self.permit_tenant.address, spec[9], deposit, spec[8],
                      spec[6], spec[2], spec[7], terms, spec)
        self._pending_order = order
        if permit:
            v, r, s = self._permit(deposit)
            tx = self._call(self.market, "createRequestWithPermit", (spec, deposit, self.ts + HOUR, v, r, s),
                            self.permit_sender)
        else:
            tx = self._call(self.market, "createRequest", (spec, deposit), tenant)
        if tx is not None:
            self._mark(order.id)

    def _permit(self, value: int):
        data = {
            "types": {
                "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                 {"name": "chainId", "type": "uint256"},
                                 {"name": "verifyingContract", "type": "address"}],
                "Permit": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"},
                           {"name": "value", "type": "uint256"}, {"name": "nonce", "type": "uint256"},
                           {"name": "deadline", "type": "uint256"}],
            },
            "primaryType": "Permit",
            "domain": {"name": self.token.name(), "version": "1", "chainId": brownie.chain.id,
                       "verifyingContract": self.token.address},
            "message": {"owner": self.permit_tenant.address, "spender": self.market.address, "value": value,
                        "nonce": self.token.nonces(self.permit_tenant.address), "deadline": self.ts + HOUR},
        }
        signed = Account.sign_message(encode_typed_data(full_message=data), self.permit_tenant.key)
        return signed.v, "0x%064x" % signed.r, "0x%064x" % signed.s

    def act_create_rental(self):
        spec, deposit = self._spec_for(RENTAL)
        tenant = self.rng.choice(self.tenants) if self.rng.random() < 0.95 else self.attacker
        self._create(spec, deposit, tenant)

    def act_create_with_permit(self):
        spec, deposit = self._spec_for(RENTAL)
        self._create(spec, deposit, None, permit=True)

    def _new_terms(self) -> Terms:
        workload = self.rng.choice(WORKLOADS)
        self.salt += 1
        steps = self.rng.randrange(1, 9) if workload != "matvec-256" else self.rng.randrange(1, 5)
        if workload == "hashchain":
            input = keccak256(b"input-%d-%d" % (self.seed, self.salt))
        else:
            width = get_workload(workload).state_length // 4
            input = b"".join((((i * 7919 + self.salt * 104729) % 5 - 2) << 16).to_bytes(4, "big", signed=True)
                             for i in range(width))
        window = self.rng.randrange(min(HOUR, self.params["maxChallengeWindowSeconds"]),
                                    min(3 * HOUR, self.params["maxChallengeWindowSeconds"]) + 1)
        seed = keccak256(b"seed-%d" % self.salt)
        return Terms(workload, input, seed, steps, self.rng.choice([HOUR, 3 * HOUR, 6 * HOUR]), window)

    def _publish(self, terms: Terms, sender, corrupt: bool = False):
        args = terms.tuple, terms.input
        if corrupt:
            args = self.rng.choice([
                ((terms.tuple[0], keccak256(b"other"), *terms.tuple[2:]), terms.input),
                ((*terms.tuple[:3], 0, *terms.tuple[4:]), terms.input),
                ((*terms.tuple[:5], 60), terms.input),
                ((to_bytes32("unknown"), *terms.tuple[1:]), terms.input),
            ])
        self._gas_tag = terms.workload
        tx = self._call(self.jm, "publishJobTerms", args, sender)
        if tx is not None:
            terms.hash = bytes(tx.return_value)
            terms.honest = Trace.of(terms.workload, terms.input, terms.seed, terms.steps, None)
            self.published[terms.hash] = terms
        return tx

    def act_publish_terms(self):
        """Publishing alone, often a repeat or a corrupt set: must be refused with the right error."""
        if self.published and self.rng.random() < 0.5:
            terms = self.rng.choice(list(self.published.values()))
            self._call(self.jm, "publishJobTerms", (terms.tuple, terms.input), self.attacker,
                       expect={"JobMarket_TermsAlreadyPublished", "JobMarket_ChallengeWindowOutOfBounds",
                               "JobMarket_StepsOutOfBounds"})
            return
        self._publish(self._new_terms(), self.rng.choice(self.tenants), corrupt=self.rng.random() < 0.5)

    def act_publish_and_request_job(self):
        terms = self._new_terms()
        tenant = self.rng.choice(self.tenants)
        if self.rng.random() < 0.9:
            if self._publish(terms, tenant) is None:
                return
            terms_hash = terms.hash
        else:
            terms_hash = keccak256(b"unpublished-%d" % self.salt)  # the match must skip it
        spec, deposit = self._spec_for(JOB, terms_hash)
        self._create(spec, deposit, tenant, terms=terms)

    def act_cancel(self):
        open_orders = [self.orders[i] for i in sorted(self.live_orders) if self.orders[i].state == "open"]
        expired = [o for o in open_orders if o.deadline < self.ts]
        order = self._pick(expired if expired and self.rng.random() < 0.8 else open_orders)
        if order is None or self.rng.random() < 0.15:
            return self._call(self.market, "cancelRequest", (self._any_order_id(),), self.rng.choice(self.tenants))
        sender = self._account(order.tenant) if self.rng.random() < 0.7 else self.settler
        self._mark(order.id)
        if self._call(self.market, "cancelRequest", (order.id,), sender) is not None:
            self._settle_again(self.market, "cancelRequest", (order.id,), sender, "LeaseMarket_RequestNotOpen")

    def _account(self, address: str):
        if address == self.permit_tenant.address:
            return self.permit_sender
        for account in [*self.tenants, self.attacker, *(p.account for p in self.providers.values())]:
            if account.address == address:
                return account
        raise KeyError(address)

    def act_top_up(self):
        lease = self._pick(self._leases())
        lease_id = lease.id if lease else self._any_order_id()
        amount = self.rng.choice([0, self.rng.randrange(1, 20) * USD])
        funder = self.rng.choice(self.tenants + [self.settler])
        self._mark(lease_id)
        self._call(self.market, "topUp", (lease_id, amount), funder)

    # ----------------------------------------------------------------- matcher

    def _fits(self, order: Order, offer: Offer) -> bool:
        p = self.providers[offer.provider]
        model = self.catalogue[offer.model]
        spec = order.spec
        if (spec[0] != ZERO32 and spec[0] != offer.model) or (spec[0] == ZERO32 and model["vram"] < spec[1]):
            return False
        if model["tier"] < spec[4] or (spec[3] != ZERO32 and spec[3] != p.region) or spec[5] > 0:
            return False
        return (self.ts < order.deadline and not offer.paused and not offer.removed and offer.provider != order.tenant
                and offer.price <= order.max_price and order.duration <= offer.max_duration
                and offer.in_use + order.units <= offer.units and p.free >= order.units * model["collateral"])

    def act_match(self):
        open_orders = [self.orders[i] for i in sorted(self.live_orders) if self.orders[i].state == "open"]
        if self.rng.random() < 0.9:
            open_orders = [o for o in open_orders if o.deadline > self.ts + 1]
        pairs = []
        for order in self.rng.sample(open_orders, min(len(open_orders), self.rng.randrange(1, 4))):
            fitting = [o for o in self.offers.values() if self._fits(order, o)]
            offer = self._pick(fitting) if fitting and self.rng.random() < 0.85 else self._pick(self.offers.values())
            pairs.append((order.id, offer.id if offer else 999))
            self._mark(order.id)
            if offer:
                self._mark_offer(offer.id)
                self._touched.add(offer.provider)
        if self.rng.random() < 0.05:
            pairs.append((self._any_order_id(), self.rng.choice([0, 999, 2**41])))
        sender = self.matcher if self.rng.random() < 0.95 else self.rng.choice([self.attacker, self.matcher2])
        self._call(self.market, "matchRequests", (pairs,), sender)

    # ----------------------------------------------------------------- lease actions

    def act_withdraw_earnings(self):
        lease = self._pick(self._leases())
        if lease is None:
            return self._call(self.market, "withdrawEarnings", (self._any_order_id(),), self.attacker)
        self._mark(lease.id)
        sender = self.providers[lease.provider].account if self.rng.random() < 0.9 else self.attacker
        self._call(self.market, "withdrawEarnings", (lease.id,), sender)

    def act_request_reclaim(self):
        lease = self._pick(self._leases())
        if lease is None:
            return self._call(self.market, "requestReclaim", (self._any_order_id(),), self.attacker)
        self._mark(lease.id)
        self._call(self.market, "requestReclaim", (lease.id,), self.providers[lease.provider].account)

    def act_close_lease(self):
        ended = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE)
        lease = self._pick(ended if ended and self.rng.random() < 0.6 else self._leases())
        if lease is None:
            return self._call(self.market, "closeLease", (self._any_order_id(),), self.settler)
        self._mark(lease.id)
        self._touched.add(lease.provider)
        self._mark_offer(lease.offer)
        self._subject = lease
        sender = self.rng.choice([self._account(lease.tenant), self.providers[lease.provider].account, self.settler,
                                  self.settler])
        if self._call(self.market, "closeLease", (lease.id,), sender) is not None:
            self._settle_again(self.market, "closeLease", (lease.id,), self.settler, "LeaseMarket_LeaseSettled")

    def act_close_leases(self):
        """A settler's batch: mostly ended leases, now and then with an active, challenged, settled,
        repeated or unknown id among them, which must be skipped; rarely an empty or oversized list."""
        roll = self.rng.random()
        if roll < 0.03:
            return self._call(self.market, "closeLeases", ([],), self.settler, expect={"LeaseMarket_EmptyBatch"})
        if roll < 0.05:
            return self._call(self.market, "closeLeases", ([1] * (MAX_CLOSE_BATCH + 1),), self.settler,
                              expect={"LeaseMarket_BatchTooLarge"})
        ended = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE)
        ids = [o.id for o in self.rng.sample(ended, min(len(ended), self.rng.randint(1, 4)))]
        for _ in range(self.rng.choice([0, 0, 1, 2]) if ids else 1):
            ids.insert(self.rng.randrange(len(ids) + 1), self._any_order_id())
        if self.rng.random() < 0.1:
            ids.append(ids[0])  # listed twice: the second listing finds it settled
        closing = []
        for i in ids:
            o = self.orders.get(i)
            if o is None or o.state != "lease":
                continue
            self._mark(o.id)
            self._touched.add(o.provider)
            self._mark_offer(o.offer)
            closable = not o.closed and o.challenger == ZERO and self._lease_status(o, self.ts + 1) != L_ACTIVE
            if closable and all(o is not c for c in closing):
                closing.append(o)
        # Mostly a third party; sometimes a party of a listed lease, whose bounty then goes to its tenant.
        parties = [self._account(o.tenant) for o in closing] + [self.providers[o.provider].account for o in closing]
        sender = self.rng.choice(parties) if parties and self.rng.random() < 0.2 else self.settler
        self._close_queue, self._batch_bounty, self._batch_caller = list(closing), 0, sender.address
        tx = self._call(self.market, "closeLeases", (ids,), sender)
        require(tx is not None, f"closeLeases of {ids} refused")
        require(self._close_queue == [], f"batch left {[o.id for o in self._close_queue]} open, model closes them")
        self._close_queue, self._batch_bounty = None, None
        closed = [e["leaseId"] for e in tx.events["LeaseClosed"]] if "LeaseClosed" in tx.events else []
        skipped = len(tx.events["CloseSkipped"]) if "CloseSkipped" in tx.events else 0
        require(closed == [o.id for o in closing] and len(closed) + skipped == len(ids),
                f"batch {ids}: closed {closed}, skipped {skipped}, model closes {[o.id for o in closing]}")
        for o in closing:
            self._settle_again(self.market, "closeLease", (o.id,), self.settler, "LeaseMarket_LeaseSettled")

    def act_challenge_liveness(self):
        active = self._leases(lambda o: o.challenger == ZERO and self._lease_status(o, self.ts + 1) == L_ACTIVE)
        lease = self._pick(active if active and self.rng.random() < 0.9 else self._leases())
        if lease is None:
            return self._call(self.market, "challengeLiveness", (self._any_order_id(),),
                              self.rng.choice(self.whistleblowers))
        self._mark(lease.id)
        # A prober waits for the first moment the spacing allows, if the lease still runs then.
        earliest = (lease.challenged_at or lease.start) + self.params["livenessSpacingSeconds"]
        if self.ts + 1 < earliest and self._lease_status(lease, earliest) == L_ACTIVE and self.rng.random() < 0.7:
            self._sleep(earliest - 1 - self.ts)
            self._moved()
        # Sometimes the provider challenges itself: it must never profit (invariant 7).
        sender = self.rng.choice(self.whistleblowers + [self.settler, self.providers[lease.provider].account])
        self._call(self.market, "challengeLiveness", (lease.id,), sender)

    def act_respond_liveness(self):
        lease = self._pick(self._leases(lambda o: o.challenger != ZERO))
        if lease is None:
            return self._call(self.market, "respondLiveness", (self._any_order_id(),), self.attacker)
        self._mark(lease.id)
        self._touched.add(lease.provider)
        sender = self.providers[lease.provider].account if self.rng.random() < 0.9 else self.attacker
        self._call(self.market, "respondLiveness", (lease.id,), sender)

    def act_resolve_liveness(self):
        lease = self._pick(self._leases(lambda o: o.challenger != ZERO))
        if lease is None:
            return self._call(self.market, "resolveLiveness", (self._any_order_id(),), self.settler)
        self._mark(lease.id)
        self._touched.add(lease.provider)
        self._mark_offer(lease.offer)
        self._subject = lease
        self._slash_order = (lease.collateral * self.params["livenessSlashBps"] // BPS, lease.challenger, lease.tenant)
        deadline = lease.challenged_at + self.params["livenessWindowSeconds"]
        if self.ts + 1 <= deadline and self.rng.random() < 0.6:
            self._sleep(deadline - self.ts)  # a dark provider: wait out its window, then resolve
            self._moved()
        sender = self.rng.choice([self.settler, self.settler, self._account(lease.tenant)])
        if self._call(self.market, "resolveLiveness", (lease.id,), sender) is not None:
            self._settle_again(self.market, "resolveLiveness", (lease.id,), self.settler, "LeaseMarket_NoOpenChallenge")

    # ----------------------------------------------------------------- job actions

    def _job(self, predicate):
        job = self._pick(self._live_jobs(predicate))
        if job is not None:
            self._gas_tag = job.terms.workload
            self._mark(job.id)
            self._touched.add(job.provider)
            self._mark_offer(job.offer)
            self._subject = job
        return job

    def _dispute(self, job_id: int) -> dict:
        fields = ("challenger bond lo hi deadline phase arbiterMode moveTimeoutSeconds voteWindowSeconds number "
                  "hLo hHi hMid windowLeft votesForSolver votesForChallenger").split()
        return dict(zip(fields, self._read([(self.jm.disputeOf, job_id)])[0]))

    def act_submit_result(self):
        job = self._job(lambda j: j.waiting and (j.result_deadline > self.ts or self.rng.random() < 0.1))
        if job is None:
            args = (self._any_order_id(), self._some_terms(), b"\1" * 32, b"\1" * 32, [])
            return self._call(self.jm, "submitResult", args, self.attacker)
        solver = job.solver
        proof = solver.tree.proof(job.terms.steps)
        args = (job.id, job.terms.tuple, solver.hashes[-1], solver.tree.root, proof)
        sender = self.providers[job.provider].account
        roll = self.rng.random()
        if roll < 0.05:
            args = (*args[:3], ZERO32, proof)
        elif roll < 0.1:
            args = (*args[:2], keccak256(b"wrong"), *args[3:])
        elif roll < 0.14:
            sender = self.attacker
        self._call(self.jm, "submitResult", args, sender)

    def _some_terms(self) -> tuple:
        return self.rng.choice(list(self.published.values())).tuple if self.published else Terms(
            "hashchain", b"\0" * 32, ZERO32, 1, HOUR, HOUR).tuple

    def act_attest(self):
        job = self._job(lambda j: j.open and j.attestation == A_NONE and self._in_window(j))
        if job is None:
            return self._call(self.jm, "attest", (self._any_order_id(), self._some_terms(), True), self.verifiers[0])
        honest = job.solver.hashes[-1] == job.terms.honest.hashes[-1]
        valid = honest if self.rng.random() < 0.75 else not honest  # a lazy or a wrong verifier, sometimes
        sender = self.rng.choice(self.verifiers) if self.rng.random() < 0.9 else self.rng.choice(
            [self.attacker, self.providers[job.provider].account])
        self._call(self.jm, "attest", (job.id, job.terms.tuple, valid), sender)

    def act_challenge_job(self):
        job = self._job(lambda j: j.open and self._in_window(j))
        if job is None:
            return self._call(self.jm, "challenge", (self._any_order_id(), self._some_terms()), self.whistleblowers[0])
        honest = job.solver.hashes[-1] == job.terms.honest.hashes[-1]
        if honest and self.rng.random() < 0.7:
            return self._call(self.jm, "finalizeJob", (job.id,), self.settler)  # nothing to blow the whistle on
        sender = self.rng.choice(self.whistleblowers + [self.settler])
        if self.rng.random() < 0.05:
            sender = self.providers[job.provider].account
        terms = job.terms.tuple if self.rng.random() < 0.95 else self._some_terms()
        if self._call(self.jm, "challenge", (job.id, terms), sender) is not None:
            job.colluding = self.rng.random() < 0.15

    def _in_window(self, job: Job) -> bool:
        return job.window_ends > self.ts + 1 or self.rng.random() < 0.1

    def act_dispute_move(self):
        job = self._job(lambda j: j.disputed)
        if job is None:
            return self._call(self.jm, "reveal", (self._any_order_id(), ZERO32, []), self.attacker)
        d = self._dispute(job.id)
        self._dispute_before = d
        self._slash_order = (job.collateral, job.challenger, job.tenant)
        phase = d["phase"]
        provider = self.providers[job.provider].account
        if phase == P_REVEAL:
            mid = (d["lo"] + d["hi"]) // 2
            args = (job.id, job.solver.hashes[mid], job.solver.tree.proof(mid))
            if self.rng.random() < 0.05:
                args = (job.id, keccak256(b"lie"), job.solver.tree.proof(mid))
            self._call(self.jm, "reveal", args, provider if self.rng.random() < 0.95 else self.attacker)
        elif phase == P_RESPOND:
            mid = (d["lo"] + d["hi"]) // 2
            agree = job.terms.honest.hashes[mid] == bytes(d["hMid"])
            if job.colluding:
                agree = not agree
            sender = self._account_any(d["challenger"]) if self.rng.random() < 0.95 else self.attacker
            self._call(self.jm, "respond", (job.id, agree), sender)
        elif phase == P_PROVE:
            state = job.solver.states[d["lo"]]
            if self.rng.random() < 0.05:
                state = b"\7" * len(state)
            # Anyone may prove: the outcome depends only on the states.
            sender = self.rng.choice([provider, self.settler, self.attacker])
            if self._call(self.jm, "proveStep", (job.id, job.terms.tuple, state), sender) is not None:
                self._settle_again(self.jm, "proveStep", (job.id, job.terms.tuple, state), sender,
                                   "JobMarket_UnexpectedPhase")
        elif phase == P_VOTE:
            self.act_vote(job)
        else:
            self._call(self.jm, "claimTimeout", (job.id,), self.settler)

    def _account_any(self, address: str):
        for account in [*self.whistleblowers, *self.verifiers, self.settler, self.attacker, *self.tenants,
                        *(p.account for p in self.providers.values())]:
            if account.address == address:
                return account
        raise KeyError(address)

    def act_vote(self, job: Job | None = None):
        job = job or self._job(lambda j: j.disputed)
        if job is None:
            return self._call(self.jm, "voteOnStep", (self._any_order_id(), True), self.arbiters[0])
        d = self._dispute(job.id)
        self._dispute_before = d
        lo = d["lo"]
        state = job.solver.states[lo]
        correct = keccak256(get_workload(job.terms.workload).step(state, lo, job.terms.seed)) == bytes(d["hHi"])
        vote = correct if self.rng.random() < 0.85 else not correct
        self._call(self.jm, "voteOnStep", (job.id, vote), self.rng.choice(self.arbiters))

    def act_resolve_vote(self):
        job = self._job(lambda j: j.disputed)
        job_id = job.id if job else self._any_order_id()
        if job:
            self._dispute_before = self._dispute(job.id)
            self._slash_order = (job.collateral, job.challenger, job.tenant)
        if self._call(self.jm, "resolveVote", (job_id,), self.settler) is not None:
            self._settle_again(self.jm, "resolveVote", (job_id,), self.settler, "JobMarket_UnexpectedPhase")

    def act_claim_timeout(self):
        job = self._job(lambda j: j.disputed)
        job_id = job.id if job else self._any_order_id()
        if job:
            self._dispute_before = self._dispute(job.id)
            self._slash_order = (job.collateral, job.challenger, job.tenant)
        if self._call(self.jm, "claimTimeout", (job_id,), self.rng.choice([self.settler, self.attacker])) is not None:
            self._settle_again(self.jm, "claimTimeout", (job_id,), self.settler, "JobMarket_UnexpectedPhase")

    def act_finalize(self):
        job = self._job(lambda j: j.open)
        job_id = job.id if job else self._any_order_id()
        if self._call(self.jm, "finalizeJob", (job_id,), self.rng.choice([self.settler, self.attacker])) is not None:
            self._settle_again(self.jm, "finalizeJob", (job_id,), self.settler, "JobMarket_UnexpectedStatus")

    def act_expire(self):
        job = self._job(lambda j: j.waiting)
        job_id = job.id if job else self._any_order_id()
        # Sometimes the late solver reports itself: it must get no whistleblower share.
        reporters = [self.settler, self.whistleblowers[0]]
        sender = self.rng.choice(reporters + ([self.providers[job.provider].account] if job else []))
        if job:
            self._slash_order = (job.collateral * self.params["lateResultSlashBps"] // BPS, sender.address, job.tenant)
        if self._call(self.jm, "expireJob", (job_id,), sender) is not None:
            self._settle_again(self.jm, "expireJob", (job_id,), self.settler, "JobMarket_UnexpectedStatus")

    # ----------------------------------------------------------------- time

    def _deadlines(self) -> list[int]:
        ts = []
        p = self.params
        for i in self.live_orders:
            o = self.orders[i]
            if o.state == "open":
                ts.append(o.deadline)
            else:
                ts.append(o.start + o.duration)
                if o.challenger != ZERO:
                    ts.append(o.challenged_at + p["livenessWindowSeconds"])
                else:
                    ts.append(o.start + p["livenessSpacingSeconds"])
                if o.reclaimable_at:
                    ts.append(o.reclaimable_at)
        for i in self.live_jobs:
            j = self.jobs[i]
            ts.append(j.result_deadline if j.waiting else j.window_ends)
            if j.disputed:
                ts.append(self.ts + p["moveTimeoutSeconds"])
        ts += [p.ready_at for p in self.providers.values() if p.unbonding]
        return [t for t in ts if t > self.ts]

    def _moved(self):
        self._time_moved = True

    def act_time_small(self):
        self._sleep(self.rng.randrange(1, 120))
        self._moved()

    def act_time_medium(self):
        self._sleep(self.rng.randrange(300, 1800))
        self._moved()

    def act_time_to_deadline(self):
        deadlines = self._deadlines()
        if not deadlines:
            return self.act_time_small()
        target = self.rng.choice(deadlines) + self.rng.choice([-1, 0, 0, 1, 2])
        self._sleep(max(1, target - self.ts - 1))  # the next transaction runs at `target`
        self._moved()

    def act_time_long(self):
        self._sleep(self.rng.randrange(6 * HOUR, 8 * DAY))
        self._moved()

    # ----------------------------------------------------------------- governance

    def _new_params(self) -> dict:
        p = dict(self.params)
        r = self.rng
        p.update(
            protocolFeeBps=r.randrange(0, 1001), verifierFeeBps=r.randrange(0, 3001),
            whistleblowerRewardBps=r.randrange(0, 6001), tenantCompensationBps=r.randrange(0, 4001),
            livenessSlashBps=r.randrange(100, 5001), lateResultSlashBps=r.randrange(0, 5001),
            minLeaseSeconds=r.choice([60, 600, HOUR]), reclaimNoticeSeconds=r.choice([HOUR, DAY]),
            livenessWindowSeconds=r.choice([60, 600, 1800]), livenessSpacingSeconds=r.choice([600, HOUR, 4 * HOUR]),
            moveTimeoutSeconds=r.choice([1800, HOUR, 2 * HOUR]), arbiterVoteWindowSeconds=r.choice([1800, HOUR]),
            maxChallengeWindowSeconds=r.choice([2 * HOUR, DAY]), maxBisectionRounds=r.choice([4, 8, 24]),
            matchFee=r.randrange(0, 2 * USD), settleBounty=r.randrange(0, USD),
            livenessBond=r.randrange(USD // 100, 20 * USD), challengeBond=r.randrange(USD // 100, 100 * USD),
            verifierBond=r.randrange(USD // 100, 50 * USD),
        )
        window = p["maxChallengeWindowSeconds"] + (2 * p["maxBisectionRounds"] + 2) * p["moveTimeoutSeconds"] + p[
            "arbiterVoteWindowSeconds"]
        shortest = max(DAY, window + 1)
        p["unbondingPeriodSeconds"] = shortest if r.random() < 0.5 else min(60 * DAY, max(7 * DAY, shortest))
        return p

    def act_set_params(self):
        p = self._new_params()
        roll = self.rng.random()
        expect = None
        if roll < 0.1:
            p["protocolFeeBps"] = 1001
            expect = {"ProtocolConfig_ParamOutOfBounds"}
        elif roll < 0.15:
            p["whistleblowerRewardBps"], p["tenantCompensationBps"] = 6000, 5000
            expect = {"ProtocolConfig_SharesExceedWhole"}
        elif roll < 0.2:
            p["unbondingPeriodSeconds"] = DAY
            p["maxChallengeWindowSeconds"] = DAY
            expect = {"ProtocolConfig_UnbondingTooShort"}
        sender = self.owner if self.rng.random() < 0.9 else self.attacker
        if sender == self.attacker:
            expect = OZ_OWNER
        if self._call(self.config, "setParams", (tuple(p[k] for k in PARAM_FIELDS),), sender, expect=expect):
            self.params = p

    def act_set_gpu_model(self):
        model = self.rng.choice(list(self.catalogue) + [to_bytes32("amd-mi300x-192gb")])
        entry = self.catalogue.get(model, {"vram": 192, "tier": 4, "collateral": 2500 * USD, "listed": True})
        listed = self.rng.random() < 0.8
        collateral = entry["collateral"] if self.rng.random() < 0.5 else self.rng.randrange(50, 4000) * USD
        args = (model, entry["vram"], entry["tier"], collateral, listed)
        self._gas_tag = model in self.catalogue
        sender = self.owner
        if self.rng.random() < 0.1:
            args = self.rng.choice([(ZERO32, *args[1:]), (model, 0, *args[2:]), (model, entry["vram"], 5, *args[3:]),
                                    (model, entry["vram"], entry["tier"], 0, listed)])
        elif self.rng.random() < 0.1:
            sender = self.attacker
        if self._call(self.config, "setGpuModel", args, sender):
            self.catalogue[model] = {"vram": args[1], "tier": args[2], "collateral": args[3], "listed": args[4]}

    def act_set_role(self):
        role = self.rng.choice(["MATCHER", "VERIFIER", "ARBITER"])
        account = {"MATCHER": self.matcher2, "VERIFIER": self.verifier2, "ARBITER": self.arbiter2}[role]
        granted = not self.has_role.get((role, account.address), False)
        args = (self.roles[role], account, granted)
        sender = self.owner
        roll = self.rng.random()
        if roll < 0.08:
            args = (keccak256(b"NOT_A_ROLE"), account, True)
        elif roll < 0.12:
            args = (self.roles[role], ZERO, True)
        elif roll < 0.2:
            sender = self.attacker
        if self._call(self.config, "setRole", args, sender):
            self.has_role[(role, account.address)] = granted

    def act_set_treasury(self):
        new = self.treasury2 if self.treasury_now == self.treasury.address else self.treasury
        sender = self.owner if self.rng.random() < 0.85 else self.attacker
        if self._call(self.config, "setTreasury", (new if self.rng.random() < 0.95 else ZERO,), sender):
            self.treasury_now = new.address

    def act_pause(self):
        if self._call(self.config, "pause", (), self.owner if self.rng.random() < 0.9 else self.attacker):
            self.paused = True

    def act_unpause(self):
        if self._call(self.config, "unpause", (), self.owner if self.rng.random() < 0.95 else self.attacker):
            self.paused = False

    def act_ownership(self):
        """Ownable2Step: the owner offers the config to the other governance account, which accepts."""
        if self.pending_owner is not None and self.rng.random() < 0.8:
            sender = self.pending_owner if self.rng.random() < 0.9 else self.attacker
            if self._call(self.config, "acceptOwnership", (), sender):
                self.owner, self.pending_owner = self.pending_owner, None
            return
        if self.rng.random() < 0.3:
            return self._call(self.config, "renounceOwnership", (), self.attacker, expect=OZ_OWNER)
        other = self.gov2 if self.owner == self.gov else self.gov
        sender = self.owner if self.rng.random() < 0.9 else self.attacker
        if self._call(self.config, "transferOwnership", (other,), sender):
            self.pending_owner = other

    def act_set_workload(self):
        name = self.rng.choice(["hashchain", "matvec"])
        verifier = self.d.step_verifiers[name]
        args = (to_bytes32(name), verifier, False)
        sender = self.owner
        roll = self.rng.random()
        if roll < 0.15:
            args = (ZERO32, verifier, False)
        elif roll < 0.35:
            sender = self.attacker
        self._call(self.jm, "setWorkload", args, sender)

    def act_donate(self):
        """Tokens sent straight to a contract: it then holds more than it owes, never less."""
        target = self.rng.choice([self.registry, self.market, self.jm])
        amount = self.rng.randrange(1, 1000)
        self.ts += 1
        self.token.transfer(target, amount, {"from": self.attacker})
        self.donations[target.address] += amount
        self._move(self.attacker.address, target.address, amount)

    # ----------------------------------------------------------------- the token's blocklist

    def act_blocklist(self):
        """The token's issuer blocklists a party: transfers to or from it revert until unblocked. The
        treasury often: it receives only slash shares and sweeps, so a blocked one stays a while."""
        free = sorted(set(self.parties) - self.blocked)
        # Half the time a party of a running lease or job, which a settlement is about to pay: a
        # refusal the markets must credit, not only one that finds nobody to pay.
        paid_soon = {a for i in self.live_orders for a in (self.orders[i].tenant, self.orders[i].provider)}
        paid_soon |= {a for i in self.live_jobs for j in (self.jobs[i],) for a in (j.tenant, j.provider, j.verifier)}
        paid_soon = sorted(paid_soon & set(free))
        roll = self.rng.random()
        if self.treasury_now in free and roll < 0.3:
            account = self.treasury_now
        elif paid_soon and roll < 0.65:
            account = self.rng.choice(paid_soon)
        else:
            account = self.rng.choice(free)
        self._set_blocked(account, True)

    def act_unblock(self):
        self._set_blocked(self.rng.choice(sorted(self.blocked)), False)

    def _set_blocked(self, account: str, blocked: bool) -> None:
        self.ts += 1
        self.token.setBlocked(account, blocked, {"from": self.gov})
        (self.blocked.add if blocked else self.blocked.discard)(account)
        self.stats.blocklist_moves += 1

    def act_claim_credit(self):
        """Any party claims its credit on any of the three contracts: exactly the credit, once;
        refused without one, and by the token while it still refuses the claimant."""
        roll = self.rng.random()
        # Mostly a credit its holder can claim now: a walk's credits pile up on blocked accounts
        # (a blocked treasury's slash shares), and a pick among all of them rarely finds one.
        claimable = [k for k in sorted(self.credits) if self.credits[k] and k[1] not in self.blocked]
        if claimable and roll < 0.6:
            contract, account = self.rng.choice(claimable)
        elif self.credits and roll < 0.85:
            contract, account = self.rng.choice(sorted(self.credits))
        else:
            contract, account = self.rng.choice(sorted(self.owing)), self.rng.choice(sorted(self.parties))
        key = (contract, account)
        if not self.credits[key]:
            expect = {"Leasehold_NoCredit"}
        elif account in self.blocked:
            expect = REFUSED
        else:
            expect = set()  # must go through
        sender, target = self.parties[account], self.owing[contract]
        if self._call(target, "claimCredit", (), sender, expect=expect):
            # Paid once: a second claim finds nothing.
            self._settle_again(target, "claimCredit", (), sender, "Leasehold_NoCredit")

    def act_sweep_fees(self):
        """Anyone sweeps a market's accrued fees to the current treasury: all of them, once;
        refused with none accrued, and by the token while it refuses the treasury (the fees wait)."""
        contract = self.rng.choice(self._fee_contracts())
        if not self.fees[contract]:
            expect = {"Leasehold_NoFees"}
        elif self.treasury_now in self.blocked:
            expect = REFUSED
        else:
            expect = set()  # must go through
        sender, target = self.parties[self.rng.choice(sorted(self.parties))], self.owing[contract]
        if self._call(target, "sweepFees", (), sender, expect=expect):
            self._settle_again(target, "sweepFees", (), sender, "Leasehold_NoFees")

    # ----------------------------------------------------------------- the attacker

    def act_attack(self):
        """Calls something the attacker must not: every one must be refused with its own error."""
        a = self.attacker
        settlement = (self.rng.choice(list(self.providers)), 1, 1, 1)
        op = self.rng.randrange(18)
        if op == 0:
            self._call(self.registry, "tryReserve", (1, (a.address, ZERO32, ZERO32, 1, 1, 1, 0, 0, 0)), a)
        elif op == 1:
            self._call(self.registry, "release", (settlement, 1), a)
        elif op == 2:
            self._call(self.registry, "recordOutcome", (settlement[0], 1), a)
        elif op == 3:
            self._call(self.registry, "slash", (settlement, (10**9, 0, a.address, a.address)), a)
        elif op == 4:
            self._call(self.jm, "openJob", (10**6, a, a, 1, 1, 0, 10**9, ZERO32), a)
        elif op == 5:
            self._call(self.market, "setJobMarket", (a,), a)
        elif op == 6:
            self._call(self.market, "setJobMarket", (a,), self.owner, expect={"LeaseMarket_JobMarketAlreadySet"})
        elif op == 7:
            self._call(self.config, "pause", (), a, expect=OZ_OWNER)
        elif op == 8:
            self._call(self.jm, "setWorkload", (to_bytes32("evil"), a, True), a,
                       expect={"JobMarket_CallerNotGovernance"})
        elif op == 9:
            self._call(self.registry, "stake", (USD,), a, expect={"ProviderRegistry_NotRegistered"})
        elif op == 10:
            self._call(self.market, "matchRequests", ([(0, 1)],), a, expect={"Leasehold_MissingRole"})
        elif op == 11:
            job = self._pick(self._live_jobs(lambda j: j.open and j.attestation == A_NONE))
            args = (job.id, job.terms.tuple, True) if job else (self._any_order_id(), self._some_terms(), True)
            self._call(self.jm, "attest", args, a, expect={"Leasehold_MissingRole", "JobMarket_UnexpectedStatus"})
        elif op == 12:
            job = self._pick(self._live_jobs(lambda j: j.disputed))
            self._call(self.jm, "voteOnStep", (job.id if job else 1, True), a, expect={"Leasehold_MissingRole"})
        elif op == 13:
            lease = self._pick(self._leases())
            if lease:
                self._mark(lease.id)
            self._call(self.market, "withdrawEarnings", (lease.id if lease else 0,), a,
                       expect={"LeaseMarket_CallerNotProvider", "LeaseMarket_LeaseNotFound"})
        elif op == 14:
            spec, deposit = self._spec_for(RENTAL)
            self._call(self.market, "createRequest", (spec, deposit), a,
                       expect={"ERC20InsufficientAllowance", "Leasehold_Paused", "LeaseMarket_DepositTooSmall"})
        elif op == 15:
            self._call(self.market, "matchRequests", ([],), self.matcher,
                       expect={"LeaseMarket_EmptyBatch", "Leasehold_Paused"})
        elif op == 16:
            self._call(self.config, "renounceOwnership", (), a, expect=OZ_OWNER)
        else:
            self._call(self.config, "acceptOwnership", (), a, expect=OZ_OWNER)


ACTION_TARGET = {
    "update_provider": "ProviderRegistry.updateProvider", "request_unstake": "ProviderRegistry.requestUnstake",
    "withdraw_unstaked": "ProviderRegistry.withdrawUnstaked", "update_offer": "ProviderRegistry.updateOffer",
    "pause_offer": "ProviderRegistry.pauseOffer", "remove_offer": "ProviderRegistry.removeOffer",
    "create_with_permit": "LeaseMarket.createRequestWithPermit", "top_up": "LeaseMarket.topUp",
    "withdraw_earnings": "LeaseMarket.withdrawEarnings", "request_reclaim": "LeaseMarket.requestReclaim",
    "close_lease": "LeaseMarket.closeLease", "close_leases": "LeaseMarket.closeLeases",
    "challenge_liveness": "LeaseMarket.challengeLiveness",
    "respond_liveness": "LeaseMarket.respondLiveness", "resolve_liveness": "LeaseMarket.resolveLiveness",
    "attest": "JobMarket.attest", "challenge_job": "JobMarket.challenge", "dispute_move": "JobMarket.proveStep",
    "vote": "JobMarket.voteOnStep", "resolve_vote": "JobMarket.resolveVote", "claim_timeout": "JobMarket.claimTimeout",
    "expire": "JobMarket.expireJob", "set_params": "ProtocolConfig.setParams",
    "set_gpu_model": "ProtocolConfig.setGpuModel",
    "set_role": "ProtocolConfig.setRole", "set_treasury": "ProtocolConfig.setTreasury", "pause": "ProtocolConfig.pause",
    "ownership": "ProtocolConfig.acceptOwnership", "set_workload": "JobMarket.setWorkload",
}

PARAM_FIELDS = (
    "protocolFeeBps whistleblowerRewardBps tenantCompensationBps livenessSlashBps lateResultSlashBps verifierFeeBps "
    "minLeaseSeconds reclaimNoticeSeconds livenessWindowSeconds livenessSpacingSeconds unbondingPeriodSeconds "
    "maxChallengeWindowSeconds moveTimeoutSeconds arbiterVoteWindowSeconds maxBisectionRounds matchFee settleBounty "
    "livenessBond challengeBond verifierBond"
).split()


def must_succeed() -> list[str]:
    """Every function the walk must have called successfully at least once (directly or, for
    market-only registry and job-market calls, through the markets)."""
    return [f for f in FUNCTIONS if f not in ONE_SHOT]


def succeeded(stats: Stats, function: str) -> int:
    return stats.ok[function] + stats.indirect[function]
