"""Reputation, decayed penalty and uptime: from on-chain facts, with a 30-day half-life."""

import pytest

from helpers import DAY, USD
from registry.support import (
    DISPUTE_LOST,
    LATE_RESULT,
    LEASE_COMPLETED,
    LIVENESS,
    LIVENESS_ANSWERED,
    NONE,
    REPUTATION_TOO_LOW,
    make_terms,
    settlement,
    slash_order,
)

HALF_LIFE = 30 * DAY


def expected_decay(points, elapsed):
    """The contract's rule: halve per whole half-life, then p × (1 − f/2) within the current one."""
    halved = points >> (elapsed // HALF_LIFE)
    return halved - halved * (elapsed % HALF_LIFE) // (2 * HALF_LIFE)


def fault(registry, provider, offer_id, market_caller, reason):
    tx = registry.slash(settlement(provider, offer_id, 0, 0), slash_order(0, reason), {"from": market_caller})
    return tx


def move_time(chain, seconds):
    chain.sleep(seconds)
    chain.mine()
    return chain[-1].timestamp


@pytest.mark.parametrize("elapsed", [15 * DAY, HALF_LIFE, 45 * DAY, 3 * HALF_LIFE + 7 * DAY])
def test_when_time_passes_then_penalty_decays_by_the_half_life_rule(
    registry, staked, offer_id, market_caller, chain, elapsed
):
    tx = fault(registry, staked, offer_id, market_caller, DISPUTE_LOST)
    now = move_time(chain, elapsed)
    actual_elapsed = now - chain[tx.block_number].timestamp
    penalty = registry.decayedPenaltyOf(staked)
    assert penalty == expected_decay(3000, actual_elapsed)
    assert registry.reputationOf(staked) == 5000 - penalty


def test_when_one_half_life_passes_then_penalty_is_about_half(registry, staked, offer_id, market_caller, chain):
    fault(registry, staked, offer_id, market_caller, LIVENESS)
    assert registry.reputationOf(staked) == 4000
    move_time(chain, HALF_LIFE)
    # Exactly one half-life (plus at most a few seconds of block time): 500 points left.
    assert 499 <= registry.decayedPenaltyOf(staked) <= 500
    assert 4500 <= registry.reputationOf(staked) <= 4501


def test_when_very_long_time_passes_then_penalty_vanishes(registry, staked, offer_id, market_caller, chain):
    fault(registry, staked, offer_id, market_caller, DISPUTE_LOST)
    move_time(chain, 12 * HALF_LIFE)
    assert registry.decayedPenaltyOf(staked) == 0
    assert registry.reputationOf(staked) == 5000


def test_when_slashed_again_then_old_penalty_decays_before_adding(registry, staked, offer_id, market_caller, chain):
    first = fault(registry, staked, offer_id, market_caller, LIVENESS)
    chain.sleep(HALF_LIFE)
    second = fault(registry, staked, offer_id, market_caller, LATE_RESULT)
    elapsed = chain[second.block_number].timestamp - chain[first.block_number].timestamp
    facts = registry.provider(staked)
    assert facts["penaltyPoints"] == expected_decay(1000, elapsed) + 500
    assert facts["penaltyUpdatedAt"] == chain[second.block_number].timestamp


def test_when_penalties_exceed_score_then_reputation_is_zero(registry, staked, offer_id, market_caller):
    for _ in range(2):
        fault(registry, staked, offer_id, market_caller, DISPUTE_LOST)
    assert registry.decayedPenaltyOf(staked) == 6000
    assert registry.reputationOf(staked) == 0


def paid_release(registry, provider, offer_id, market_caller, tenant, fee):
    """One unit of offer 1 reserved and released clean, its match having paid `fee` of protocol fee."""
    registry.tryReserve(offer_id, make_terms(tenant, units=1), {"from": market_caller})
    registry.release(settlement(provider, offer_id, 1, 2_000 * USD), LEASE_COMPLETED, fee, {"from": market_caller})


def test_when_fees_pile_up_then_score_caps_at_10000(registry, staked, offer_id, market_caller, tenant):
    # 1,000 USD of protocol fees raise 5,000 to the cap; more changes nothing.
    paid_release(registry, staked, offer_id, market_caller, tenant, 600 * USD)
    assert registry.reputationOf(staked) == 8000
    paid_release(registry, staked, offer_id, market_caller, tenant, 500 * USD)
    assert registry.reputationOf(staked) == 10000


def test_when_outcomes_without_fees_pile_up_then_score_does_not_move(registry, registered, market_caller):
    # A counted outcome that paid no protocol fee (governance set it to zero) earns no points.
    for _ in range(51):
        registry.recordOutcome(registered, LEASE_COMPLETED, {"from": market_caller})
    assert registry.provider(registered)["leasesCompleted"] == 51
    assert registry.reputationOf(registered) == 5000


def test_when_capped_score_is_penalized_then_penalty_comes_off_the_cap(
    registry, staked, offer_id, market_caller, tenant
):
    paid_release(registry, staked, offer_id, market_caller, tenant, 1_200 * USD)
    fault(registry, staked, offer_id, market_caller, LATE_RESULT)
    assert registry.reputationOf(staked) == 10000 - 500


def test_when_liveness_answers_pile_up_then_uptime_counts_them_but_score_does_not(registry, staked, market_caller):
    for _ in range(60):
        registry.recordOutcome(staked, LIVENESS_ANSWERED, {"from": market_caller})
    assert registry.provider(staked)["livenessAnswered"] == 60
    assert registry.reputationOf(staked) == 5000
    assert registry.uptimeOf(staked) == 10000


def test_uptime_is_answered_over_all_challenges(registry, staked, offer_id, market_caller):
    for _ in range(3):
        registry.recordOutcome(staked, LIVENESS_ANSWERED, {"from": market_caller})
    fault(registry, staked, offer_id, market_caller, LIVENESS)
    assert registry.uptimeOf(staked) == 7500
    fault(registry, staked, offer_id, market_caller, LATE_RESULT)  # not a liveness miss
    assert registry.uptimeOf(staked) == 7500


def test_uptime_when_only_missed_is_zero(registry, staked, offer_id, market_caller):
    fault(registry, staked, offer_id, market_caller, LIVENESS)
    assert registry.uptimeOf(staked) == 0


def test_when_reputation_recovers_then_match_is_no_longer_skipped(
    registry, staked, offer_id, market_caller, tenant, chain
):
    fault(registry, staked, offer_id, market_caller, LIVENESS)
    terms = make_terms(tenant, minReputation=4500)
    assert registry.checkMatch(offer_id, terms) == REPUTATION_TOO_LOW
    move_time(chain, 2 * HALF_LIFE)  # 1000 -> 250 points: 4750
    assert registry.checkMatch(offer_id, terms) == NONE
