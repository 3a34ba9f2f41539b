// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IPayoutCredits } from "./IPayoutCredits.sol";

/// @title IMatcherBonds
/// @notice Accountable matching (docs/matching-accountability.md). Anyone who bonds at least
/// `minBond` payment tokens may match; the lease market records the matcher's id with each lease.
/// For `challengeWindowSeconds` after a match, anyone may challenge it by naming an offer that
/// could have taken the request, strictly cheaper, and was provably as free at the match as it is
/// now and for `graceSeconds` before it; a won challenge pays the tenant what it overpays, the
/// challenger a reward and the treasury the steered lease's whole value, all from the matcher's
/// bond. A bond unbonds only after `unbondingDelaySeconds`, longer than the window, and stays
/// slashable meanwhile.
interface IMatcherBonds is IPayoutCredits {
    /// @notice A matcher's bond. `unbonding` is part of `amount`, still slashable, and may be
    /// withdrawn from `unbondingReadyAt` on; `id` is what the lease market records with a match.
    struct Bond {
        uint128 amount;
        uint128 unbonding;
        uint40 unbondingReadyAt;
        uint40 id;
    }

    /// @notice The governed parameters of matching accountability, each within its bounds.
    struct Params {
        uint128 minBond; // an account matches while its bond less what unbonds is at least this
        uint128 challengerReward; // paid to a winning challenger from the matcher's bond
        uint40 challengeWindowSeconds; // a match may be challenged this long after it
        uint40 unbondingDelaySeconds; // > challengeWindowSeconds: a bond cannot run from a challenge
        uint40 graceSeconds; // a cheaper offer proves a match dominated only if unchanged this long before it
    }

    /// @notice Emitted when `matcher` adds `amount` to its bond (`total` after).
    event Bonded(address indexed matcher, uint40 indexed id, uint128 amount, uint128 total);

    /// @notice Emitted when `matcher` starts unbonding; `unbonding` may be withdrawn from `readyAt`.
    event UnbondRequested(address indexed matcher, uint128 unbonding, uint40 readyAt);

    /// @notice Emitted when `matcher` withdraws `amount` of unbonded bond.
    event Unbonded(address indexed matcher, uint128 amount);

    /// @notice Emitted when governance sets the parameters.
    event ParamsSet(Params params);

    /// @notice Emitted once, when governance names the lease market whose matches are challenged.
    event LeaseMarketSet(address leaseMarket);

    /// @notice Emitted when a challenge of lease `leaseId`'s match wins: `offerId` was strictly
    /// better; the tenant got `toTenant`, the challenger `toChallenger` and the treasury
    /// `toTreasury` (the steered lease's value) from `matcher`'s bond.
    event MatchChallenged(
        uint256 indexed leaseId,
        address indexed matcher,
        address indexed challenger,
        uint256 offerId,
        uint128 toTenant,
        uint128 toChallenger,
        uint128 toTreasury
    );

    /// @notice Highest challenge window governance may set.
    function MAX_CHALLENGE_WINDOW_SECONDS() external view returns (uint40);

    /// @notice Highest unbonding delay governance may set.
    function MAX_UNBONDING_DELAY_SECONDS() external view returns (uint40);

    /// @notice Highest grace governance may set.
    function MAX_GRACE_SECONDS() external view returns (uint40);

    /// @notice Highest minimum bond governance may set.
    function MAX_MIN_BOND() external view returns (uint128);

    /// @notice The current parameters.
    function params() external view returns (Params memory);

    /// @notice The lease market whose matches are challenged (zero until governance sets it).
    function leaseMarket() external view returns (address);

    /// @notice `matcher`'s bond (all zero for an account that never bonded).
    function bondOf(address matcher) external view returns (Bond memory);

    /// @notice The account that bonded under `id` (zero for an unused id).
    function matcherOf(uint40 id) external view returns (address);

    /// @notice Whether `account` may match now: its bond less what unbonds is at least `minBond`.
    function isMatcher(address account) external view returns (bool);

    /// @notice The id the lease market records with `account`'s matches; reverts with
    /// `MatcherBonds_NotBonded` when `account` may not match.
    function matcherIdOf(address account) external view returns (uint40);

    /// @notice What the lease market needs to let `account` match: its matcher id, its exposure
    /// cap (half its active bond: the value it may match within one exposure window) and the
    /// window's length (`challengeWindowSeconds`). The market keeps the exposure
    /// (`ILeaseMarket.exposureOf`). Reverts with `MatcherBonds_NotBonded` when `account` may not match.
    function matchTermsOf(address account) external view returns (uint40 id, uint256 exposureCap, uint40 windowSeconds);

    /// @notice Whether lease `leaseId`'s match was challenged successfully.
    function challenged(uint256 leaseId) external view returns (bool);

    /// @notice Adds `amount` payment tokens to the caller's bond (the first bond assigns its id).
    function bond(uint128 amount) external;

    /// @notice Adds `amount` payment tokens, pulled from the caller, to `matcher`'s bond (an operator
    /// funding its keeper's key); only `matcher` may unbond it.
    function bondFor(address matcher, uint128 amount) external;

    /// @notice Starts unbonding `amount` more of the caller's bond; the delay restarts for the whole
    /// unbonding amount, which stays slashable until withdrawn. Refused while what stays active
    /// would be less than twice the exposure of the open window (`MatcherBonds_ExposureOpen`).
    function requestUnbond(uint128 amount) external;

    /// @notice Withdraws the caller's unbonding amount (less any slash) once the delay has passed.
    function withdrawUnbonded() external returns (uint128 amount);

    /// @notice Challenges lease `leaseId`'s match with offer `offerId`, which must meet every
    /// constraint of the request, be strictly cheaper per unit-hour, have been unchanged since
    /// `graceSeconds` before the match (and its provider's stake and region too) and have enough
    /// free units and stake now. Pays, from the matcher's bond and in this order, each capped by
    /// what is left of it: the tenant the overpayment over the lease (capped by what its balance
    /// buys), the caller `challengerReward`, and the treasury the lease's whole value at its
    /// price (price × units × duration), so that no steered lease earns its matcher anything.
    function challengeMatch(uint256 leaseId, uint256 offerId) external returns (uint128 toTenant, uint128 toChallenger);

    /// @notice Governance: sets every parameter within its bounds.
    function setParams(Params calldata newParams) external;

    /// @notice Governance: names the lease market, once.
    function setLeaseMarket(address leaseMarket_) external;
}
