// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import { PayoutCredits } from "./base/PayoutCredits.sol";
import { IProtocolConfig } from "./interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "./interfaces/IProviderRegistry.sol";
import { Errors } from "./libraries/Errors.sol";
import { ReputationMath } from "./libraries/ReputationMath.sol";
import { TokenTransfers } from "./libraries/TokenTransfers.sol";
import { Config, Registry } from "./types/DataTypes.sol";

/// @title ProviderRegistry
/// @notice See the documentation in {IProviderRegistry}.
/// @dev Unbonding keeps ONE bucket per provider: every `requestUnstake` adds to it and restarts
/// its clock, so the whole bucket waits a full unbonding period after the latest request. This
/// is conservative (older requests wait longer than strictly needed) and keeps every call O(1).
contract ProviderRegistry is IProviderRegistry, PayoutCredits {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Longest metadata URI, in bytes.
    uint256 public constant MAX_METADATA_URI_LENGTH = 256;

    /// @notice Most units one offer may list.
    uint32 public constant MAX_OFFER_UNITS = 1024;

    /// @notice Longest an offer may let a lease or job run.
    uint40 public constant MAX_OFFER_DURATION_SECONDS = 365 days;

    /// @notice Longest setup time a job policy may ask for, the job market's longest result timeout.
    uint40 public constant MAX_JOB_MIN_RESULT_TIMEOUT_SECONDS = 30 days;

    uint256 private constant _BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    IProtocolConfig public immutable override config;

    /// @inheritdoc IProviderRegistry
    IERC20 public immutable override stakeToken;

    /// @dev Read once from the config, so a market call costs one external call, not two.
    bytes32 private immutable _marketRole;

    mapping(address account => Registry.Provider facts) private _providers;

    mapping(address account => string uri) private _metadataURIs;

    mapping(uint256 offerId => Registry.Offer entry) private _offers;

    /// @dev Settling markets the registry has seen the config name ({cacheSettlingMarket}): a
    /// settlement checks this slot instead of calling the config (about 3,300 gas a settlement).
    mapping(address market => bool settling) private _settlingMarkets;

    uint256 private _offerCount;

    uint256 private _totalStake;

    /*//////////////////////////////////////////////////////////////
                                MODIFIERS
    //////////////////////////////////////////////////////////////*/

    modifier onlyMarket() {
        if (!config.hasRole(_marketRole, msg.sender)) revert Errors.Leasehold_MissingRole(_marketRole, msg.sender);
        _;
    }

    /// @dev Settling needs no role that governance can revoke from a live market: a market once
    /// granted MARKET_ROLE settles what it matched for good. Only new matches need the role itself.
    modifier onlySettlingMarket() {
        if (!_settlingMarkets[msg.sender] && !config.isSettlingMarket(msg.sender)) {
            revert Errors.Leasehold_MissingRole(_marketRole, msg.sender);
        }
        _;
    }

    modifier onlyRegistered() {
        // slither-disable-next-line incorrect-equality (registeredAt is a flag too: zero means never registered)
        if (_providers[msg.sender].registeredAt == 0) revert Errors.ProviderRegistry_NotRegistered(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (config.paused()) revert Errors.Leasehold_Paused();
        _;
    }

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(IProtocolConfig config_, IERC20 stakeToken_) {
        if (address(config_) == address(0) || address(stakeToken_) == address(0)) {
            revert Errors.Leasehold_ZeroAddress();
        }
        config = config_;
        stakeToken = stakeToken_;
        _marketRole = config_.MARKET_ROLE();
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    function provider(address account) external view override returns (Registry.Provider memory) {
        return _providers[account];
    }

    /// @inheritdoc IProviderRegistry
    function offerOwnerOf(uint256 offerId) external view override returns (address provider, bytes32 gpuModel) {
        Registry.Offer storage o = _offers[offerId];
        return (o.provider, o.gpuModel);
    }

    /// @inheritdoc IProviderRegistry
    function regionOf(address account) external view override returns (bytes32) {
        return _providers[account].region;
    }

    /// @inheritdoc IProviderRegistry
    function metadataURI(address account) external view override returns (string memory) {
        return _metadataURIs[account];
    }

    /// @inheritdoc IProviderRegistry
    function isRegistered(address account) external view override returns (bool) {
        return _providers[account].registeredAt != 0;
    }

    /// @inheritdoc IProviderRegistry
    function offer(uint256 offerId) external view override returns (Registry.Offer memory) {
        return _offers[offerId];
    }

    /// @inheritdoc IProviderRegistry
    function offerCount() external view override returns (uint256) {
        return _offerCount;
    }

    /// @inheritdoc IProviderRegistry
    function totalStake() external view override returns (uint256) {
        return _totalStake;
    }

    /// @inheritdoc IProviderRegistry
    function reputationOf(address account) public view override returns (uint16) {
        Registry.Provider storage p = _providers[account];
        if (p.registeredAt == 0) return 0;
        // Only the protocol fees its leases and jobs paid count: they leave the provider's pocket
        // even when it is its own tenant. An answered liveness challenge is not counted (a second
        // account raises it for gas alone and the bond comes back); it is a fact for `uptimeOf`.
        return ReputationMath.score(p.feesPaid, _decayedPenalty(p));
    }

    /// @inheritdoc IProviderRegistry
    function uptimeOf(address account) external view override returns (uint16) {
        Registry.Provider storage p = _providers[account];
        return ReputationMath.uptime(p.livenessAnswered, p.livenessMissed);
    }

    /// @inheritdoc IProviderRegistry
    function decayedPenaltyOf(address account) external view override returns (uint128) {
        return _decayedPenalty(_providers[account]);
    }

    /// @inheritdoc IProviderRegistry
    function checkJobPolicy(
        uint256 offerId,
        uint32 steps,
        uint40 resultTimeoutSeconds,
        uint128 price
    ) external view override returns (Registry.SkipReason) {
        Registry.Offer storage o = _offers[offerId];
        // No such offer, or an inactive one: the match's own check names the reason, reading no more.
        if (o.provider == address(0) || o.paused || o.removed) return Registry.SkipReason.NONE;
        // The provider consents to the terms: its offer computes the steps, after its setup time,
        // within the result timeout (ceiling division: a started second counts).
        uint256 stepsPerSecond = o.jobStepsPerSecond;
        if (
            stepsPerSecond == 0 ||
            resultTimeoutSeconds < o.jobMinResultTimeoutSeconds + (steps + stepsPerSecond - 1) / stepsPerSecond
        ) {
            return Registry.SkipReason.JOB_TERMS_REFUSED;
        }
        // The job's collateral is at least `jobCollateralBps` of its price: the units' collateral
        // is locked by `tryReserve`, the rest by the job market (`lockJobCollateral`); both fit the
        // free stake exactly when the larger does. The job market stores it in 96 bits, the price
        // in 88.
        uint256 needed = (uint256(price) * config.jobCollateralBps()) / _BPS;
        if (needed > _providers[o.provider].freeStake || needed > type(uint96).max || price > type(uint88).max) {
            return Registry.SkipReason.STAKE_INSUFFICIENT;
        }
        return Registry.SkipReason.NONE;
    }

    /// @inheritdoc IProviderRegistry
    function checkMatch(
        uint256 offerId,
        Registry.MatchTerms calldata terms
    ) external view override returns (Registry.SkipReason reason) {
        (reason, ) = _checkMatch(offerId, terms);
    }

    /*//////////////////////////////////////////////////////////////
                              PROVIDER CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    function registerProvider(bytes32 region, string calldata metadataURI_) external override whenNotPaused {
        // Check: a new provider with a usable profile.
        if (_providers[msg.sender].registeredAt != 0) revert Errors.ProviderRegistry_AlreadyRegistered(msg.sender);
        _checkProfile(region, metadataURI_);

        // Effect: record the provider; registeredAt also starts the penalty clock.
        Registry.Provider storage p = _providers[msg.sender];
        p.region = region;
        p.registeredAt = uint32(block.timestamp);
        p.penaltyUpdatedAt = uint40(block.timestamp);
        _metadataURIs[msg.sender] = metadataURI_;
        emit ProviderRegistered(msg.sender, region, metadataURI_);
    }

    /// @inheritdoc IProviderRegistry
    function updateProvider(bytes32 region, string calldata metadataURI_) external override onlyRegistered {
        // Check: a usable profile.
        _checkProfile(region, metadataURI_);

        // Check: the region is a term of every running match (a match challenge reads it), so it
        // stays while any stake is locked.
        Registry.Provider storage p = _providers[msg.sender];
        if (region != p.region) {
            if (p.lockedStake != 0) revert Errors.ProviderRegistry_RegionLocked(msg.sender, p.lockedStake);
            // Effect: a new region may make the provider match requests it did not.
            p.raisedAt = uint32(block.timestamp);
        }

        // Effect: replace it.
        p.region = region;
        _metadataURIs[msg.sender] = metadataURI_;
        emit ProviderUpdated(msg.sender, region, metadataURI_);
    }

    /// @inheritdoc IProviderRegistry
    function stake(uint128 amount) external override nonReentrant onlyRegistered {
        // Check: a positive amount that keeps the provider's whole stake within uint96 (the unbonding
        // bucket's width), so moving stake between its buckets can never overflow.
        if (amount == 0) revert Errors.ProviderRegistry_ZeroAmount();
        Registry.Provider storage p = _providers[msg.sender];
        uint256 newProviderStake = uint256(p.freeStake) + p.lockedStake + p.unbondingStake + amount;
        if (newProviderStake > type(uint96).max) revert Errors.ProviderRegistry_StakeOverflow(newProviderStake);

        // Effect: credit free stake.
        // Cannot overflow: the provider's whole stake, free stake included, fits uint128 (checked).
        unchecked {
            p.freeStake += amount;
        }
        p.raisedAt = uint32(block.timestamp);
        _totalStake += amount;
        emit Staked(msg.sender, amount, p.freeStake);

        // Interaction: pull exactly `amount`; a short delivery reverts everything above.
        TokenTransfers.pullExact(stakeToken, amount);
    }

    /// @inheritdoc IProviderRegistry
    function requestUnstake(uint128 amount) external override onlyRegistered {
        // Check: a positive amount of free stake.
        if (amount == 0) revert Errors.ProviderRegistry_ZeroAmount();
        Registry.Provider storage p = _providers[msg.sender];
        if (amount > p.freeStake) revert Errors.ProviderRegistry_InsufficientFreeStake(amount, p.freeStake);

        // Effect: move it into the one unbonding bucket and restart the bucket's clock.
        // Cannot underflow: amount ≤ freeStake (checked). Cannot overflow or truncate: free +
        // unbonding is part of the provider's whole stake, which stake() keeps within uint96.
        unchecked {
            p.freeStake -= amount;
            p.unbondingStake += uint96(amount);
        }
        uint40 readyAt = uint40(block.timestamp) + config.params().unbondingPeriodSeconds;
        // Fits uint32 until 2106: timestamps are stored in 32 bits beside the reputation count.
        p.unbondingReadyAt = uint32(readyAt);
        emit UnstakeRequested(msg.sender, amount, p.unbondingStake, readyAt);
    }

    /// @inheritdoc IProviderRegistry
    function withdrawUnstaked() external override nonReentrant returns (uint128 amount) {
        // Check: something unbonding whose period has passed.
        Registry.Provider storage p = _providers[msg.sender];
        amount = p.unbondingStake;
        if (amount == 0) revert Errors.ProviderRegistry_NothingUnbonding(msg.sender);
        if (block.timestamp < p.unbondingReadyAt) {
            revert Errors.ProviderRegistry_UnbondingNotReady(p.unbondingReadyAt, uint40(block.timestamp));
        }

        // Effect: empty the bucket before paying.
        p.unbondingStake = 0;
        p.unbondingReadyAt = 0;
        _totalStake -= amount;
        emit UnstakeWithdrawn(msg.sender, amount);

        // Interaction: pay the provider.
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProviderRegistry
    function addOffer(
        bytes32 gpuModel,
        uint32 units,
        uint128 pricePerUnitHour,
        uint40 maxDurationSeconds
    ) external override whenNotPaused onlyRegistered returns (uint256 offerId) {
        // Check: a listed model and sane terms.
        if (!config.gpuModel(gpuModel).listed) revert Errors.ProviderRegistry_GpuModelNotListed(gpuModel);
        _checkOfferTerms(units, pricePerUnitHour, maxDurationSeconds);

        // Effect: store the offer under the next id (ids start at 1, so 0 is never an offer).
        offerId = ++_offerCount;
        _offers[offerId] = Registry.Offer({
            provider: msg.sender,
            // Cannot truncate: units ≤ MAX_OFFER_UNITS (checked), which fits uint16.
            units: uint16(units),
            unitsInUse: 0,
            paused: false,
            removed: false,
            changedAt: uint40(block.timestamp),
            gpuModel: gpuModel,
            pricePerUnitHour: pricePerUnitHour,
            maxDurationSeconds: maxDurationSeconds,
            // No jobs until the provider sets the jobs it takes (`setOfferJobPolicy`).
            jobStepsPerSecond: 0,
            jobMinResultTimeoutSeconds: 0
        });
        emit OfferAdded(offerId, msg.sender, gpuModel, units, pricePerUnitHour, maxDurationSeconds);
    }

    /// @inheritdoc IProviderRegistry
    function updateOffer(
        uint256 offerId,
        uint32 units,
        uint128 pricePerUnitHour,
        uint40 maxDurationSeconds
    ) external override {
        // Check: the caller's live offer, new terms that keep the units already leased.
        Registry.Offer storage o = _ownLiveOffer(offerId);
        _checkOfferTerms(units, pricePerUnitHour, maxDurationSeconds);
        if (units < o.unitsInUse) revert Errors.ProviderRegistry_UnitsBelowInUse(units, o.unitsInUse);

        // Effect: replace the terms; running leases keep the terms they were matched at.
        // Cannot truncate: units ≤ MAX_OFFER_UNITS (checked), which fits uint16.
        o.units = uint16(units);
        o.changedAt = uint40(block.timestamp);
        o.pricePerUnitHour = pricePerUnitHour;
        o.maxDurationSeconds = maxDurationSeconds;
        emit OfferUpdated(offerId, units, pricePerUnitHour, maxDurationSeconds);
    }

    /// @inheritdoc IProviderRegistry
    function setOfferJobPolicy(
        uint256 offerId,
        uint32 stepsPerSecond,
        uint40 minResultTimeoutSeconds
    ) external override {
        // Check: the caller's live offer, a timeout no job could ever meet refused.
        Registry.Offer storage o = _ownLiveOffer(offerId);
        if (minResultTimeoutSeconds > MAX_JOB_MIN_RESULT_TIMEOUT_SECONDS) {
            revert Errors.ProviderRegistry_InvalidJobPolicy(
                minResultTimeoutSeconds,
                MAX_JOB_MIN_RESULT_TIMEOUT_SECONDS
            );
        }

        // Effect: only future matches read it; running jobs keep the terms they were matched on.
        // A policy may accept more jobs than before: stamped like any change that could make the
        // offer more available, so a match challenge cannot read it back into the past.
        o.jobStepsPerSecond = stepsPerSecond;
        o.jobMinResultTimeoutSeconds = minResultTimeoutSeconds;
        o.changedAt = uint40(block.timestamp);
        emit OfferJobPolicySet(offerId, stepsPerSecond, minResultTimeoutSeconds);
    }

    /// @inheritdoc IProviderRegistry
    function pauseOffer(uint256 offerId, bool paused) external override {
        // Check: the caller's live offer, and a real change.
        Registry.Offer storage o = _ownLiveOffer(offerId);
        if (o.paused == paused) revert Errors.ProviderRegistry_OfferPausedAlready(offerId, paused);

        // Effect: flip the flag; an unpaused offer is available again.
        o.paused = paused;
        if (!paused) o.changedAt = uint40(block.timestamp);
        emit OfferPauseSet(offerId, paused);
    }

    /// @inheritdoc IProviderRegistry
    function removeOffer(uint256 offerId) external override {
        // Check: the caller's live offer.
        Registry.Offer storage o = _ownLiveOffer(offerId);

        // Effect: terminal flag.
        o.removed = true;
        emit OfferRemoved(offerId);
    }

    /*//////////////////////////////////////////////////////////////
                               MARKET CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProviderRegistry
    function cacheSettlingMarket(address market) external override {
        // Check: the config's set of settling markets only grows, so a copy of one entry never goes stale.
        if (!config.isSettlingMarket(market)) revert Errors.Leasehold_MissingRole(_marketRole, market);
        // Effect.
        _settlingMarkets[market] = true;
        emit SettlingMarketCached(market);
    }

    /// @inheritdoc IProviderRegistry
    function tryReserve(
        uint256 offerId,
        Registry.MatchTerms calldata terms
    ) external override onlyMarket returns (Registry.SkipReason reason, Registry.Reservation memory reservation) {
        // Check: every constraint of the match; a failing one changes nothing.
        uint128 collateral;
        (reason, collateral) = _checkMatch(offerId, terms);
        if (reason != Registry.SkipReason.NONE) return (reason, reservation);

        // Effect: take the units and lock the collateral.
        Registry.Offer storage o = _offers[offerId];
        Registry.Provider storage p = _providers[o.provider];
        // Cannot overflow: _checkMatch saw unitsInUse + units ≤ units. Cannot underflow: it saw
        // collateral ≤ freeStake; free + locked stays within the provider's uint128 stake.
        unchecked {
            // Cannot truncate: the sum is at most the offer's uint16 units (checked by _checkMatch).
            o.unitsInUse += uint16(terms.units);
            p.freeStake -= collateral;
            p.lockedStake += collateral;
        }
        emit CollateralLocked(o.provider, offerId, terms.units, collateral);

        reservation = Registry.Reservation({
            provider: o.provider,
            pricePerUnitHour: o.pricePerUnitHour,
            collateral: collateral
        });
    }

    /// @inheritdoc IProviderRegistry
    function lockJobCollateral(address account, uint256 offerId, uint128 amount) external override onlyMarket {
        // Check: the provider's free stake covers it (the match checked it, so this only guards).
        Registry.Provider storage p = _providers[account];
        if (amount > p.freeStake) revert Errors.ProviderRegistry_InsufficientFreeStake(amount, p.freeStake);

        // Effect: more of the free stake backs the match; it is released or slashed with it.
        // Cannot underflow: checked. Cannot overflow: free + locked fits uint128.
        unchecked {
            p.freeStake -= amount;
            p.lockedStake += amount;
        }
        emit CollateralLocked(account, offerId, 0, amount);
    }

    /// @inheritdoc IProviderRegistry
    function release(
        Registry.Settlement calldata settlement,
        Registry.Outcome outcome,
        uint256 protocolFee
    ) external override onlySettlingMarket {
        // Check and Effect: return the units and take the collateral out of locked stake.
        Registry.Provider storage p = _endMatch(settlement);

        // Effect: the collateral is free again.
        // Cannot overflow: it came out of locked stake, and free + locked fits uint128.
        unchecked {
            p.freeStake += settlement.collateral;
        }
        p.raisedAt = uint32(block.timestamp);
        // In the slot the timestamp is written to: reputation grows with the fees paid, for free.
        p.feesPaid = ReputationMath.addFees(p.feesPaid, protocolFee);
        emit CollateralReleased(settlement.provider, settlement.offerId, settlement.units, settlement.collateral);

        _recordOutcome(settlement.provider, p, outcome);
    }

    /// @inheritdoc IProviderRegistry
    function recordOutcome(address account, Registry.Outcome outcome) external override onlySettlingMarket {
        Registry.Provider storage p = _providers[account];
        if (p.registeredAt == 0) revert Errors.ProviderRegistry_NotRegistered(account);
        _recordOutcome(account, p, outcome);
    }

    /// @inheritdoc IProviderRegistry
    function slash(
        Registry.Settlement calldata settlement,
        Registry.SlashOrder calldata order
    ) external override onlySettlingMarket nonReentrant returns (uint128 slashed) {
        // Check and Effect: return the units and take the collateral out of locked stake.
        Registry.Provider storage p = _endMatch(settlement);

        // Effect: take the slash from this match's collateral, then free, then unbonding stake.
        uint128 collateral = settlement.collateral;
        uint128 fromLocked;
        uint128 fromFree;
        uint128 fromUnbonding;
        {
            uint256 available = uint256(collateral) + p.freeStake + p.unbondingStake;
            // Fits uint128: the smaller of order.amount (a uint128) and available.
            slashed = order.amount < available ? order.amount : uint128(available);
            fromLocked = slashed < collateral ? slashed : collateral;
            uint128 rest = slashed - fromLocked;
            fromFree = rest < p.freeStake ? rest : p.freeStake;
            fromUnbonding = rest - fromFree;
        }
        // Cannot overflow or underflow: fromLocked ≤ collateral; fromFree ≤ freeStake, and
        // fromFree > 0 only when all the collateral is slashed; fromUnbonding ≤ unbondingStake
        // because slashed ≤ collateral + free + unbonding.
        unchecked {
            p.freeStake = p.freeStake + (collateral - fromLocked) - fromFree;
            p.unbondingStake -= uint96(fromUnbonding);
        }
        _totalStake -= slashed;
        emit CollateralReleased(settlement.provider, settlement.offerId, settlement.units, collateral - fromLocked);

        // Effect: the record that reputation reads, the old penalty decayed before adding.
        p.slashCount += 1;
        if (collateral != fromLocked) p.raisedAt = uint32(block.timestamp);
        p.totalSlashed += slashed;
        p.penaltyPoints = _decayedPenalty(p) + ReputationMath.penaltyFor(order.reason);
        p.penaltyUpdatedAt = uint40(block.timestamp);
        if (order.reason == Registry.SlashReason.LIVENESS) p.livenessMissed += 1;
        else if (order.reason == Registry.SlashReason.DISPUTE_LOST) p.disputesLost += 1;

        // Effect: the split; a party that is the provider itself gets nothing, the treasury
        // keeps the rounding so the shares never exceed the slash.
        Config.Params memory params_ = config.params();
        uint128 toWhistleblower =
            _isThirdParty(order.whistleblower, settlement.provider)
                ? uint128((uint256(slashed) * params_.whistleblowerRewardBps) / _BPS)
                : 0;
        uint128 toTenant =
            _isThirdParty(order.tenant, settlement.provider)
                ? uint128((uint256(slashed) * params_.tenantCompensationBps) / _BPS)
                : 0;
        // Cannot underflow: the two bps sum to at most _BPS (ProtocolConfig checks it), and floors.
        uint128 toTreasury;
        unchecked {
            toTreasury = slashed - toWhistleblower - toTenant;
        }
        emit ProviderSlashed(settlement.provider, order.reason, slashed, toWhistleblower, toTenant, toTreasury);

        // Interaction: pay the shares to parties fixed by the order and the config; a refused
        // share is credited, so no party can stop the slash by being unpayable.
        _payOrCredit(order.whistleblower, toWhistleblower);
        _payOrCredit(order.tenant, toTenant);
        if (toTreasury > 0) _payOrCredit(config.treasury(), toTreasury);
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev The one match check behind both `checkMatch` and `tryReserve`, in the documented
    /// order; returns the first failing reason and, on success, the collateral to lock.
    function _checkMatch(
        uint256 offerId,
        Registry.MatchTerms calldata terms
    ) private view returns (Registry.SkipReason, uint128 collateral) {
        Registry.Offer storage o = _offers[offerId];
        if (o.provider == address(0)) return (Registry.SkipReason.OFFER_UNKNOWN, 0);
        if (o.paused || o.removed) return (Registry.SkipReason.OFFER_INACTIVE, 0);
        if (o.provider == terms.tenant) return (Registry.SkipReason.PROVIDER_IS_TENANT, 0);

        Config.GpuModel memory model = config.gpuModel(o.gpuModel);
        if (terms.gpuModel != bytes32(0) ? terms.gpuModel != o.gpuModel : model.vramGB < terms.minVramGB) {
            return (Registry.SkipReason.MODEL_MISMATCH, 0);
        }
        if (model.tier < terms.minTier) return (Registry.SkipReason.TIER_TOO_LOW, 0);

        Registry.Provider storage p = _providers[o.provider];
        if (terms.region != bytes32(0) && terms.region != p.region) return (Registry.SkipReason.REGION_MISMATCH, 0);
        // Reputation costs two cold reads and the decay; a request asking none skips it.
        if (terms.minReputation != 0 && reputationOf(o.provider) < terms.minReputation)
            return (Registry.SkipReason.REPUTATION_TOO_LOW, 0);
        if (o.pricePerUnitHour > terms.maxPricePerUnitHour) return (Registry.SkipReason.PRICE_TOO_HIGH, 0);
        if (terms.durationSeconds > o.maxDurationSeconds) return (Registry.SkipReason.DURATION_TOO_LONG, 0);
        // A zero-unit match would reserve nothing; it counts as no units available.
        if (terms.units == 0 || uint256(o.unitsInUse) + terms.units > o.units) {
            return (Registry.SkipReason.UNITS_UNAVAILABLE, 0);
        }

        // Fits uint128: units ≤ MAX_OFFER_UNITS and collateralPerUnit ≤ 1e24 (ProtocolConfig bound).
        collateral = uint128(uint256(terms.units) * model.collateralPerUnit);
        if (collateral > p.freeStake) return (Registry.SkipReason.STAKE_INSUFFICIENT, 0);
        return (Registry.SkipReason.NONE, collateral);
    }

    /// @dev Ends a match: checks the settlement against the offer, returns its units and takes
    /// its collateral out of locked stake. The caller decides where the collateral goes.
    function _endMatch(Registry.Settlement calldata settlement) private returns (Registry.Provider storage p) {
        // Check: the settlement names the offer's provider and fits what the offer holds.
        Registry.Offer storage o = _offers[settlement.offerId];
        if (settlement.provider == address(0) || o.provider != settlement.provider) {
            revert Errors.ProviderRegistry_SettlementMismatch(settlement.offerId, settlement.provider);
        }
        if (settlement.units > o.unitsInUse) {
            revert Errors.ProviderRegistry_UnitsInUseUnderflow(settlement.units, o.unitsInUse);
        }
        p = _providers[settlement.provider];
        if (settlement.collateral > p.lockedStake) {
            revert Errors.ProviderRegistry_LockedStakeUnderflow(settlement.collateral, p.lockedStake);
        }

        // Effect: the units and the collateral leave the match.
        // Cannot underflow: both checked just above.
        unchecked {
            // Cannot truncate: settlement.units ≤ unitsInUse, a uint16 (checked).
            o.unitsInUse -= uint16(settlement.units);
            p.lockedStake -= settlement.collateral;
        }
        // The units are free again.
        o.changedAt = uint40(block.timestamp);
    }

    function _recordOutcome(address account, Registry.Provider storage p, Registry.Outcome outcome) private {
        if (outcome == Registry.Outcome.NONE) return;
        if (outcome == Registry.Outcome.LEASE_COMPLETED) p.leasesCompleted += 1;
        else if (outcome == Registry.Outcome.JOB_FINALIZED) p.jobsFinalized += 1;
        else p.livenessAnswered += 1;
        emit OutcomeRecorded(account, outcome);
    }

    function _decayedPenalty(Registry.Provider storage p) private view returns (uint128) {
        return ReputationMath.decay(p.penaltyPoints, block.timestamp - p.penaltyUpdatedAt);
    }

    function _ownLiveOffer(uint256 offerId) private view returns (Registry.Offer storage o) {
        o = _offers[offerId];
        if (o.provider == address(0)) revert Errors.ProviderRegistry_OfferNotFound(offerId);
        if (o.provider != msg.sender) revert Errors.ProviderRegistry_NotOfferOwner(offerId, msg.sender);
        if (o.removed) revert Errors.ProviderRegistry_OfferRemoved(offerId);
    }

    function _checkProfile(bytes32 region, string calldata metadataURI_) private pure {
        if (region == bytes32(0)) revert Errors.ProviderRegistry_InvalidRegion();
        uint256 length = bytes(metadataURI_).length;
        if (length == 0 || length > MAX_METADATA_URI_LENGTH) {
            revert Errors.ProviderRegistry_InvalidMetadataURI(length, MAX_METADATA_URI_LENGTH);
        }
    }

    function _checkOfferTerms(uint32 units, uint128 pricePerUnitHour, uint40 maxDurationSeconds) private view {
        if (units == 0 || units > MAX_OFFER_UNITS) revert Errors.ProviderRegistry_InvalidUnits(units, MAX_OFFER_UNITS);
        if (pricePerUnitHour == 0) revert Errors.ProviderRegistry_InvalidPrice(pricePerUnitHour);
        uint40 minDuration = config.params().minLeaseSeconds;
        if (maxDurationSeconds < minDuration || maxDurationSeconds > MAX_OFFER_DURATION_SECONDS) {
            revert Errors.ProviderRegistry_InvalidMaxDuration(
                maxDurationSeconds,
                minDuration,
                MAX_OFFER_DURATION_SECONDS
            );
        }
    }

    function _payoutToken() internal view override returns (IERC20) {
        return stakeToken;
    }

    function _isThirdParty(address party, address slashedProvider) private pure returns (bool) {
        return party != address(0) && party != slashedProvider;
    }
}
