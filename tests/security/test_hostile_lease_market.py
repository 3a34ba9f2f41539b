"""Hostile inputs for every state-changing function of LeaseMarket: zero, one and maximum values,
unknown ids, the wrong caller, the wrong state, and every deadline at -1 s, exactly and +1 s
(match deadline, lease end, reclaim notice, liveness spacing and response window). A refused row
reverts with its exact custom error and leaves the whole chain unchanged; a batch pair that no
longer holds is skipped and changes nothing; the allowed side of each boundary succeeds."""

import brownie
import pytest

from keepers.signed_requests import request_tuple, sign_request

from helpers import USD, ZERO_ADDRESS, b32, event_args, liveness_answer, respond_liveness
from market.support import (
    ACTIVE,
    CLOSED,
    EXPIRED,
    INSOLVENT,
    JOB,
    OFFER_UNKNOWN,
    R_CANCELLED,
    R_MATCHED,
    REQUEST_EXPIRED,
    REQUEST_NOT_OPEN,
    TERMINATED,
    spec,
)
from security.hostile_support import (
    LEASE_DEPOSIT,
    MAX_UINT8,
    MAX_UINT16,
    MAX_UINT32,
    MAX_UINT40,
    MAX_UINT128,
    MAX_UINT256,
    Attempt,
    Table,
    around,
    at,
    challenged_lease,
    claim_credit_row,
    now,
    open_lease,
    open_request,
    params_of,
    run_row,
    sweep_fees_row,
)

T = Table("LeaseMarket")
ZERO32 = b"\0" * 32
DAY = 86_400
MIN_DEPOSIT = USD // 2 + USD // 4 + 3 * USD * 2  # match fee + bounty + 1 h at 3 USD for 2 units
SMALL_DEPOSIT = MIN_DEPOSIT  # streams 6 USD at the offer's 4 USD an hour: insolvent after 1.5 h


def _call(w, fn, *args, sender, error=None, err_args=None, check=None, inert=False):
    return Attempt(lambda: getattr(w.market, fn)(*args, {"from": sender}), sender, error, err_args, inert, check)


def _create(w, deposit=LEASE_DEPOSIT, sender=None, error=None, err_args=None, check=None, **overrides):
    return _call(
        w,
        "createRequest",
        spec(**overrides),
        deposit,
        sender=sender or w.tenant,
        error=error,
        err_args=err_args,
        check=check,
    )


def _skipped(w, pairs, reason):
    def check(tx):
        assert [e["reason"] for e in tx.events["MatchSkipped"]] == [reason] * len(pairs)

    return _call(w, "matchRequests", pairs, sender=w.matcher, inert=True, check=check)


# --- createRequest ---------------------------------------------------------------------------


@T.row("createRequest", "zero_units")
def _(w):
    return _create(w, units=0, error="LeaseMarket_InvalidUnits", err_args=(0, 1024))


@T.row("createRequest", "units_one_over_max")
def _(w):
    return _create(w, units=1025, error="LeaseMarket_InvalidUnits", err_args=(1025, 1024))


@T.row("createRequest", "max_units")
def _(w):
    return _create(w, units=MAX_UINT32, error="LeaseMarket_InvalidUnits", err_args=(MAX_UINT32, 1024))


@T.row("createRequest", "zero_price")
def _(w):
    return _create(w, maxPricePerUnitHour=0, error="LeaseMarket_ZeroPrice", err_args=None)


@T.row("createRequest", "max_price_deposit_too_small")
def _(w):
    minimum = USD // 2 + USD // 4 + 2 * MAX_UINT128
    return _create(
        w, maxPricePerUnitHour=MAX_UINT128, error="LeaseMarket_DepositTooSmall", err_args=(LEASE_DEPOSIT, minimum)
    )


@T.row("createRequest", "zero_duration")
def _(w):
    return _create(w, maxDurationSeconds=0, error="LeaseMarket_DurationTooShort", err_args=(0, 3600))


@T.row("createRequest", "duration_one_under_min_lease")
def _(w):
    return _create(w, maxDurationSeconds=3599, error="LeaseMarket_DurationTooShort", err_args=(3599, 3600))


@T.row("createRequest", "zero_match_deadline")
def _(w):
    t = now() + 5
    at(t)
    return _create(w, matchDeadline=0, error="LeaseMarket_MatchDeadlineNotInFuture", err_args=(0, t))


@T.row("createRequest", "match_deadline_one_second_ago")
def _(w):
    t = now() + 5
    at(t)
    return _create(w, matchDeadline=t - 1, error="LeaseMarket_MatchDeadlineNotInFuture", err_args=(t - 1, t))


@T.row("createRequest", "match_deadline_now")
def _(w):
    t = now() + 5
    at(t)
    return _create(w, matchDeadline=t, error="LeaseMarket_MatchDeadlineNotInFuture", err_args=(t, t))


@T.row("createRequest", "match_deadline_next_second_allowed")
def _(w):
    t = now() + 5
    at(t)
    return _create(w, matchDeadline=t + 1, check=lambda tx: w.market.requestStatusOf(tx.return_value) == 1)


@T.row("createRequest", "tier_one_over_max")
def _(w):
    return _create(w, minTier=5, error="LeaseMarket_InvalidTier", err_args=(5, 4))


@T.row("createRequest", "max_tier")
def _(w):
    return _create(w, minTier=MAX_UINT8, error="LeaseMarket_InvalidTier", err_args=(MAX_UINT8, 4))


@T.row("createRequest", "reputation_one_over_max")
def _(w):
    return _create(w, minReputation=10_001, error="LeaseMarket_InvalidReputation", err_args=(10_001, 10_000))


@T.row("createRequest", "max_reputation")
def _(w):
    return _create(w, minReputation=MAX_UINT16, error="LeaseMarket_InvalidReputation", err_args=(MAX_UINT16, 10_000))


@T.row("createRequest", "job_without_terms")
def _(w):
    return _create(w, kind=JOB, error="LeaseMarket_JobTermsMismatch", err_args=(JOB, ZERO32))


@T.row("createRequest", "job_with_rematch")
def _(w):
    return _create(w, kind=JOB, jobTermsHash=b32("job-terms"), rematch=True, error="LeaseMarket_RematchNotRental")


@T.row("createRequest", "rental_with_rematch_allowed")
def _(w):
    def check(tx):
        assert w.market.getRequest(tx.return_value)[27] == 3  # rematchesLeft: MAX_REMATCHES

    return _create(w, rematch=True, check=check)


@T.row("createRequest", "rental_with_manifest_hash")
def _(w):
    manifest_hash = b32("some-manifest")

    def check(tx):
        assert w.market.jobTermsHashOf(tx.return_value) == manifest_hash

    return _create(w, jobTermsHash=manifest_hash, check=check)


@T.row("createRequest", "zero_deposit")
def _(w):
    return _create(w, deposit=0, error="LeaseMarket_DepositTooSmall", err_args=(0, MIN_DEPOSIT))


@T.row("createRequest", "deposit_one_under_minimum")
def _(w):
    return _create(
        w, deposit=MIN_DEPOSIT - 1, error="LeaseMarket_DepositTooSmall", err_args=(MIN_DEPOSIT - 1, MIN_DEPOSIT)
    )


@T.row("createRequest", "deposit_at_minimum_allowed")
def _(w):
    return _create(w, deposit=MIN_DEPOSIT, check=lambda tx: w.market.getRequest(tx.return_value)[5] == MIN_DEPOSIT)


@T.row("createRequest", "max_deposit")
def _(w):
    balance = w.token.balanceOf(w.tenant)
    return _create(
        w, deposit=MAX_UINT128, error="ERC20InsufficientBalance", err_args=(w.tenant.address, balance, MAX_UINT128)
    )


@T.row("createRequest", "no_allowance")
def _(w):
    return _create(
        w, sender=w.pauper, error="ERC20InsufficientAllowance", err_args=(w.market.address, 0, LEASE_DEPOSIT)
    )


@T.row("createRequest", "paused")
def _(w):
    w.config.pause({"from": w.governance})
    return _create(w, error="Leasehold_Paused")


@T.row("createRequestWithPermit", "bad_signature_no_allowance")
def _(w):
    return _call(
        w,
        "createRequestWithPermit",
        spec(),
        LEASE_DEPOSIT,
        MAX_UINT256,
        27,
        "0x" + "11" * 32,
        "0x" + "22" * 32,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.market.address, 0, LEASE_DEPOSIT),
    )


@T.row("createRequestWithPermit", "zero_signature_zero_units")
def _(w):
    return _call(
        w,
        "createRequestWithPermit",
        spec(units=0),
        LEASE_DEPOSIT,
        0,
        0,
        "0x" + "00" * 32,
        "0x" + "00" * 32,
        sender=w.tenant,
        error="LeaseMarket_InvalidUnits",
        err_args=(0, 1024),
    )


@T.row("createRequestWithPermit", "paused")
def _(w):
    w.config.pause({"from": w.governance})
    return _call(
        w,
        "createRequestWithPermit",
        spec(),
        LEASE_DEPOSIT,
        0,
        0,
        "0x" + "00" * 32,
        "0x" + "00" * 32,
        sender=w.tenant,
        error="Leasehold_Paused",
    )


# --- cancelRequest ---------------------------------------------------------------------------


@T.row("cancelRequest", "unknown_zero_id")
def _(w):
    return _call(w, "cancelRequest", 0, sender=w.tenant, error="LeaseMarket_RequestNotFound", err_args=(0,))


@T.row("cancelRequest", "unknown_max_id")
def _(w):
    return _call(
        w, "cancelRequest", MAX_UINT256, sender=w.tenant, error="LeaseMarket_RequestNotFound", err_args=(MAX_UINT256,)
    )


def _cancel_around_deadline(w, offset):
    request, deadline = open_request(w)
    at(deadline + offset)
    if offset <= 0:
        return _call(
            w,
            "cancelRequest",
            request,
            sender=w.stranger,
            error="LeaseMarket_CancelNotAllowed",
            err_args=(request, w.stranger.address, deadline),
        )
    before = w.token.balanceOf(w.tenant)
    return _call(
        w,
        "cancelRequest",
        request,
        sender=w.stranger,
        check=lambda tx: w.token.balanceOf(w.tenant) == before + LEASE_DEPOSIT,
    )


around(T, "cancelRequest", "match_deadline_by_stranger", (1,), _cancel_around_deadline)


@T.row("cancelRequest", "twice")
def _(w):
    request, _ = open_request(w)
    w.market.cancelRequest(request, {"from": w.tenant})
    return _call(
        w,
        "cancelRequest",
        request,
        sender=w.tenant,
        error="LeaseMarket_RequestNotOpen",
        err_args=(request, R_CANCELLED),
    )


@T.row("cancelRequest", "matched")
def _(w):
    lease, _ = open_lease(w)
    return _call(
        w, "cancelRequest", lease, sender=w.tenant, error="LeaseMarket_RequestNotOpen", err_args=(lease, R_MATCHED)
    )


# --- topUp -------------------------------------------------------------------------------------


@T.row("topUp", "unknown_id")
def _(w):
    return _call(
        w, "topUp", MAX_UINT256, USD, sender=w.tenant, error="LeaseMarket_LeaseNotFound", err_args=(MAX_UINT256,)
    )


@T.row("topUp", "open_request_is_not_a_lease")
def _(w):
    request, _ = open_request(w)
    return _call(w, "topUp", request, USD, sender=w.tenant, error="LeaseMarket_LeaseNotFound", err_args=(request,))


@T.row("topUp", "zero")
def _(w):
    lease, _ = open_lease(w)
    return _call(w, "topUp", lease, 0, sender=w.tenant, error="LeaseMarket_ZeroAmount")


@T.row("topUp", "max_uint128")
def _(w):
    lease, _ = open_lease(w)
    escrow = LEASE_DEPOSIT - USD // 2 + MAX_UINT128
    return _call(
        w, "topUp", lease, MAX_UINT128, sender=w.tenant, error="LeaseMarket_EscrowOverflow", err_args=(lease, escrow)
    )


@T.row("topUp", "no_allowance")
def _(w):
    lease, _ = open_lease(w)
    return _call(
        w, "topUp", lease, 1, sender=w.pauper, error="ERC20InsufficientAllowance", err_args=(w.market.address, 0, 1)
    )


def _top_up_around_end(w, offset):
    lease, start = open_lease(w)
    at(start + DAY + offset)
    if offset < 0:
        return _call(w, "topUp", lease, 1, sender=w.stranger, check=lambda tx: "LeaseToppedUp" in tx.events)
    return _call(w, "topUp", lease, 1, sender=w.tenant, error="LeaseMarket_LeaseNotActive", err_args=(lease, EXPIRED))


around(T, "topUp", "lease_end", (-1,), _top_up_around_end)


@T.row("topUp", "insolvent")
def _(w):
    lease, start = open_lease(w, deposit=SMALL_DEPOSIT)
    at(start + 5400)
    return _call(
        w, "topUp", lease, USD, sender=w.tenant, error="LeaseMarket_LeaseNotActive", err_args=(lease, INSOLVENT)
    )


@T.row("topUp", "closed")
def _(w):
    lease, _ = open_lease(w)
    w.market.closeLease(lease, {"from": w.tenant})
    return _call(w, "topUp", lease, USD, sender=w.tenant, error="LeaseMarket_LeaseNotActive", err_args=(lease, CLOSED))


# --- matchRequests -----------------------------------------------------------------------------


@T.row("matchRequests", "wrong_caller")
def _(w):
    request, _ = open_request(w)
    return _call(
        w,
        "matchRequests",
        [(request, w.offer)],
        sender=w.stranger,
        error="MatcherBonds_NotBonded",
        err_args=(w.stranger.address, 0, w.matcher_bonds.params()[0]),
    )


@T.row("matchRequests", "empty_batch")
def _(w):
    return _call(w, "matchRequests", [], sender=w.matcher, error="LeaseMarket_EmptyBatch")


@T.row("matchRequests", "paused")
def _(w):
    request, _ = open_request(w)
    w.config.pause({"from": w.governance})
    return _call(w, "matchRequests", [(request, w.offer)], sender=w.matcher, error="Leasehold_Paused")


@T.row("matchRequests", "unknown_requests_skipped")
def _(w):
    return _skipped(w, [(0, w.offer), (MAX_UINT256, w.offer)], REQUEST_NOT_OPEN)


@T.row("matchRequests", "unknown_offers_skipped")
def _(w):
    request, _ = open_request(w)
    return _skipped(
        w, [(request, 0), (request, MAX_UINT40), (request, MAX_UINT40 + 1), (request, MAX_UINT256)], OFFER_UNKNOWN
    )


@T.row("matchRequests", "matched_request_skipped")
def _(w):
    lease, _ = open_lease(w)
    return _skipped(w, [(lease, w.offer2)], REQUEST_NOT_OPEN)


def _match_around_deadline(w, offset):
    request, deadline = open_request(w)
    at(deadline + offset)
    if offset > 0:
        return _skipped(w, [(request, w.offer)], REQUEST_EXPIRED)
    return _call(
        w,
        "matchRequests",
        [(request, w.offer)],
        sender=w.matcher,
        check=lambda tx: event_args(tx, "LeaseStarted")["leaseId"] == request,
    )


around(T, "matchRequests", "match_deadline", (-1, 0), _match_around_deadline)


# --- withdrawEarnings ------------------------------------------------------------------------


@T.row("withdrawEarnings", "unknown_id")
def _(w):
    return _call(w, "withdrawEarnings", 0, sender=w.provider, error="LeaseMarket_LeaseNotFound", err_args=(0,))


@T.row("withdrawEarnings", "wrong_caller")
def _(w):
    lease, start = open_lease(w)
    at(start + 60)
    return _call(
        w,
        "withdrawEarnings",
        lease,
        sender=w.tenant,
        error="LeaseMarket_CallerNotProvider",
        err_args=(lease, w.tenant.address),
    )


@T.row("withdrawEarnings", "nothing_accrued_at_start")
def _(w):
    lease, start = open_lease(w)
    at(start)
    return _call(
        w, "withdrawEarnings", lease, sender=w.provider, error="LeaseMarket_NothingToWithdraw", err_args=(lease,)
    )


@T.row("withdrawEarnings", "held_back_by_open_challenge")
def _(w):
    lease, challenged_at = challenged_lease(w)
    w.market.withdrawEarnings(lease, {"from": w.provider})
    at(challenged_at + 300)
    return _call(
        w, "withdrawEarnings", lease, sender=w.provider, error="LeaseMarket_NothingToWithdraw", err_args=(lease,)
    )


@T.row("withdrawEarnings", "after_close")
def _(w):
    lease, _ = open_lease(w)
    w.market.closeLease(lease, {"from": w.tenant})
    return _call(
        w, "withdrawEarnings", lease, sender=w.provider, error="LeaseMarket_NothingToWithdraw", err_args=(lease,)
    )


# --- requestReclaim --------------------------------------------------------------------------


@T.row("requestReclaim", "unknown_id")
def _(w):
    return _call(
        w, "requestReclaim", MAX_UINT256, sender=w.provider, error="LeaseMarket_LeaseNotFound", err_args=(MAX_UINT256,)
    )


@T.row("requestReclaim", "wrong_caller")
def _(w):
    lease, _ = open_lease(w)
    return _call(
        w,
        "requestReclaim",
        lease,
        sender=w.tenant,
        error="LeaseMarket_CallerNotProvider",
        err_args=(lease, w.tenant.address),
    )


@T.row("requestReclaim", "twice")
def _(w):
    lease, _ = open_lease(w)
    reclaimable_at = w.market.requestReclaim(lease, {"from": w.provider}).events["ReclaimRequested"]["reclaimableAt"]
    return _call(
        w,
        "requestReclaim",
        lease,
        sender=w.provider,
        error="LeaseMarket_ReclaimAlreadyRequested",
        err_args=(lease, reclaimable_at),
    )


def _reclaim_around_end(w, offset):
    lease, start = open_lease(w)
    at(start + DAY + offset)
    if offset < 0:
        return _call(w, "requestReclaim", lease, sender=w.provider, check=lambda tx: "ReclaimRequested" in tx.events)
    return _call(
        w, "requestReclaim", lease, sender=w.provider, error="LeaseMarket_LeaseNotActive", err_args=(lease, EXPIRED)
    )


around(T, "requestReclaim", "lease_end", (-1,), _reclaim_around_end)


# --- respondLiveness -------------------------------------------------------------------------


def _respond(w, lease, **kw):
    """`respondLiveness` of the lease with the whole work for its open challenge."""
    return _call(w, "respondLiveness", lease, *_proof(w, lease), **kw)


def _proof(w, lease, share=1.0):
    """The capacity proof's argument (`answer`) for the lease's open challenge, as a 1-tuple."""
    return (liveness_answer(w.market, lease, share=share).answer,)


@T.row("respondLiveness", "proof_without_work")
def _(w):
    lease, _ = challenged_lease(w)
    answer = liveness_answer(w.market, lease, share=0)
    return _call(
        w,
        "respondLiveness",
        lease,
        answer.answer,
        sender=w.provider,
        error="LeaseMarket_LivenessProofInvalid",
        err_args=(lease, 0, answer.indices[0]),
    )


@T.row("respondLiveness", "proof_length")
def _(w):
    lease, _ = challenged_lease(w)
    (answer,) = _proof(w, lease)
    return _call(
        w,
        "respondLiveness",
        lease,
        answer[:-32],
        sender=w.provider,
        error="LeaseMarket_LivenessProofLength",
        err_args=(lease, len(answer) - 32, len(answer)),
    )


@T.row("respondLiveness", "unknown_id")
def _(w):
    return _call(
        w, "respondLiveness", 0, bytes(32), sender=w.provider, error="LeaseMarket_LeaseNotFound", err_args=(0,)
    )


@T.row("respondLiveness", "no_open_challenge")
def _(w):
    lease, _ = open_lease(w)
    return _respond(
        w,
        lease,
        sender=w.provider,
        error="LeaseMarket_NoOpenChallenge",
        err_args=(lease,),
    )


@T.row("respondLiveness", "wrong_caller")
def _(w):
    lease, _ = challenged_lease(w)
    return _respond(
        w,
        lease,
        sender=w.stranger,
        error="LeaseMarket_CallerNotProvider",
        err_args=(lease, w.stranger.address),
    )


def _respond_around_window_end(w, offset):
    lease, challenged_at = challenged_lease(w)
    deadline = challenged_at + params_of(w)["livenessWindowSeconds"]
    at(deadline + offset)
    if offset <= 0:
        return _respond(
            w,
            lease,
            sender=w.provider,
            check=lambda tx: "LivenessAnswered" in tx.events,
        )
    return _respond(
        w,
        lease,
        sender=w.provider,
        error="LeaseMarket_ChallengeWindowClosed",
        err_args=(lease, deadline, deadline + offset),
    )


around(T, "respondLiveness", "liveness_window_end", (-1, 0), _respond_around_window_end)


@T.row("respondLiveness", "twice")
def _(w):
    lease, _ = challenged_lease(w)
    respond_liveness(w.market, lease, w.provider)
    return _respond(
        w,
        lease,
        sender=w.provider,
        error="LeaseMarket_NoOpenChallenge",
        err_args=(lease,),
    )


# --- closeLease ------------------------------------------------------------------------------


@T.row("closeLease", "unknown_id")
def _(w):
    return _call(
        w, "closeLease", MAX_UINT256, sender=w.tenant, error="LeaseMarket_LeaseNotFound", err_args=(MAX_UINT256,)
    )


def _close_around_end(w, offset):
    lease, start = open_lease(w)
    at(start + DAY + offset)
    if offset < 0:
        return _call(
            w,
            "closeLease",
            lease,
            sender=w.stranger,
            error="LeaseMarket_CloseNotAllowed",
            err_args=(lease, w.stranger.address, ACTIVE),
        )
    return _call(
        w,
        "closeLease",
        lease,
        sender=w.stranger,
        check=lambda tx: event_args(tx, "LeaseClosed")["bountyRecipient"] == w.stranger,
    )


around(T, "closeLease", "lease_end_by_stranger", (0, 1), _close_around_end)


@T.row("closeLease", "provider_without_reclaim")
def _(w):
    lease, start = open_lease(w)
    at(start + 60)
    return _call(
        w,
        "closeLease",
        lease,
        sender=w.provider,
        error="LeaseMarket_ReclaimNoticeNotOver",
        err_args=(lease, 0, start + 60),
    )


def _reclaimed(w):
    lease, start = open_lease(w)
    # The notice runs as long as the lease (24 h): a reclaim sent a second after the start would
    # make the lease EXPIRED, which anyone may close, by the notice's last second. Pinned to the
    # start, the boundary is the notice's alone, however long the machine took between blocks.
    at(start)
    tx = w.market.requestReclaim(lease, {"from": w.provider})
    return lease, tx.events["ReclaimRequested"]["reclaimableAt"]


def _close_around_notice_end(w, offset):
    lease, reclaimable_at = _reclaimed(w)
    at(reclaimable_at + offset)
    if offset < 0:
        return _call(
            w,
            "closeLease",
            lease,
            sender=w.provider,
            error="LeaseMarket_ReclaimNoticeNotOver",
            err_args=(lease, reclaimable_at, reclaimable_at + offset),
        )
    return _call(
        w, "closeLease", lease, sender=w.provider, check=lambda tx: event_args(tx, "LeaseClosed")["reason"] == 2
    )


around(T, "closeLease", "reclaim_notice_end_by_provider", (0, 1), _close_around_notice_end)


@T.row("closeLease", "challenge_open")
def _(w):
    lease, challenged_at = challenged_lease(w)
    return _call(
        w,
        "closeLease",
        lease,
        sender=w.stranger,
        error="LeaseMarket_ChallengeOpen",
        err_args=(lease, w.stranger.address, challenged_at),
    )


@T.row("closeLease", "twice")
def _(w):
    lease, _ = open_lease(w)
    w.market.closeLease(lease, {"from": w.tenant})
    return _call(w, "closeLease", lease, sender=w.tenant, error="LeaseMarket_LeaseSettled", err_args=(lease, CLOSED))


@T.row("closeLease", "terminated")
def _(w):
    lease, challenged_at = challenged_lease(w)
    at(challenged_at + params_of(w)["livenessWindowSeconds"] + 1)
    w.market.resolveLiveness(lease, {"from": w.stranger})
    return _call(
        w, "closeLease", lease, sender=w.stranger, error="LeaseMarket_LeaseSettled", err_args=(lease, TERMINATED)
    )


# --- closeLeases -----------------------------------------------------------------------------

# Market.CloseSkipReason
LEASE_NOT_FOUND, LEASE_SETTLED, CHALLENGE_OPEN, LEASE_ACTIVE = 1, 2, 3, 4
MAX_CLOSE_BATCH = 200


def _close_skipped(w, lease_ids, reasons, sender=None):
    def check(tx):
        assert [(e["leaseId"], e["reason"]) for e in tx.events["CloseSkipped"]] == list(zip(lease_ids, reasons))

    return _call(w, "closeLeases", lease_ids, sender=sender or w.stranger, inert=True, check=check)


@T.row("closeLeases", "empty_batch")
def _(w):
    return _call(w, "closeLeases", [], sender=w.stranger, error="LeaseMarket_EmptyBatch")


@T.row("closeLeases", "above_the_bound")
def _(w):
    lease, _ = open_lease(w)
    return _call(
        w,
        "closeLeases",
        [lease] * (MAX_CLOSE_BATCH + 1),
        sender=w.stranger,
        error="LeaseMarket_BatchTooLarge",
        err_args=(MAX_CLOSE_BATCH + 1, MAX_CLOSE_BATCH),
    )


@T.row("closeLeases", "unknown_ids_skipped")
def _(w):
    request, _ = open_request(w)
    ids = [0, request, MAX_UINT256]
    return _close_skipped(w, ids, [LEASE_NOT_FOUND] * 3)


@T.row("closeLeases", "settled_and_challenged_skipped")
def _(w):
    closed, _ = open_lease(w)
    w.market.closeLease(closed, {"from": w.tenant})
    challenged, _ = challenged_lease(w)
    return _close_skipped(w, [closed, challenged], [LEASE_SETTLED, CHALLENGE_OPEN])


@T.row("closeLeases", "own_active_lease_skipped_for_the_tenant")
def _(w):
    lease, _ = open_lease(w)
    return _close_skipped(w, [lease], [LEASE_ACTIVE], sender=w.tenant)


def _close_batch_around_end(w, offset):
    lease, start = open_lease(w)
    at(start + DAY + offset)
    if offset < 0:
        return _close_skipped(w, [lease], [LEASE_ACTIVE])

    def check(tx):
        assert event_args(tx, "LeaseClosed")["bountyRecipient"] == w.stranger
        assert event_args(tx, "CloseSkipped") == {"leaseId": lease, "reason": LEASE_SETTLED}

    return _call(w, "closeLeases", [lease, lease], sender=w.stranger, check=check)


around(T, "closeLeases", "lease_end_by_stranger", (0, 1), _close_batch_around_end)


# --- challengeLiveness -----------------------------------------------------------------------


@T.row("challengeLiveness", "unknown_id")
def _(w):
    return _call(w, "challengeLiveness", 0, sender=w.stranger, error="LeaseMarket_LeaseNotFound", err_args=(0,))


def _challenge_around_first_spacing(w, offset):
    lease, start = open_lease(w)
    earliest = start + params_of(w)["livenessSpacingSeconds"]
    at(earliest + offset)
    if offset < 0:
        return _call(
            w,
            "challengeLiveness",
            lease,
            sender=w.stranger,
            error="LeaseMarket_ChallengeTooSoon",
            err_args=(lease, earliest, earliest + offset),
        )
    return _call(w, "challengeLiveness", lease, sender=w.stranger, check=lambda tx: "LivenessChallenged" in tx.events)


around(T, "challengeLiveness", "spacing_after_start", (0, 1), _challenge_around_first_spacing)


def _challenge_around_next_spacing(w, offset):
    lease, challenged_at = challenged_lease(w)
    respond_liveness(w.market, lease, w.provider)
    earliest = challenged_at + params_of(w)["livenessSpacingSeconds"]
    at(earliest + offset)
    if offset < 0:
        return _call(
            w,
            "challengeLiveness",
            lease,
            sender=w.stranger,
            error="LeaseMarket_ChallengeTooSoon",
            err_args=(lease, earliest, earliest + offset),
        )
    return _call(w, "challengeLiveness", lease, sender=w.stranger, check=lambda tx: "LivenessChallenged" in tx.events)


around(T, "challengeLiveness", "spacing_after_last_challenge", (0, 1), _challenge_around_next_spacing)


@T.row("challengeLiveness", "already_open")
def _(w):
    lease, challenged_at = challenged_lease(w)
    return _call(
        w,
        "challengeLiveness",
        lease,
        sender=w.tenant,
        error="LeaseMarket_ChallengeOpen",
        err_args=(lease, w.stranger.address, challenged_at),
    )


def _challenge_around_end(w, offset):
    lease, start = open_lease(w)
    at(start + DAY + offset)
    if offset < 0:
        return _call(
            w, "challengeLiveness", lease, sender=w.stranger, check=lambda tx: "LivenessChallenged" in tx.events
        )
    return _call(
        w, "challengeLiveness", lease, sender=w.stranger, error="LeaseMarket_LeaseNotActive", err_args=(lease, EXPIRED)
    )


around(T, "challengeLiveness", "lease_end", (-1,), _challenge_around_end)


@T.row("challengeLiveness", "no_allowance")
def _(w):
    lease, start = open_lease(w)
    at(start + params_of(w)["livenessSpacingSeconds"])
    return _call(
        w,
        "challengeLiveness",
        lease,
        sender=w.pauper,
        error="ERC20InsufficientAllowance",
        err_args=(w.market.address, 0, params_of(w)["livenessBond"]),
    )


# --- resolveLiveness -------------------------------------------------------------------------


@T.row("resolveLiveness", "unknown_id")
def _(w):
    return _call(
        w, "resolveLiveness", MAX_UINT256, sender=w.stranger, error="LeaseMarket_LeaseNotFound", err_args=(MAX_UINT256,)
    )


@T.row("resolveLiveness", "no_open_challenge")
def _(w):
    lease, _ = open_lease(w)
    return _call(w, "resolveLiveness", lease, sender=w.stranger, error="LeaseMarket_NoOpenChallenge", err_args=(lease,))


def _resolve_around_window_end(w, offset):
    lease, challenged_at = challenged_lease(w)
    deadline = challenged_at + params_of(w)["livenessWindowSeconds"]
    at(deadline + offset)
    if offset <= 0:
        return _call(
            w,
            "resolveLiveness",
            lease,
            sender=w.stranger,
            error="LeaseMarket_ChallengeWindowOpen",
            err_args=(lease, deadline, deadline + offset),
        )
    return _call(w, "resolveLiveness", lease, sender=w.tenant, check=lambda tx: w.market.statusOf(lease) == TERMINATED)


around(T, "resolveLiveness", "liveness_window_end", (1,), _resolve_around_window_end)


@T.row("resolveLiveness", "answered")
def _(w):
    lease, challenged_at = challenged_lease(w)
    respond_liveness(w.market, lease, w.provider)
    at(challenged_at + params_of(w)["livenessWindowSeconds"] + 1)
    return _call(w, "resolveLiveness", lease, sender=w.stranger, error="LeaseMarket_NoOpenChallenge", err_args=(lease,))


@T.row("resolveLiveness", "twice")
def _(w):
    lease, challenged_at = challenged_lease(w)
    at(challenged_at + params_of(w)["livenessWindowSeconds"] + 1)
    w.market.resolveLiveness(lease, {"from": w.stranger})
    return _call(w, "resolveLiveness", lease, sender=w.stranger, error="LeaseMarket_NoOpenChallenge", err_args=(lease,))


# --- setJobMarket ----------------------------------------------------------------------------


@T.row("setJobMarket", "wrong_caller")
def _(w):
    return _call(
        w,
        "setJobMarket",
        w.stranger,
        sender=w.stranger,
        error="LeaseMarket_CallerNotGovernance",
        err_args=(w.stranger.address,),
    )


@T.row("setJobMarket", "already_set")
def _(w):
    return _call(
        w,
        "setJobMarket",
        ZERO_ADDRESS,
        sender=w.governance,
        error="LeaseMarket_JobMarketAlreadySet",
        err_args=(w.job_market.address,),
    )


# --- matchSignedRequest / cancelSignedRequest ----------------------------------------------------

NO_PERMIT = (0, 0, ZERO32, ZERO32)
NONCE_USED, NONCE_CANCELLED = 1, 2


def _signer(w, funds=LEASE_DEPOSIT):
    """A fresh tenant key holding `funds` and ether for a cancel, approving the market (no permit)."""
    account = brownie.accounts.add()
    w.governance.transfer(account, 10**17)
    if funds:
        w.token.mint(account, funds, {"from": w.governance})
    w.token.approve(w.market, MAX_UINT256, {"from": account})
    return account


def _signed(w, account, nonce=1, deadline=None, key=None, **overrides):
    deadline = now() + 600 if deadline is None else deadline
    fields = spec(**overrides)
    signature = sign_request(
        key or account.private_key,
        brownie.chain.id,
        w.market.address,
        fields,
        LEASE_DEPOSIT,
        nonce,
        deadline,
        account.address,
    )
    return request_tuple(account.address, fields, LEASE_DEPOSIT, nonce, deadline), signature


def _match_signed(w, request, signature, offer=None, sender=None, error=None, err_args=None, check=None):
    return _call(
        w,
        "matchSignedRequest",
        request,
        NO_PERMIT,
        signature,
        w.offer if offer is None else offer,
        sender=sender or w.matcher,
        error=error,
        err_args=err_args,
        check=check,
    )


@T.row("matchSignedRequest", "wrong_caller")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account)
    return _match_signed(
        w,
        request,
        signature,
        sender=w.stranger,
        error="MatcherBonds_NotBonded",
        err_args=(w.stranger.address, 0, w.matcher_bonds.params()[0]),
    )


def _signed_around_deadline(w, offset):
    account = _signer(w)
    deadline = now() + 100
    request, signature = _signed(w, account, deadline=deadline)
    at(deadline + offset)
    if offset > 0:
        return _match_signed(
            w, request, signature, error="SignedRequests_Expired", err_args=(deadline, deadline + offset)
        )
    return _match_signed(w, request, signature, check=lambda tx: event_args(tx, "LeaseStarted"))


around(T, "matchSignedRequest", "signature_deadline", (-1, 0), _signed_around_deadline)


@T.row("matchSignedRequest", "replayed")
def _(w):
    account = _signer(w, 2 * LEASE_DEPOSIT)
    request, signature = _signed(w, account)
    w.market.matchSignedRequest(request, NO_PERMIT, signature, w.offer, {"from": w.matcher})
    return _match_signed(w, request, signature, error="SignedRequests_NonceUsed", err_args=(account.address, 1))


@T.row("matchSignedRequest", "cancelled_nonce")
def _(w):
    account = _signer(w)
    w.market.cancelSignedRequest(1, {"from": account})
    request, signature = _signed(w, account)
    return _match_signed(w, request, signature, error="SignedRequests_NonceCancelled", err_args=(account.address, 1))


@T.row("matchSignedRequest", "signed_by_another_key")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account, key=brownie.accounts.add().private_key)
    return _match_signed(w, request, signature, error="SignedRequests_InvalidSignature", err_args=(account.address,))


@T.row("matchSignedRequest", "empty_signature")
def _(w):
    account = _signer(w)
    request, _ = _signed(w, account)
    return _match_signed(w, request, b"", error="SignedRequests_InvalidSignature", err_args=(account.address,))


@T.row("matchSignedRequest", "zero_tenant")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account)
    request = (ZERO_ADDRESS, *request[1:])
    return _match_signed(w, request, signature, error="SignedRequests_InvalidSignature", err_args=(ZERO_ADDRESS,))


@T.row("matchSignedRequest", "unknown_offer")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account)
    return _match_signed(
        w,
        request,
        signature,
        offer=MAX_UINT256,
        error="LeaseMarket_SignedRequestNotMatched",
        err_args=(MAX_UINT256, OFFER_UNKNOWN),
    )


@T.row("matchSignedRequest", "tenant_without_funds")
def _(w):
    account = _signer(w, funds=0)
    request, signature = _signed(w, account)
    return _match_signed(
        w, request, signature, error="ERC20InsufficientBalance", err_args=(account.address, 0, LEASE_DEPOSIT)
    )


@T.row("matchSignedRequest", "zero_units")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account, units=0)
    return _match_signed(w, request, signature, error="LeaseMarket_InvalidUnits", err_args=(0, 1024))


@T.row("matchSignedRequest", "paused")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account)
    w.config.pause({"from": w.governance})
    return _match_signed(w, request, signature, error="Leasehold_Paused")


@T.row("cancelSignedRequest", "twice")
def _(w):
    account = _signer(w, funds=0)
    w.market.cancelSignedRequest(MAX_UINT256, {"from": account})
    return _call(
        w,
        "cancelSignedRequest",
        MAX_UINT256,
        sender=account,
        error="SignedRequests_NonceCancelled",
        err_args=(account.address, MAX_UINT256),
    )


@T.row("cancelSignedRequest", "used")
def _(w):
    account = _signer(w)
    request, signature = _signed(w, account, nonce=0)
    w.market.matchSignedRequest(request, NO_PERMIT, signature, w.offer, {"from": w.matcher})
    return _call(
        w, "cancelSignedRequest", 0, sender=account, error="SignedRequests_NonceUsed", err_args=(account.address, 0)
    )


@T.row("cancelSignedRequest", "max_nonce_allowed")
def _(w):
    account = _signer(w, funds=0)

    def check(tx):
        assert w.market.nonceStatus(account, MAX_UINT256) == NONCE_CANCELLED

    return _call(w, "cancelSignedRequest", MAX_UINT256, sender=account, check=check)


ROWS = T.rows


claim_credit_row(T)
sweep_fees_row(T)


@pytest.mark.parametrize("row", T.params())
def test_hostile_call_is_refused_and_changes_nothing(anvil, world, row):
    run_row(anvil, world, row)
