"""One account's view of the deployment: the contract wrappers' calls sent at once, reads as records.

`LeaseholdClient(w3, deployment, sender)` is what the CLI, the provider agent, the job roles
and the demo driver use. It builds every call with the typed wrappers of keepers/contracts
and sends each write at once through the one `TransactionSender` (so it is simulated first
and refused with the contract's custom error name), returning its `SendResult`; every read
returns a frozen dataclass with text ids and status names (the enums' member names,
keepers/contracts/types.py) instead of raw tuples. Amounts are integers in the token's smallest unit
(6 decimals for the test stablecoin: 1 USD = 1_000_000), as on chain.

A client built with `sender=None` is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from keepers import liveness
from keepers.accounts import load_account
from keepers.config import KeeperConfig
from keepers.contracts.base import ContractWrapper
from keepers.contracts.deployed import Contracts
from keepers.contracts.fees import MoneyMarket
from keepers.contracts.reads import named
from keepers.contracts.reverts import Refused
from keepers.contracts.structs import JobTerms, RequestSpec
from keepers.contracts.token import Token
from keepers.contracts.transact import Transact, simulate
from keepers.contracts.types import (
    ZERO_ADDRESS,
    Attestation,
    CloseReason,
    JobStatus,
    LeaseStatus,
    Phase,
    RequestKind,
    RequestStatus,
)
from keepers.deployment import Deployment, load_deployment
from keepers.errors import ConfigError, KeeperError
from keepers.ids import from_bytes32, to_bytes32
from keepers.journal import Journal
from keepers.observability import Metrics
from keepers.rpc import check_chain_id, web3_for
from keepers.sender import SendResult, TransactionSender

__all__ = [
    "DisputeInfo",
    "JobInfo",
    "JobTerms",
    "LeaseInfo",
    "LeaseholdClient",
    "NextMove",
    "OfferInfo",
    "ProviderInfo",
    "ReadOnlyClient",
    "RequestInfo",
    "RequestSpec",
    "as_dict",
    "connect",
]


class ReadOnlyClient(KeeperError):
    """A write was asked of a client built without an account."""


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
    fees_paid: int  # protocol fees its leases and jobs paid, in ReputationMath.FEE_UNIT: reputation grows with them
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
    job_steps_per_second: int = 0  # the offer's job policy (docs/verification.md); 0: takes no jobs
    job_min_result_timeout_seconds: int = 0

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
    # Re-match (docs/leases.md): re-opens left if a provider fails the lease (0: not opted in, or used
    # up) and, for a re-opened request, the failed lease it came from and the provider it excludes.
    rematches_left: int = 0
    reopened_from: int = 0
    excluded_provider: str = ZERO_ADDRESS


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
    rematches_left: int = 0  # re-opens left if the provider fails this lease (docs/leases.md, "Re-match")
    reopened_from: int = 0  # the failed lease this lease's request was re-opened from; 0: none

    @property
    def challenge_open(self) -> bool:
        return self.challenger != ZERO_ADDRESS

    @property
    def settled(self) -> bool:
        return self.status in ("CLOSED", "TERMINATED")


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
    verifier_bond: int  # the bond a claim posts, fixed at the match; held once `verifier` claimed
    submit_block: int = 0  # the block of the result, whose hash draws the verification sample
    sample_bps: int = 0  # the verification sample rate fixed at the match (the draw, the verifier's pay)


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
    verifier_defends: bool = False  # the solver side's last move was the valid verifier's
    arbiter_bond: int = 0  # each vote's bond, copied when the dispute opened
    arbiter_fee: int = 0  # what a decided vote pays the committee out of the challenger's bond

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
    """The deployment's contracts for one account (or none: read-only).

    Each write here builds its call with the typed wrappers of keepers/contracts (`contracts`)
    and sends it at once. `market`, `registry`, `config`, `job_market` and the two tokens are
    the web3 contracts, for events and receipts.
    """

    def __init__(self, w3: Web3, deployment: Deployment, sender: TransactionSender | None) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.sender = sender
        self.contracts = Contracts(w3, deployment)
        self.config = self.contracts.config.contract
        self.registry = self.contracts.registry.contract
        self.market = self.contracts.market.contract
        self.payment_token = self.contracts.payment_token.contract
        self.stake_token = self.contracts.stake_token.contract

    @cached_property
    def job_market(self) -> Contract:
        return self.contracts.job_market.contract

    @property
    def address(self) -> str:
        if self.sender is None:
            raise ReadOnlyClient("account error: this command needs an [account] in the config")
        return self.sender.address

    # ---------------------------------------------------------------- tokens

    def balance_of(self, token: Contract | Token, owner: str | None = None) -> int:
        return self._token(token).balance_of(owner or self.address)

    def ensure_allowance(self, token: Contract | Token, spender: str, amount: int) -> SendResult | None:
        """Approves `amount` for `spender` only when the current allowance is short; None when it is not."""
        token = self._token(token)
        if token.allowance(self.address, spender) >= amount:
            return None
        return self.send(token.approve(spender, amount))

    # ---------------------------------------------------------------- providers

    def register_provider(self, region: str, metadata_uri: str) -> SendResult:
        return self.send(self.contracts.registry.register_provider(to_bytes32(region), metadata_uri))

    def update_provider(self, region: str, metadata_uri: str) -> SendResult:
        return self.send(self.contracts.registry.update_provider(to_bytes32(region), metadata_uri))

    def stake(self, amount: int, *, approve: bool = True) -> SendResult:
        """Stakes `amount`, approving the registry first when its allowance is short."""
        transact = self.contracts.registry.stake(amount)
        if approve:
            return self.approve_and_send(self.contracts.stake_token, self.registry.address, amount, transact)
        return self.send(transact)

    def request_unstake(self, amount: int) -> SendResult:
        return self.send(self.contracts.registry.request_unstake(amount))

    def withdraw_unstaked(self) -> SendResult:
        return self.send(self.contracts.registry.withdraw_unstaked())

    def add_offer(self, gpu_model: str, units: int, price_per_unit_hour: int, max_duration_seconds: int) -> SendResult:
        """Adds an offer; its id is `offer_id_of(result)`."""
        registry = self.contracts.registry
        return self.send(registry.add_offer(to_bytes32(gpu_model), units, price_per_unit_hour, max_duration_seconds))

    def update_offer(
        self, offer_id: int, units: int, price_per_unit_hour: int, max_duration_seconds: int
    ) -> SendResult:
        registry = self.contracts.registry
        return self.send(registry.update_offer(offer_id, units, price_per_unit_hour, max_duration_seconds))

    def set_offer_job_policy(self, offer_id: int, steps_per_second: int, min_result_timeout_seconds: int) -> SendResult:
        """Sets the jobs the offer takes: steps per second (0: none) and the setup time besides the steps."""
        registry = self.contracts.registry
        return self.send(registry.set_offer_job_policy(offer_id, steps_per_second, min_result_timeout_seconds))

    def pause_offer(self, offer_id: int, paused: bool = True) -> SendResult:
        return self.send(self.contracts.registry.pause_offer(offer_id, paused))

    def remove_offer(self, offer_id: int) -> SendResult:
        return self.send(self.contracts.registry.remove_offer(offer_id))

    def withdraw_earnings(self, lease_id: int) -> SendResult:
        return self.send(self.contracts.market.withdraw_earnings(lease_id))

    def request_reclaim(self, lease_id: int) -> SendResult:
        return self.send(self.contracts.market.request_reclaim(lease_id))

    def respond_liveness(self, lease_id: int, units: int | None = None) -> SendResult:
        """Answers the lease's open liveness challenge with the capacity proof for its seed, computed here
        (keepers/liveness.py: the provider runs the work where the leased units are)."""
        if units is None:
            units = self.lease(lease_id).units
        proof = liveness.prove(self.contracts.market.liveness_seed(lease_id), units)
        return self.send(self.contracts.market.respond_liveness(lease_id, proof.answer))

    # ---------------------------------------------------------------- tenants

    def create_request(self, spec: RequestSpec, deposit: int, *, approve: bool = True) -> SendResult:
        """Posts a request with `deposit`, approving the market first when needed; id: `request_id_of(result)`."""
        transact = self.contracts.market.create_request(spec, deposit)
        if approve:
            return self.approve_and_send(self.contracts.payment_token, self.market.address, deposit, transact)
        return self.send(transact)

    def cancel_request(self, request_id: int) -> SendResult:
        return self.send(self.contracts.market.cancel_request(request_id))

    def top_up(self, lease_id: int, amount: int, *, approve: bool = True) -> SendResult:
        transact = self.contracts.market.top_up(lease_id, amount)
        if approve:
            return self.approve_and_send(self.contracts.payment_token, self.market.address, amount, transact)
        return self.send(transact)

    def close_lease(self, lease_id: int) -> SendResult:
        return self.send(self.contracts.market.close_lease(lease_id))

    # ---------------------------------------------------------------- anyone

    def challenge_liveness(self, lease_id: int, *, approve: bool = True) -> SendResult:
        """Challenges the lease's provider, posting the liveness bond (approved first when needed)."""
        if approve:
            self.ensure_allowance(self.contracts.payment_token, self.market.address, self.params()["livenessBond"])
        return self.send(self.contracts.market.challenge_liveness(lease_id))

    def resolve_liveness(self, lease_id: int) -> SendResult:
        return self.send(self.contracts.market.resolve_liveness(lease_id))

    # ---------------------------------------------------------------- money the markets hold

    def money_markets(self) -> dict[str, Contract]:
        """The markets that hold payments: the lease market, and the job market when deployed."""
        return {name: market.contract for name, market in self._money_markets().items()}

    def accrued_fees(self) -> dict[str, int]:
        """Protocol fees each market has accrued and not yet swept to the treasury."""
        return {name: market.accrued_fees() for name, market in self._money_markets().items()}

    def credits_of(self, owner: str | None = None) -> dict[str, int]:
        """Payouts the token refused to send to `owner`, held for it in each market (`claimCredit`)."""
        owner = owner or self.address
        return {name: market.credit_of(owner) for name, market in self._money_markets().items()}

    def sweep_fees(self, market: str) -> SendResult:
        return self.send(self._money_markets()[market].sweep_fees())

    def claim_credit(self, market: str) -> SendResult:
        return self.send(self._money_markets()[market].claim_credit())

    # ---------------------------------------------------------------- jobs

    def publish_job_terms(self, terms: JobTerms, input: bytes) -> SendResult:
        """Publishes terms and their input (once per terms hash); the hash is `terms_hash_of(result)`."""
        return self.send(self.contracts.job_market.publish_job_terms(terms, input))

    def submit_result(
        self, job_id: int, terms: JobTerms, output_hash: bytes, trace_root: bytes, output_proof: list[bytes]
    ) -> SendResult:
        return self.send(self.contracts.job_market.submit_result(job_id, terms, output_hash, trace_root, output_proof))

    def claim_verification(self, job_id: int, terms: JobTerms, *, approve: bool = True) -> SendResult:
        """Claims a job drawn for verification, posting the verifier bond fixed at its match
        (approved first when needed)."""
        if approve:
            self._approve_verifier_bond(job_id)
        return self.send(self.contracts.job_market.claim_verification(job_id, terms))

    def claim_and_attest(
        self, job_id: int, terms: JobTerms, spot_hash: bytes, spot_proof: list[bytes], *, approve: bool = True
    ) -> SendResult:
        """Claims a drawn job and attests it valid in one call, with the spot proof from the
        verifier's own trace, posting the verifier bond fixed at its match (approved first when needed)."""
        if approve:
            self._approve_verifier_bond(job_id)
        return self.send(self.contracts.job_market.claim_and_attest(job_id, terms, spot_hash, spot_proof))

    def _approve_verifier_bond(self, job_id: int) -> None:
        bond = self.contracts.job_market.job(job_id)["verifierBond"]
        self.ensure_allowance(self.contracts.payment_token, self.job_market.address, bond)

    def attest(
        self,
        job_id: int,
        terms: JobTerms,
        valid: bool,
        spot_hash: bytes = b"\x00" * 32,
        spot_proof: list[bytes] | None = None,
        *,
        approve: bool = True,
    ) -> SendResult:
        """Attests: valid (the claimant, its bond posted with the claim) with the spot proof; not
        valid posting the challenge bond, approved first when needed."""
        if approve and not valid:
            self.ensure_allowance(self.contracts.payment_token, self.job_market.address, self.params()["challengeBond"])
        return self.send(self.contracts.job_market.attest(job_id, terms, valid, spot_hash, spot_proof or []))

    def challenge(self, job_id: int, terms: JobTerms, *, approve: bool = True) -> SendResult:
        """Challenges a submitted result, posting the challenge bond (approved first when needed)."""
        if approve:
            self.ensure_allowance(self.contracts.payment_token, self.job_market.address, self.params()["challengeBond"])
        return self.send(self.contracts.job_market.challenge(job_id, terms))

    def reveal(self, job_id: int, h_mid: bytes, proof: list[bytes]) -> SendResult:
        return self.send(self.contracts.job_market.reveal(job_id, h_mid, proof))

    def respond(self, job_id: int, agree: bool) -> SendResult:
        return self.send(self.contracts.job_market.respond(job_id, agree))

    def prove_step(self, job_id: int, terms: JobTerms, state_lo: bytes) -> SendResult:
        return self.send(self.contracts.job_market.prove_step(job_id, terms, state_lo))

    def vote_on_step(self, job_id: int, solver_correct: bool, *, bond: int | None = None) -> SendResult:
        """Votes, posting the dispute's arbiter bond; `bond` (when given) is the allowance to ensure first."""
        if bond:
            self.ensure_allowance(self.contracts.payment_token, self.job_market.address, bond)
        return self.send(self.contracts.job_market.vote_on_step(job_id, solver_correct))

    def claim_arbiter_pay(self, job_id: int, number: int) -> SendResult:
        """Claims an arbiter's bond (and its pay, in the majority) for a resolved vote."""
        return self.send(self.contracts.job_market.claim_arbiter_pay(job_id, number))

    def claim_timeout(self, job_id: int) -> SendResult:
        return self.send(self.contracts.job_market.claim_timeout(job_id))

    def resolve_vote(self, job_id: int) -> SendResult:
        return self.send(self.contracts.job_market.resolve_vote(job_id))

    def finalize_job(self, job_id: int) -> SendResult:
        return self.send(self.contracts.job_market.finalize_job(job_id))

    def expire_job(self, job_id: int) -> SendResult:
        return self.send(self.contracts.job_market.expire_job(job_id))

    def job(self, job_id: int) -> JobInfo:
        jobs = self.contracts.job_market
        j = jobs.job(job_id)
        return JobInfo(
            job_id=job_id,
            status=JobStatus(jobs.status_of(job_id)).name,
            provider=j["provider"],
            offer_id=j["offerId"],
            units=j["units"],
            tenant=j["tenant"],
            result_deadline=j["resultDeadline"],
            window_ends_at=j["windowEndsAt"],
            attestation=Attestation(j["attestation"]).name,
            collateral=j["collateral"],
            escrow=j["escrow"],
            terms_hash=bytes(j["termsHash"]),
            output_hash=bytes(j["outputHash"]),
            trace_root=bytes(j["traceRoot"]),
            verifier=j["verifier"],
            verifier_bond=j["verifierBond"],
            submit_block=j["submitBlock"],
            sample_bps=j["sampleBps"],
        )

    def dispute(self, job_id: int) -> DisputeInfo:
        d = self.contracts.job_market.dispute(job_id)
        return DisputeInfo(
            challenger=d["challenger"],
            bond=d["bond"],
            lo=d["lo"],
            hi=d["hi"],
            deadline=d["deadline"],
            phase=Phase(d["phase"]).name,
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
            verifier_defends=d["verifierDefends"],
            arbiter_bond=d["arbiterBond"],
            arbiter_fee=d["arbiterFee"],
        )

    def next_move(self, job_id: int) -> NextMove:
        phase, deadline, mover = self.contracts.job_market.next_move(job_id)
        return NextMove(Phase(phase).name, deadline, mover)

    def has_voted(self, job_id: int, arbiter: str) -> bool:
        return self.contracts.job_market.has_voted(job_id, arbiter)

    def terms_hash_of(self, result: SendResult) -> bytes:
        return bytes(self.events(result, self.job_market, "JobTermsPublished")[0]["termsHash"])

    # ---------------------------------------------------------------- checked approvals

    def approve_and_send(self, token: Token, spender: str, amount: int, transact: Transact) -> SendResult | None:
        """Sends `transact`, which pulls `amount` of `token` into `spender`. The balance is checked and the
        call simulated as if the allowance were in place before any approval is signed: a call that would
        revert leaves no allowance behind. Approves only when the allowance is short."""
        if not self.check_pull(token, spender, amount, transact):
            return self.send(transact)
        if getattr(self.sender, "dry_run", False):
            self.sender.planned(token.approve(spender, amount))
            return self.sender.planned(transact)
        self.send(token.approve(spender, amount))
        return self.send(transact)

    def check_pull(self, token: Token, spender: str, amount: int, transact: Transact) -> bool:
        """Checks, sending nothing, that `transact` can pull `amount`: the balance, then the call simulated
        with the allowance in place. True when an approval must be sent first."""
        owner = self.address
        balance = token.balance_of(owner)
        if balance < amount:
            raise Refused(transact.label, "ERC20InsufficientBalance", (owner, balance, amount))
        if token.allowance(owner, spender) >= amount:
            return False
        # A token whose allowance slot is not found is left to the balance check (the call is then
        # simulated by the sender after the approval).
        override = token.allowance_override(owner, spender, amount)
        if override is not None:
            simulate(self.w3, transact, owner, override)
        return True

    def simulate(self, transact: Transact) -> None:
        """Runs `transact` as this account in an `eth_call`; raises `Refused` naming the error it would revert with."""
        simulate(self.w3, transact, self.address)

    # ---------------------------------------------------------------- catalogue, quotes, roles

    def gpu_model(self, gpu_model: str) -> GpuModelInfo:
        """The catalogue entry of `gpu_model` (listed False when the catalogue does not know it)."""
        m = self.contracts.config.gpu_model(to_bytes32(gpu_model))
        return GpuModelInfo(gpu_model, m["vramGB"], m["tier"], m["collateralPerUnit"], m["listed"])

    def catalogue(self) -> list[GpuModelInfo]:
        """Every model the catalogue has ever had (from its GpuModelSet events), with its entry now."""
        ids = self.contracts.config.catalogue_ids(self.deployment.block_number)
        return [self.gpu_model(model) for model in sorted(from_bytes32(i) for i in ids)]

    def market_params(self) -> dict[str, int]:
        """`ProtocolConfig.marketParams()` by field name."""
        return self.contracts.config.market_params()

    def minimum_deposit(self, spec: RequestSpec) -> int:
        """The least `createRequest` accepts: the match fee, the settle bounty and the shortest lease
        at the tenant's maximum price (rounded up), as LeaseMarket._createRequest computes it."""
        p = self.market_params()
        streamed = -(-spec.max_price_per_unit_hour * spec.units * p["minLeaseSeconds"] // 3_600)
        return p["matchFee"] + p["settleBounty"] + streamed

    def never_matches(self, spec: RequestSpec) -> str | None:
        """Why no offer can ever match `spec` (a model the catalogue does not list, a tier above the
        model's, more vRAM than any listed model has, terms beyond every offer's bounds), or None."""
        registry = self.contracts.registry
        max_units = registry.max_offer_units()
        max_duration = registry.max_offer_duration_seconds()
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
        return self.contracts.job_market.hash_terms(terms)

    def job_terms_published(self, terms_hash: bytes) -> bool:
        return self.contracts.job_market.is_published(terms_hash)

    def has_role(self, role: str, account: str | None = None) -> bool:
        """Whether `account` (default: this client's) holds `role` (e.g. "MATCHER_ROLE") in ProtocolConfig."""
        return self.contracts.config.has_role(Web3.keccak(text=role), account or self.address)

    def code_missing(self) -> list[str]:
        """Names of the deployment's contracts with no code at their address on this chain."""
        return [name for name, record in self.deployment.contracts.items() if not self.w3.eth.get_code(record.address)]

    # ---------------------------------------------------------------- reads

    def treasury(self) -> str:
        """Where swept protocol fees go: the config's treasury now."""
        return self.contracts.config.treasury()

    def params(self) -> dict[str, int]:
        """`ProtocolConfig.params()` by field name."""
        return self.contracts.config.params()

    def now(self) -> int:
        """The latest block's timestamp: the contracts' clock."""
        return self.w3.eth.get_block("latest")["timestamp"]

    def provider_info(self, address: str) -> ProviderInfo:
        address = to_checksum_address(address)
        registry = self.contracts.registry
        p = registry.provider(address)
        registered = p["registeredAt"] != 0
        return ProviderInfo(
            address=address,
            registered=registered,
            region=from_bytes32(p["region"]),
            metadata_uri=registry.metadata_uri(address) if registered else "",
            free_stake=p["freeStake"],
            locked_stake=p["lockedStake"],
            unbonding_stake=p["unbondingStake"],
            unbonding_ready_at=p["unbondingReadyAt"],
            registered_at=p["registeredAt"],
            leases_completed=p["leasesCompleted"],
            fees_paid=p["feesPaid"],
            jobs_finalized=p["jobsFinalized"],
            liveness_answered=p["livenessAnswered"],
            liveness_missed=p["livenessMissed"],
            disputes_lost=p["disputesLost"],
            slash_count=p["slashCount"],
            total_slashed=p["totalSlashed"],
            reputation=registry.reputation_of(address),
            uptime_bps=registry.uptime_of(address),
        )

    def offer(self, offer_id: int) -> OfferInfo:
        return self._offer_info(offer_id, self.contracts.registry.offer(offer_id))

    def offers(self) -> list[OfferInfo]:
        """Every offer ever added (ids 1..offerCount), removed ones included."""
        registry = self.contracts.registry
        ids = range(1, registry.offer_count() + 1)
        return [self._offer_info(i, raw) for i, raw in zip(ids, registry.offers(ids))]

    def offers_of(self, address: str, *, include_removed: bool = False) -> list[OfferInfo]:
        address = to_checksum_address(address)
        return [o for o in self.offers() if o.provider == address and (include_removed or o.live)]

    def request(self, request_id: int) -> RequestInfo:
        market = self.contracts.market
        return self._request_info(request_id, market.get_request(request_id), market.request_status_of(request_id))

    def requests(self) -> list[RequestInfo]:
        """Every request ever made (ids 1..nextRequestId-1)."""
        market = self.contracts.market
        ids = range(1, market.next_request_id())
        raws, statuses = market.requests(ids), market.request_statuses(ids)
        return [self._request_info(i, raw, status) for i, raw, status in zip(ids, raws, statuses)]

    def lease(self, lease_id: int) -> LeaseInfo:
        self.contracts.market.get_lease(lease_id)  # an unknown id: Refused(LeaseMarket_LeaseNotFound)
        return self.leases([lease_id])[0]

    def leases(self, lease_ids: Iterable[int] | None = None) -> list[LeaseInfo]:
        """The given leases, or every lease (matched RENTAL requests) when `lease_ids` is None."""
        if lease_ids is None:
            lease_ids = [r.request_id for r in self.requests() if r.status == "MATCHED" and r.kind == "RENTAL"]
        ids = list(lease_ids)
        m = self.contracts.market
        columns = [read(ids) for read in (m.leases, m.statuses, m.balances, m.accrued, m.withdrawable)]
        return [self._lease_info(i, *values) for i, *values in zip(ids, *columns)]

    def leases_of(self, address: str) -> list[LeaseInfo]:
        """Leases whose provider or tenant is `address`."""
        address = to_checksum_address(address)
        ids = [
            r.request_id
            for r in self.requests()
            if r.status == "MATCHED" and r.kind == "RENTAL" and address in (r.provider, r.tenant)
        ]
        return self.leases(ids)

    # ---------------------------------------------------------------- sending and receipts

    def send(self, transact: Transact) -> SendResult:
        """Sends a call a wrapper of `contracts` built, with this client's account."""
        if self.sender is None:
            raise ReadOnlyClient("account error: this command needs an [account] in the config")
        return self.sender.send(transact)

    def events(self, result: SendResult, contract: Contract | ContractWrapper, name: str) -> list[dict[str, Any]]:
        """The arguments of every `name` event `contract` emitted in the transaction."""
        if not isinstance(contract, ContractWrapper):
            contract = ContractWrapper(self.w3, contract)
        return contract.events(result.receipt, name)

    def offer_id_of(self, result: SendResult) -> int:
        return self.events(result, self.registry, "OfferAdded")[0]["offerId"]

    def request_id_of(self, result: SendResult) -> int:
        return self.events(result, self.market, "RequestCreated")[0]["requestId"]

    # ---------------------------------------------------------------- pieces

    def _token(self, token: Contract | Token) -> Token:
        return token if isinstance(token, Token) else Token(self.w3, token)

    def _money_markets(self) -> dict[str, MoneyMarket]:
        markets: dict[str, MoneyMarket] = {"LeaseMarket": self.contracts.market}
        if self.contracts.has("JobMarket"):
            markets["JobMarket"] = self.contracts.job_market
        return markets

    def _offer_info(self, offer_id: int, raw: tuple) -> OfferInfo:
        o = named(self.registry, "offer", raw)
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
            job_steps_per_second=o["jobStepsPerSecond"],
            job_min_result_timeout_seconds=o["jobMinResultTimeoutSeconds"],
        )

    def _request_info(self, request_id: int, raw: tuple, status: int) -> RequestInfo:
        r = named(self.market, "getRequest", raw)
        return RequestInfo(
            request_id=request_id,
            tenant=r["tenant"],
            kind=RequestKind(r["kind"]).name,
            status=RequestStatus(status).name,
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
            rematches_left=r["rematchesLeft"],
            reopened_from=r["reopenedFrom"],
            excluded_provider=r["excludedProvider"],
        )

    def _lease_info(self, lease_id: int, raw: tuple, status: int, balance: int, accrued: int, withdrawable: int):
        r = named(self.market, "getLease", raw)
        return LeaseInfo(
            lease_id=lease_id,
            status=LeaseStatus(status).name,
            close_reason=CloseReason(r["closeReason"]).name,
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
            rematches_left=r["rematchesLeft"],
            reopened_from=r["reopenedFrom"],
        )


def connect(config: KeeperConfig, environ: Mapping[str, str], logger, *, with_account: bool = True) -> LeaseholdClient:
    """A client from a keeper configuration: checks the node's chain, loads the deployment and the key.

    With `with_account=False`, or a configuration without `[account]`, the client is read-only.
    """
    metrics = Metrics()
    w3 = web3_for(config.chain, metrics, logger)
    check_chain_id(w3, config.chain)
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
