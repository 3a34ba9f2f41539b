"""cancelRequest: the tenant while open, anyone past the deadline; always a full refund to the tenant."""

from helpers import event_args, reverts_with, reverts_with_args
from market.support import DEPOSIT, R_CANCELLED, R_EXPIRED, R_MATCHED, order, sleep_to


def test_when_tenant_cancels_open_request_then_full_refund(market, token, funded, request_id):
    before = token.balanceOf(funded)
    tx = market.cancelRequest(request_id, {"from": funded})
    assert token.balanceOf(funded) == before + DEPOSIT
    assert token.balanceOf(market) == 0
    assert order(market, request_id)["status"] == R_CANCELLED
    assert order(market, request_id)["escrow"] == 0
    assert event_args(tx, "RequestCancelled") == {"requestId": request_id, "caller": funded, "refunded": DEPOSIT}


def test_when_stranger_cancels_after_deadline_then_tenant_refunded(market, token, funded, stranger, request_id):
    sleep_to(order(market, request_id)["matchDeadline"] + 1)
    assert market.requestStatusOf(request_id) == R_EXPIRED
    tenant_before, stranger_before = token.balanceOf(funded), token.balanceOf(stranger)
    market.cancelRequest(request_id, {"from": stranger})
    assert token.balanceOf(funded) == tenant_before + DEPOSIT
    assert token.balanceOf(stranger) == stranger_before
    assert market.requestStatusOf(request_id) == R_CANCELLED


def test_revert_when_stranger_cancels_before_deadline(market, stranger, request_id):
    deadline = order(market, request_id)["matchDeadline"]
    with reverts_with_args("LeaseMarket_CancelNotAllowed", request_id, stranger, deadline):
        market.cancelRequest(request_id, {"from": stranger})


def test_revert_when_cancelled_twice(market, funded, request_id):
    market.cancelRequest(request_id, {"from": funded})
    with reverts_with_args("LeaseMarket_RequestNotOpen", request_id, R_CANCELLED):
        market.cancelRequest(request_id, {"from": funded})


def test_revert_when_matched(market, funded, lease_id):
    with reverts_with_args("LeaseMarket_RequestNotOpen", lease_id, R_MATCHED):
        market.cancelRequest(lease_id, {"from": funded})


def test_revert_when_unknown(market, funded):
    with reverts_with_args("LeaseMarket_RequestNotFound", 99):
        market.cancelRequest(99, {"from": funded})


def test_when_paused_then_cancel_still_works(market, config, governance, funded, request_id):
    config.pause({"from": governance})
    market.cancelRequest(request_id, {"from": funded})
    assert market.requestStatusOf(request_id) == R_CANCELLED


def test_views_revert_or_null_for_unknown_id(market):
    assert market.requestStatusOf(42) == 0
    assert market.statusOf(42) == 0
    with reverts_with("LeaseMarket_RequestNotFound"):
        market.getRequest(42)
    with reverts_with("LeaseMarket_LeaseNotFound"):
        market.getLease(42)
