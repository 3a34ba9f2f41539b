"""closeLeases: a settler closes many leases in one transaction, exactly as one closeLease each,
the bounties summed into one transfer; a lease no one may close now is skipped with its reason."""

import pytest
from brownie import chain

from keepers.contracts.types import MAX_CLOSE_BATCH, CloseSkipReason

from helpers import event_args, reverts_with, reverts_with_args
from market.support import (
    BALANCE,
    CLOSED,
    DEPOSIT,
    DURATION,
    EXPIRED_REASON,
    INSOLVENT_REASON,
    MATCH_FEE,
    OFFER_PRICE,
    SETTLE_BOUNTY,
    fee_of,
    order,
    sleep_to,
    spec,
    streamed,
)
from security.token_support import add_provider, assert_books, open_lease, protocol

SKIP_NONE, LEASE_NOT_FOUND, LEASE_SETTLED, CHALLENGE_OPEN, LEASE_ACTIVE = CloseSkipReason


def _lease(market, tenant, offer, matcher, **overrides):
    deposit = overrides.pop("deposit", DEPOSIT)
    rid = market.createRequest(spec(units=1, **overrides), deposit, {"from": tenant}).return_value
    market.matchRequests([(rid, offer)], {"from": matcher})
    return rid


@pytest.fixture
def leases(market, funded, offer_id, offer2_id, matcher):
    """Three running leases of one unit, two with offer 1 and one with offer 2 (another provider)."""
    return [_lease(market, funded, offer, matcher) for offer in (offer_id, offer_id, offer2_id)]


@pytest.fixture
def insolvent(market, funded, offer_id, matcher):
    """A one-unit lease of two days whose balance runs dry after one hour."""
    return _lease(
        market,
        funded,
        offer_id,
        matcher,
        maxPricePerUnitHour=OFFER_PRICE,
        maxDurationSeconds=2 * DURATION,
        deposit=MATCH_FEE + SETTLE_BOUNTY + OFFER_PRICE,
    )


def _expire(market, lease_ids):
    sleep_to(max(order(market, i)["startTime"] for i in lease_ids) + DURATION)


def _transfers_to(tx, account):
    return [e for e in tx.events["Transfer"] if e["to"] == account] if "Transfer" in tx.events else []


def test_when_stranger_closes_expired_leases_then_each_settles_and_bounties_paid_once(
    matcher, market, token, provider, provider2, tenant, stranger, leases
):
    _expire(market, leases)
    before = {a: token.balanceOf(a) for a in (provider, provider2, tenant, stranger)}

    tx = market.closeLeases(leases, {"from": stranger})

    closed = tx.events["LeaseClosed"]
    assert [e["leaseId"] for e in closed] == leases
    gross = streamed(DURATION, rate_per_hour=OFFER_PRICE)
    for event in closed:
        assert dict(event) == {
            "leaseId": event["leaseId"],
            "caller": stranger,
            "reason": EXPIRED_REASON,
            "paid": gross - fee_of(gross),
            "fee": fee_of(gross),
            "refunded": BALANCE - gross,
            "bounty": SETTLE_BOUNTY,
            "bountyRecipient": stranger,
        }
    assert "CloseSkipped" not in tx.events
    assert [market.statusOf(i) for i in leases] == [CLOSED] * 3
    assert token.balanceOf(provider) - before[provider] == 2 * (gross - fee_of(gross))
    assert token.balanceOf(provider2) - before[provider2] == gross - fee_of(gross)
    assert token.balanceOf(tenant) - before[tenant] == 3 * (BALANCE - gross)
    assert market.accruedFees() == 3 * fee_of(gross)
    bounty = _transfers_to(tx, stranger)
    assert len(bounty) == 1 and bounty[0]["value"] == 3 * SETTLE_BOUNTY
    assert token.balanceOf(stranger) - before[stranger] == 3 * SETTLE_BOUNTY
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher)  # match fees: credited


def test_batch_pays_exactly_what_single_closes_pay(
    market, registry, token, provider, provider2, tenant, stranger, leases, insolvent
):
    ids = [*leases, insolvent]
    # One lease has paid out part of its stream: the close pays only the rest.
    sleep_to(order(market, leases[0])["startTime"] + 5 * 3600)
    market.withdrawEarnings(leases[0], {"from": provider})
    _expire(market, ids)
    accounts = (provider, provider2, tenant, stranger, market)

    def outcome(closes):
        closed = [{k: v for k, v in dict(e).items() if k != "caller"} for c in closes for e in c.events["LeaseClosed"]]
        return (
            closed,
            [token.balanceOf(a) for a in accounts],
            market.accruedFees(),
            [registry.provider(p)["lockedStake"] for p in (provider, provider2)],
            # The stop time is each close's block time; the rest of the record must match.
            [{k: v for k, v in order(market, i).items() if k != "stopTime"} for i in ids],
        )

    singles = [market.closeLease(i, {"from": stranger}) for i in ids]
    one_by_one = outcome(singles)
    chain.undo(len(ids))
    batch = market.closeLeases(ids, {"from": stranger})
    batched = outcome([batch])

    assert batched[0] == one_by_one[0]
    assert batched[1:] == one_by_one[1:]
    assert [e["reason"] for e in batch.events["LeaseClosed"]] == [EXPIRED_REASON] * 3 + [INSOLVENT_REASON]
    assert [order(market, i)["stopTime"] for i in ids] == [batch.timestamp] * len(ids)


def test_when_some_leases_cannot_be_closed_then_skipped_with_reason_and_rest_closed(
    market, funded, token, stranger, tenant, matcher, offer_id, offer2_id, request_id
):
    expired = _lease(market, funded, offer_id, matcher)
    settled = _lease(market, funded, offer_id, matcher)
    market.closeLease(settled, {"from": tenant})
    challenged = _lease(market, funded, offer2_id, matcher, maxDurationSeconds=2 * DURATION, deposit=2 * DEPOSIT)
    sleep_to(order(market, expired)["startTime"] + DURATION)
    market.challengeLiveness(challenged, {"from": stranger})
    active = _lease(market, funded, offer2_id, matcher)
    unknown = market.nextRequestId() + 7
    before = token.balanceOf(stranger)

    tx = market.closeLeases([request_id, expired, settled, challenged, active, unknown, expired], {"from": stranger})

    skipped = [dict(e) for e in tx.events["CloseSkipped"]]
    assert skipped == [
        {"leaseId": request_id, "reason": LEASE_NOT_FOUND},
        {"leaseId": settled, "reason": LEASE_SETTLED},
        {"leaseId": challenged, "reason": CHALLENGE_OPEN},
        {"leaseId": active, "reason": LEASE_ACTIVE},
        {"leaseId": unknown, "reason": LEASE_NOT_FOUND},
        {"leaseId": expired, "reason": LEASE_SETTLED},  # listed twice: closed by its first listing
    ]
    assert [e["leaseId"] for e in tx.events["LeaseClosed"]] == [expired]
    assert token.balanceOf(stranger) - before == SETTLE_BOUNTY
    assert market.statusOf(expired) == CLOSED
    assert order(market, challenged)["challengeBond"] > 0 and order(market, challenged)["closeReason"] == 0
    assert order(market, active)["closeReason"] == 0


def test_when_nothing_can_be_closed_then_only_skips_and_no_transfer(market, stranger, lease_id):
    tx = market.closeLeases([lease_id], {"from": stranger})
    assert event_args(tx, "CloseSkipped") == {"leaseId": lease_id, "reason": LEASE_ACTIVE}
    assert "LeaseClosed" not in tx.events and "Transfer" not in tx.events


def test_when_tenant_lists_its_active_lease_then_skipped_not_closed(market, tenant, lease_id):
    tx = market.closeLeases([lease_id], {"from": tenant})
    assert event_args(tx, "CloseSkipped") == {"leaseId": lease_id, "reason": LEASE_ACTIVE}
    assert order(market, lease_id)["closeReason"] == 0


def test_when_a_party_lists_its_expired_lease_then_bounty_to_tenant_as_single_close(
    market, token, provider, tenant, stranger, leases
):
    _expire(market, leases)
    tenant_before = token.balanceOf(tenant)
    provider_before = token.balanceOf(provider)

    tx = market.closeLeases(leases[:2], {"from": provider})

    gross = streamed(DURATION, rate_per_hour=OFFER_PRICE)
    for event in tx.events["LeaseClosed"]:
        assert event["bountyRecipient"] == tenant and event["caller"] == provider
    assert token.balanceOf(tenant) - tenant_before == 2 * (BALANCE - gross + SETTLE_BOUNTY)
    assert token.balanceOf(provider) - provider_before == 2 * (gross - fee_of(gross))


def test_when_insolvent_then_closed_with_reason_insolvent(market, token, stranger, insolvent):
    sleep_to(order(market, insolvent)["startTime"] + 3601)
    before = token.balanceOf(stranger)
    tx = market.closeLeases([insolvent], {"from": stranger})
    args = event_args(tx, "LeaseClosed")
    assert args["reason"] == INSOLVENT_REASON and args["refunded"] == 0
    assert args["paid"] + args["fee"] == OFFER_PRICE
    assert token.balanceOf(stranger) - before == SETTLE_BOUNTY


def test_when_paused_then_batch_close_works(market, config, governance, stranger, leases):
    config.pause({"from": governance})
    _expire(market, leases)
    market.closeLeases(leases, {"from": stranger})
    assert [market.statusOf(i) for i in leases] == [CLOSED] * 3


def test_when_batch_at_the_bound_then_accepted(market, stranger, lease_id):
    tx = market.closeLeases([lease_id] * MAX_CLOSE_BATCH, {"from": stranger})
    assert len(tx.events["CloseSkipped"]) == MAX_CLOSE_BATCH
    assert market.MAX_CLOSE_BATCH() == MAX_CLOSE_BATCH


def test_revert_when_batch_empty(market, stranger):
    with reverts_with("LeaseMarket_EmptyBatch"):
        market.closeLeases([], {"from": stranger})


def test_revert_when_batch_above_the_bound(market, stranger, lease_id):
    with reverts_with_args("LeaseMarket_BatchTooLarge", MAX_CLOSE_BATCH + 1, MAX_CLOSE_BATCH):
        market.closeLeases([lease_id] * (MAX_CLOSE_BATCH + 1), {"from": stranger})


# ---------------------------------------------------------------- a token that refuses some payees


@pytest.fixture(scope="module")
def p(BlocklistPermitToken, accounts):
    """The whole protocol on a USDC-like token whose issuer may blocklist an account, with a second provider."""
    p = protocol(BlocklistPermitToken.deploy({"from": accounts[0]}), accounts)
    p.provider2 = accounts[3]
    p.offer2 = add_provider(p, p.provider2)
    return p


def test_when_token_refuses_one_provider_and_the_caller_then_both_credited_and_the_rest_paid(p):
    leases = [open_lease(p, p.offer), open_lease(p, p.offer2), open_lease(p, p.offer2)]
    chain.sleep(DURATION + 1)
    p.token.setBlocked(p.provider, True, {"from": p.governance})
    p.token.setBlocked(p.stranger, True, {"from": p.governance})
    provider2_before = p.token.balanceOf(p.provider2)

    tx = p.market.closeLeases(leases, {"from": p.stranger})

    closed = tx.events["LeaseClosed"]
    assert len(closed) == 3
    credited = [dict(e) for e in tx.events["PaymentCredited"]]
    assert credited == [
        {"account": p.provider, "amount": closed[0]["paid"]},
        {"account": p.stranger, "amount": 3 * closed[0]["bounty"]},
    ]
    assert p.token.balanceOf(p.provider2) - provider2_before == closed[1]["paid"] + closed[2]["paid"]
    assert_books(p, {(p.market, p.provider): closed[0]["paid"], (p.market, p.stranger): 3 * closed[0]["bounty"]})
