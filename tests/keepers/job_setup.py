"""Jobs for keeper tests: terms published and a JOB request matched by brownie, and a wall-clock
wait for keepers (tests/keepers/conftest.py's `make_keeper` runs them in-process)."""

import time

from keepers.client import JobTerms, RequestSpec
from keepers.ids import to_bytes32
from keepers.workloads import keccak256

from protocol_setup import H100, HOUR, USD

MINUTE = 60
ESCROW_DEPOSIT = 100 * USD
SEED = to_bytes32("keeper-test-seed")


def job_input(workload: str, salt: int = 0) -> bytes:
    """A valid input state: 32 bytes for hashchain, small Q16.16 values for the matvec family."""
    if workload == "hashchain":
        return keccak256(b"input" + salt.to_bytes(4, "big"))
    width = 16 if workload == "matvec" else 256
    return b"".join((((i * 7 + salt) % 5 - 2) << 16).to_bytes(4, "big", signed=True) for i in range(width))


def make_terms(workload: str, steps: int, salt: int = 0, window: int = 10 * MINUTE) -> tuple[JobTerms, bytes]:
    input = job_input(workload, salt)
    return JobTerms(to_bytes32(workload), keccak256(input), SEED, steps, HOUR, window), input


def job_spec(tenant, terms_hash: bytes, region: str | None = None) -> RequestSpec:
    """A one-unit H100 JOB request for published terms, open for an hour."""
    return RequestSpec(
        units=1,
        max_price_per_unit_hour=10 * USD,
        max_duration_seconds=4 * HOUR,
        match_deadline=tenant.now() + HOUR,
        gpu_model=H100,
        region=region,
        kind="JOB",
        job_terms_hash=terms_hash,
    )


def open_job(
    market, matcher, provider_address, tenant, workload="hashchain", steps=16, salt=0, input=None
) -> tuple[int, JobTerms]:
    """Publishes terms, posts a JOB request as `tenant` (a client) and matches it with the provider's H100 offer.

    `input` replaces the workload's valid input (arbiter-mode workloads publish any input)."""
    terms, valid_input = make_terms(workload, steps, salt)
    if input is None:
        input = valid_input
    else:
        terms = JobTerms(
            terms.workload,
            keccak256(input),
            terms.seed,
            terms.steps,
            terms.result_timeout_seconds,
            terms.challenge_window_seconds,
        )
    terms_hash = tenant.terms_hash_of(tenant.publish_job_terms(terms, input))
    (offer,) = [o for o in tenant.offers_of(provider_address) if o.gpu_model == H100]
    request_id = tenant.request_id_of(tenant.create_request(job_spec(tenant, terms_hash), ESCROW_DEPOSIT))
    tx = market.matchRequests([(request_id, offer.offer_id)], {"from": matcher})
    assert "JobHandedOver" in tx.events, tx.events
    return request_id, terms


def provider_role(**overrides) -> dict:
    settings = {
        "region": "eu-west",
        "endpoint": "http://gpu.example:9100",
        "stake": 7_000 * USD,
        "offers": [
            {
                "gpu_model": H100,
                "units": 2,
                "price_per_unit_hour": 2 * USD,
                "max_duration_seconds": 24 * HOUR,
                # Takes every job (docs/verification.md, job policy).
                "job_steps_per_second": 2**32 - 1,
            }
        ],
    }
    return {**settings, **overrides}


def wait_for(predicate, timeout=60.0, what="the keepers"):
    """Waits (wall clock) for keeper threads to act; chain time never moves here."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def advance(seconds: int) -> None:
    from brownie import chain

    chain.sleep(seconds)
    chain.mine()


def sample_every_job(deployment, governance) -> None:
    """Governance draws every result for verification (`verificationSampleBps` = 10,000): a keeper
    test cannot choose the hash of the block its provider agent submits in, and the verifier
    keeper works on drawn jobs only."""
    params = deployment.config.params().dict()
    params["verificationSampleBps"] = 10_000
    deployment.config.setParams(tuple(params.values()), {"from": governance})
