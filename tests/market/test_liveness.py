"""challengeLiveness, respondLiveness, resolveLiveness: bond, spacing, answer, termination and slash."""

from brownie import web3

from keepers import liveness

from helpers import BPS, ZERO_ADDRESS, event_args, liveness_answer, respond_liveness, reverts_with, reverts_with_args
from market.support import (
    ACTIVE,
    BALANCE,
    COLLATERAL_PER_UNIT,
    DURATION,
    EXPIRED,
    LIVENESS_ANSWERED,
    LIVENESS_BOND,
    LIVENESS_FAILURE,
    LIVENESS_SPACING,
    LIVENESS_WINDOW,
    SETTLE_BOUNTY,
    TERMINATED,
    UNITS,
    fee_of,
    order,
    sleep_to,
    streamed,
)

COLLATERAL = UNITS * COLLATERAL_PER_UNIT
SLASH = COLLATERAL * 1000 // BPS


def _challenge(market, lease_id, who, after=LIVENESS_SPACING):
    sleep_to(order(market, lease_id)["startTime"] + after)
    return market.challengeLiveness(lease_id, {"from": who})


def test_when_challenged_then_bond_pulled_and_event(market, token, stranger, lease_id):
    before = token.balanceOf(stranger)
    tx = _challenge(market, lease_id, stranger)
    record = order(market, lease_id)
    assert record["challenger"] == stranger and record["challengedAt"] == tx.timestamp
    assert record["challengeBond"] == LIVENESS_BOND
    assert token.balanceOf(stranger) == before - LIVENESS_BOND
    seed = event_args(tx, "LivenessChallenged")["seed"]
    assert event_args(tx, "LivenessChallenged") == {
        "leaseId": lease_id,
        "challenger": stranger,
        "bond": LIVENESS_BOND,
        "deadline": tx.timestamp + LIVENESS_WINDOW,
        "seed": seed,
    }
    # The seed is the one kept for the answer, and it is not the zero an unseeded answer would use.
    assert bytes(seed) == market_seed(market, lease_id) != bytes(32)


def test_revert_when_challenged_before_spacing_from_start(market, stranger, lease_id):
    start = order(market, lease_id)["startTime"]
    sleep_to(start + LIVENESS_SPACING - 2)
    with reverts_with("LeaseMarket_ChallengeTooSoon"):
        market.challengeLiveness(lease_id, {"from": stranger})


def test_revert_when_challenge_already_open(market, stranger, tenant, lease_id):
    tx = _challenge(market, lease_id, stranger)
    with reverts_with_args("LeaseMarket_ChallengeOpen", lease_id, stranger, tx.timestamp):
        market.challengeLiveness(lease_id, {"from": tenant})


def test_revert_when_challenging_expired_lease(market, stranger, lease_id):
    sleep_to(order(market, lease_id)["startTime"] + DURATION)
    with reverts_with_args("LeaseMarket_LeaseNotActive", lease_id, EXPIRED):
        market.challengeLiveness(lease_id, {"from": stranger})


def test_when_provider_answers_then_bond_to_provider_and_outcome(market, registry, token, provider, stranger, lease_id):
    challenge = _challenge(market, lease_id, stranger)
    before = token.balanceOf(provider)
    sleep_to(challenge.timestamp + LIVENESS_WINDOW - 1)
    tx = respond_liveness(market, lease_id, provider)
    assert tx.timestamp == challenge.timestamp + LIVENESS_WINDOW
    assert token.balanceOf(provider) == before + LIVENESS_BOND
    assert order(market, lease_id)["challenger"] == ZERO_ADDRESS
    assert registry.provider(provider)["livenessAnswered"] == 1
    assert event_args(tx, "LivenessAnswered") == {
        "leaseId": lease_id,
        "provider": provider,
        "bondTo": provider,
        "bond": LIVENESS_BOND,
    }
    assert tx.events["OutcomeRecorded"][0]["outcome"] == LIVENESS_ANSWERED
    # Accrual held back during the challenge is released once answered.
    assert market.accruedOf(lease_id) == streamed(tx.timestamp - order(market, lease_id)["startTime"])


def test_when_the_tenant_challenges_its_own_lease_then_the_answer_returns_its_bond(
    market, registry, token, provider, tenant, lease_id
):
    """Issue 12, the timesharer: a tenant's check of its own lease is part of the service the lease
    pays for, so an answer pays the provider nothing beyond the lease; were the tenant's bond the
    provider's, a provider that serves nobody would be paid for the check that caught it."""
    token.approve(market, 2**256 - 1, {"from": tenant})
    tenant_before, provider_before = token.balanceOf(tenant), token.balanceOf(provider)
    _challenge(market, lease_id, tenant)
    assert token.balanceOf(tenant) == tenant_before - LIVENESS_BOND

    tx = respond_liveness(market, lease_id, provider)

    assert event_args(tx, "LivenessAnswered") == {
        "leaseId": lease_id,
        "provider": provider,
        "bondTo": tenant,
        "bond": LIVENESS_BOND,
    }
    assert (token.balanceOf(tenant), token.balanceOf(provider)) == (tenant_before, provider_before)
    # Still an answered challenge for the provider's record, and the held-back accrual is released.
    assert registry.provider(provider)["livenessAnswered"] == 1
    assert market.accruedOf(lease_id) == streamed(tx.timestamp - order(market, lease_id)["startTime"])


def test_when_answered_then_next_challenge_waits_spacing(market, provider, stranger, lease_id):
    challenge = _challenge(market, lease_id, stranger)
    respond_liveness(market, lease_id, provider)
    sleep_to(challenge.timestamp + LIVENESS_SPACING - 2)
    with reverts_with_args(
        "LeaseMarket_ChallengeTooSoon",
        lease_id,
        challenge.timestamp + LIVENESS_SPACING,
        challenge.timestamp + LIVENESS_SPACING - 1,
    ):
        market.challengeLiveness(lease_id, {"from": stranger})
    sleep_to(challenge.timestamp + LIVENESS_SPACING - 1)
    market.challengeLiveness(lease_id, {"from": stranger})


def test_when_a_second_challenge_follows_an_answered_one_then_the_views_show_only_the_open_one(
    market, token, provider, stranger, funded, lease_id
):
    """An answered challenge's challenger and bond stay in storage until the next challenge
    overwrites them; the views must show them only while a challenge is open."""
    first = _challenge(market, lease_id, stranger)
    respond_liveness(market, lease_id, provider)
    answered = order(market, lease_id)
    assert (answered["challenger"], answered["challengeBond"], answered["challengedAt"]) == (
        ZERO_ADDRESS,
        0,
        first.timestamp,
    )
    token.approve(market, 2**256 - 1, {"from": funded})
    sleep_to(first.timestamp + LIVENESS_SPACING - 1)
    second = market.challengeLiveness(lease_id, {"from": funded})
    open_ = order(market, lease_id)
    assert (open_["challenger"], open_["challengeBond"], open_["challengedAt"]) == (
        funded,
        LIVENESS_BOND,
        second.timestamp,
    )
    assert market.accruedOf(lease_id) == streamed(second.timestamp - open_["startTime"])
    before = token.balanceOf(provider), token.balanceOf(funded)
    tx = respond_liveness(market, lease_id, provider)
    # The second challenger is the tenant (`funded`): its bond comes back to it.
    assert event_args(tx, "LivenessAnswered")["bond"] == LIVENESS_BOND
    assert event_args(tx, "LivenessAnswered")["bondTo"] == funded
    assert (token.balanceOf(provider), token.balanceOf(funded)) == (before[0], before[1] + LIVENESS_BOND)
    assert order(market, lease_id)["challenger"] == ZERO_ADDRESS
    with reverts_with_args("LeaseMarket_NoOpenChallenge", lease_id):
        respond_liveness(market, lease_id, provider)


def test_revert_when_answer_after_window(market, provider, stranger, lease_id):
    challenge = _challenge(market, lease_id, stranger)
    sleep_to(challenge.timestamp + LIVENESS_WINDOW)
    with reverts_with("LeaseMarket_ChallengeWindowClosed"):
        respond_liveness(market, lease_id, provider)


def test_revert_when_answer_by_non_provider(market, stranger, lease_id):
    _challenge(market, lease_id, stranger)
    with reverts_with_args("LeaseMarket_CallerNotProvider", lease_id, stranger):
        respond_liveness(market, lease_id, stranger)


def test_revert_when_answer_without_challenge(market, provider, lease_id):
    with reverts_with_args("LeaseMarket_NoOpenChallenge", lease_id):
        respond_liveness(market, lease_id, provider)


def test_when_unanswered_then_resolve_terminates_and_slashes(
    matcher, market, registry, token, provider, tenant, treasury, stranger, accounts, lease_id
):
    resolver = accounts[8]
    start = order(market, lease_id)["startTime"]
    challenge = _challenge(market, lease_id, stranger, after=LIVENESS_SPACING + 77)
    sleep_to(challenge.timestamp + LIVENESS_WINDOW - 1)
    with reverts_with("LeaseMarket_ChallengeWindowOpen"):
        market.resolveLiveness(lease_id, {"from": resolver})
    sleep_to(challenge.timestamp + LIVENESS_WINDOW)
    before = [token.balanceOf(a) for a in (provider, tenant, treasury, stranger, resolver)]
    stake_before = registry.totalStake()
    tx = market.resolveLiveness(lease_id, {"from": resolver})
    gross = streamed(challenge.timestamp - start)
    refund = BALANCE - gross
    slashed = event_args(tx, "ProviderSlashed")
    assert slashed["slashed"] == SLASH
    assert slashed["toWhistleblower"] + slashed["toTenant"] + slashed["toTreasury"] == SLASH
    after = [token.balanceOf(a) for a in (provider, tenant, treasury, stranger, resolver)]
    assert after[0] - before[0] == gross - fee_of(gross)
    assert after[1] - before[1] == refund + slashed["toTenant"]
    # The registry pays the treasury its share of the slash; the fee accrues in the market.
    assert after[2] - before[2] == slashed["toTreasury"]
    assert market.accruedFees() == fee_of(gross)
    assert after[3] - before[3] == LIVENESS_BOND + slashed["toWhistleblower"]
    assert after[4] - before[4] == SETTLE_BOUNTY
    assert registry.totalStake() == stake_before - SLASH
    assert registry.provider(provider)[2] == 0  # lockedStake released
    assert market.statusOf(lease_id) == TERMINATED
    assert order(market, lease_id)["stopTime"] == challenge.timestamp
    assert event_args(tx, "LivenessResolved") == {
        "leaseId": lease_id,
        "challenger": stranger,
        "slashed": SLASH,
        "bondReturned": LIVENESS_BOND,
    }
    closed = event_args(tx, "LeaseClosed")
    assert (
        closed["reason"] == LIVENESS_FAILURE and closed["bountyRecipient"] == resolver and closed["refunded"] == refund
    )
    assert token.balanceOf(market) == market.accruedFees() + market.creditOf(matcher)  # match fees: credited
    with reverts_with_args("LeaseMarket_LeaseSettled", lease_id, TERMINATED):
        market.closeLease(lease_id, {"from": tenant})
    with reverts_with_args("LeaseMarket_NoOpenChallenge", lease_id):
        market.resolveLiveness(lease_id, {"from": resolver})


def test_when_provider_challenges_itself_then_reward_goes_to_treasury(market, token, provider, lease_id):
    token.approve(market, 2**256 - 1, {"from": provider})
    token.mint(provider, LIVENESS_BOND, {"from": provider})
    challenge = _challenge(market, lease_id, provider)
    sleep_to(challenge.timestamp + LIVENESS_WINDOW + 1)
    tx = market.resolveLiveness(lease_id, {"from": provider})
    slashed = event_args(tx, "ProviderSlashed")
    assert slashed["toWhistleblower"] == 0
    assert slashed["toTreasury"] + slashed["toTenant"] == SLASH


def test_when_paused_then_liveness_moves_work(market, config, governance, provider, stranger, lease_id):
    config.pause({"from": governance})
    _challenge(market, lease_id, stranger)
    respond_liveness(market, lease_id, provider)
    assert market.statusOf(lease_id) == ACTIVE


def test_when_window_changes_mid_challenge_then_deadline_holds(
    market, config, governance, provider, stranger, accounts, lease_id
):
    """Property 12: the answer deadline is fixed when the challenge opens; governance shortening
    or lengthening the window afterwards moves neither the answer's nor the resolution's."""
    challenge = _challenge(market, lease_id, stranger)
    deadline = challenge.timestamp + LIVENESS_WINDOW
    assert event_args(challenge, "LivenessChallenged")["deadline"] == deadline
    params = list(config.params())
    params[8] = 60  # livenessWindowSeconds: 10 minutes down to 1
    config.setParams(params, {"from": governance})
    sleep_to(challenge.timestamp + 120)
    # Past the new window, still within the one the challenge opened with.
    with reverts_with_args("LeaseMarket_ChallengeWindowOpen", lease_id, deadline, challenge.timestamp + 121):
        market.resolveLiveness(lease_id, {"from": accounts[8]})
    params[8] = 3600  # and up to an hour: the answer's deadline does not move either
    config.setParams(params, {"from": governance})
    sleep_to(deadline)
    with reverts_with_args("LeaseMarket_ChallengeWindowClosed", lease_id, deadline, deadline + 1):
        respond_liveness(market, lease_id, provider)
    tx = market.resolveLiveness(lease_id, {"from": accounts[8]})
    assert market.statusOf(lease_id) == TERMINATED
    assert event_args(tx, "LivenessResolved")["challenger"] == stranger


def test_when_window_shortened_mid_challenge_then_answer_by_old_deadline_counts(
    market, config, governance, provider, stranger, lease_id
):
    challenge = _challenge(market, lease_id, stranger)
    params = list(config.params())
    params[8] = 60
    config.setParams(params, {"from": governance})
    sleep_to(challenge.timestamp + LIVENESS_WINDOW - 1)
    tx = respond_liveness(market, lease_id, provider)
    assert tx.timestamp == challenge.timestamp + LIVENESS_WINDOW  # the last second of the old window
    assert event_args(tx, "LivenessAnswered")["bond"] == LIVENESS_BOND
    assert market.statusOf(lease_id) == ACTIVE


# --- the capacity proof (docs/leases.md, "Liveness: a capacity proof") -------------------------


def market_seed(market, lease_id):
    return bytes(web3.eth.get_storage_at(market.address, liveness.seed_slot(lease_id)))


def _answer_then_challenge_again(market, provider, stranger, lease_id, first):
    """The open challenge (`first`) answered, the spacing waited out, a second challenge opened."""
    respond_liveness(market, lease_id, provider)
    sleep_to(first.timestamp + LIVENESS_SPACING)
    market.challengeLiveness(lease_id, {"from": stranger})


def test_when_challenged_twice_then_each_challenge_has_its_own_seed(market, provider, stranger, lease_id):
    first = _challenge(market, lease_id, stranger)
    first_seed = market_seed(market, lease_id)
    _answer_then_challenge_again(market, provider, stranger, lease_id, first)
    assert market_seed(market, lease_id) not in (first_seed, bytes(32))


def test_revert_when_answered_without_the_work(market, provider, stranger, lease_id):
    """A bot that keeps the key but not the GPU: a root over leaves it never computed fails the first spot."""
    _challenge(market, lease_id, stranger)
    answer = liveness_answer(market, lease_id, share=0)
    with reverts_with_args("LeaseMarket_LivenessProofInvalid", lease_id, 0, answer.indices[0]):
        market.respondLiveness(lease_id, answer.answer, {"from": provider})
    assert order(market, lease_id)["challenger"] == stranger  # still open


def test_revert_when_answered_with_half_the_work(market, provider, stranger, lease_id):
    """Half the leaves computed: a drawn leaf outside them fails (8 spots pass together with 1/256)."""
    _challenge(market, lease_id, stranger)
    answer = liveness_answer(market, lease_id, share=0.5)
    seed = market_seed(market, lease_id)
    failing = next(spot for spot, i in enumerate(answer.indices) if i >= liveness.leaf_count(UNITS) // 2)
    assert not liveness.passes(seed, UNITS, answer)
    with reverts_with_args("LeaseMarket_LivenessProofInvalid", lease_id, failing, answer.indices[failing]):
        market.respondLiveness(lease_id, answer.answer, {"from": provider})


def test_revert_when_answered_with_the_proof_of_another_challenge(market, provider, stranger, lease_id):
    """A proof computed for a previous seed (or another lease's) answers nothing: the leaves differ."""
    first = _challenge(market, lease_id, stranger)
    stale = liveness_answer(market, lease_id)
    _answer_then_challenge_again(market, provider, stranger, lease_id, first)
    drawn = liveness.spot_indices(market_seed(market, lease_id), stale.root, UNITS)
    with reverts_with_args("LeaseMarket_LivenessProofInvalid", lease_id, 0, drawn[0]):
        market.respondLiveness(lease_id, stale.answer, {"from": provider})


def test_revert_when_answered_with_a_proof_sized_for_other_units(market, provider, stranger, lease_id):
    _challenge(market, lease_id, stranger)
    small = liveness_answer(market, lease_id, units=1)
    expected = 32 + 32 * liveness.depth(UNITS) * liveness.LIVENESS_SPOT_CHECKS
    with reverts_with_args("LeaseMarket_LivenessProofLength", lease_id, len(small.answer), expected):
        market.respondLiveness(lease_id, small.answer, {"from": provider})


def test_when_a_proof_is_refused_then_the_unanswered_challenge_is_resolved_and_slashed(
    market, registry, provider, stranger, accounts, lease_id
):
    challenge = _challenge(market, lease_id, stranger)
    answer = liveness_answer(market, lease_id, share=0)
    with reverts_with("LeaseMarket_LivenessProofInvalid"):
        market.respondLiveness(lease_id, answer.answer, {"from": provider})
    sleep_to(challenge.timestamp + LIVENESS_WINDOW + 1)
    tx = market.resolveLiveness(lease_id, {"from": accounts[8]})
    assert event_args(tx, "LivenessResolved")["slashed"] == SLASH
    assert market.statusOf(lease_id) == TERMINATED
    assert registry.provider(provider)["livenessMissed"] == 1
