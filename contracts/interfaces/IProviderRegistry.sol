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

    /// @notice Emitted when an account registers as a provider (its own operator).
    event ProviderRegistered(address indexed provider, bytes32 indexed region, string metadataURI);

    /// @notice Emitted when a provider replaces its region and metadata URI.
    event ProviderUpdated(address indexed provider, bytes32 indexed region, string metadataURI);

    /// @notice Emitted when a provider stakes `amount`; `freeStake` is its free stake after it.
    event Staked(address indexed provider, uint128 amount, uint128 freeStake);

    /// @notice Emitted when a provider moves `amount` of free stake into unbonding; the whole
    /// `unbondingStake` becomes withdrawable at `readyAt`.
    event UnstakeRequested(address indexed provider, uint128 amount, uint128 unbondingStake, uint40 readyAt);

    /// @notice Emitted when a provider withdraws its whole unbonding stake, `amount`.
    event UnstakeWithdrawn(address indexed provider, uint128 amount);

    /// @notice Emitted when a provider lists an offer of `units` of `gpuModel`.
    event OfferAdded(
        uint256 indexed offerId,
        address indexed provider,
        bytes32 indexed gpuModel,
        uint32 units,
        uint128 pricePerUnitHour,
        uint40 maxDurationSeconds
    );

    /// @notice Emitted when a provider changes an offer's terms; running matches keep theirs.
    event OfferUpdated(uint256 indexed offerId, uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds);

    /// @notice Emitted when a provider sets the jobs an offer takes: `stepsPerSecond` (0: none) and
    /// the setup time `minResultTimeoutSeconds` it needs besides the steps.
    event OfferJobPolicySet(uint256 indexed offerId, uint32 stepsPerSecond, uint40 minResultTimeoutSeconds);

    /// @notice Emitted when a provider pauses (`paused`) or resumes an offer.
    event OfferPauseSet(uint256 indexed offerId, bool paused);

    /// @notice Emitted when a provider removes an offer for good.
    event OfferRemoved(uint256 indexed offerId);

    /// @notice Emitted when a market's match reserves `units` of the offer and locks `collateral`
    /// of the provider's free stake.
    event CollateralLocked(address indexed provider, uint256 indexed offerId, uint32 units, uint128 collateral);

    /// @notice Emitted when a match ends: its `units` return to the offer and `collateral` goes
    /// back to free stake (after a slash, what is left of the match's collateral).
    event CollateralReleased(address indexed provider, uint256 indexed offerId, uint32 units, uint128 collateral);

    /// @notice Emitted when a clean outcome (a paid lease or job, an answered challenge) is recorded for `provider`.
    event OutcomeRecorded(address indexed provider, Registry.Outcome outcome);

    /// @notice Emitted when the registry copies `market`'s standing as a settling market.
    event SettlingMarketCached(address indexed market);

    /// @notice Emitted when a provider is slashed `slashed` stake tokens, taken from the match's
    /// collateral, then free stake, then unbonding stake. `toWhistleblower + toTenant + toTreasury
    /// == slashed`; a whistleblower or tenant that is the provider itself gets nothing.
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

    /// @notice The protocol's parameters, catalogue and roles; MARKET_ROLE names the markets.
    function config() external view returns (IProtocolConfig);

    /// @notice The ERC-20 providers stake and are slashed in.
    function stakeToken() external view returns (IERC20);

    /// @notice The stored record of `account` as a provider (all zero when not registered).
    function provider(address account) external view returns (Registry.Provider memory);

    /// @notice The region `account` registered (zero when not registered): one slot of `provider`,
    /// which the lease market's views read without decoding the whole record.
    function regionOf(address account) external view returns (bytes32);

    /// @notice The metadata URI `account` registered (empty when not registered).
    function metadataURI(address account) external view returns (string memory);

    /// @notice Whether `account` is a registered provider.
    function isRegistered(address account) external view returns (bool);

    /// @notice Offer `offerId`'s provider and GPU model (zero when it does not exist): the two
    /// fields of `offer` the lease market reads, without decoding the whole offer.
    function offerOwnerOf(uint256 offerId) external view returns (address provider, bytes32 gpuModel);

    /// @notice The offer `offerId` (all zero when it does not exist).
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

    /// @notice Whether `offerId`'s job policy takes a job of `steps` steps due `resultTimeoutSeconds`
    /// after the match (JOB_TERMS_REFUSED when its setup time plus the steps at its throughput do
    /// not fit, or it takes no jobs) and its provider's free stake covers `jobCollateralBps` of the
    /// job's `price` (STAKE_INSUFFICIENT). NONE also when the offer does not exist or is paused or
    /// removed: the match's own check says so.
    function checkJobPolicy(
        uint256 offerId,
        uint32 steps,
        uint40 resultTimeoutSeconds,
        uint128 price
    ) external view returns (Registry.SkipReason);

    /// @notice Whether `offerId` could serve `terms` now, and the reason when not.
    function checkMatch(
        uint256 offerId,
        Registry.MatchTerms calldata terms
    ) external view returns (Registry.SkipReason reason);

    /*//////////////////////////////////////////////////////////////
                              PROVIDER CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers the caller as a provider (its own operator). Paused: refused.
    ///
    /// @dev Emits {ProviderRegistered}.
    function registerProvider(bytes32 region, string calldata metadataURI_) external;

    /// @notice Replaces the caller's region and metadata URI (a non-zero region, a URI of 1 to
    /// `MAX_METADATA_URI_LENGTH` bytes).
    /// @dev Emits {ProviderUpdated}.
    function updateProvider(bytes32 region, string calldata metadataURI_) external;

    /// @notice Pulls `amount` stake tokens into the caller's free stake; refuses a short delivery.
    ///
    /// @dev Emits {Staked}.
    function stake(uint128 amount) external;

    /// @notice Moves free stake into unbonding; the whole unbonding amount becomes withdrawable
    /// `unbondingPeriodSeconds` after the latest request, and stays slashable until then.
    ///
    /// @dev Emits {UnstakeRequested}.
    function requestUnstake(uint128 amount) external;

    /// @notice Pays the caller its whole unbonding stake once its period is over.
    ///
    /// @dev Emits {UnstakeWithdrawn}.
    function withdrawUnstaked() external returns (uint128 amount);

    /// @notice Lists an offer of `units` of a listed `gpuModel` at `pricePerUnitHour`, for leases
    /// up to `maxDurationSeconds`. Paused: refused.
    /// @dev Emits {OfferAdded}.
    function addOffer(
        bytes32 gpuModel,
        uint32 units,
        uint128 pricePerUnitHour,
        uint40 maxDurationSeconds
    ) external returns (uint256 offerId);

    /// @notice Replaces the terms of the caller's live offer; the units may not drop below those in
    /// use, and running matches keep the terms they were made at.
    /// @dev Emits {OfferUpdated}.
    function updateOffer(uint256 offerId, uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds) external;

    /// @notice Sets the jobs the caller's live offer takes: a job is matched to it only when its
    /// result timeout is at least `minResultTimeoutSeconds` plus its steps over `stepsPerSecond`
    /// (0 steps per second: no jobs). Running jobs keep the terms they were matched on.
    /// @dev Emits {OfferJobPolicySet}.
    function setOfferJobPolicy(uint256 offerId, uint32 stepsPerSecond, uint40 minResultTimeoutSeconds) external;

    /// @notice Pauses (no new matches) or resumes the caller's live offer.
    /// @dev Emits {OfferPauseSet}.
    function pauseOffer(uint256 offerId, bool paused) external;

    /// @notice Removes an offer for good; running leases keep their units until they end.
    ///
    /// @dev Emits {OfferRemoved}.
    function removeOffer(uint256 offerId) external;

    /*//////////////////////////////////////////////////////////////
                               MARKET CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice MARKET_ROLE: reserves `terms.units` of the offer and locks their collateral when
    /// every constraint holds. Returns the reason and changes nothing when one does not, so a
    /// batch can skip a stale pair and go on.
    function tryReserve(
        uint256 offerId,
        Registry.MatchTerms calldata terms
    ) external returns (Registry.SkipReason reason, Registry.Reservation memory reservation);

    /// @notice MARKET_ROLE: locks `amount` more of `account`'s free stake behind a match just made
    /// on `offerId` (a job's collateral above its units'); released or slashed with the match.
    function lockJobCollateral(address account, uint256 offerId, uint128 amount) external;

    /// @notice Anyone: copies `market`'s standing as a settling market (it holds or once held
    /// MARKET_ROLE, {IProtocolConfig-isSettlingMarket}) into the registry, so its settlements skip a
    /// call to the config. Settling needs no copy: without one the registry asks the config.
    /// Reverts `Leasehold_MissingRole` for an account the config does not name.
    function cacheSettlingMarket(address market) external;

    /// @notice A settling market (one that holds or once held MARKET_ROLE,
    /// {IProtocolConfig-isSettlingMarket}): returns the units and unlocks the collateral of a match
    /// that ended clean, records `outcome` and adds `protocolFee`, the protocol fee the match paid
    /// over its life, to the provider's `feesPaid`, which its reputation grows with. Revoking a
    /// market's role stops its new matches, never the settlement of those it made.
    function release(Registry.Settlement calldata settlement, Registry.Outcome outcome, uint256 protocolFee) external;

    /// @notice A settling market (see {release}): records a reputation outcome that settles nothing
    /// (liveness answered).
    function recordOutcome(address account, Registry.Outcome outcome) external;

    /// @notice A settling market (see {release}): ends a match with a slash. Takes the slash from this
    /// match's collateral, then free stake, then unbonding stake; releases what is left of the
    /// collateral and the units; pays the shares in stake tokens.
    function slash(
        Registry.Settlement calldata settlement,
        Registry.SlashOrder calldata order
    ) external returns (uint128 slashed);
}
