"""The matcher's batches carry a gas bound instead of an estimate (issue 17, item 5: the node executed every
batch twice, the estimate and then the block). The bound (MATCH_GAS_BASE + MATCH_GAS_PER_PAIR by kind)
must hold for the costliest pairs: each provider's first lease, from a matcher's first batch on. A batch
that reverts anyway is reported, its requests stay open and the next pass estimates."""

import json

import pytest

from keepers.contracts.types import RequestKind, RequestStatus
from keepers.roles import matcher as matcher_module
from keepers.roles.matcher import MATCH_GAS_BASE, MATCH_GAS_PER_PAIR

from job_setup import ESCROW_DEPOSIT, job_spec, make_terms
from keeper_helpers import logging_matcher
from protocol_setup import USD, provider_with_offer, request

REGION = "eu-west"


def _records(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def _fresh_providers(funded_key, client_for, count: int) -> None:
    """`count` new providers, one one-unit H100 offer each in REGION: every pair touches cold storage."""
    for _ in range(count):
        provider_with_offer(client_for(funded_key(100_000 * USD)), region=REGION, units=1)


def _job_request(tenant, salt: int) -> int:
    terms, input = make_terms("hashchain", 16, salt)
    terms_hash = tenant.terms_hash_of(tenant.publish_job_terms(terms, input))
    return tenant.request_id_of(tenant.create_request(job_spec(tenant, terms_hash, REGION), ESCROW_DEPOSIT))


def _pass_gas(matcher, stream, expected: int) -> int:
    """Runs one pass; returns the gas of its one batch, which matched `expected` pairs without an estimate."""
    before = len(_records(stream))
    matcher.tick()
    batches = [r for r in _records(stream)[before:] if r.get("event") == "batch_submitted"]
    assert [(b["matched"], b["skipped"]) for b in batches] == [(expected, 0)]
    return batches[0]["gas_used"]


def _measure(matcher, stream, funded_key, client_for, new_request, kind: int) -> None:
    """The first batch of a new matcher, then a batch of one and one of four new pairs: the first within the
    bound of one pair, the marginal pair within MATCH_GAS_PER_PAIR, the rest within MATCH_GAS_BASE."""
    estimates = []
    estimate_gas = matcher.w3.eth.estimate_gas
    matcher.w3.eth.estimate_gas = lambda *args, **kwargs: (estimates.append(args), estimate_gas(*args, **kwargs))[1]
    try:
        gas = []
        for count in (1, 1, 4):
            _fresh_providers(funded_key, client_for, count)
            for _ in range(count):
                new_request()
            gas.append(_pass_gas(matcher, stream, count))
    finally:
        del matcher.w3.eth.estimate_gas
    first, one, four = gas
    marginal = (four - one) / 3
    assert first <= MATCH_GAS_BASE + MATCH_GAS_PER_PAIR[kind], first
    assert marginal <= MATCH_GAS_PER_PAIR[kind], marginal
    assert one - marginal <= MATCH_GAS_BASE, one - marginal
    assert estimates == []  # every batch went with its bound


@pytest.mark.parametrize("kind", [RequestKind.RENTAL, RequestKind.JOB], ids=["rental", "job"])
def test_batches_fit_their_gas_bound_without_an_estimate(kind, funded_key, client_for, keeper_config, matcher_key):
    salts = iter(range(100))

    def new_request() -> int:  # each from a new tenant: its first lease
        if kind == RequestKind.JOB:
            return _job_request(client_for(funded_key()), next(salts))
        return request(client_for(funded_key()), region=REGION, units=1)

    matcher, stream = logging_matcher(*keeper_config(matcher_key()), f"matcher-gas-{kind}")
    try:
        matcher.setup()
        _measure(matcher, stream, funded_key, client_for, new_request, kind)
    finally:
        matcher.stop()


def test_a_bounded_batch_that_reverts_is_reported_and_its_requests_matched_by_an_estimated_batch(
    funded_key, client_for, keeper_config, matcher_key, monkeypatch
):
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region=REGION, units=2)
    tenant = client_for(funded_key())
    ids = [request(tenant) for _ in range(2)]
    # A bound far below the real cost: above the intrinsic gas, so the node mines it, out of gas.
    monkeypatch.setattr(matcher_module, "MATCH_GAS_BASE", 25_000)
    monkeypatch.setattr(matcher_module, "MATCH_GAS_PER_PAIR", {RequestKind.RENTAL: 1_000, RequestKind.JOB: 1_000})
    matcher, stream = logging_matcher(*keeper_config(matcher_key()), "matcher-gas-revert")
    try:
        matcher.setup()
        matcher.tick()
        after_revert = [matcher.view.market.request_status_of(i) for i in ids]
        matcher.tick()
        after_retry = [matcher.view.market.request_status_of(i) for i in ids]
    finally:
        matcher.stop()

    assert after_revert == [RequestStatus.OPEN] * 2  # nothing lost: both wait for the next pass
    assert after_retry == [RequestStatus.MATCHED] * 2
    records = _records(stream)
    (reverted,) = [r for r in records if r.get("event") == "batch_reverted"]
    assert reverted["pairs"] == 2 and reverted["gas_limit"] == 27_000 and reverted["gas_used"] == 27_000
    assert reverted["reason"] == "out of gas at its bound of 27000"
    assert [r["matched"] for r in records if r.get("event") == "batch_submitted"] == [2]
    assert matcher.metrics.value("matches_total") == 2
