"""Issue 12's small fixes, each shown on a real chain: the attack is refused or no longer pays.

- Attack 3: a token that refuses the provider (blocklist, pause) no longer stops it answering a
  liveness challenge: the challenger's bond is credited to it, the challenge closes, no slash.
- Attack 6: a challenge from the provider's second account no longer stalls the tenant's close:
  the close calls it off, the second account gets back only its bond, the provider earns less.
- Attack 7 (lease half) and property 7: every payout on the liveness path credits when the token
  refuses it (the answer's bond, the resolution's bond and bounty, the called-off bond, the
  reclaim's settlement).
- Attack 5: revoking MARKET_ROLE from a live market stops its new matches only; every close,
  answer, slash and finalization of what it matched still settles.
"""

import pytest
from brownie import chain

from helpers import USD, event_args, respond_liveness
from jobs.support import HOUR
from security.token_support import (
    DEPOSIT,
    assert_books,
    expect_revert,
    open_job,
    open_lease,
    protocol,
    rental_spec,
    submit_honest,
)


@pytest.fixture(scope="module")
def blocklist(BlocklistPermitToken, accounts):
    return protocol(BlocklistPermitToken.deploy({"from": accounts[0]}), accounts)


@pytest.fixture(scope="module")
def plain(TestStablecoin, accounts):
    return protocol(TestStablecoin.deploy({"from": accounts[0]}), accounts)


def _challenge(p, lease):
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    return p.market.challengeLiveness(lease, {"from": p.challenger})


# --- attack 3: an answer the token cannot block ----------------------------------------------------


def test_a_blocked_provider_still_answers_and_is_credited_the_bond(blocklist):
    p = blocklist
    lease = open_lease(p, p.offer)
    bond = event_args(_challenge(p, lease), "LivenessChallenged")["bond"]
    assert bond > 0
    p.token.setBlocked(p.provider, True, {"from": p.governance})

    tx = respond_liveness(p.market, lease, p.provider)

    assert event_args(tx, "LivenessAnswered") == {
        "leaseId": lease,
        "provider": p.provider,
        "bondTo": p.provider,
        "bond": bond,
    }
    assert event_args(tx, "PaymentCredited") == {"account": p.provider, "amount": bond}
    assert p.registry.provider(p.provider)["livenessAnswered"] == 1
    assert_books(p, {(p.market, p.provider): bond})


def test_once_answered_the_challenger_cannot_slash_the_blocked_provider(blocklist):
    p = blocklist
    lease = open_lease(p, p.offer)
    _challenge(p, lease)
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    respond_liveness(p.market, lease, p.provider)
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)

    with expect_revert("LeaseMarket_NoOpenChallenge"):
        p.market.resolveLiveness(lease, {"from": p.challenger})
    assert p.registry.provider(p.provider)["slashCount"] == 0
    assert p.market.statusOf(lease) == 1  # ACTIVE


def test_the_credited_bond_is_claimed_once_the_provider_is_unblocked(blocklist):
    p = blocklist
    lease = open_lease(p, p.offer)
    bond = event_args(_challenge(p, lease), "LivenessChallenged")["bond"]
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    respond_liveness(p.market, lease, p.provider)
    p.token.setBlocked(p.provider, False, {"from": p.governance})
    before = p.token.balanceOf(p.provider)

    p.market.claimCredit({"from": p.provider})

    assert p.token.balanceOf(p.provider) == before + bond
    assert_books(p, {(p.market, p.provider): 0})


# --- attack 6: a challenge cannot stall the tenant's close -------------------------------------------


def _wealth(p, *accounts):
    return sum(p.token.balanceOf(a) + p.market.creditOf(a) for a in accounts)


def test_a_front_run_challenge_neither_stalls_the_close_nor_pays_the_provider(plain):
    """The provider's second account (`challenger`) front-runs the tenant's close; the close goes
    through at once and the pair end poorer than without the front-run."""
    p = plain
    honest, stalled = open_lease(p, p.offer), open_lease(p, p.offer)
    chain.sleep(p.config.params()["livenessSpacingSeconds"] + 1)
    chain.mine()
    pair_before = _wealth(p, p.provider, p.challenger)

    p.market.challengeLiveness(stalled, {"from": p.challenger})
    chain.sleep(60)
    without = event_args(p.market.closeLease(honest, {"from": p.tenant}), "LeaseClosed")
    with_challenge = p.market.closeLease(stalled, {"from": p.tenant})

    closed = event_args(with_challenge, "LeaseClosed")
    assert closed["reason"] == 1  # TENANT, in the next block: not stalled
    assert p.market.statusOf(stalled) == 4  # CLOSED
    assert closed["paid"] < without["paid"] and closed["refunded"] > without["refunded"]
    assert "ProviderSlashed" not in with_challenge.events
    # The pair's gain is the provider's pay for the closed lease and nothing more: the bond is back.
    pair_gain = _wealth(p, p.provider, p.challenger) - pair_before
    assert pair_gain == without["paid"] + closed["paid"]
    assert p.registry.provider(p.provider)["livenessAnswered"] == 0
    assert_books(p, {})


def test_a_called_off_bond_is_credited_when_the_token_refuses_the_challenger(blocklist):
    p = blocklist
    lease = open_lease(p, p.offer)
    bond = event_args(_challenge(p, lease), "LivenessChallenged")["bond"]
    p.token.setBlocked(p.challenger, True, {"from": p.governance})

    tx = p.market.closeLease(lease, {"from": p.tenant})

    assert event_args(tx, "LivenessCalledOff") == {"leaseId": lease, "challenger": p.challenger, "bondReturned": bond}
    assert {"account": p.challenger, "amount": bond} in [dict(e) for e in tx.events["PaymentCredited"]]
    assert_books(p, {(p.market, p.challenger): bond})


# --- the liveness path credits every refused payout ----------------------------------------------


def test_a_resolution_credits_the_bond_and_bounty_the_token_refuses(blocklist):
    p = blocklist
    lease = open_lease(p, p.offer)
    bond = event_args(_challenge(p, lease), "LivenessChallenged")["bond"]
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    for account in (p.challenger, p.stranger, p.tenant):
        p.token.setBlocked(account, True, {"from": p.governance})

    tx = p.market.resolveLiveness(lease, {"from": p.stranger})

    credited = {e["account"]: e["amount"] for e in tx.events["PaymentCredited"] if e.address == p.market}
    bounty = event_args(tx, "LeaseClosed")["bounty"]
    assert credited[p.challenger] == bond and credited[p.stranger] == bounty
    assert p.market.statusOf(lease) == 5  # TERMINATED
    assert p.market.creditOf(p.tenant) == event_args(tx, "LeaseClosed")["refunded"]


def test_a_reclaim_settles_with_the_tenant_and_provider_refused(blocklist):
    p = blocklist
    # Two days, so the day-long notice ends while the lease still runs.
    deposit = 2 * (DEPOSIT - USD // 2 - USD // 4) + USD // 2 + USD // 4
    spec = rental_spec(maxDurationSeconds=2 * 86_400)
    lease = p.market.createRequest(spec, deposit, {"from": p.tenant}).return_value
    p.market.matchRequests([(lease, p.offer)], {"from": p.matcher})
    p.market.requestReclaim(lease, {"from": p.provider})
    p.token.setBlocked(p.tenant, True, {"from": p.governance})
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    chain.sleep(p.config.params()["reclaimNoticeSeconds"])

    tx = p.market.closeLease(lease, {"from": p.provider})

    closed = event_args(tx, "LeaseClosed")
    assert closed["reason"] == 2  # PROVIDER_RECLAIM
    assert closed["paid"] > 0 and closed["refunded"] > 0
    assert p.market.creditOf(p.provider) == closed["paid"]
    assert p.market.creditOf(p.tenant) == closed["refunded"] + closed["bounty"]


# --- attack 5: governance cannot block exits -------------------------------------------------------


def _revoke_markets(p):
    role = p.config.MARKET_ROLE()
    for market in (p.market, p.job_market):
        p.config.setRole(role, market, False, {"from": p.governance})
        assert not p.config.hasRole(role, market)


def test_after_the_revocation_no_new_match_is_made(plain):
    p = plain
    open_lease(p, p.offer)  # the market is live: it has matched before
    _revoke_markets(p)
    request = p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant}).return_value

    with expect_revert("Leasehold_MissingRole"):
        p.market.matchRequests([(request, p.offer)], {"from": p.matcher})
    assert p.market.requestStatusOf(request) == 1  # still OPEN, its deposit refundable


def test_after_the_revocation_the_tenant_and_a_settler_still_close(plain):
    p = plain
    by_tenant = open_lease(p, p.offer)
    expiring = open_lease(p, p.offer)
    _revoke_markets(p)
    chain.sleep(HOUR)

    closed = event_args(p.market.closeLease(by_tenant, {"from": p.tenant}), "LeaseClosed")
    chain.sleep(86_400)
    expired = event_args(p.market.closeLease(expiring, {"from": p.stranger}), "LeaseClosed")

    assert closed["paid"] > 0 and closed["refunded"] > 0
    assert expired["reason"] == 3 and expired["bountyRecipient"] == p.stranger  # EXPIRED
    assert p.registry.provider(p.provider)["lockedStake"] == 0
    # Both settle; only the full day (96 USD) paid the reputation minimum, not the hour closed early.
    assert p.registry.provider(p.provider)["leasesCompleted"] == 1
    assert_books(p, {})


def test_after_the_revocation_a_liveness_challenge_is_answered_or_slashed(plain):
    p = plain
    answered = open_lease(p, p.offer)
    missed = open_lease(p, p.offer)
    _challenge(p, answered)
    p.market.challengeLiveness(missed, {"from": p.challenger})
    _revoke_markets(p)

    respond_liveness(p.market, answered, p.provider)
    chain.sleep(p.config.params()["livenessWindowSeconds"] + 1)
    tx = p.market.resolveLiveness(missed, {"from": p.stranger})

    assert event_args(tx, "ProviderSlashed")["slashed"] > 0
    assert p.market.statusOf(missed) == 5  # TERMINATED
    assert p.registry.provider(p.provider)["livenessAnswered"] == 1


def test_after_the_revocation_a_job_is_finalized_and_its_collateral_released(plain):
    p = plain
    job_id, terms, trace = open_job(p, p.offer)
    submit_honest(p, job_id, terms, trace, provider=p.provider)
    _revoke_markets(p)
    chain.sleep(HOUR + 1)
    provider_before = p.token.balanceOf(p.provider)

    tx = p.job_market.finalizeJob(job_id, {"from": p.stranger})

    assert p.token.balanceOf(p.provider) == provider_before + event_args(tx, "JobFinalized")["toProvider"]
    assert p.registry.provider(p.provider)["lockedStake"] == 0


def test_after_the_revocation_a_late_job_is_expired_with_its_slash(plain):
    p = plain
    job_id, _, _ = open_job(p, p.offer)
    _revoke_markets(p)
    chain.sleep(HOUR + 1)

    tx = p.job_market.expireJob(job_id, {"from": p.stranger})

    assert event_args(tx, "JobExpired")["slashed"] > 0
    assert p.registry.provider(p.provider)["lockedStake"] == 0


def test_an_account_that_never_held_the_role_still_cannot_settle(plain):
    p = plain
    settlement = (p.provider, p.offer, 1, 1)
    with expect_revert("Leasehold_MissingRole"):
        p.registry.release(settlement, 0, 0, {"from": p.stranger})


def test_the_config_remembers_every_account_ever_granted_the_market_role(plain):
    p = plain
    role = p.config.MARKET_ROLE()
    assert p.config.isSettlingMarket(p.market) and p.config.isSettlingMarket(p.job_market)
    assert not p.config.isSettlingMarket(p.stranger)

    p.config.setRole(role, p.stranger, True, {"from": p.governance})
    p.config.setRole(role, p.stranger, False, {"from": p.governance})
    p.config.setRole(p.config.MATCHER_ROLE(), p.tenant, True, {"from": p.governance})

    assert p.config.isSettlingMarket(p.stranger) and not p.config.hasRole(role, p.stranger)
    assert not p.config.isSettlingMarket(p.tenant)


def test_the_registry_copies_a_settling_market_only_when_the_config_names_it(plain):
    """The deploy copies both markets' standing into the registry, so a settlement skips the config
    call; an account the config never named cannot be copied, and nothing changes."""
    p = plain
    role = p.config.MARKET_ROLE()
    logs = p.registry.events.SettlingMarketCached.create_filter(from_block=0).get_all_entries()
    assert {log.args.market for log in logs} >= {p.market.address, p.job_market.address}

    with expect_revert("Leasehold_MissingRole"):
        p.registry.cacheSettlingMarket(p.tenant, {"from": p.stranger})
    with expect_revert("Leasehold_MissingRole"):
        p.registry.recordOutcome(p.provider, 0, {"from": p.tenant})

    # Granted once, then revoked: the config still names it, so anyone may copy it, and it settles
    # with or without the copy.
    p.config.setRole(role, p.tenant, True, {"from": p.governance})
    p.config.setRole(role, p.tenant, False, {"from": p.governance})
    p.registry.recordOutcome(p.provider, 0, {"from": p.tenant})
    tx = p.registry.cacheSettlingMarket(p.tenant, {"from": p.stranger})
    assert event_args(tx, "SettlingMarketCached") == {"market": p.tenant}
    p.registry.recordOutcome(p.provider, 0, {"from": p.tenant})
