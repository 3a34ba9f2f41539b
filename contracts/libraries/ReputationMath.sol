// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Registry } from "../types/DataTypes.sol";

/// @title ReputationMath
/// @notice The reputation formula of docs/reputation.md: a score from clean outcomes minus
/// penalty points that halve every 30 days. Constant work: no loops over leases or offers.
library ReputationMath {
    /// @notice Highest score, and the uptime of a provider never challenged.
    uint16 internal constant MAX_SCORE = 10_000;

    /// @notice Score of a registered provider with no history.
    uint256 internal constant BASE_SCORE = 5000;

    /// @notice Score added per clean outcome (a paid lease completed, a paid job finalized).
    uint256 internal constant POINTS_PER_OUTCOME = 100;

    /// @notice Least a tenant pays, fees included, for its lease or job to count toward the score:
    /// 50 USD of the 6-decimal payment token (docs/reputation.md prices the cap with it).
    uint256 internal constant MIN_PAID_OUTCOME = 50_000_000;

    /// @notice Penalty points halve every this many seconds.
    uint256 internal constant PENALTY_HALF_LIFE = 30 days;

    uint128 internal constant LIVENESS_PENALTY = 1000;
    uint128 internal constant LATE_RESULT_PENALTY = 500;
    uint128 internal constant DISPUTE_LOST_PENALTY = 3000;

    /// @notice Penalty points a slash for `reason` adds.
    function penaltyFor(Registry.SlashReason reason) internal pure returns (uint128) {
        if (reason == Registry.SlashReason.LIVENESS) return LIVENESS_PENALTY;
        if (reason == Registry.SlashReason.LATE_RESULT) return LATE_RESULT_PENALTY;
        return DISPUTE_LOST_PENALTY;
    }

    /// @notice `outcome` when the tenant paid at least MIN_PAID_OUTCOME, else NONE: a self-lease or
    /// a self-job counts only once its protocol and match fees make the point cost a third party.
    function paidOutcome(uint256 paid, Registry.Outcome outcome) internal pure returns (Registry.Outcome) {
        return paid < MIN_PAID_OUTCOME ? Registry.Outcome.NONE : outcome;
    }

    /// @notice `points` decayed over `elapsed` seconds: halved once per whole half-life, then
    /// interpolated linearly within the current half-life, `p × (1 − f/2)` for the fraction f.
    /// @dev The line lies above the curve `p × 2^−f`; the largest gap is about 0.0431 × p (at
    /// f ≈ 0.471), so a penalty never decays faster than the exact exponential.
    function decay(uint128 points, uint256 elapsed) internal pure returns (uint128) {
        uint256 halvings = elapsed / PENALTY_HALF_LIFE;
        if (halvings >= 128) return 0;
        uint256 halved = uint256(points) >> halvings;
        uint256 intoHalfLife = elapsed % PENALTY_HALF_LIFE;
        // Cannot underflow: intoHalfLife < PENALTY_HALF_LIFE, so the subtrahend is below halved / 2.
        // Cannot overflow: halved < 2^128 and intoHalfLife < 2^22.
        unchecked {
            return uint128(halved - (halved * intoHalfLife) / (2 * PENALTY_HALF_LIFE));
        }
    }

    /// @notice `min(10000, 5000 + 100 × outcomes) − decayedPenalty`, floored at 0.
    function score(uint256 cleanOutcomes, uint128 decayedPenalty) internal pure returns (uint16) {
        uint256 earned = BASE_SCORE + POINTS_PER_OUTCOME * cleanOutcomes;
        if (earned > MAX_SCORE) earned = MAX_SCORE;
        if (decayedPenalty >= earned) return 0;
        // Cannot underflow: checked just above. Fits uint16: earned ≤ MAX_SCORE.
        unchecked {
            return uint16(earned - decayedPenalty);
        }
    }

    /// @notice Answered challenges per 10000 of all challenges; MAX_SCORE when there were none.
    function uptime(uint256 answered, uint256 missed) internal pure returns (uint16) {
        uint256 all = answered + missed;
        if (all == 0) return MAX_SCORE;
        // Fits uint16: answered ≤ all, so the ratio is at most MAX_SCORE.
        return uint16((answered * MAX_SCORE) / all);
    }
}
