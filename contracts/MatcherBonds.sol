// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { PayoutCredits } from "./base/PayoutCredits.sol";
import { IJobMarket } from "./interfaces/IJobMarket.sol";
import { ILeaseMarket } from "./interfaces/ILeaseMarket.sol";
import { IMatcherBonds } from "./interfaces/IMatcherBonds.sol";
import { IProtocolConfig } from "./interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "./interfaces/IProviderRegistry.sol";
import { Errors } from "./libraries/Errors.sol";
import { TokenTransfers } from "./libraries/TokenTransfers.sol";
import { Jobs, Market, Registry } from "./types/DataTypes.sol";

/// @title MatcherBonds
/// @notice Matchers' bonds and the challenge of a dominated match. See
/// docs/matching-accountability.md for what a challenge proves and what it cannot.
contract MatcherBonds is IMatcherBonds, PayoutCredits {
    using SafeERC20 for IERC20;

    /// @inheritdoc IMatcherBonds
    uint40 public constant override MAX_CHALLENGE_WINDOW_SECONDS = 7 days;

    /// @inheritdoc IMatcherBonds
    uint40 public constant override MAX_UNBONDING_DELAY_SECONDS = 90 days;

    /// @inheritdoc IMatcherBonds
    uint128 public constant override MAX_MIN_BOND = 1e30;

    /// @inheritdoc IMatcherBonds
    uint40 public constant override MAX_GRACE_SECONDS = 1 hours;

    uint40 private constant _MIN_CHALLENGE_WINDOW_SECONDS = 10 minutes;
    uint256 private constant _SECONDS_PER_HOUR = 3600;
    uint256 private constant _MAX_EXPOSURE_CAP = (1 << 88) - 1;

    IProtocolConfig private immutable _config;
    IProviderRegistry private immutable _registry;
    IERC20 private immutable _token;

    /// @dev `Params` as stored: the minimum bond and the window share a slot, so a match batch
    /// reads both in one (`matchTermsOf`).
    struct StoredParams {
        // slot 0
        uint128 minBond;
        uint40 challengeWindowSeconds;
        uint40 unbondingDelaySeconds;
        uint40 graceSeconds;
        // slot 1
        uint128 challengerReward;
    }

    StoredParams private _params;
    address private _leaseMarket;
    uint40 private _nextId = 1;
    /// @dev `Bond` as stored: the amounts and the id share a slot, so a match batch reads one slot
    /// of the matcher's (`matchTermsOf`). 104 bits hold 2 × 10^31 token units, far above any bond
    /// (`_bond` refuses more).
    struct StoredBond {
        // slot 0
        uint104 amount;
        uint104 unbonding;
        uint40 id;
        // slot 1
        uint40 unbondingReadyAt;
    }

    mapping(address matcher => StoredBond bond) private _bonds;
    mapping(uint40 id => address matcher) private _matchers;
    mapping(uint256 leaseId => bool won) private _challenged;

    constructor(IProtocolConfig config_, IProviderRegistry registry_, IERC20 paymentToken_, Params memory params_) {
        if (
            address(config_) == address(0) || address(registry_) == address(0) || address(paymentToken_) == address(0)
        ) {
            revert Errors.Leasehold_ZeroAddress();
        }
        _config = config_;
        _registry = registry_;
        _token = paymentToken_;
        _setParams(params_);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMatcherBonds
    function params() external view override returns (Params memory) {
        StoredParams memory p = _params;
        return
            Params({
                minBond: p.minBond,
                challengerReward: p.challengerReward,
                challengeWindowSeconds: p.challengeWindowSeconds,
                unbondingDelaySeconds: p.unbondingDelaySeconds,
                graceSeconds: p.graceSeconds
            });
    }

    /// @inheritdoc IMatcherBonds
    function leaseMarket() external view override returns (address) {
        return _leaseMarket;
    }

    /// @inheritdoc IMatcherBonds
    function bondOf(address matcher) external view override returns (Bond memory) {
        StoredBond memory b = _bonds[matcher];
        return Bond({ amount: b.amount, unbonding: b.unbonding, unbondingReadyAt: b.unbondingReadyAt, id: b.id });
    }

    /// @inheritdoc IMatcherBonds
    function matcherOf(uint40 id) external view override returns (address) {
        return _matchers[id];
    }

    /// @inheritdoc IMatcherBonds
    function isMatcher(address account) external view override returns (bool) {
        StoredBond storage b = _bonds[account];
        return b.id != 0 && b.amount - b.unbonding >= _params.minBond;
    }

    /// @inheritdoc IMatcherBonds
    function matcherIdOf(address account) external view override returns (uint40 id) {
        StoredBond storage b = _bonds[account];
        uint128 active = b.amount - b.unbonding;
        uint128 minBond = _params.minBond;
        id = b.id;
        if (id == 0 || active < minBond) revert Errors.MatcherBonds_NotBonded(account, active, minBond);
    }

    /// @inheritdoc IMatcherBonds
    function matchTermsOf(
        address account
    ) external view override returns (uint40 id, uint256 exposureCap, uint40 windowSeconds) {
        StoredBond storage b = _bonds[account];
        uint128 active = b.amount - b.unbonding;
        uint128 minBond = _params.minBond;
        id = b.id;
        if (id == 0 || active < minBond) revert Errors.MatcherBonds_NotBonded(account, active, minBond);
        // Half the active bond per window: a match stays challengeable for a window after it, so
        // the matches still open at any time fall in at most two windows (docs/matching-accountability.md).
        exposureCap = active / 2;
        // The lease market keeps an exposure in 88 bits: more than any bond of a real token.
        if (exposureCap > _MAX_EXPOSURE_CAP) exposureCap = _MAX_EXPOSURE_CAP;
        windowSeconds = _params.challengeWindowSeconds;
    }

    /// @inheritdoc IMatcherBonds
    function challenged(uint256 leaseId) external view override returns (bool) {
        return _challenged[leaseId];
    }

    /*//////////////////////////////////////////////////////////////
                                MATCHERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMatcherBonds
    function bond(uint128 amount) external override nonReentrant {
        _bond(msg.sender, amount);
    }

    /// @inheritdoc IMatcherBonds
    function bondFor(address matcher, uint128 amount) external override nonReentrant {
        if (matcher == address(0)) revert Errors.Leasehold_ZeroAddress();
        _bond(matcher, amount);
    }

    /// @dev Adds `amount`, pulled from the caller, to `matcher`'s bond.
    function _bond(address matcher, uint128 amount) private {
        // Check.
        if (amount == 0) revert Errors.MatcherBonds_ZeroAmount();

        // Effect: the first bond names the matcher by the next id.
        StoredBond storage b = _bonds[matcher];
        uint40 id = b.id;
        if (id == 0) {
            id = _nextId;
            // Ids stay within the match record's 38 bits: 2**38 accounts are never reached.
            if (id > Market.MATCHER_ID_MASK)
                revert Errors.MatcherBonds_ParamOutOfRange("id", id, 1, Market.MATCHER_ID_MASK);
            _nextId = id + 1;
            b.id = id;
            _matchers[id] = matcher;
        }
        uint104 total = SafeCast.toUint104(uint256(b.amount) + amount);
        b.amount = total;
        emit Bonded(matcher, id, amount, total);

        // Interaction: exactly `amount`, or everything above reverts.
        TokenTransfers.pullExact(_token, amount);
    }

    /// @inheritdoc IMatcherBonds
    function requestUnbond(uint128 amount) external override {
        // Check: a positive amount of the bond that is not unbonding already.
        if (amount == 0) revert Errors.MatcherBonds_ZeroAmount();
        StoredBond storage b = _bonds[msg.sender];
        uint128 active = b.amount - b.unbonding;
        if (amount > active) revert Errors.MatcherBonds_InsufficientBond(amount, active);
        // Check: what stays active still backs the open window's matches (twice their value, as
        // `matchRoomOf` allows half per window). A window that ended is backed by the delay: its
        // matches stop being challengeable before anything unbonded now can leave.
        address market = _leaseMarket;
        if (market != address(0)) {
            (uint128 exposure, uint40 endsAt) = ILeaseMarket(market).exposureOf(msg.sender);
            if (block.timestamp < endsAt && uint256(exposure) * 2 > active - amount) {
                revert Errors.MatcherBonds_ExposureOpen(amount, exposure, endsAt);
            }
        }

        // Effect: the delay restarts for the whole unbonding amount, so nothing leaves before a
        // match made while it was active can no longer be challenged.
        uint40 readyAt = uint40(block.timestamp) + _params.unbondingDelaySeconds;
        // Within the active bond, so within 104 bits.
        uint104 unbonding = b.unbonding + uint104(amount);
        b.unbonding = unbonding;
        b.unbondingReadyAt = readyAt;
        emit UnbondRequested(msg.sender, unbonding, readyAt);
    }

    /// @inheritdoc IMatcherBonds
    function withdrawUnbonded() external override nonReentrant returns (uint128 amount) {
        // Check: something unbonding whose delay has passed.
        StoredBond storage b = _bonds[msg.sender];
        amount = b.unbonding;
        if (amount == 0) revert Errors.MatcherBonds_NothingUnbonding(msg.sender);
        if (block.timestamp < b.unbondingReadyAt) {
            revert Errors.MatcherBonds_UnbondingNotReady(b.unbondingReadyAt, uint40(block.timestamp));
        }

        // Effect: empty the bucket before paying.
        // The unbonding amount is part of the amount, both 104 bits.
        b.amount -= uint104(amount);
        b.unbonding = 0;
        b.unbondingReadyAt = 0;
        emit Unbonded(msg.sender, amount);

        // Interaction.
        _token.safeTransfer(msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                 ANYONE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMatcherBonds
    function challengeMatch(
        uint256 leaseId,
        uint256 offerId
    ) external override nonReentrant returns (uint128 toTenant, uint128 toChallenger) {
        // Check: a matched request of our market, a lease or a job (getRequest reverts for an
        // unknown id; only a match keeps a match record in its dead deadline), matched by a bonded
        // matcher, within the window, not challenged yet.
        address market = _leaseMarket;
        if (market == address(0)) revert Errors.MatcherBonds_LeaseMarketUnset();
        Market.Order memory lease = ILeaseMarket(market).getRequest(leaseId);
        address matcher = _matchers[lease.matchDeadline & Market.MATCHER_ID_MASK];
        if (lease.status != Market.RequestStatus.MATCHED || matcher == address(0)) {
            revert Errors.MatcherBonds_UnknownMatcher(leaseId);
        }
        uint40 deadline = lease.startTime + _params.challengeWindowSeconds;
        if (block.timestamp > deadline) {
            revert Errors.MatcherBonds_ChallengeWindowClosed(leaseId, deadline, uint40(block.timestamp));
        }
        if (_challenged[leaseId]) revert Errors.MatcherBonds_AlreadyChallenged(leaseId);
        if (offerId == lease.offerId) revert Errors.MatcherBonds_SameOffer(leaseId, offerId);
        uint128 saving = lease.pricePerUnitHour - _provenBetterPrice(lease, offerId);
        uint256 owed;
        uint256 value;
        if (lease.kind == Market.RequestKind.JOB) {
            // Check: the offer also accepts the job's terms (its job policy), at the job's price.
            uint128 price;
            (price, value) = _jobStake(market, leaseId, lease, offerId);
            // The job's price scaled down to the cheaper rate: what the tenant overpays for it.
            owed = (uint256(price) * saving) / lease.pricePerUnitHour;
        } else {
            owed = _overpaid(lease, saving);
            value = _value(lease);
        }

        // Effect: the tenant's overpayment, then the reward, then the match's value to the
        // treasury, each capped by what is left of the bond.
        _challenged[leaseId] = true;
        uint128 toTreasury;
        (toTenant, toChallenger, toTreasury) = _slash(matcher, owed, value);
        emit MatchChallenged(leaseId, matcher, msg.sender, offerId, toTenant, toChallenger, toTreasury);

        // Interaction: a refused payout is credited, so no party can stop another's.
        _payOrCredit(lease.tenant, toTenant);
        _payOrCredit(msg.sender, toChallenger);
        if (toTreasury != 0) _payOrCredit(_config.treasury(), toTreasury);
    }

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IMatcherBonds
    function setParams(Params calldata newParams) external override {
        _onlyGovernance();
        _setParams(newParams);
    }

    /// @inheritdoc IMatcherBonds
    function setLeaseMarket(address leaseMarket_) external override {
        _onlyGovernance();
        if (_leaseMarket != address(0)) revert Errors.MatcherBonds_LeaseMarketAlreadySet(_leaseMarket);
        if (leaseMarket_ == address(0)) revert Errors.Leasehold_ZeroAddress();
        _leaseMarket = leaseMarket_;
        emit LeaseMarketSet(leaseMarket_);
    }

    /*//////////////////////////////////////////////////////////////
                                PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev The price of offer `offerId` when it proves `lease`'s match dominated; reverts why not.
    function _provenBetterPrice(Market.Order memory lease, uint256 offerId) private view returns (uint128) {
        // Check: the offer meets every constraint of the request now, at a strictly lower price.
        // The model and region are the matched offer's and provider's when the request named
        // them (the registry keeps a matched provider's region while its stake is locked).
        uint40 record = lease.matchDeadline;
        Registry.SkipReason reason = _registry.checkMatch(
            offerId,
            Registry.MatchTerms({
                tenant: lease.tenant,
                gpuModel: record & Market.MODEL_NAMED != 0 ? lease.gpuModel : bytes32(0),
                region: record & Market.REGION_NAMED != 0 ? lease.region : bytes32(0),
                maxPricePerUnitHour: lease.pricePerUnitHour - 1,
                durationSeconds: lease.durationSeconds,
                units: lease.units,
                minVramGB: lease.minVramGB,
                minReputation: lease.minReputation,
                minTier: lease.minTier
            })
        );
        if (reason != Registry.SkipReason.NONE) revert Errors.MatcherBonds_OfferNotBetter(offerId, reason);

        // Check: and it held at the match. Reservations only ever take an offer's units and a
        // provider's free stake, so what is free now was free then unless the offer or its
        // provider became more available since: their timestamps must predate the match, by the
        // grace, so that a matcher that read the book a little before its match is never wrong.
        uint40 cutoff = lease.startTime - _params.graceSeconds;
        Registry.Offer memory better = _registry.offer(offerId);
        // A re-opened request may not go to the provider whose lease failed (docs/leases.md): its
        // offer was never the matcher's to choose, however cheap.
        if (better.provider == lease.excludedProvider) {
            revert Errors.MatcherBonds_OfferNotBetter(offerId, Registry.SkipReason.PROVIDER_EXCLUDED);
        }
        if (better.changedAt >= cutoff) {
            revert Errors.MatcherBonds_OfferChangedSinceMatch(offerId, better.changedAt, cutoff);
        }
        uint32 raisedAt = _registry.provider(better.provider).raisedAt;
        if (raisedAt >= cutoff) {
            revert Errors.MatcherBonds_ProviderChangedSinceMatch(better.provider, raisedAt, cutoff);
        }
        return better.pricePerUnitHour;
    }

    /// @dev Job `jobId`'s price and value (its price is all it can pay its solver: the value a
    /// challenge disgorges) once offer `offerId` is shown to accept the job's terms now: its job
    /// policy computes the steps within the result timeout and its provider's free stake holds
    /// the job's collateral. The policy's change stamps the offer's `changedAt`, which
    /// `_provenBetterPrice` checked predates the match.
    function _jobStake(
        address market,
        uint256 jobId,
        Market.Order memory job,
        uint256 offerId
    ) private view returns (uint128 price, uint256 value) {
        IJobMarket jobs = IJobMarket(ILeaseMarket(market).jobMarket());
        Jobs.TermsRecord memory terms = jobs.termsRecord(job.jobTermsHash);
        (, , , price) = jobs.matchOf(jobId);
        Registry.SkipReason reason = _registry.checkJobPolicy(offerId, terms.steps, terms.resultTimeoutSeconds, price);
        if (reason != Registry.SkipReason.NONE) revert Errors.MatcherBonds_OfferNotBetter(offerId, reason);
        value = price;
    }

    /// @dev What the lease's tenant overpays at `saving` less per unit-hour: over the lease's
    /// whole duration, capped by what its balance buys at the matched price.
    function _overpaid(Market.Order memory lease, uint128 saving) private pure returns (uint256 overpaid) {
        overpaid = (uint256(saving) * lease.units * lease.durationSeconds) / _SECONDS_PER_HOUR;
        uint256 byBalance = (uint256(lease.escrow - lease.settleBounty) * saving) / lease.pricePerUnitHour;
        if (byBalance < overpaid) overpaid = byBalance;
    }

    /// @dev The lease's whole value at its price, `price × units × duration / 3600`: the most its
    /// provider can be paid by it, top-ups included (a lease never runs past its duration).
    function _value(Market.Order memory lease) private pure returns (uint256) {
        return (uint256(lease.pricePerUnitHour) * lease.units * lease.durationSeconds) / _SECONDS_PER_HOUR;
    }

    /// @dev Takes `owed` for the tenant, the challenger's reward and `disgorged` for the treasury
    /// from `matcher`'s bond, in that order, each capped by what is left of it; what unbonds never
    /// exceeds what remains.
    function _slash(
        address matcher,
        uint256 owed,
        uint256 disgorged
    ) private returns (uint128 toTenant, uint128 toChallenger, uint128 toTreasury) {
        StoredBond storage b = _bonds[matcher];
        uint128 available = b.amount;
        toTenant = owed < available ? uint128(owed) : available;
        available -= toTenant;
        uint128 reward = _params.challengerReward;
        toChallenger = reward < available ? reward : available;
        available -= toChallenger;
        toTreasury = disgorged < available ? uint128(disgorged) : available;
        available -= toTreasury;
        // At most what the bond held, so within 104 bits.
        b.amount = uint104(available);
        if (b.unbonding > available) b.unbonding = uint104(available);
    }

    function _setParams(Params memory newParams) private {
        if (newParams.minBond == 0 || newParams.minBond > MAX_MIN_BOND) {
            revert Errors.MatcherBonds_ParamOutOfRange("minBond", newParams.minBond, 1, MAX_MIN_BOND);
        }
        // A reward above the minimum bond could not be paid by a minimally bonded matcher.
        if (newParams.challengerReward > newParams.minBond) {
            revert Errors.MatcherBonds_ParamOutOfRange(
                "challengerReward",
                newParams.challengerReward,
                0,
                newParams.minBond
            );
        }
        if (
            newParams.challengeWindowSeconds < _MIN_CHALLENGE_WINDOW_SECONDS ||
            newParams.challengeWindowSeconds > MAX_CHALLENGE_WINDOW_SECONDS
        ) {
            revert Errors.MatcherBonds_ParamOutOfRange(
                "challengeWindowSeconds",
                newParams.challengeWindowSeconds,
                _MIN_CHALLENGE_WINDOW_SECONDS,
                MAX_CHALLENGE_WINDOW_SECONDS
            );
        }
        // Longer than the window: a bond cannot leave before its last match can be challenged.
        if (
            newParams.unbondingDelaySeconds <= newParams.challengeWindowSeconds ||
            newParams.unbondingDelaySeconds > MAX_UNBONDING_DELAY_SECONDS
        ) {
            revert Errors.MatcherBonds_ParamOutOfRange(
                "unbondingDelaySeconds",
                newParams.unbondingDelaySeconds,
                uint256(newParams.challengeWindowSeconds) + 1,
                MAX_UNBONDING_DELAY_SECONDS
            );
        }
        // Bounded: a long grace would let a steerer pick offers changed just inside it.
        if (newParams.graceSeconds > MAX_GRACE_SECONDS) {
            revert Errors.MatcherBonds_ParamOutOfRange("graceSeconds", newParams.graceSeconds, 0, MAX_GRACE_SECONDS);
        }
        _params = StoredParams({
            minBond: newParams.minBond,
            challengeWindowSeconds: newParams.challengeWindowSeconds,
            unbondingDelaySeconds: newParams.unbondingDelaySeconds,
            graceSeconds: newParams.graceSeconds,
            challengerReward: newParams.challengerReward
        });
        emit ParamsSet(newParams);
    }

    function _onlyGovernance() private view {
        if (msg.sender != Ownable(address(_config)).owner()) revert Errors.MatcherBonds_CallerNotGovernance(msg.sender);
    }

    function _payoutToken() internal view override returns (IERC20) {
        return _token;
    }
}
