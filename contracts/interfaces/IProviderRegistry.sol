// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { Registry } from "../types/DataTypes.sol";
import { IPayoutCredits } from "./IPayoutCredits.sol";
import { IProtocolConfig } from "./IProtocolConfig.sol";

/// @title IProviderRegistry
/// @notice Providers register, stake and list GPU offers here. Market contracts (holders of
/// MARKET_ROLE) reserve units and collateral when they match, release them when a lease or job
/// ends clean, and slash for a recorded reason. Reputation is computed from on-chain facts only.
interface IProviderRegistry is IPayoutCredits {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    event ProviderRegistered(address indexed provider, bytes32 indexed region, string metadataURI);
    event ProviderUpdated(address indexed provider, bytes32 indexed region, string metadataURI);
    event Staked(address indexed provider, uint128 amount, uint128 freeStake);
    event UnstakeRequested(address indexed provider, uint128 amount, uint128 unbondingStake, uint40 readyAt);
    event UnstakeWithdrawn(address indexed provider, uint128 amount);
    event OfferAdded(
        uint256 indexed offerId,
        address indexed provider,
        bytes32 indexed gpuModel,
        uint32 units,
        uint128 pricePerUnitHour,
        uint40 maxDurationSeconds
    );
    event OfferUpdated(uint256 indexed offerId, uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds);
    event OfferPauseSet(uint256 indexed offerId, bool paused);
    event OfferRemoved(uint256 indexed offerId);
    event CollateralLocked(address indexed provider, uint256 indexed offerId, uint32 units, uint128 collateral);
    event CollateralReleased(address indexed provider, uint256 indexed offerId, uint32 units, uint128 collateral);
    event OutcomeRecorded(address indexed provider, Registry.Outcome outcome);
    /// @notice `fromLocked + fromFree + fromUnbonding == slashed`;
    /// `toWhistleblower + toTenant + toTreasury == slashed`.
    event ProviderSlashed(
        address indexed provider,
        Registry.SlashReason indexed reason,
        uint128 slashed,
        uint128 toWhistleblower,
        uint128 toTenant,
        uint128 toTreasury
    );

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    function config() external view returns (IProtocolConfig);
    function stakeToken() external view returns (IERC20);
    function provider(address account) external view returns (Registry.Provider memory);
    function metadataURI(address account) external view returns (string memory);
    function isRegistered(address account) external view returns (bool);
    function offer(uint256 offerId) external view returns (Registry.Offer memory);
    /// @notice Number of offers ever added; ids run from 1 to this.
    function offerCount() external view returns (uint256);
    /// @notice Σ free + locked + unbonding stake over all providers (PROTOCOL.md §7 invariant 3).
    function totalStake() external view returns (uint256);
    /// @notice 0..10000, from on-chain facts only; see docs/reputation.md.
    function reputationOf(address account) external view returns (uint16);
    /// @notice Answered liveness challenges per 10000 of all (10000 when never challenged).
    function uptimeOf(address account) external view returns (uint16);
    /// @notice Penalty points left after decay at the current time.
    function decayedPenaltyOf(address account) external view returns (uint128);
    /// @notice Whether `offerId` could serve `terms` now, and the reason when not.
    function checkMatch(uint256 offerId, Registry.MatchTerms calldata terms)
        external
        view
        returns (Registry.SkipReason reason);

    /*//////////////////////////////////////////////////////////////
                              PROVIDER CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers the caller as a provider (its own operator). Paused: refused.
    function registerProvider(bytes32 region, string calldata metadataURI_) external;
    function updateProvider(bytes32 region, string calldata metadataURI_) external;
    /// @notice Pulls `amount` stake tokens; refuses a short delivery.
    function stake(uint128 amount) external;
    /// @notice Moves free stake into unbonding; the whole unbonding amount becomes withdrawable
    /// `unbondingPeriodSeconds` after the latest request, and stays slashable until then.
    function requestUnstake(uint128 amount) external;
    function withdrawUnstaked() external returns (uint128 amount);
    function addOffer(bytes32 gpuModel, uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds)
        external
        returns (uint256 offerId);
    function updateOffer(uint256 offerId, uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds)
        external;
    function pauseOffer(uint256 offerId, bool paused) external;
    /// @notice Removes an offer for good; running leases keep their units until they end.
    function removeOffer(uint256 offerId) external;

    /*//////////////////////////////////////////////////////////////
                               MARKET CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice MARKET_ROLE: reserves `terms.units` of the offer and locks their collateral when
    /// every constraint holds. Returns the reason and changes nothing when one does not, so a
    /// batch can skip a stale pair and go on.
    function tryReserve(uint256 offerId, Registry.MatchTerms calldata terms)
        external
        returns (Registry.SkipReason reason, Registry.Reservation memory reservation);

    /// @notice MARKET_ROLE: returns the units and unlocks the collateral of a match that ended
    /// clean, and records `outcome` for reputation.
    function release(Registry.Settlement calldata settlement, Registry.Outcome outcome) external;

    /// @notice MARKET_ROLE: records a reputation outcome that settles nothing (liveness answered).
    function recordOutcome(address account, Registry.Outcome outcome) external;

    /// @notice MARKET_ROLE: ends a match with a slash. Takes the slash from this match's
    /// collateral, then free stake, then unbonding stake; releases what is left of the
    /// collateral and the units; pays the shares in stake tokens.
    function slash(Registry.Settlement calldata settlement, Registry.SlashOrder calldata order)
        external
        returns (uint128 slashed);
}
