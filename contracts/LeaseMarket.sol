// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { IERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { Math } from "@openzeppelin/contracts/utils/math/Math.sol";

import { MarketBase } from "./base/MarketBase.sol";
import { SignedRequests } from "./base/SignedRequests.sol";
import { IJobMarket } from "./interfaces/IJobMarket.sol";
import { ILeaseMarket } from "./interfaces/ILeaseMarket.sol";
import { IMatcherBonds } from "./interfaces/IMatcherBonds.sol";
import { IProtocolConfig } from "./interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "./interfaces/IProviderRegistry.sol";
import { ISignedRequests } from "./interfaces/ISignedRequests.sol";
import { Errors } from "./libraries/Errors.sol";
import { LeaseLiveness } from "./libraries/LeaseLiveness.sol";
import { ReputationMath } from "./libraries/ReputationMath.sol";
import { TokenTransfers } from "./libraries/TokenTransfers.sol";
import { Config, Market, Registry } from "./types/DataTypes.sol";

/// @title LeaseMarket
/// @notice Requests, matching, streaming rental leases and liveness challenges. See
/// docs/leases.md for the state machines and who is paid what when.
contract LeaseMarket is ILeaseMarket, MarketBase, SignedRequests {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    uint32 public constant override MAX_UNITS = 1024;

    /// @inheritdoc ILeaseMarket
    uint256 public constant override MAX_CLOSE_BATCH = 200;

    uint16 private constant _MAX_REPUTATION = 10_000;
    /// @dev A matcher's exposure takes the low 88 bits of its word beside its credit (at most
    /// 3 × 10^26 token units), the end of its window the 40 above.
    uint256 private constant _EXPOSURE_BITS = 88;
    uint256 private constant _EXPOSURE_MASK = (1 << _EXPOSURE_BITS) - 1;
    uint256 private constant _SECONDS_PER_HOUR = 3600;

    /*//////////////////////////////////////////////////////////////
                                 STATE
    //////////////////////////////////////////////////////////////*/

    /// @dev Cached at deployment: the config's highest tier is a constant.
    uint8 private immutable _maxTier;

    /// @dev Whose bonded accounts may match (docs/matching-accountability.md).
    IMatcherBonds private immutable _matcherBonds;

    address private _jobMarket;

    /// @dev Starts at 1 so the first request writes a non-zero slot and id 0 means "none".
    uint256 private _nextRequestId = 1;

    // Written through `order` storage pointers (_createRequest, _matchPair, _settle): not uninitialized.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 id => Market.OrderRecord order) private _orders;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    constructor(
        IProtocolConfig config_,
        IProviderRegistry registry_,
        IERC20 paymentToken_,
        IMatcherBonds matcherBonds_
    ) MarketBase(config_, registry_, paymentToken_) {
        if (address(matcherBonds_) == address(0)) revert Errors.Leasehold_ZeroAddress();
        _matcherBonds = matcherBonds_;
        _maxTier = config_.MAX_TIER();
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function jobMarket() external view override returns (address) {
        return _jobMarket;
    }

    /// @inheritdoc ILeaseMarket
    function nextRequestId() external view override returns (uint256) {
        return _nextRequestId;
    }

    /// @inheritdoc ILeaseMarket
    function getRequest(uint256 requestId) external view override returns (Market.Order memory) {
        Market.OrderRecord storage order = _orders[requestId];
        if (order.status == Market.RequestStatus.NULL) revert Errors.LeaseMarket_RequestNotFound(requestId);
        return _viewOf(requestId, order);
    }

    /// @inheritdoc ILeaseMarket
    function getLease(uint256 leaseId) external view override returns (Market.Order memory) {
        return _viewOf(leaseId, _lease(leaseId));
    }

    /// @inheritdoc ILeaseMarket
    function exposureOf(address matcher) external view override returns (uint128 exposure, uint40 endsAt) {
        uint128 tag = _creditTagOf(matcher);
        return (uint128(tag & _EXPOSURE_MASK), uint40(tag >> _EXPOSURE_BITS));
    }

    /// @inheritdoc ILeaseMarket
    function tenantOf(uint256 requestId) external view override returns (address) {
        return _orders[requestId].tenant;
    }

    /// @inheritdoc ILeaseMarket
    function jobTermsHashOf(uint256 requestId) external view override returns (bytes32) {
        return _orders[requestId].jobTermsHash;
    }

    /// @inheritdoc ILeaseMarket
    function requestStatusOf(uint256 requestId) external view override returns (Market.RequestStatus) {
        Market.OrderRecord storage order = _orders[requestId];
        Market.RequestStatus status = order.status;
        if (status == Market.RequestStatus.OPEN && block.timestamp > order.matchDeadline) {
            return Market.RequestStatus.EXPIRED;
        }
        return status;
    }

    /// @inheritdoc ILeaseMarket
    function statusOf(uint256 leaseId) external view override returns (Market.LeaseStatus) {
        Market.OrderRecord storage order = _orders[leaseId];
        if (!_isLease(order)) return Market.LeaseStatus.NULL;
        return _statusOf(order);
    }

    /// @inheritdoc ILeaseMarket
    function accruedOf(uint256 leaseId) external view override returns (uint128) {
        Market.OrderRecord storage order = _lease(leaseId);
        return _accrued(order, _payableUntil(order));
    }

    /// @inheritdoc ILeaseMarket
    function withdrawableOf(uint256 leaseId) external view override returns (uint128) {
        Market.OrderRecord storage order = _lease(leaseId);
        Market.Stream memory stream = _streamOf(order);
        return _accruedBy(stream, _payableUntil(order)) - _accruedBy(stream, order.paidUntil);
    }

    /// @inheritdoc ILeaseMarket
    function balanceOf(uint256 leaseId) external view override returns (uint128) {
        return _lease(leaseId).escrow;
    }

    /*//////////////////////////////////////////////////////////////
                                TENANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function createRequest(
        Market.RequestSpec calldata spec,
        uint128 deposit
    ) external override nonReentrant returns (uint256 requestId) {
        requestId = _createRequest(spec, deposit, msg.sender);
    }

    /// @inheritdoc ILeaseMarket
    function createRequestWithPermit(
        Market.RequestSpec calldata spec,
        uint128 deposit,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override nonReentrant returns (uint256 requestId) {
        _tryPermit(msg.sender, deposit, Market.Permit({ deadline: permitDeadline, v: v, r: r, s: s }));
        requestId = _createRequest(spec, deposit, msg.sender);
    }

    /// @inheritdoc ILeaseMarket
    function cancelRequest(uint256 requestId) external override nonReentrant {
        Market.OrderRecord storage order = _orders[requestId];
        Market.RequestStatus status = order.status;

        // Check: only an open request, by its tenant or, past its deadline, by anyone.
        if (status != Market.RequestStatus.OPEN) {
            if (status == Market.RequestStatus.NULL) revert Errors.LeaseMarket_RequestNotFound(requestId);
            revert Errors.LeaseMarket_RequestNotOpen(requestId, status);
        }
        address tenant = order.tenant;
        uint40 matchDeadline = order.matchDeadline;
        if (msg.sender != tenant && block.timestamp <= matchDeadline) {
            revert Errors.LeaseMarket_CancelNotAllowed(requestId, msg.sender, matchDeadline);
        }

        // Effect: terminal before the refund.
        uint128 refund = order.escrow;
        order.status = Market.RequestStatus.CANCELLED;
        order.escrow = 0;
        emit RequestCancelled(requestId, msg.sender, refund);

        // Interaction.
        paymentToken.safeTransfer(tenant, refund);
    }

    /// @inheritdoc ILeaseMarket
    function topUp(uint256 leaseId, uint128 amount) external override nonReentrant {
        Market.OrderRecord storage order = _lease(leaseId);

        // Check: a lease that ran dry has been dark since; a top-up would back-pay that time.
        if (amount == 0) revert Errors.LeaseMarket_ZeroAmount();
        Market.LeaseStatus status = _statusOf(order);
        if (status != Market.LeaseStatus.ACTIVE) revert Errors.LeaseMarket_LeaseNotActive(leaseId, status);

        // Check: an amount no token supply can reach still gets a readable refusal, not a panic.
        uint128 settleBounty = order.settleBounty;
        uint256 newEscrow = uint256(order.escrow) + settleBounty + amount;
        if (newEscrow > type(uint128).max) revert Errors.LeaseMarket_EscrowOverflow(leaseId, newEscrow);

        // Effect.
        uint128 balance = uint128(newEscrow) - settleBounty;
        order.escrow = balance;
        emit LeaseToppedUp(leaseId, msg.sender, amount, balance);

        // Interaction.
        TokenTransfers.pullExact(paymentToken, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                MATCHERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function matchRequests(Market.Pair[] calldata pairs) external override nonReentrant {
        // Check: an unbonded caller, a pause or nothing to do are the only reasons a batch reverts.
        (uint40 matcherId, uint256 room, uint128 tag) = _matchRoom();
        Config.MarketParams memory params = config.marketParams();
        if (params.paused) revert Errors.Leasehold_Paused();
        if (pairs.length == 0) revert Errors.LeaseMarket_EmptyBatch();

        // slither-disable-next-line uninitialized-local (zero is the intended start of the sum)
        uint256 matchFees;
        // A pair whose value would exceed what is left of the room is skipped (EXPOSURE_CAP).
        uint256 roomLeft = room;
        for (uint256 i; i < pairs.length; ++i) {
            (uint256 feeAndValue, ) = _matchPair(pairs[i].requestId, pairs[i].offerId, params, matcherId, roomLeft);
            matchFees += uint128(feeAndValue);
            roomLeft -= feeAndValue >> 128;
        }

        // Effect: the batch's value is charged to the matcher's exposure, and the fees are
        // credited for a later `claimCredit`, not transferred per batch: one slot write.
        // Within the room, so within the exposure's bits. A batch that matched nothing writes nothing.
        if (roomLeft != room || matchFees != 0) _creditAndTag(msg.sender, matchFees, tag + uint128(room - roomLeft));
    }

    /// @inheritdoc ISignedRequests
    function matchSignedRequest(
        Market.SignedRequest calldata request,
        Market.Permit calldata permit,
        bytes calldata signature,
        uint256 offerId
    ) external override nonReentrant returns (uint256 requestId) {
        // Check: the caller, then the signature, which is spent here and pays nothing yet.
        (uint40 matcherId, uint256 room, uint128 tag) = _matchRoom();
        _useSignedRequest(request, signature);
        address tenant = request.tenant;

        // Interaction.
        if (permit.deadline != 0) _tryPermit(tenant, request.deposit, permit);
        requestId = _createRequest(request.spec, request.deposit, tenant);
        emit SignedRequestUsed(tenant, request.nonce, requestId, msg.sender);

        // Check: a pair that does not hold reverts it all, the signature with it.
        (uint256 feeAndValue, Registry.SkipReason reason) = _matchPair(
            requestId,
            offerId,
            config.marketParams(),
            matcherId,
            room
        );
        if (reason != Registry.SkipReason.NONE) revert Errors.LeaseMarket_SignedRequestNotMatched(offerId, reason);
        _creditAndTag(msg.sender, uint128(feeAndValue), tag + uint128(feeAndValue >> 128));
    }

    /*//////////////////////////////////////////////////////////////
                               PROVIDERS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function withdrawEarnings(uint256 leaseId) external override nonReentrant returns (uint128 amount) {
        Market.OrderRecord storage order = _lease(leaseId);

        // Check.
        address provider = order.provider;
        if (msg.sender != provider) revert Errors.LeaseMarket_CallerNotProvider(leaseId, msg.sender);
        uint40 until = _payableUntil(order);
        Market.Stream memory stream = _streamOf(order);
        uint128 gross = _accruedBy(stream, until) - _accruedBy(stream, order.paidUntil);
        // slither-disable-next-line incorrect-equality (exact: nothing accrued since the last withdrawal)
        if (gross == 0) revert Errors.LeaseMarket_NothingToWithdraw(leaseId);

        // Effect.
        order.paidUntil = until;
        uint128 fee;
        (amount, fee) = _takeFee(gross, order.protocolFeeBps);
        emit EarningsWithdrawn(leaseId, provider, amount, fee);

        // Interaction.
        _payOrCredit(provider, amount);
    }

    /// @inheritdoc ILeaseMarket
    function requestReclaim(uint256 leaseId) external override {
        _openNotice(leaseId, false);
    }

    /// @inheritdoc ILeaseMarket
    function respondLiveness(uint256 leaseId, bytes calldata answer) external override nonReentrant {
        // Check and effect in the library (the deadline fixed when the challenge opened, the
        // capacity proof's spot check).
        // slither-disable-next-line reentrancy-no-eth (our linked library and registry; nonReentrant)
        (address bondTo, uint128 bond) = LeaseLiveness.respond(_lease(leaseId), leaseId, registry, answer);

        // Interaction: credited when the token refuses the payee, so no token can keep an
        // online provider from answering and have it slashed.
        _payOrCredit(bondTo, bond);
    }

    /*//////////////////////////////////////////////////////////////
                                 ANYONE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function closeLease(uint256 leaseId) external override nonReentrant {
        Market.OrderRecord storage order = _orders[leaseId];

        // Check: who may close depends on the derived status; anyone may close what a batch may.
        (Market.CloseSkipReason blocker, Market.LeaseStatus status) = _closeBlocker(order);
        if (blocker == Market.CloseSkipReason.LEASE_NOT_FOUND) revert Errors.LeaseMarket_LeaseNotFound(leaseId);
        if (blocker == Market.CloseSkipReason.LEASE_SETTLED) revert Errors.LeaseMarket_LeaseSettled(leaseId, status);
        if (blocker == Market.CloseSkipReason.CHALLENGE_OPEN) {
            // Check: an open challenge stalls every close but the tenant's (attack 6).
            if (msg.sender != order.tenant) {
                revert Errors.LeaseMarket_ChallengeOpen(leaseId, order.challenger, order.challengedAt);
            }
            _closeChallenged(leaseId, order, status);
            return;
        }
        address tenant = order.tenant;
        address provider = order.provider;
        // slither-disable-next-line uninitialized-local (every branch below assigns it or reverts)
        Market.CloseReason reason;
        if (blocker == Market.CloseSkipReason.NONE) {
            reason = _closeReasonOf(status);
        } else if (msg.sender == tenant) {
            reason = Market.CloseReason.TENANT;
        } else if (msg.sender == provider) {
            uint40 reclaimableAt = order.reclaimableAt;
            if (reclaimableAt == 0 || block.timestamp < reclaimableAt) {
                revert Errors.LeaseMarket_ReclaimNoticeNotOver(leaseId, reclaimableAt, uint40(block.timestamp));
            }
            reason = Market.CloseReason.PROVIDER_RECLAIM;
        } else {
            revert Errors.LeaseMarket_CloseNotAllowed(leaseId, msg.sender, status);
        }

        // Effect and interaction: the settlement writes the terminal facts before it pays.
        // slither-disable-next-line reentrancy-no-eth (our registry; caller nonReentrant; credit on refusal)
        uint128 bountyOwed = _settle(
            leaseId,
            order,
            reason,
            uint40(block.timestamp),
            _bountyRecipient(tenant, provider)
        );
        _payOrCredit(msg.sender, bountyOwed);
    }

    /// @inheritdoc ILeaseMarket
    function closeLeases(uint256[] calldata leaseIds) external override nonReentrant {
        // Check: nothing to do or more than a block holds are the only reasons a batch reverts.
        uint256 count = leaseIds.length;
        if (count == 0) revert Errors.LeaseMarket_EmptyBatch();
        if (count > MAX_CLOSE_BATCH) revert Errors.LeaseMarket_BatchTooLarge(count, MAX_CLOSE_BATCH);

        // slither-disable-next-line uninitialized-local (zero is the intended start of the sum)
        uint256 bounties;
        for (uint256 i; i < count; ++i) {
            // slither-disable-next-line reentrancy-no-eth (our registry; caller nonReentrant; credit on refusal)
            bounties += _closeListed(leaseIds[i]);
        }

        // Interaction: one transfer for the whole batch, every lease already terminal.
        _payOrCredit(msg.sender, bounties);
    }

    /// @inheritdoc ILeaseMarket
    function challengeLiveness(uint256 leaseId) external override nonReentrant {
        _openNotice(leaseId, true);
    }

    /// @inheritdoc ILeaseMarket
    function resolveLiveness(uint256 leaseId) external override nonReentrant {
        Market.OrderRecord storage order = _lease(leaseId);

        // Check and effect in the library: past the deadline fixed at the challenge, the registry
        // slashes the provider and ends the match.
        // slither-disable-next-line reentrancy-no-eth (our linked library and registry; nonReentrant)
        (address challenger, uint128 bond, uint40 challengedAt) = LeaseLiveness.resolve(
            order,
            leaseId,
            config,
            registry
        );
        // slither-disable-next-line reentrancy-no-eth (our registry; caller nonReentrant; credit on refusal)
        uint128 bountyOwed = _settle(leaseId, order, Market.CloseReason.LIVENESS_FAILURE, challengedAt, msg.sender);

        // Interaction: the bond back to the challenger, the bounty to the caller, each credited
        // when the token refuses it.
        _payOrCredit(challenger, bond);
        _payOrCredit(msg.sender, bountyOwed);
    }

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILeaseMarket
    function setJobMarket(address jobMarket_) external override {
        if (!_isGovernance(msg.sender)) revert Errors.LeaseMarket_CallerNotGovernance(msg.sender);
        if (_jobMarket != address(0)) revert Errors.LeaseMarket_JobMarketAlreadySet(_jobMarket);
        if (jobMarket_ == address(0)) revert Errors.Leasehold_ZeroAddress();
        _jobMarket = jobMarket_;
        emit JobMarketSet(jobMarket_);
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE: REQUESTS
    //////////////////////////////////////////////////////////////*/

    function _createRequest(
        Market.RequestSpec calldata spec,
        uint128 deposit,
        address tenant
    ) private returns (uint256 requestId) {
        // Check.
        Config.MarketParams memory params = config.marketParams();
        if (params.paused) revert Errors.Leasehold_Paused();
        _checkSpec(spec, params.minLeaseSeconds);
        // The deposit must pay the matcher, reserve the bounty and stream the shortest lease;
        // the streaming part is rounded up so the escrow is never short of it.
        uint256 minimum =
            uint256(params.matchFee) +
                params.settleBounty +
                Math.ceilDiv(
                    uint256(spec.maxPricePerUnitHour) * spec.units * params.minLeaseSeconds,
                    _SECONDS_PER_HOUR
                );
        if (deposit < minimum) revert Errors.LeaseMarket_DepositTooSmall(deposit, minimum);

        // Effect.
        requestId = _nextRequestId;
        // Unchecked: one id per transaction can never reach 2**256.
        unchecked {
            _nextRequestId = requestId + 1;
        }
        Market.OrderRecord storage order = _orders[requestId];
        order.tenant = tenant;
        order.matchDeadline = spec.matchDeadline;
        order.durationSeconds = spec.maxDurationSeconds;
        order.kind = spec.kind;
        order.status = Market.RequestStatus.OPEN;
        order.escrow = deposit;
        order.pricePerUnitHour = spec.maxPricePerUnitHour;
        // Unchecked cast: _checkSpec bounds the units by MAX_UNITS.
        order.units = uint16(spec.units);
        order.minVramGB = spec.minVramGB;
        order.minReputation = spec.minReputation;
        order.minTier = spec.minTier;
        // Zero means "any" and costs nothing to leave unwritten.
        Market.Target storage target = _targetOf(order);
        if (spec.gpuModel != bytes32(0)) target.gpuModel = spec.gpuModel;
        if (spec.region != bytes32(0)) target.region = spec.region;
        if (spec.jobTermsHash != bytes32(0)) order.jobTermsHash = spec.jobTermsHash;
        // A rental that opts into re-match keeps what its lease will overwrite (docs/leases.md).
        if (spec.rematch) {
            LeaseLiveness.keepSpec(order, spec.kind, spec.maxPricePerUnitHour, spec.gpuModel, spec.region);
        }

        emit RequestCreated(requestId, tenant, spec, deposit);

        // Interaction.
        TokenTransfers.pullExactFrom(paymentToken, tenant, deposit);
    }

    /// @dev The caller's matcher id, the value it may still match in its exposure window and the
    /// exposure word to charge it to (kept beside its credit, whose slot the batch writes anyway:
    /// `_EXPOSURE_MASK` bits of exposure, the window's end above them). A window that ended leaves
    /// the whole cap, and the charge opens the next one. MatcherBonds reverts for an account that
    /// may not match.
    function _matchRoom() private view returns (uint40 matcherId, uint256 room, uint128 tag) {
        uint256 cap;
        uint40 windowSeconds;
        (matcherId, cap, windowSeconds) = _matcherBonds.matchTermsOf(msg.sender);
        tag = _creditTagOf(msg.sender);
        uint256 exposure = tag & _EXPOSURE_MASK;
        if (block.timestamp >= tag >> _EXPOSURE_BITS) {
            // The window ended: the next starts now, empty (and is written only with a charge).
            exposure = 0;
            tag = uint128(block.timestamp + windowSeconds) << _EXPOSURE_BITS;
        }
        room = exposure < cap ? cap - exposure : 0;
    }

    /// @dev A front-run permit consumes the nonce and makes this call fail; the allowance it set
    /// still stands, so go on and let the pull decide: both outcomes need nothing done.
    function _tryPermit(address owner, uint128 deposit, Market.Permit memory permit) private {
        // solhint-disable no-empty-blocks
        try
            IERC20Permit(address(paymentToken)).permit(
                owner,
                address(this),
                deposit,
                permit.deadline,
                permit.v,
                permit.r,
                permit.s
            )
        {} catch {}
        // solhint-enable no-empty-blocks
    }

    function _checkSpec(Market.RequestSpec calldata spec, uint40 minLeaseSeconds) private view {
        if (spec.units == 0 || spec.units > MAX_UNITS) revert Errors.LeaseMarket_InvalidUnits(spec.units, MAX_UNITS);
        if (spec.maxPricePerUnitHour == 0) revert Errors.LeaseMarket_ZeroPrice();
        if (spec.maxDurationSeconds < minLeaseSeconds) {
            revert Errors.LeaseMarket_DurationTooShort(spec.maxDurationSeconds, minLeaseSeconds);
        }
        if (spec.matchDeadline <= block.timestamp) {
            revert Errors.LeaseMarket_MatchDeadlineNotInFuture(spec.matchDeadline, uint40(block.timestamp));
        }
        if (spec.minTier > _maxTier) revert Errors.LeaseMarket_InvalidTier(spec.minTier, _maxTier);
        if (spec.minReputation > _MAX_REPUTATION) {
            revert Errors.LeaseMarket_InvalidReputation(spec.minReputation, _MAX_REPUTATION);
        }
        // A JOB names its published terms; a RENTAL may commit to its workload manifest (or to nothing).
        if (spec.kind == Market.RequestKind.JOB && spec.jobTermsHash == bytes32(0)) {
            revert Errors.LeaseMarket_JobTermsMismatch(spec.kind, spec.jobTermsHash);
        }
    }

    /// @dev Matches one pair or emits why not. Returns the match fee earned in the low 128 bits and
    /// the value charged to the matcher's exposure above them (one word: a third return would not
    /// fit the legacy optimizer's stack), 0 when skipped, and why it was skipped (NONE when matched).
    /// The value is at most `room`, itself at most half a uint128 bond, so it fits 128 bits.
    /// A pair is matched only when its value at the request's price ceiling fits `room`; it is
    /// charged at the matched price. The lease's writes stay in this body: moved into a function of
    /// their own, the legacy optimizer leaves their packed stores unoptimized (about 630 gas more
    /// per match, measured).
    function _matchPair(
        uint256 requestId,
        uint256 offerId,
        Config.MarketParams memory params,
        uint40 matchRecord,
        uint256 room
    ) private returns (uint256 feeAndValue, Registry.SkipReason reason) {
        Market.OrderRecord storage order = _orders[requestId];
        // Read only for a JOB: a batch of rentals spares the cold slot.
        address jobMarket_ = order.kind == Market.RequestKind.JOB ? _jobMarket : address(0);

        // Check: what the market knows of the request, the matcher's room, then every constraint
        // of the offer in the registry, which reserves the units and locks the collateral when all
        // hold.
        reason = _requestSkipReason(order, offerId, jobMarket_);
        if (reason == Registry.SkipReason.NONE && _valueAt(order, order.pricePerUnitHour, jobMarket_) > room) {
            reason = Registry.SkipReason.EXPOSURE_CAP;
        }
        // slither-disable-next-line uninitialized-local (stays empty exactly when the pair is skipped)
        Registry.Reservation memory reservation;
        if (reason == Registry.SkipReason.NONE) (reason, reservation) = _reserve(order, offerId);
        if (reason != Registry.SkipReason.NONE) {
            emit MatchSkipped(requestId, offerId, reason);
            return (0, reason);
        }
        feeAndValue = _valueAt(order, reservation.pricePerUnitHour, jobMarket_) << 128;

        // Effect: fees are today's parameters, capped by what the deposit holds, so a parameter
        // change since the request was posted can never make a match take more than was deposited.
        uint128 escrow = order.escrow;
        {
            uint128 matchFee = params.matchFee < escrow ? params.matchFee : escrow;
            feeAndValue |= matchFee;
            escrow -= matchFee;
        }
        order.status = Market.RequestStatus.MATCHED;
        // The dead deadline keeps who matched and what of the target a challenge must honour.
        Market.Target storage target = _targetOf(order);
        if (target.gpuModel != bytes32(0)) matchRecord |= Market.MODEL_NAMED;
        if (target.region != bytes32(0)) matchRecord |= Market.REGION_NAMED;
        order.matchDeadline = matchRecord;
        if (jobMarket_ != address(0)) {
            _handOverJob(requestId, order, offerId, reservation, escrow, jobMarket_);
            return (feeAndValue, reason);
        }

        // Effect: the RENTAL request becomes a lease; the escrow holds the bounty and the balance.
        uint128 settleBounty = params.settleBounty < escrow ? params.settleBounty : escrow;
        // These overwrite the request's target (slots 3 and 4), read by `_reserve` for the last time.
        // Slot 3 is written whole below; slot 4 only in part (offerId, startTime), so a region's
        // bytes would survive as `paidUntil`, `stopTime` or the challenge fields: clear it first.
        _clearRegion(order);
        order.provider = reservation.provider;
        order.offerId = uint40(offerId);
        order.collateral = reservation.collateral;
        order.escrow = escrow - settleBounty;
        order.pricePerUnitHour = reservation.pricePerUnitHour;
        order.protocolFeeBps = params.protocolFeeBps;
        order.settleBounty = settleBounty;
        order.startTime = uint40(block.timestamp);
        emit LeaseStarted(
            requestId,
            reservation.provider,
            offerId,
            msg.sender,
            reservation.pricePerUnitHour,
            escrow - settleBounty,
            settleBounty,
            reservation.collateral,
            uint40(block.timestamp) + order.durationSeconds
        );
    }

    /// @dev What a match of the open request at `pricePerUnitHour` puts at stake, the most a
    /// challenge disgorges: a RENTAL's whole value at that price (price × units × duration), a
    /// JOB's deposit (all it can pay, whatever the price). `jobMarket_` is set exactly for a JOB.
    function _valueAt(
        Market.OrderRecord storage order,
        uint256 pricePerUnitHour,
        address jobMarket_
    ) private view returns (uint256) {
        if (jobMarket_ != address(0)) return order.escrow;
        return (pricePerUnitHour * order.units * order.durationSeconds) / _SECONDS_PER_HOUR;
    }

    /// @dev Why the request cannot be matched now (NONE when it can); for a JOB, to `offerId`.
    /// `jobMarket_` is the job market for a JOB request, zero for a RENTAL.
    function _requestSkipReason(
        Market.OrderRecord storage order,
        uint256 offerId,
        address jobMarket_
    ) private view returns (Registry.SkipReason) {
        if (order.status != Market.RequestStatus.OPEN) return Registry.SkipReason.REQUEST_NOT_OPEN;
        if (block.timestamp > order.matchDeadline) return Registry.SkipReason.REQUEST_EXPIRED;
        if (order.kind == Market.RequestKind.JOB) {
            if (jobMarket_ == address(0)) return Registry.SkipReason.JOB_MARKET_UNSET;
            // Checked here rather than at creation: terms may be published after the request. The
            // job market also checks the offer's job policy and the job's collateral.
            return IJobMarket(jobMarket_).jobSkipReason(order.jobTermsHash, offerId, order.escrow);
        }
        return Registry.SkipReason.NONE;
    }

    /// @dev Asks the registry to reserve the offer for the request's terms; changes nothing there
    /// and returns the reason when a constraint fails.
    function _reserve(
        Market.OrderRecord storage order,
        uint256 offerId
    ) private returns (Registry.SkipReason reason, Registry.Reservation memory reservation) {
        // A lease stores its offer id in 40 bits: a larger id cannot be an offer it could name.
        if (offerId > type(uint40).max) return (Registry.SkipReason.OFFER_UNKNOWN, reservation);
        // An open request's provider field names the provider a re-opened request excludes.
        address excluded = order.provider;
        if (excluded != address(0)) {
            (address provider, ) = registry.offerOwnerOf(offerId);
            if (provider == excluded) return (Registry.SkipReason.PROVIDER_EXCLUDED, reservation);
        }
        Market.Target storage target = _targetOf(order);
        // slither-disable-next-line reentrancy-no-eth (our immutable registry; matchRequests nonReentrant)
        return
            registry.tryReserve(
                offerId,
                Registry.MatchTerms({
                    tenant: order.tenant,
                    gpuModel: target.gpuModel,
                    region: target.region,
                    maxPricePerUnitHour: order.pricePerUnitHour,
                    durationSeconds: order.durationSeconds,
                    units: order.units,
                    minVramGB: order.minVramGB,
                    minReputation: order.minReputation,
                    minTier: order.minTier
                })
            );
    }

    /// @dev Hands a matched JOB request to the job market with `escrow` (the deposit less the match
    /// fee). The escrow moves first: the job market holds it from `openJob` on.
    function _handOverJob(
        uint256 requestId,
        Market.OrderRecord storage order,
        uint256 offerId,
        Registry.Reservation memory reservation,
        uint128 escrow,
        address jobMarket_
    ) private {
        // Effect: the job market owns the escrow and the match's terms from here. The escrow's field
        // keeps the match's time for a match challenge (the same slot write; `getRequest` returns
        // it as `startTime`, with an escrow of 0).
        order.escrow = uint128(block.timestamp);
        order.pricePerUnitHour = reservation.pricePerUnitHour;
        paymentToken.safeTransfer(jobMarket_, escrow);
        IJobMarket(jobMarket_).openJob(
            requestId,
            order.tenant,
            reservation.provider,
            offerId,
            order.units,
            reservation.collateral,
            escrow,
            order.jobTermsHash
        );
        emit JobHandedOver(requestId, reservation.provider, offerId, msg.sender, escrow);
    }

    /*//////////////////////////////////////////////////////////////
                             PRIVATE: LEASES
    //////////////////////////////////////////////////////////////*/

    /// @dev Ends a lease: accrual stops at `stopTime`, the provider is paid what accrued and was
    /// not withdrawn, the tenant the rest of the balance. The bounty goes to the tenant with its
    /// refund when `bountyRecipient` is the tenant; otherwise it is returned as `bountyOwed` for the
    /// caller to pay to `bountyRecipient` (always `msg.sender`), so a batch pays all of them at once.
    /// A LIVENESS_FAILURE has been slashed by the caller, which already ended the match in the
    /// registry; every other reason releases it as completed.
    function _settle(
        uint256 leaseId,
        Market.OrderRecord storage order,
        Market.CloseReason reason,
        uint40 stopTime,
        address bountyRecipient
    ) private returns (uint128 bountyOwed) {
        // Effect: the terminal facts first, then the match ends in the registry and the fee accrues.
        order.closeReason = reason;
        (uint128 refund, uint128 gross, uint128 accrued) = _stopClock(order, stopTime);
        bountyOwed = order.settleBounty;
        if (reason != Market.CloseReason.LIVENESS_FAILURE) {
            // The lease counts as completed when its tenant paid the minimum over its life; its
            // protocol fee over that life is what the provider's reputation grows with.
            registry.release(
                _settlementOf(order),
                ReputationMath.paidOutcome(accrued, Registry.Outcome.LEASE_COMPLETED),
                (uint256(accrued) * order.protocolFeeBps) / _BPS
            );
        }
        address provider = order.provider;
        (uint128 paid, uint128 fee) = _takeFee(gross, order.protocolFeeBps);
        emit LeaseClosed(leaseId, msg.sender, reason, paid, fee, refund, bountyOwed, bountyRecipient);
        address tenant = order.tenant;
        bool toTenant = bountyRecipient == tenant;
        // The tenant's unused deposit; the bounty with it when it is the tenant's.
        if (toTenant) {
            refund += bountyOwed;
            // The tenant got the bounty with its refund: the caller owes no one.
            bountyOwed = 0;
        }
        // Effect: a provider's failure re-opens an opted-in request with the unused deposit.
        if (reason == Market.CloseReason.PROVIDER_RECLAIM || reason == Market.CloseReason.LIVENESS_FAILURE) {
            if (order.rematchesLeft != 0) refund = _reopen(leaseId, order, refund);
        }

        // Interaction.
        _payOrCredit(provider, paid);
        _payOrCredit(tenant, refund);
    }

    /// @dev Re-opens the failed lease's request under a new id when it may be (see
    /// `LeaseLiveness.reopen`); returns what is still the tenant's to refund (0 once re-opened).
    function _reopen(uint256 leaseId, Market.OrderRecord storage order, uint128 deposit) private returns (uint128) {
        uint256 requestId = _nextRequestId;
        // slither-disable-next-line reentrancy-no-eth (our linked library and config; callers nonReentrant)
        if (!LeaseLiveness.reopen(order, _orders[requestId], leaseId, requestId, deposit, config)) return deposit;
        // Unchecked: one id per re-open can never reach 2**256.
        unchecked {
            _nextRequestId = requestId + 1;
        }
        return 0;
    }

    /// @dev The tenant's close of a lease with a challenge open: the challenge is called off (no
    /// slash, the bond back to its challenger, each credited when the token refuses) and the clock
    /// stops at the challenge time, so the accrual held back since then returns to the tenant. The
    /// tenant is the caller: the bounty goes to it with its refund and nothing is owed.
    function _closeChallenged(uint256 leaseId, Market.OrderRecord storage order, Market.LeaseStatus status) private {
        // Effect: the challenge first, then the settlement writes the terminal facts before it pays.
        // slither-disable-next-line reentrancy-no-eth (our linked library; closeLease nonReentrant)
        (address challenger, uint128 bond, uint40 challengedAt) = LeaseLiveness.callOff(order, leaseId);
        Market.CloseReason reason =
            status == Market.LeaseStatus.ACTIVE ? Market.CloseReason.TENANT : _closeReasonOf(status);
        // slither-disable-next-line reentrancy-no-eth,unused-return (our registry; nonReentrant; nothing owed)
        _settle(leaseId, order, reason, challengedAt, msg.sender);

        // Interaction.
        _payOrCredit(challenger, bond);
    }

    /// @dev Closes one lease of a `closeLeases` batch if anyone may close it now, or emits why not.
    /// Returns the bounty owed to the caller (0 when skipped or when it went to the tenant).
    function _closeListed(uint256 leaseId) private returns (uint128 bountyOwed) {
        Market.OrderRecord storage order = _orders[leaseId];
        (Market.CloseSkipReason blocker, Market.LeaseStatus status) = _closeBlocker(order);
        if (blocker != Market.CloseSkipReason.NONE) {
            emit CloseSkipped(leaseId, blocker);
            return 0;
        }
        address bountyRecipient = _bountyRecipient(order.tenant, order.provider);
        bountyOwed = _settle(leaseId, order, _closeReasonOf(status), uint40(block.timestamp), bountyRecipient);
    }

    /// @dev What keeps anyone from closing a lease now (NONE when it is EXPIRED or INSOLVENT with
    /// no challenge open), and its derived status. LEASE_ACTIVE still lets its parties close it.
    function _closeBlocker(
        Market.OrderRecord storage order
    ) private view returns (Market.CloseSkipReason blocker, Market.LeaseStatus status) {
        if (!_isLease(order)) return (Market.CloseSkipReason.LEASE_NOT_FOUND, Market.LeaseStatus.NULL);
        status = _statusOf(order);
        if (status == Market.LeaseStatus.CLOSED || status == Market.LeaseStatus.TERMINATED) {
            blocker = Market.CloseSkipReason.LEASE_SETTLED;
        } else if (order.challengeOpen) {
            blocker = Market.CloseSkipReason.CHALLENGE_OPEN;
        } else if (status == Market.LeaseStatus.ACTIVE) {
            blocker = Market.CloseSkipReason.LEASE_ACTIVE;
        }
    }

    /// @dev The close reason of a lease anyone may close: its status is EXPIRED or INSOLVENT.
    function _closeReasonOf(Market.LeaseStatus status) private pure returns (Market.CloseReason) {
        return status == Market.LeaseStatus.EXPIRED ? Market.CloseReason.EXPIRED : Market.CloseReason.INSOLVENT;
    }

    /// @dev The bounty pays a third party for settling; the lease's own parties get it back to the tenant.
    function _bountyRecipient(address tenant, address provider) private view returns (address) {
        return msg.sender == tenant || msg.sender == provider ? tenant : msg.sender;
    }

    /// @dev Stops the lease's clock at `stopTime`: the balance that did not accrue by then (the
    /// tenant's refund), what accrued and was not yet paid out, and all that accrued over the lease.
    function _stopClock(
        Market.OrderRecord storage order,
        uint40 stopTime
    ) private returns (uint128 refund, uint128 gross, uint128 accrued) {
        order.stopTime = stopTime;
        Market.Stream memory stream = _streamOf(order);
        accrued = _accruedBy(stream, stopTime);
        refund = stream.balance - accrued;
        gross = accrued - _accruedBy(stream, order.paidUntil);
        order.paidUntil = stopTime;
    }

    /// @dev Splits `gross` of earnings: the fee accrues for the treasury, `paid` is the provider's.
    function _takeFee(uint128 gross, uint16 feeBps) private returns (uint128 paid, uint128 fee) {
        // Floor: the fee never exceeds its share, and paid + fee == gross exactly.
        fee = uint128((uint256(gross) * feeBps) / _BPS);
        paid = gross - fee;
        _accrueFee(fee);
    }

    function _settlementOf(Market.OrderRecord storage order) private view returns (Registry.Settlement memory) {
        return
            Registry.Settlement({
                provider: order.provider,
                offerId: order.offerId,
                units: order.units,
                collateral: order.collateral
            });
    }

    /// @dev The request's target overlays slots 3 and 4 of its record (see `Market.OrderRecord`).
    function _targetOf(Market.OrderRecord storage order) private pure returns (Market.Target storage target) {
        assembly ("memory-safe") {
            target.slot := add(order.slot, 3)
        }
    }

    /// @dev Zeroes slot 4 of a record whose request named a region, before the lease writes it.
    function _clearRegion(Market.OrderRecord storage order) private {
        Market.Target storage target = _targetOf(order);
        if (target.region != bytes32(0)) delete target.region;
    }

    /// @dev The external view of a record: the target while unmatched; once matched, the model and
    /// region of the offer that was matched and, for a JOB, the match as the job market holds it.
    function _viewOf(uint256 id, Market.OrderRecord storage order) private view returns (Market.Order memory v) {
        v.tenant = order.tenant;
        v.matchDeadline = order.matchDeadline;
        v.durationSeconds = order.durationSeconds;
        v.kind = order.kind;
        v.status = order.status;
        v.escrow = order.escrow;
        v.pricePerUnitHour = order.pricePerUnitHour;
        v.units = order.units;
        v.minVramGB = order.minVramGB;
        v.minReputation = order.minReputation;
        v.minTier = order.minTier;
        v.jobTermsHash = order.jobTermsHash;
        v.rematchesLeft = order.rematchesLeft;
        v.reopenedFrom = order.rematch.reopenedFrom;
        if (v.reopenedFrom != 0) v.excludedProvider = _orders[v.reopenedFrom].provider;
        if (v.status != Market.RequestStatus.MATCHED) {
            Market.Target storage target = _targetOf(order);
            v.gpuModel = target.gpuModel;
            v.region = target.region;
            return v;
        }
        if (v.kind == Market.RequestKind.RENTAL) {
            v.escrow += order.settleBounty;
            v.provider = order.provider;
            v.protocolFeeBps = order.protocolFeeBps;
            v.closeReason = order.closeReason;
            v.collateral = order.collateral;
            v.settleBounty = order.settleBounty;
            v.withdrawn = _accrued(order, order.paidUntil);
            v.startTime = order.startTime;
            v.stopTime = order.stopTime;
            v.offerId = order.offerId;
            v.challengedAt = order.challengedAt;
            v.reclaimableAt = order.reclaimableAt;
            if (order.challengeOpen) {
                v.challenger = order.challenger;
                v.challengeBond = order.challengeBond;
            }
        } else {
            (v.provider, v.offerId, v.collateral, ) = IJobMarket(_jobMarket).matchOf(id);
            v.startTime = uint40(v.escrow);
            v.escrow = 0;
        }
        (, v.gpuModel) = registry.offerOwnerOf(v.offerId);
        v.region = registry.regionOf(v.provider);
    }

    /// @dev `challengeLiveness` (`challenge`) or `requestReclaim` after the lookup, in the linked
    /// library: one call site for both keeps LeaseMarket's code within its room.
    function _openNotice(uint256 leaseId, bool challenge) private {
        Market.OrderRecord storage order = _lease(leaseId);
        LeaseLiveness.open(order, leaseId, _statusOf(order), config, paymentToken, challenge);
    }

    function _lease(uint256 leaseId) private view returns (Market.OrderRecord storage order) {
        order = _orders[leaseId];
        if (!_isLease(order)) revert Errors.LeaseMarket_LeaseNotFound(leaseId);
    }

    function _isLease(Market.OrderRecord storage order) private view returns (bool) {
        return order.status == Market.RequestStatus.MATCHED && order.kind == Market.RequestKind.RENTAL;
    }

    function _statusOf(Market.OrderRecord storage order) private view returns (Market.LeaseStatus) {
        Market.CloseReason closeReason = order.closeReason;
        if (closeReason == Market.CloseReason.LIVENESS_FAILURE) return Market.LeaseStatus.TERMINATED;
        if (closeReason != Market.CloseReason.NONE) return Market.LeaseStatus.CLOSED;
        if (block.timestamp >= uint256(order.startTime) + order.durationSeconds) return Market.LeaseStatus.EXPIRED;
        // slither-disable-next-line incorrect-equality (exact: _accrued is capped at this very balance)
        if (_accrued(order, uint40(block.timestamp)) == order.escrow) {
            return Market.LeaseStatus.INSOLVENT;
        }
        return Market.LeaseStatus.ACTIVE;
    }

    /// @dev Until when accrual may be paid out now: while a liveness challenge is open, accrual
    /// after the challenge is held back, because a missed answer stops the lease at the challenge time.
    function _payableUntil(Market.OrderRecord storage order) private view returns (uint40) {
        return order.challengeOpen ? order.challengedAt : uint40(block.timestamp);
    }

    /// @dev Streamed by `time`: floor(rate × elapsed / 1 h), elapsed capped by the lease's end and
    /// stop time, the total capped by the balance. Flooring favours the escrow.
    function _accrued(Market.OrderRecord storage order, uint40 time) private view returns (uint128) {
        return _accruedBy(_streamOf(order), time);
    }

    /// @dev `_accrued` on terms read once, for callers that need it at two times.
    function _accruedBy(Market.Stream memory stream, uint256 time) private pure returns (uint128) {
        uint256 end = time < stream.end ? time : stream.end;
        if (end <= stream.start) return 0;
        uint256 streamed;
        // Unchecked: end > start, and a rate below 2**160 times a time below 2**41 stays below 2**201.
        unchecked {
            streamed = (stream.ratePerHour * (end - stream.start)) / _SECONDS_PER_HOUR;
        }
        return streamed < stream.balance ? uint128(streamed) : stream.balance;
    }

    function _streamOf(Market.OrderRecord storage order) private view returns (Market.Stream memory stream) {
        uint256 startTime = order.startTime;
        uint256 stopTime = order.stopTime;
        // Unchecked: two uint40 sum below 2**41; a uint128 price times uint32 units stays below 2**160.
        unchecked {
            uint256 end = startTime + order.durationSeconds;
            stream.end = stopTime != 0 && stopTime < end ? stopTime : end;
            stream.ratePerHour = uint256(order.pricePerUnitHour) * order.units;
        }
        stream.start = startTime;
        stream.balance = order.escrow;
    }
}
