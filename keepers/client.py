"""Typed wrappers over the deployed contracts, in the style of pymaker.

`LeaseholdClient(w3, deployment, sender)` is what the CLI, the provider agent and
the demo driver use: every write goes through the one `TransactionSender` (so it
is simulated first and refused with the contract's custom error name) and returns
its `SendResult`; every read returns a frozen dataclass with text ids and status
names instead of raw tuples. Amounts are integers in the token's smallest unit
(6 decimals for the test stablecoin: 1 USD = 1_000_000), as on chain.

A client built with `sender=None` is read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError

from keepers.accounts import load_account
from keepers.config import KeeperConfig
from keepers.deployment import Deployment, load_deployment
from keepers.errors import ConfigError, KeeperError
from keepers.ids import ZERO_BYTES32, from_bytes32, to_bytes32
from keepers.journal import Journal
from keepers.observability import Metrics
from keepers.rpc import web3_for
from keepers.sender import Refused, RevertDecoder, SendResult, TransactionSender

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# Names of the contracts' enums (contracts/types/DataTypes.sol), by value.
REQUEST_KINDS = ("RENTAL", "JOB")
REQUEST_STATUSES = ("NULL", "OPEN", "EXPIRED", "MATCHED", "CANCELLED")
LEASE_STATUSES = ("NULL", "ACTIVE", "EXPIRED", "INSOLVENT", "CLOSED", "TERMINATED")
CLOSE_REASONS = ("NONE", "TENANT", "PROVIDER_RECLAIM", "EXPIRED", "INSOLVENT", "LIVENESS_FAILURE", "FAULT")
JOB_STATUSES = (
    "NONE", "MATCHED", "LATE", "SUBMITTED", "FINALIZABLE", "DISPUTED", "FINALIZED", "EXPIRED", "SLASHED", "VOIDED",
)
ATTESTATIONS = ("NONE", "VALID", "INVALID")
PHASES = ("NONE", "REVEAL", "RESPOND", "PROVE", "VOTE")
DISPUTE_RESULTS = ("SOLVER_WON", "CHALLENGER_WON", "VOIDED")
MAX_ALLOWANCE = 2**256 - 1

# Reads are batched into one JSON-RPC request per this many calls.
READ_BATCH = 100


class ReadOnlyClient(KeeperError):
    """A write was asked of a client built without an account."""


@dataclass(frozen=True)
class RequestSpec:
    """What a tenant asks for. `gpu_model`/`region` None mean any; `match_deadline` is a unix time."""

    units: int
    max_price_per_unit_hour: int
    max_duration_seconds: int
    match_deadline: int
    gpu_model: str | None = None
    min_vram_gb: int = 0
    region: str | None = None
    min_tier: int = 0
    min_reputation: int = 0
    kind: str = "RENTAL"
    job_terms_hash: bytes = ZERO_BYTES32

    def as_tuple(self) -> tuple:
        """The `Market.RequestSpec` struct, in its field order."""
        return (
            to_bytes32(self.gpu_model) if self.gpu_model else ZERO_BYTES32,
            self.min_vram_gb,
            self.units,
            to_bytes32(self.region) if self.region else ZERO_BYTES32,
            self.min_tier,
            self.min_reputation,
            self.max_price_per_unit_hour,
            self.max_duration_seconds,
            self.match_deadline,
            REQUEST_KINDS.index(self.kind),
            self.job_terms_hash,
        )


@dataclass(frozen=True)
class GpuModelInfo:
    """A catalogue entry (`Config.GpuModel`); `collateral_per_unit` in the stake token's smallest units."""

    gpu_model: str
    vram_gb: int
    tier: int
    collateral_per_unit: int
    listed: bool


@dataclass(frozen=True)
class ProviderInfo:
    address: str
    registered: bool
    region: str
    metadata_uri: str
    free_stake: int
    locked_stake: int
    unbonding_stake: int
    unbonding_ready_at: int
    registered_at: int
    leases_completed: int
    jobs_finalized: int
    liveness_answered: int
    liveness_missed: int
    disputes_lost: int
    slash_count: int
    total_slashed: int
    reputation: int
    uptime_bps: int

    @property
    def active_stake(self) -> int:
        """Free plus locked: the stake that is not on its way out."""
        return self.free_stake + self.locked_stake


@dataclass(frozen=True)
class OfferInfo:
    offer_id: int
    provider: str
    gpu_model: str
    units: int
    units_in_use: int
    price_per_unit_hour: int
    max_duration_seconds: int
    paused: bool
    removed: bool

    @property
    def live(self) -> bool:
        return not self.removed

    @property
    def available(self) -> bool:
        return not self.paused and not self.removed


@dataclass(frozen=True)
class RequestInfo:
    request_id: int
    tenant: str
    kind: str
    status: str  # OPEN, EXPIRED, MATCHED or CANCELLED (requestStatusOf)
    gpu_model: str  # "" = any model with min_vram_gb
    min_vram_gb: int
    units: int
    region: str  # "" = any region
    min_tier: int
    min_reputation: int
    price_per_unit_hour: int  # the tenant's maximum while open; the offer's price once matched
    duration_seconds: int
    match_deadline: int
    escrow: int
    provider: str
    offer_id: int


@dataclass(frozen=True)
class LeaseInfo:
    lease_id: int
    status: str  # ACTIVE, EXPIRED, INSOLVENT, CLOSED or TERMINATED (statusOf)
    close_reason: str
    tenant: str
    provider: str
    offer_id: int
    gpu_model: str
    region: str
    units: int
    price_per_unit_hour: int
    start_time: int
    end_time: int
    stop_time: int
    balance: int
    accrued: int
    withdrawable: int
    withdrawn: int
    collateral: int
    settle_bounty: int
    protocol_fee_bps: int
    challenger: str
    challenged_at: int
    challenge_bond: int
    reclaimable_at: int

    @property
    def challenge_open(self) -> bool:
        return self.challenger != ZERO_ADDRESS

    @property
    def settled(self) -> bool:
        return self.status in ("CLOSED", "TERMINATED")


@dataclass(frozen=True)
class JobTerms:
    """`Jobs.JobTerms`: what a job computes (docs/verification.md, Terms). `workload` is the bytes32 id."""

    workload: bytes
    input_hash: bytes
    seed: bytes
    steps: int
    result_timeout_seconds: int
    challenge_window_seconds: int

    def as_tuple(self) -> tuple:
        return (
            self.workload, self.input_hash, self.seed, self.steps, self.result_timeout_seconds,
            self.challenge_window_seconds,
        )

    @classmethod
    def from_event(cls, terms: Mapping[str, Any] | tuple) -> "JobTerms":
        """From a decoded `JobTermsPublished` terms argument (web3 gives a named mapping or a tuple)."""
        if isinstance(terms, Mapping):
            terms = (
                terms["workload"], terms["inputHash"], terms["seed"], terms["steps"], terms["resultTimeoutSeconds"],
                terms["challengeWindowSeconds"],
            )
        workload, input_hash, seed, steps, result_timeout, window = terms
        return cls(bytes(workload), bytes(input_hash), bytes(seed), steps, result_timeout, window)

    @property
    def workload_name(self) -> str:
        return from_bytes32(self.workload)


@dataclass(frozen=True)
class JobInfo:
    job_id: int
    status: str  # statusOf: the stored status, or LATE / FINALIZABLE derived from the clock
    provider: str
    offer_id: int
    units: int
    tenant: str
    result_deadline: int
    window_ends_at: int
    attestation: str  # NONE, VALID or INVALID
    collateral: int
    escrow: int
    terms_hash: bytes
    output_hash: bytes
    trace_root: bytes
    verifier: str
    verifier_bond: int


@dataclass(frozen=True)
class DisputeInfo:
    """A job's current (or last) dispute; the challenger agrees with h_lo and disputes h_hi."""

    challenger: str
    bond: int
    lo: int
    hi: int
    deadline: int
    phase: str  # NONE (no dispute open), REVEAL, RESPOND, PROVE or VOTE
    arbiter_mode: bool
    move_timeout_seconds: int
    vote_window_seconds: int
    number: int
    h_lo: bytes
    h_hi: bytes
    h_mid: bytes
    window_left: int
    votes_for_solver: int
    votes_for_challenger: int

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2


@dataclass(frozen=True)
class NextMove:
    phase: str
    deadline: int
    mover: str  # the solver or the challenger; the zero address for the arbiters (or no dispute)


def as_dict(record) -> dict[str, Any]:
    """A read record as JSON-ready data (bytes as 0x hex)."""
    return {key: "0x" + value.hex() if isinstance(value, bytes) else value for key, value in asdict(record).items()}


class LeaseholdClient:
    """The deployment's contracts for one account (or none: read-only)."""

    def __init__(self, w3: Web3, deployment: Deployment, sender: TransactionSender | None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.sender = sender
        self.config = deployment.contract(w3, "ProtocolConfig")
        self.registry = deployment.contract(w3, "ProviderRegistry")
        self.market = deployment.contract(w3, "LeaseMarket")
        self.payment_token = deployment.contract(w3, "PaymentToken")
        self.stake_token = deployment.contract(w3, "StakeToken")

    @cached_property
    def job_market(self) -> Contract:
        return self.deployment.contract(self.w3, "JobMarket")

    @property
    def address(self) -> str:
        if self.sender is None:
            raise ReadOnlyClient("account error: this command needs an [account] in the config")
        return self.sender.address

    # ---------------------------------------------------------------- tokens

    def balance_of(self, token: Contract, owner: str | None = None) -> int:
        return self._call(token.functions.balanceOf(owner or self.address))

    def ensure_allowance(self, token: Contract, spender: str, amount: int) -> SendResult | None:
        """Approves `amount` for `spender` only when the current allowance is short; None when it is not."""
        if self._call(token.functions.allowance(self.address, spender)) >= amount:
            return None
        return self._send(token.functions.approve(spender, amount), "approve")

    # ---------------------------------------------------------------- providers

    def register_provider(self, region: str, metadata_uri: str) -> SendResult:
        return self._send(self.registry.functions.registerProvider(to_bytes32(region), metadata_uri), "register_provider")

    def update_provider(self, region: str, metadata_uri: str) -> SendResult:
        return self._send(self.registry.functions.updateProvider(to_bytes32(region), metadata_uri), "update_provider")

    def stake(self, amount: int, *, approve: bool = True) -> SendResult:
        """Stakes `amount`, approving the registry first when its allowance is short."""
        fn = self.registry.functions.stake(amount)
        if approve:
            return self.approve_and_send(self.stake_token, self.registry.address, amount, fn, "stake")
        return self._send(fn, "stake")

    def request_unstake(self, amount: int) -> SendResult:
        return self._send(self.registry.functions.requestUnstake(amount), "request_unstake")

    def withdraw_unstaked(self) -> SendResult:
        return self._send(self.registry.functions.withdrawUnstaked(), "withdraw_unstaked")

    def add_offer(self, gpu_model: str, units: int, price_per_unit_hour: int, max_duration_seconds: int) -> SendResult:
        """Adds an offer; its id is `offer_id_of(result)`."""
        fn = self.registry.functions.addOffer(to_bytes32(gpu_model), units, price_per_unit_hour, max_duration_seconds)
        return self._send(fn, "add_offer")

    def update_offer(self, offer_id: int, units: int, price_per_unit_hour: int, max_duration_seconds: int) -> SendResult:
        fn = self.registry.functions.updateOffer(offer_id, units, price_per_unit_hour, max_duration_seconds)
        return self._send(fn, "update_offer")

    def pause_offer(self, offer_id: int, paused: bool = True) -> SendResult:
        return self._send(self.registry.functions.pauseOffer(offer_id, paused), "pause_offer")

    def remove_offer(self, offer_id: int) -> SendResult:
        return self._send(self.registry.functions.removeOffer(offer_id), "remove_offer")

    def withdraw_earnings(self, lease_id: int) -> SendResult:
        return self._send(self.market.functions.withdrawEarnings(lease_id), "withdraw_earnings")

    def request_reclaim(self, lease_id: int) -> SendResult:
        return self._send(self.market.functions.requestReclaim(lease_id), "request_reclaim")

    def respond_liveness(self, lease_id: int) -> SendResult:
        return self._send(self.market.functions.respondLiveness(lease_id), "respond_liveness")

    # ---------------------------------------------------------------- tenants

    def create_request(self, spec: RequestSpec, deposit: int, *, approve: bool = True) -> SendResult:
        """Posts a request with `deposit`, approving the market first when needed; id: `request_id_of(result)`."""
        fn = self.market.functions.createRequest(spec.as_tuple(), deposit)
        if approve:
            return self.approve_and_send(self.payment_token, self.market.address, deposit, fn, "create_request")
        return self._send(fn, "create_request")

    def cancel_request(self, request_id: int) -> SendResult:
        return self._send(self.market.functions.cancelRequest(request_id), "cancel_request")

    def top_up(self, lease_id: int, amount: int, *, approve: bool = True) -> SendResult:
        fn = self.market.functions.topUp(lease_id, amount)
        if approve:
            return self.approve_and_send(self.payment_token, self.market.address, amount, fn, "top_up")
        return self._send(fn, "top_up")

    def close_lease(self, lease_id: int) -> SendResult:
        return self._send(self.market.functions.closeLease(lease_id), "close_lease")

    # ---------------------------------------------------------------- anyone

    def challenge_liveness(self, lease_id: int, *, approve: bool = True) -> SendResult:
        """Challenges the lease's provider, posting the liveness bond (approved first when needed)."""
        if approve:
            self.ensure_allowance(self.payment_token, self.market.address, self.params()["livenessBond"])
        return self._send(self.market.functions.challengeLiveness(lease_id), "challenge_liveness")

    def resolve_liveness(self, lease_id: int) -> SendResult:
        return self._send(self.market.functions.resolveLiveness(lease_id), "resolve_liveness")

    # ---------------------------------------------------------------- money the markets hold

    def money_markets(self) -> dict[str, Contract]:
        """The markets that hold payments: the lease market, and the job market when deployed."""
        markets = {"LeaseMarket": self.market}
        if "JobMarket" in self.deployment.contracts:
            markets["JobMarket"] = self.job_market
        return markets

    def accrued_fees(self) -> dict[str, int]:
        """Protocol fees each market has accrued and not yet swept to the treasury."""
        return {name: self._call(market.functions.accruedFees()) for name, market in self.money_markets().items()}

    def credits_of(self, owner: str | None = None) -> dict[str, int]:
        """Payouts the token refused to send to `owner`, held for it in each market (`claimCredit`)."""
        owner = owner or self.address
        return {name: self._call(market.functions.creditOf(owner)) for name, market in self.money_markets().items()}

    def sweep_fees(self, market: str) -> SendResult:
        return self._send(self.money_markets()[market].functions.sweepFees(), "sweep_fees")

    def claim_credit(self, market: str) -> SendResult:
        return self._send(self.money_markets()[market].functions.claimCredit(), "claim_credit")

    # ---------------------------------------------------------------- jobs

    def publish_job_terms(self, terms: JobTerms, input: bytes) -> SendResult:
        """Publishes terms and their input (once per terms hash); the hash is `terms_hash_of(result)`."""
        return self._send(self.job_market.functions.publishJobTerms(terms.as_tuple(), input), "publish_job_terms")

    def submit_result(
        self, job_id: int, terms: JobTerms, output_hash: bytes, trace_root: bytes, output_proof: list[bytes]
    ) -> SendResult:
        fn = self.job_market.functions.submitResult(job_id, terms.as_tuple(), output_hash, trace_root, output_proof)
        return self._send(fn, "submit_result")

    def attest(self, job_id: int, terms: JobTerms, valid: bool, *, approve: bool = True) -> SendResult:
        """Attests, posting the verifier bond (valid) or the challenge bond (not valid), approved first when needed."""
        if approve:
            params = self.params()
            self.ensure_allowance(
                self.payment_token, self.job_market.address, params["verifierBond" if valid else "challengeBond"]
            )
        return self._send(self.job_market.functions.attest(job_id, terms.as_tuple(), valid), "attest")

    def challenge(self, job_id: int, terms: JobTerms, *, approve: bool = True) -> SendResult:
        """Challenges a submitted result, posting the challenge bond (approved first when needed)."""
        if approve:
            self.ensure_allowance(self.payment_token, self.job_market.address, self.params()["challengeBond"])
        return self._send(self.job_market.functions.challenge(job_id, terms.as_tuple()), "challenge")

    def reveal(self, job_id: int, h_mid: bytes, proof: list[bytes]) -> SendResult:
        return self._send(self.job_market.functions.reveal(job_id, h_mid, proof), "reveal")

    def respond(self, job_id: int, agree: bool) -> SendResult:
        return self._send(self.job_market.functions.respond(job_id, agree), "respond")

    def prove_step(self, job_id: int, terms: JobTerms, state_lo: bytes) -> SendResult:
        return self._send(self.job_market.functions.proveStep(job_id, terms.as_tuple(), state_lo), "prove_step")

    def vote_on_step(self, job_id: int, solver_correct: bool) -> SendResult:
        return self._send(self.job_market.functions.voteOnStep(job_id, solver_correct), "vote_on_step")

    def claim_timeout(self, job_id: int) -> SendResult:
        return self._send(self.job_market.functions.claimTimeout(job_id), "claim_timeout")

    def resolve_vote(self, job_id: int) -> SendResult:
        return self._send(self.job_market.functions.resolveVote(job_id), "resolve_vote")

    def finalize_job(self, job_id: int) -> SendResult:
        return self._send(self.job_market.functions.finalizeJob(job_id), "finalize_job")

    def expire_job(self, job_id: int) -> SendResult:
        return self._send(self.job_market.functions.expireJob(job_id), "expire_job")

    def job(self, job_id: int) -> JobInfo:
        j = self._struct(self.job_market, "getJob", self._call(self.job_market.functions.getJob(job_id)))
        status = self._call(self.job_market.functions.statusOf(job_id))
        return JobInfo(
            job_id=job_id,
            status=JOB_STATUSES[status],
            provider=j["provider"],
            offer_id=j["offerId"],
            units=j["units"],
            tenant=j["tenant"],
            result_deadline=j["resultDeadline"],
            window_ends_at=j["windowEndsAt"],
            attestation=ATTESTATIONS[j["attestation"]],
            collateral=j["collateral"],
            escrow=j["escrow"],
            terms_hash=bytes(j["termsHash"]),
            output_hash=bytes(j["outputHash"]),
            trace_root=bytes(j["traceRoot"]),
            verifier=j["verifier"],
            verifier_bond=j["verifierBond"],
        )

    def dispute(self, job_id: int) -> DisputeInfo:
        d = self._struct(self.job_market, "disputeOf", self._call(self.job_market.functions.disputeOf(job_id)))
        return DisputeInfo(
            challenger=d["challenger"],
            bond=d["bond"],
            lo=d["lo"],
            hi=d["hi"],
            deadline=d["deadline"],
            phase=PHASES[d["phase"]],
            arbiter_mode=d["arbiterMode"],
            move_timeout_seconds=d["moveTimeoutSeconds"],
            vote_window_seconds=d["voteWindowSeconds"],
            number=d["number"],
            h_lo=bytes(d["hLo"]),
            h_hi=bytes(d["hHi"]),
            h_mid=bytes(d["hMid"]),
            window_left=d["windowLeft"],
            votes_for_solver=d["votesForSolver"],
            votes_for_challenger=d["votesForChallenger"],
        )

    def next_move(self, job_id: int) -> NextMove:
        phase, deadline, mover = self._call(self.job_market.functions.nextMove(job_id))
        return NextMove(PHASES[phase], deadline, mover)

    def has_voted(self, job_id: int, arbiter: str) -> bool:
        return self._call(self.job_market.functions.hasVoted(job_id, to_checksum_address(arbiter)))

    def terms_hash_of(self, result: SendResult) -> bytes:
        return bytes(self.events(result, self.job_market, "JobTermsPublished")[0]["termsHash"])

    # ================================================================ issue 15 (branch cli): checked approvals,
    # catalogue, quotes and roles. Additive: the methods above keep their names; stake, create_request and
    # top_up now route their approval through `approve_and_send`.

    # Where OpenZeppelin 5's ERC20 keeps `_allowances` (slot 1); other layouts are searched up to this slot.
    ALLOWANCE_SLOTS = range(0, 10)

    def approve_and_send(self, token: Contract, spender: str, amount: int, fn: ContractFunction, label: str):
        """Sends `fn`, which pulls `amount` of `token` into `spender`. The balance is checked and `fn` is
        simulated as if the allowance were in place before any approval is signed: a call that would
        revert leaves no allowance behind. Approves only when the allowance is short."""
        if not self.check_pull(token, spender, amount, fn, label):
            return self._send(fn, label)
        if getattr(self.sender, "dry_run", False):
            self.sender.planned(token.functions.approve(spender, amount), "approve")
            return self.sender.planned(fn, label)
        self._send(token.functions.approve(spender, amount), "approve")
        return self._send(fn, label)

    def check_pull(self, token: Contract, spender: str, amount: int, fn: ContractFunction, label: str) -> bool:
        """Checks, sending nothing, that `fn` can pull `amount`: the balance, then `fn` simulated with the
        allowance in place. True when an approval must be sent first."""
        owner = self.address
        balance = self._call(token.functions.balanceOf(owner))
        if balance < amount:
            raise Refused(label, "ERC20InsufficientBalance", (owner, balance, amount))
        if self._call(token.functions.allowance(owner, spender)) >= amount:
            return False
        self.simulate_with_allowance(token, spender, amount, fn, label)
        return True

    def simulate(self, fn: ContractFunction, label: str) -> None:
        """Runs `fn` as this account in an `eth_call`; raises `Refused` naming the error it would revert with."""
        self.simulate_with_override(fn, label, None)

    def simulate_with_override(self, fn: ContractFunction, label: str, override: dict | None) -> None:
        call = {"from": self.address, "to": fn.address, "data": fn._encode_transaction_data()}
        try:
            self.w3.eth.call(call, "pending", override)
        except ContractLogicError as error:
            data = error.data if isinstance(error.data, str) and error.data.startswith("0x") else None
            decoder = RevertDecoder(fn.contract_abi)
            name, args = decoder.decode(HexBytes(data)) if data else (error.message or "reverted", ())
            raise Refused(label, name, args, decoder.describe(name, args)) from None

    def simulate_with_allowance(self, token: Contract, spender: str, amount: int, fn: ContractFunction, label: str):
        """Runs `fn` in an `eth_call` with `owner`'s allowance for `spender` overridden to `amount`;
        raises `Refused` naming the error it would revert with. A token whose allowance slot is not
        found is left to the balance check (the call is then simulated after the approval)."""
        override = self._allowance_override(token, spender, amount)
        if override is not None:
            self.simulate_with_override(fn, label, override)

    def _allowance_override(self, token: Contract, spender: str, amount: int) -> dict | None:
        owner, probe = self.address, token.functions.allowance(self.address, spender)
        for slot in self.ALLOWANCE_SLOTS:
            inner = Web3.keccak(HexBytes(owner).rjust(32, b"\0") + slot.to_bytes(32, "big"))
            key = Web3.keccak(HexBytes(spender).rjust(32, b"\0") + inner)
            override = {token.address: {"stateDiff": {key.to_0x_hex(): "0x" + amount.to_bytes(32, "big").hex()}}}
            call = {"from": owner, "to": token.address, "data": probe._encode_transaction_data()}
            try:
                if int.from_bytes(self.w3.eth.call(call, "pending", override), "big") == amount:
                    return override
            except (ContractLogicError, ValueError):
                return None
        return None

    def gpu_model(self, gpu_model: str) -> GpuModelInfo:
        """The catalogue entry of `gpu_model` (listed False when the catalogue does not know it)."""
        m = self._struct(self.config, "gpuModel", self._call(self.config.functions.gpuModel(to_bytes32(gpu_model))))
        return GpuModelInfo(gpu_model, m["vramGB"], m["tier"], m["collateralPerUnit"], m["listed"])

    def catalogue(self) -> list[GpuModelInfo]:
        """Every model the catalogue has ever had (from its GpuModelSet events), with its entry now."""
        event = self.config.events.GpuModelSet
        logs = event.get_logs(from_block=self.deployment.block_number, to_block="latest")
        ids = sorted({from_bytes32(log["args"]["gpuModel"]) for log in logs})
        return [self.gpu_model(model) for model in ids]

    def market_params(self) -> dict[str, int]:
        """`ProtocolConfig.marketParams()` by field name."""
        return self._struct(self.config, "marketParams", self._call(self.config.functions.marketParams()))

    def minimum_deposit(self, spec: RequestSpec) -> int:
        """The least `createRequest` accepts: the match fee, the settle bounty and the shortest lease
        at the tenant's maximum price (rounded up), as LeaseMarket._createRequest computes it."""
        p = self.market_params()
        streamed = -(-spec.max_price_per_unit_hour * spec.units * p["minLeaseSeconds"] // 3_600)
        return p["matchFee"] + p["settleBounty"] + streamed

    def never_matches(self, spec: RequestSpec) -> str | None:
        """Why no offer can ever match `spec` (a model the catalogue does not list, a tier above the
        model's, more vRAM than any listed model has, terms beyond every offer's bounds), or None."""
        registry = self.registry.functions
        max_units = self._call(registry.MAX_OFFER_UNITS())
        max_duration = self._call(registry.MAX_OFFER_DURATION_SECONDS())
        if spec.gpu_model:
            model = self.gpu_model(spec.gpu_model)
            if not model.listed:
                listed = ", ".join(m.gpu_model for m in self.catalogue() if m.listed) or "none"
                return f"gpu model {spec.gpu_model!r} is not in the GPU catalogue (listed: {listed})"
            if model.tier < spec.min_tier:
                return f"{spec.gpu_model} is tier {model.tier}, below the minimum tier {spec.min_tier} asked for"
        else:
            listed = [m for m in self.catalogue() if m.listed]
            best_vram = max((m.vram_gb for m in listed), default=0)
            if spec.min_vram_gb > best_vram:
                return f"{spec.min_vram_gb} GB of vRAM asked for, but no listed model has more than {best_vram} GB"
            if not any(m.tier >= spec.min_tier and m.vram_gb >= spec.min_vram_gb for m in listed):
                return f"no listed model has tier {spec.min_tier} or above with {spec.min_vram_gb} GB of vRAM"
        if spec.units > max_units:
            return f"{spec.units} units asked for, but an offer has at most {max_units}"
        if spec.max_duration_seconds > max_duration:
            return f"a duration of {spec.max_duration_seconds} s, but an offer runs at most {max_duration} s"
        return None

    def job_terms_hash(self, terms: JobTerms) -> bytes:
        return bytes(self._call(self.job_market.functions.hashTerms(terms.as_tuple())))

    def job_terms_published(self, terms_hash: bytes) -> bool:
        return self._call(self.job_market.functions.isPublished(terms_hash))

    def has_role(self, role: str, account: str | None = None) -> bool:
        """Whether `account` (default: this client's) holds `role` (e.g. "MATCHER_ROLE") in ProtocolConfig."""
        return self._call(self.config.functions.hasRole(Web3.keccak(text=role), account or self.address))

    def code_missing(self) -> list[str]:
        """Names of the deployment's contracts with no code at their address on this chain."""
        return [name for name, record in self.deployment.contracts.items() if not self.w3.eth.get_code(record.address)]

    # ================================================================ end of issue 15 block

    # ---------------------------------------------------------------- reads

    def treasury(self) -> str:
        """Where swept protocol fees go: the config's treasury now."""
        return self._call(self.config.functions.treasury())

    def params(self) -> dict[str, int]:
        """`ProtocolConfig.params()` by field name."""
        return self._struct(self.config, "params", self._call(self.config.functions.params()))

    def now(self) -> int:
        """The latest block's timestamp: the contracts' clock."""
        return self.w3.eth.get_block("latest")["timestamp"]

    def provider_info(self, address: str) -> ProviderInfo:
        address = to_checksum_address(address)
        p = self._struct(self.registry, "provider", self._call(self.registry.functions.provider(address)))
        registered = p["registeredAt"] != 0
        return ProviderInfo(
            address=address,
            registered=registered,
            region=from_bytes32(p["region"]),
            metadata_uri=self._call(self.registry.functions.metadataURI(address)) if registered else "",
            free_stake=p["freeStake"],
            locked_stake=p["lockedStake"],
            unbonding_stake=p["unbondingStake"],
            unbonding_ready_at=p["unbondingReadyAt"],
            registered_at=p["registeredAt"],
            leases_completed=p["leasesCompleted"],
            jobs_finalized=p["jobsFinalized"],
            liveness_answered=p["livenessAnswered"],
            liveness_missed=p["livenessMissed"],
            disputes_lost=p["disputesLost"],
            slash_count=p["slashCount"],
            total_slashed=p["totalSlashed"],
            reputation=self._call(self.registry.functions.reputationOf(address)),
            uptime_bps=self._call(self.registry.functions.uptimeOf(address)),
        )

    def offer(self, offer_id: int) -> OfferInfo:
        return self._offer_info(offer_id, self._call(self.registry.functions.offer(offer_id)))

    def offers(self) -> list[OfferInfo]:
        """Every offer ever added (ids 1..offerCount), removed ones included."""
        count = self._call(self.registry.functions.offerCount())
        ids = range(1, count + 1)
        return [self._offer_info(i, raw) for i, raw in zip(ids, self._batch(self.registry.functions.offer, ids))]

    def offers_of(self, address: str, *, include_removed: bool = False) -> list[OfferInfo]:
        address = to_checksum_address(address)
        return [o for o in self.offers() if o.provider == address and (include_removed or o.live)]

    def request(self, request_id: int) -> RequestInfo:
        raw = self._call(self.market.functions.getRequest(request_id))
        status = self._call(self.market.functions.requestStatusOf(request_id))
        return self._request_info(request_id, raw, status)

    def requests(self) -> list[RequestInfo]:
        """Every request ever made (ids 1..nextRequestId-1)."""
        ids = range(1, self._call(self.market.functions.nextRequestId()))
        raws = self._batch(self.market.functions.getRequest, ids)
        statuses = self._batch(self.market.functions.requestStatusOf, ids)
        return [self._request_info(i, raw, status) for i, raw, status in zip(ids, raws, statuses)]

    def lease(self, lease_id: int) -> LeaseInfo:
        self._call(self.market.functions.getLease(lease_id))  # an unknown id: Refused(LeaseMarket_LeaseNotFound)
        return self.leases([lease_id])[0]

    def leases(self, lease_ids: Iterable[int] | None = None) -> list[LeaseInfo]:
        """The given leases, or every lease (matched RENTAL requests) when `lease_ids` is None."""
        if lease_ids is None:
            lease_ids = [r.request_id for r in self.requests() if r.status == "MATCHED" and r.kind == "RENTAL"]
        ids = list(lease_ids)
        m = self.market.functions
        columns = [self._batch(fn, ids) for fn in (m.getLease, m.statusOf, m.balanceOf, m.accruedOf, m.withdrawableOf)]
        return [self._lease_info(i, *values) for i, *values in zip(ids, *columns)]

    def leases_of(self, address: str) -> list[LeaseInfo]:
        """Leases whose provider or tenant is `address`."""
        address = to_checksum_address(address)
        ids = [
            r.request_id for r in self.requests()
            if r.status == "MATCHED" and r.kind == "RENTAL" and address in (r.provider, r.tenant)
        ]
        return self.leases(ids)

    # ---------------------------------------------------------------- receipts

    def events(self, result: SendResult, contract: Contract, name: str) -> list[dict[str, Any]]:
        """The arguments of every `name` event `contract` emitted in the transaction."""
        event = getattr(contract.events, name)()
        return [
            dict(decoded["args"]) for log in result.receipt["logs"]
            if log["address"] == contract.address
            for decoded in _decoded(event, log)
        ]

    def offer_id_of(self, result: SendResult) -> int:
        return self.events(result, self.registry, "OfferAdded")[0]["offerId"]

    def request_id_of(self, result: SendResult) -> int:
        return self.events(result, self.market, "RequestCreated")[0]["requestId"]

    # ---------------------------------------------------------------- pieces

    def _send(self, fn: ContractFunction, label: str) -> SendResult:
        if self.sender is None:
            raise ReadOnlyClient("account error: this command needs an [account] in the config")
        return self.sender.send(fn, label=label)

    def _call(self, fn: ContractFunction) -> Any:
        """Calls a view; a revert becomes `Refused` naming the contract's custom error."""
        try:
            return fn.call()
        except ContractLogicError as error:
            raise _refusal(fn, error) from None

    def _batch(self, function: Callable[[int], ContractFunction], ids: Iterable[int]) -> list[Any]:
        ids = list(ids)
        results: list[Any] = []
        for start in range(0, len(ids), READ_BATCH):
            chunk = ids[start:start + READ_BATCH]
            if len(chunk) == 1:
                results.append(self._call(function(chunk[0])))
                continue
            with self.w3.batch_requests() as batch:
                for item in chunk:
                    batch.add(function(item))
                results.extend(batch.execute())
        return results

    @staticmethod
    def _struct(contract: Contract, function: str, value: tuple) -> dict[str, Any]:
        (element,) = [e for e in contract.abi if e.get("type") == "function" and e["name"] == function]
        names = [component["name"] for component in element["outputs"][0]["components"]]
        return dict(zip(names, value))

    def _offer_info(self, offer_id: int, raw: tuple) -> OfferInfo:
        o = self._struct(self.registry, "offer", raw)
        return OfferInfo(
            offer_id=offer_id,
            provider=o["provider"],
            gpu_model=from_bytes32(o["gpuModel"]),
            units=o["units"],
            units_in_use=o["unitsInUse"],
            price_per_unit_hour=o["pricePerUnitHour"],
            max_duration_seconds=o["maxDurationSeconds"],
            paused=o["paused"],
            removed=o["removed"],
        )

    def _request_info(self, request_id: int, raw: tuple, status: int) -> RequestInfo:
        r = self._struct(self.market, "getRequest", raw)
        return RequestInfo(
            request_id=request_id,
            tenant=r["tenant"],
            kind=REQUEST_KINDS[r["kind"]],
            status=REQUEST_STATUSES[status],
            gpu_model=from_bytes32(r["gpuModel"]),
            min_vram_gb=r["minVramGB"],
            units=r["units"],
            region=from_bytes32(r["region"]),
            min_tier=r["minTier"],
            min_reputation=r["minReputation"],
            price_per_unit_hour=r["pricePerUnitHour"],
            duration_seconds=r["durationSeconds"],
            match_deadline=r["matchDeadline"],
            escrow=r["escrow"],
            provider=r["provider"],
            offer_id=r["offerId"],
        )

    def _lease_info(self, lease_id: int, raw: tuple, status: int, balance: int, accrued: int, withdrawable: int):
        r = self._struct(self.market, "getLease", raw)
        return LeaseInfo(
            lease_id=lease_id,
            status=LEASE_STATUSES[status],
            close_reason=CLOSE_REASONS[r["closeReason"]],
            tenant=r["tenant"],
            provider=r["provider"],
            offer_id=r["offerId"],
            gpu_model=from_bytes32(r["gpuModel"]),
            region=from_bytes32(r["region"]),
            units=r["units"],
            price_per_unit_hour=r["pricePerUnitHour"],
            start_time=r["startTime"],
            end_time=r["startTime"] + r["durationSeconds"],
            stop_time=r["stopTime"],
            balance=balance,
            accrued=accrued,
            withdrawable=withdrawable,
            withdrawn=r["withdrawn"],
            collateral=r["collateral"],
            settle_bounty=r["settleBounty"],
            protocol_fee_bps=r["protocolFeeBps"],
            challenger=r["challenger"],
            challenged_at=r["challengedAt"],
            challenge_bond=r["challengeBond"],
            reclaimable_at=r["reclaimableAt"],
        )


def connect(
    config: KeeperConfig, environ: Mapping[str, str], logger, *, with_account: bool = True
) -> LeaseholdClient:
    """A client from a keeper configuration: checks the node's chain, loads the deployment and the key.

    With `with_account=False`, or a configuration without `[account]`, the client is read-only.
    """
    metrics = Metrics()
    w3 = web3_for(config.chain, metrics, logger)
    node_chain_id = w3.eth.chain_id
    if node_chain_id != config.chain.chain_id:
        raise KeeperError(
            f"chain error: config says chain_id {config.chain.chain_id} but {config.chain.rpc_url} reports {node_chain_id}"
        )
    if config.chain.deployment is None:
        raise ConfigError("config error: chain.deployment: required by this command")
    deployment = load_deployment(config.chain.deployment, w3)
    sender = None
    if with_account and config.account is not None:
        account: LocalAccount = load_account(config.account, environ)
        sender = TransactionSender(
            w3, account, config.transactions, Journal(config.transactions.state_dir), metrics, logger
        )
        sender.recover()
    return LeaseholdClient(w3, deployment, sender)


def _decoded(event, log) -> list:
    try:
        return [event.process_log(log)]
    except Exception:  # a log of another event of the same contract
        return []


def _refusal(fn: ContractFunction, error: ContractLogicError) -> Refused:
    data = error.data if isinstance(error.data, str) and error.data.startswith("0x") else None
    decoder = RevertDecoder(fn.contract_abi)
    name, args = decoder.decode(HexBytes(data)) if data else (error.message or "reverted", ())
    call_args = ", ".join(str(arg) for arg in fn.args)
    return Refused(f"{fn.fn_name}({call_args})", name, args, decoder.describe(name, args))
