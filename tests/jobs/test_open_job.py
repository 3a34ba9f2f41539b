"""openJob: only the LeaseMarket, published terms, one job per request id, the event. Driven
directly through a JobMarket deployed with an EOA as its market, and end to end through the
real LeaseMarket."""

import pytest

from helpers import ZERO_ADDRESS, event_args, reverts_with
from jobs.support import (
    COLLATERAL,
    ESCROW,
    HOUR,
    MATCHED,
    SETTLE_BOUNTY,
    job_of,
    make_terms,
    now,
)


@pytest.fixture(scope="module")
def direct(JobMarket, ctx, market_caller):
    """A JobMarket whose market is an EOA, so openJob can be called directly."""
    contract = JobMarket.deploy(ctx.config, ctx.registry, ctx.token, market_caller, {"from": ctx.governance})
    terms, input = make_terms()
    contract.setWorkload(terms[0], ctx.hashchain_verifier, False, {"from": ctx.governance})
    contract.publishJobTerms(terms, input, {"from": ctx.stranger})
    return contract, contract.hashTerms(terms)


def _open(direct, sender, request_id=7, tenant=None, provider=None, terms_hash=None):
    contract, published = direct
    return contract.openJob(
        request_id,
        tenant or sender,
        provider or sender,
        3,
        1,
        COLLATERAL,
        ESCROW,
        terms_hash or published,
        {"from": sender},
    )


def test_revert_when_caller_not_market(direct, ctx):
    with reverts_with("JobMarket_CallerNotMarket"):
        _open(direct, ctx.stranger)


def test_revert_when_terms_not_published(direct, market_caller):
    with reverts_with("JobMarket_TermsNotPublished"):
        _open(direct, market_caller, terms_hash="0x" + "ab" * 32)


def test_revert_when_job_exists(direct, market_caller):
    _open(direct, market_caller)
    with reverts_with("JobMarket_JobExists"):
        _open(direct, market_caller)


@pytest.mark.parametrize("which", ["tenant", "provider"])
def test_revert_when_party_is_zero(direct, market_caller, ctx, which):
    contract, published = direct
    tenant = ZERO_ADDRESS if which == "tenant" else ctx.tenant
    provider = ZERO_ADDRESS if which == "provider" else ctx.provider
    with reverts_with("JobMarket_InvalidJob"):
        contract.openJob(7, tenant, provider, 3, 1, COLLATERAL, ESCROW, published, {"from": market_caller})


def test_when_market_opens_a_job(direct, market_caller, ctx):
    contract, published = direct
    # The market hands over the price and the settle bounty; the bounty is reserved beside the price.
    tx = contract.openJob(
        7, ctx.tenant, ctx.provider, 3, 1, COLLATERAL, ESCROW + SETTLE_BOUNTY, published, {"from": market_caller}
    )
    deadline = tx.timestamp + HOUR
    # Three fresh slots and the event; called alone, the parameters it fixes are cold (a match
    # has read them just before; the parameter set carries the sample rate since issue 12).
    assert tx.gas_used <= 121_000
    assert event_args(tx, "JobOpened") == {
        "jobId": 7,
        "tenant": ctx.tenant,
        "provider": ctx.provider,
        "offerId": 3,
        "units": 1,
        "collateral": COLLATERAL,
        "escrow": ESCROW,
        "termsHash": published,
        "resultDeadline": deadline,
    }
    # getJob asks the market for the tenant and terms hash, and this market is an EOA: the stored
    # facts are checked end to end below.
    assert contract.statusOf(7) == MATCHED


def test_when_the_lease_market_matches_a_job_request_the_escrow_moves_here(ctx, driver):
    before = ctx.token.balanceOf(ctx.job_market)
    job = driver.open()
    assert ctx.token.balanceOf(ctx.job_market) - before == ESCROW + SETTLE_BOUNTY
    stored = job_of(ctx.job_market, job.id)
    assert stored["tenant"] == ctx.tenant and stored["provider"] == ctx.provider
    assert (stored["offerId"], stored["units"], stored["status"]) == (ctx.offer, 1, MATCHED)
    assert stored["collateral"] == COLLATERAL and stored["escrow"] == ESCROW
    assert stored["termsHash"] == ctx.job_market.hashTerms(job.terms)
    assert ctx.registry.provider(ctx.provider)["lockedStake"] == COLLATERAL
    assert stored["resultDeadline"] > now() - 5
