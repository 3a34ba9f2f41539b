"""closeLease and requestReclaim: who may close when, who is paid what, the bounty, double settle."""

from helpers import event_args, reverts_with, reverts_with_args
from market.support import (
    ACTIVE,
    BALANCE,
    CLOSED,
    DEPOSIT,
    DURATION,
    EXPIRED,
    EXPIRED_REASON,
    INSOLVENT,
    INSOLVENT_REASON,
    LEASE_COMPLETED,
    LIVENESS_BOND,
    MATCH_FEE,
    OFFER_PRICE,
    PROVIDER_RECLAIM,
    RATE_PER_HOUR,
    RECLAIM_NOTICE,
    SETTLE_BOUNTY,
    TENANT,
    fee_of,
    order,
    sleep_to,
    spec,
    streamed,
)


def _balances(token, *accounts):
    return [token.balanceOf(a) for a in accounts]


def _check_close(tx, market, token, lease_id, reason, caller, bounty_to, before, parties, start, stop, balance=BALANCE):
    """`before` holds the balances of the parties and the bounty's recipient; no fee had accrued."""
    provider, tenant, treasury = parties
    gross = streamed(stop - start, balance=balance)
    refund = balance - gross
    args = event_args(tx, "LeaseClosed")
    assert args == {
        "leaseId": lease_id,
        "caller": caller,
        "reason": reason,
        "paid": gross - fee_of(gross),
        "fee": fee_of(gross),
        "refunded": refund,
        "bounty": SETTLE_BOUNTY,
        "bountyRecipient": bounty_to,
    }
    after = _balances(token, provider, tenant, treasury, bounty_to)
    assert after[0] - before[0] == gross - fee_of(gross)
    assert after[2] == before[2]
    assert market.accruedFees() == fee_of(gross)
    if bounty_to == tenant:
        assert after[1] - before[1] == refund + SETTLE_BOUNTY
    else:
        assert after[1] - before[1] == refund
        assert after[3] - before[3] == SETTLE_BOUNTY
    assert market.statusOf(lease_id) == CLOSED
    assert order(market, lease_id)["closeReason"] == reason
    assert market.withdrawableOf(lease_id) == 0


def test_when_tenant_closes_active_lease_then_reason_tenant_and_bounty_back(
    matcher, market, registry, token, provider, tenant, treasury, lease_id, offer_id
):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + 5000)
    before = _balances(token, provider, tenant, treasury, tenant)
    tx = market.closeLease(lease_id, {"from": tenant})
    _check_close(
        tx, market, token, lease_id, TENANT, tenant, tenant, before, (provider, tenant, treasury), start, tx.timestamp
    )
    assert registry.offer(offer_id)[2] == 0
    assert registry.provider(provider)[2] == 0  # lockedStake
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher)  # match fees: credited
    # About 5.6 USD paid, below the 50 USD a lease must pay to count for reputation.
    assert "OutcomeRecorded" not in tx.events
    assert registry.provider(provider)["leasesCompleted"] == 0


def test_when_stranger_closes_expired_lease_then_gets_bounty(
    market, registry, token, provider, tenant, treasury, stranger, lease_id
):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + DURATION + 100)
    assert market.statusOf(lease_id) == EXPIRED
    before = _balances(token, provider, tenant, treasury, stranger)
    tx = market.closeLease(lease_id, {"from": stranger})
    _check_close(
        tx,
        market,
        token,
        lease_id,
        EXPIRED_REASON,
        stranger,
        stranger,
        before,
        (provider, tenant, treasury),
        start,
        start + DURATION,
    )
    # A full day paid (96 USD), above the reputation minimum: the lease counts.
    assert tx.events["OutcomeRecorded"][0]["outcome"] == LEASE_COMPLETED
    assert registry.provider(provider)["leasesCompleted"] == 1


def test_when_provider_closes_expired_lease_then_bounty_to_tenant(market, token, provider, tenant, treasury, lease_id):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + DURATION)
    before = _balances(token, provider, tenant, treasury, tenant)
    tx = market.closeLease(lease_id, {"from": provider})
    _check_close(
        tx,
        market,
        token,
        lease_id,
        EXPIRED_REASON,
        provider,
        tenant,
        before,
        (provider, tenant, treasury),
        start,
        start + DURATION,
    )


def test_when_stranger_closes_insolvent_lease_then_reason_insolvent(
    market, token, funded, offer_id, matcher, provider, treasury, stranger
):
    deposit = MATCH_FEE + SETTLE_BOUNTY + RATE_PER_HOUR + 1
    rid = market.createRequest(spec(maxPricePerUnitHour=OFFER_PRICE), deposit, {"from": funded}).return_value
    start = market.matchRequests([(rid, offer_id)], {"from": matcher}).timestamp
    sleep_to(start + 3602)
    assert market.statusOf(rid) == INSOLVENT
    before = _balances(token, provider, funded, treasury, stranger)
    tx = market.closeLease(rid, {"from": stranger})
    args = event_args(tx, "LeaseClosed")
    assert args["reason"] == INSOLVENT_REASON and args["refunded"] == 0 and args["bountyRecipient"] == stranger
    assert args["paid"] + args["fee"] == RATE_PER_HOUR + 1
    assert token.balanceOf(stranger) - before[3] == SETTLE_BOUNTY


def test_revert_when_stranger_closes_active_lease(market, stranger, lease_id):
    with reverts_with_args("LeaseMarket_CloseNotAllowed", lease_id, stranger, ACTIVE):
        market.closeLease(lease_id, {"from": stranger})


def test_revert_when_closed_twice(market, tenant, lease_id):
    market.closeLease(lease_id, {"from": tenant})
    with reverts_with_args("LeaseMarket_LeaseSettled", lease_id, CLOSED):
        market.closeLease(lease_id, {"from": tenant})


def test_revert_when_challenge_open_and_anyone_but_tenant_closes(market, stranger, accounts, lease_id):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + 3600)
    tx = market.challengeLiveness(lease_id, {"from": stranger})
    sleep_to(start + DURATION)
    assert market.statusOf(lease_id) == EXPIRED
    with reverts_with_args("LeaseMarket_ChallengeOpen", lease_id, stranger, tx.timestamp):
        market.closeLease(lease_id, {"from": accounts[8]})


def test_when_challenge_open_then_tenant_closes_and_challenge_called_off(
    matcher, market, registry, token, provider, tenant, treasury, stranger, lease_id
):
    """Attack 6: the provider's second account (`stranger` here) front-runs the tenant's close with
    a challenge. The close goes through in the next block; the challenger gets its bond back and
    nothing else, the provider is paid only up to the challenge, nobody is slashed and no answer
    is recorded: the front-run stalls nothing and costs the provider the accrual it held back."""
    start = order(market, lease_id)["startTime"]
    sleep_to(start + 3600)
    challenge = market.challengeLiveness(lease_id, {"from": stranger})
    sleep_to(challenge.timestamp + 300)
    before = _balances(token, provider, tenant, treasury, tenant)
    bond_before = token.balanceOf(stranger)
    tx = market.closeLease(lease_id, {"from": tenant})
    _check_close(
        tx,
        market,
        token,
        lease_id,
        TENANT,
        tenant,
        tenant,
        before,
        (provider, tenant, treasury),
        start,
        challenge.timestamp,
    )
    assert event_args(tx, "LivenessCalledOff") == {
        "leaseId": lease_id,
        "challenger": stranger,
        "bondReturned": LIVENESS_BOND,
    }
    assert token.balanceOf(stranger) - bond_before == LIVENESS_BOND
    assert "ProviderSlashed" not in tx.events
    assert order(market, lease_id)["stopTime"] == challenge.timestamp
    assert registry.provider(provider)["livenessAnswered"] == 0
    assert registry.provider(provider)[2] == 0  # lockedStake released
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher)  # match fees: credited
    # Paid less than a close in the same block without the challenge would have paid it.
    assert streamed(challenge.timestamp - start) < streamed(tx.timestamp - start)
    with reverts_with_args("LeaseMarket_NoOpenChallenge", lease_id):
        market.resolveLiveness(lease_id, {"from": stranger})


def test_revert_when_not_a_lease(market, tenant, request_id):
    with reverts_with("LeaseMarket_LeaseNotFound"):
        market.closeLease(request_id, {"from": tenant})


def test_when_paused_then_close_works(market, config, governance, tenant, lease_id):
    config.pause({"from": governance})
    market.closeLease(lease_id, {"from": tenant})
    assert market.statusOf(lease_id) == CLOSED


# ---------------------------------------------------------------- reclaim


def test_when_provider_requests_reclaim_then_may_close_after_notice(
    market, token, funded, matcher, offer_id, provider, tenant, treasury
):
    deposit = 2 * (DEPOSIT - MATCH_FEE - SETTLE_BOUNTY) + MATCH_FEE + SETTLE_BOUNTY
    lease_id = market.createRequest(spec(maxDurationSeconds=2 * DURATION), deposit, {"from": funded}).return_value
    start = market.matchRequests([(lease_id, offer_id)], {"from": matcher}).timestamp
    tx = market.requestReclaim(lease_id, {"from": provider})
    assert event_args(tx, "ReclaimRequested") == {"leaseId": lease_id, "reclaimableAt": tx.timestamp + RECLAIM_NOTICE}
    assert order(market, lease_id)["reclaimableAt"] == tx.timestamp + RECLAIM_NOTICE
    sleep_to(tx.timestamp + RECLAIM_NOTICE - 10)
    with reverts_with("LeaseMarket_ReclaimNoticeNotOver"):
        market.closeLease(lease_id, {"from": provider})
    sleep_to(tx.timestamp + RECLAIM_NOTICE - 1)
    before = _balances(token, provider, tenant, treasury, tenant)
    close = market.closeLease(lease_id, {"from": provider})
    assert close.timestamp == tx.timestamp + RECLAIM_NOTICE
    _check_close(
        close,
        market,
        token,
        lease_id,
        PROVIDER_RECLAIM,
        provider,
        tenant,
        before,
        (provider, tenant, treasury),
        start,
        close.timestamp,
        balance=2 * BALANCE,
    )


def test_revert_when_provider_closes_without_notice(market, provider, lease_id):
    with reverts_with("LeaseMarket_ReclaimNoticeNotOver"):
        market.closeLease(lease_id, {"from": provider})


def test_revert_when_reclaim_requested_twice(market, provider, lease_id):
    tx = market.requestReclaim(lease_id, {"from": provider})
    with reverts_with_args("LeaseMarket_ReclaimAlreadyRequested", lease_id, tx.timestamp + RECLAIM_NOTICE):
        market.requestReclaim(lease_id, {"from": provider})


def test_revert_when_reclaim_by_non_provider(market, tenant, lease_id):
    with reverts_with_args("LeaseMarket_CallerNotProvider", lease_id, tenant):
        market.requestReclaim(lease_id, {"from": tenant})


def test_revert_when_reclaim_on_expired_lease(market, provider, lease_id):
    sleep_to(order(market, lease_id)["startTime"] + DURATION)
    with reverts_with_args("LeaseMarket_LeaseNotActive", lease_id, EXPIRED):
        market.requestReclaim(lease_id, {"from": provider})
