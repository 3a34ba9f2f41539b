"""Every contract call the simulation makes, one function each, through keepers/contracts/.

When an entry point's arguments change (a mechanism branch adds a job policy to offers, a bond
to matchers, a proof to attestations), this file is the one place to adapt: the strategies
call these functions and never a wrapper directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from web3 import Web3

from keepers import liveness
from keepers.contracts.deployed import Contracts
from keepers.contracts.structs import JobTerms, RequestSpec
from keepers.contracts.transact import Transact
from keepers.contracts.types import MAX_ALLOWANCE
from keepers.ids import to_bytes32
from keepers.jobs import spot_index

# ---------------------------------------------------------------- setup


def grant_role(c: Contracts, role_name: str, account: str) -> Transact:
    """`role_name` is MATCHER, VERIFIER or ARBITER; the role id is keccak256 of its name (ProtocolConfig)."""
    return c.config.set_role(Web3.keccak(text=f"{role_name}_ROLE"), account, True)


def mint(c: Contracts, to: str, amount: int) -> Transact:
    return c.payment_token.mint(to, amount)


def approve_all(c: Contracts) -> list[Transact]:
    """Approvals an agent gives once: the registry (stake), both markets (deposits, bonds) and
    MatcherBonds (a matcher's bond)."""
    spenders = (c.registry, c.market, c.job_market, c.matcher_bonds)
    return [c.payment_token.approve(spender.address, MAX_ALLOWANCE) for spender in spenders]


def bond_matcher(c: Contracts, amount: int) -> Transact:
    """Matching needs a bond in MatcherBonds of at least its `minBond` (no role)."""
    return c.matcher_bonds.bond(amount)


def register(c: Contracts, region: str, uri: str) -> Transact:
    return c.registry.register_provider(to_bytes32(region), uri)


def stake(c: Contracts, amount: int) -> Transact:
    return c.registry.stake(amount)


def add_offer(c: Contracts, model: str, units: int, price: int, max_duration: int) -> Transact:
    return c.registry.add_offer(to_bytes32(model), units, price, max_duration)


def set_job_policy(c: Contracts, offer_id: int, steps_per_second: int, min_result_timeout: int) -> Transact:
    """The jobs an offer takes: its throughput and the setup time it needs besides the steps."""
    return c.registry.set_offer_job_policy(offer_id, steps_per_second, min_result_timeout)


# ---------------------------------------------------------------- tenants


def publish_terms(c: Contracts, terms: JobTerms, input: bytes) -> Transact:
    return c.job_market.publish_job_terms(terms, input)


def create_request(c: Contracts, spec: RequestSpec, deposit: int) -> Transact:
    return c.market.create_request(spec, deposit)


def cancel_request(c: Contracts, request_id: int) -> Transact:
    return c.market.cancel_request(request_id)


def close_lease(c: Contracts, lease_id: int) -> Transact:
    return c.market.close_lease(lease_id)


# ---------------------------------------------------------------- matchers and settlers


def match(c: Contracts, pairs: Sequence[tuple[int, int]]) -> Transact:
    return c.market.match_requests(pairs)


def challenge_match(c: Contracts, lease_id: int, offer_id: int) -> Transact:
    """A strictly cheaper offer, free at the match, than the one the matcher gave the lease."""
    return c.matcher_bonds.challenge_match(lease_id, offer_id)


def close_leases(c: Contracts, lease_ids: Sequence[int]) -> Transact:
    return c.market.close_leases(lease_ids)


def finalize_job(c: Contracts, job_id: int) -> Transact:
    return c.job_market.finalize_job(job_id)


def expire_job(c: Contracts, job_id: int) -> Transact:
    return c.job_market.expire_job(job_id)


def resolve_vote(c: Contracts, job_id: int) -> Transact:
    return c.job_market.resolve_vote(job_id)


def claim_timeout(c: Contracts, job_id: int) -> Transact:
    return c.job_market.claim_timeout(job_id)


def sweep_fees(c: Contracts, market: str) -> Transact:
    return getattr(c, market).sweep_fees()


def claim_credit(c: Contracts, holder: str) -> Transact:
    return getattr(c, holder).claim_credit()


# ---------------------------------------------------------------- solvers, verifiers, challengers


def submit_result(c: Contracts, job_id: int, terms: JobTerms, trace) -> Transact:
    return c.job_market.submit_result(job_id, terms, trace.output_hash, trace.root, trace.proof(terms.steps))


def claim_verification(c: Contracts, job_id: int, terms: JobTerms) -> Transact:
    return c.job_market.claim_verification(job_id, terms)


def claim_and_attest(c: Contracts, job_id: int, terms: JobTerms, trace, verifier: str) -> Transact:
    """The claim and the valid attestation in one call, with the spot proof `verifier` shows from `trace`."""
    index = spot_index(trace.root, verifier, terms.steps)
    return c.job_market.claim_and_attest(job_id, terms, trace.hashes[index], trace.proof(index))


def attest(c: Contracts, job_id: int, terms: JobTerms, valid: bool, trace=None, verifier: str = "") -> Transact:
    """Valid with the spot proof `verifier` shows from `trace` (none: a lazy verifier's empty proof)."""
    if not valid or trace is None:
        return c.job_market.attest(job_id, terms, valid)
    index = spot_index(trace.root, verifier, terms.steps)
    return c.job_market.attest(job_id, terms, True, trace.hashes[index], trace.proof(index))


def challenge(c: Contracts, job_id: int, terms: JobTerms) -> Transact:
    return c.job_market.challenge(job_id, terms)


def reveal(c: Contracts, job_id: int, trace, mid: int) -> Transact:
    return c.job_market.reveal(job_id, trace.hashes[mid], trace.proof(mid))


def respond(c: Contracts, job_id: int, agree: bool) -> Transact:
    return c.job_market.respond(job_id, agree)


def prove_step(c: Contracts, job_id: int, terms: JobTerms, trace, lo: int) -> Transact:
    return c.job_market.prove_step(job_id, terms, trace.states[lo])


def vote(c: Contracts, job_id: int, solver_correct: bool) -> Transact:
    """Posts `arbiterBond` (the job market is approved once, `approve_all`)."""
    return c.job_market.vote_on_step(job_id, solver_correct)


def claim_arbiter_pay(c: Contracts, job_id: int, number: int) -> Transact:
    return c.job_market.claim_arbiter_pay(job_id, number)


# ---------------------------------------------------------------- liveness


def challenge_liveness(c: Contracts, lease_id: int) -> Transact:
    return c.market.challenge_liveness(lease_id)


def respond_liveness(c: Contracts, lease_id: int, units: int = 1, work: float = 1.0) -> Transact:
    """The answer to the lease's open challenge: the capacity proof for its seed (keepers/liveness.py),
    with the whole work, or with only `work` of its leaves computed (a provider without the GPU)."""
    seed = c.market.liveness_seed(lease_id)
    proof = liveness.prove(seed, units) if work >= 1 else liveness.partial(seed, units, work)
    return c.market.respond_liveness(lease_id, proof.answer)


def resolve_liveness(c: Contracts, lease_id: int) -> Transact:
    return c.market.resolve_liveness(lease_id)
