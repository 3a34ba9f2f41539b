// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Registry } from "../types/DataTypes.sol";

/// @title ReputationMath
/// @notice The reputation formula of docs/reputation.md: a score from the protocol fees the
/// provider's leases and jobs paid, minus penalty points that halve every 30 days. Constant work:
/// no loops over leases or offers.
library ReputationMath {
    /// @notice Highest score, and the uptime of a provider never challenged.
    uint16 internal constant MAX_SCORE = 10_000;

    /// @notice Score of a registered provider with no history.
    uint256 internal constant BASE_SCORE = 5000;

    /// @notice What `Provider.feesPaid` counts in: 0.001 USD of the 6-decimal payment token.
    uint256 internal constant FEE_UNIT = 1000;

    /// @notice Protocol fees that raise a score from BASE_SCORE to MAX_SCORE: 1,000 USD of the
    /// 6-decimal payment token, one point per 0.20 USD. A farmer renting its own offer gets its pay
    /// back but not the fee, so the cap costs it this much (docs/reputation.md).
    uint256 internal constant FEES_TO_CAP = 1_000_000_000;

    /// @notice Least a tenant pays, fees included, for its lease or job to count in
    /// `leasesCompleted` or `jobsFinalized` (facts shown beside the score, not in it): 50 USD.
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

    /// @notice `feesPaid` (in FEE_UNIT) with `fee` more (in token units) added, saturating at the
    /// largest uint32 (4.29 million USD, far past the cap), so a release never reverts on it.
    function addFees(uint32 feesPaid, uint256 fee) internal pure returns (uint32) {
        uint256 total = uint256(feesPaid) + fee / FEE_UNIT;
        return total > type(uint32).max ? type(uint32).max : uint32(total);
    }

    /// @notice `min(10000, 5000 + 5000 × fees / FEES_TO_CAP) − decayedPenalty`, floored at 0, for
    /// `feesPaid` in FEE_UNIT.
    function score(uint256 feesPaid, uint128 decayedPenalty) internal pure returns (uint16) {
        uint256 earned = BASE_SCORE + (feesPaid * FEE_UNIT * (MAX_SCORE - BASE_SCORE)) / FEES_TO_CAP;
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
