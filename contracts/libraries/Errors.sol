// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Jobs, Market, Registry } from "../types/DataTypes.sol";

/// @title Errors
/// @notice Every custom error of the protocol, named `<Contract>_<Reason>` so a wallet or a
/// test can tell at once which contract refused and why.
library Errors {
    /*//////////////////////////////////////////////////////////////
                                 SHARED
    //////////////////////////////////////////////////////////////*/

    /// @notice A token delivered less than the amount asked (fee-on-transfer, rebasing).
    error Leasehold_TransferAmountMismatch(address token, uint256 expected, uint256 received);

    /// @notice The caller lacks the role a function needs.
    error Leasehold_MissingRole(bytes32 role, address account);

    /// @notice New business is paused by governance.
    error Leasehold_Paused();

    /// @notice An address given was the zero address.
    error Leasehold_ZeroAddress();

    /*//////////////////////////////////////////////////////////////
                            PROTOCOL CONFIG
    //////////////////////////////////////////////////////////////*/

    error ProtocolConfig_ParamOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    error ProtocolConfig_UnbondingTooShort(uint256 unbondingPeriod, uint256 longestSlashableWindow);
    error ProtocolConfig_SharesExceedWhole(uint256 whistleblowerRewardBps, uint256 tenantCompensationBps);
    error ProtocolConfig_InvalidGpuModel(bytes32 gpuModel);
    error ProtocolConfig_InvalidTier(uint8 tier);
    error ProtocolConfig_InvalidVram(uint16 vramGB);
    error ProtocolConfig_CollateralOutOfBounds(uint128 collateralPerUnit, uint128 max);
    error ProtocolConfig_UnknownRole(bytes32 role);

    /*//////////////////////////////////////////////////////////////
                           PROVIDER REGISTRY
    //////////////////////////////////////////////////////////////*/

    error ProviderRegistry_AlreadyRegistered(address provider);
    error ProviderRegistry_NotRegistered(address provider);
    error ProviderRegistry_InvalidRegion();
    error ProviderRegistry_InvalidMetadataURI(uint256 length, uint256 maxLength);
    error ProviderRegistry_ZeroAmount();
    error ProviderRegistry_InsufficientFreeStake(uint128 requested, uint128 available);
    error ProviderRegistry_NothingUnbonding(address provider);
    error ProviderRegistry_UnbondingNotReady(uint40 readyAt, uint40 currentTime);
    error ProviderRegistry_StakeOverflow(uint256 total);
    error ProviderRegistry_GpuModelNotListed(bytes32 gpuModel);
    error ProviderRegistry_InvalidUnits(uint32 units, uint32 maxUnits);
    error ProviderRegistry_InvalidPrice(uint128 pricePerUnitHour);
    error ProviderRegistry_InvalidMaxDuration(uint40 maxDurationSeconds, uint40 min, uint40 max);
    error ProviderRegistry_OfferNotFound(uint256 offerId);
    error ProviderRegistry_NotOfferOwner(uint256 offerId, address caller);
    error ProviderRegistry_OfferRemoved(uint256 offerId);
    error ProviderRegistry_OfferPausedAlready(uint256 offerId, bool paused);
    error ProviderRegistry_UnitsBelowInUse(uint32 units, uint32 unitsInUse);
    error ProviderRegistry_SettlementMismatch(uint256 offerId, address provider);
    error ProviderRegistry_LockedStakeUnderflow(uint128 collateral, uint128 lockedStake);
    error ProviderRegistry_UnitsInUseUnderflow(uint32 units, uint32 unitsInUse);

    /*//////////////////////////////////////////////////////////////
                              LEASE MARKET
    //////////////////////////////////////////////////////////////*/

    error LeaseMarket_InvalidUnits(uint32 units, uint32 maxUnits);
    error LeaseMarket_ZeroPrice();
    error LeaseMarket_DurationTooShort(uint40 maxDurationSeconds, uint40 minLeaseSeconds);
    error LeaseMarket_MatchDeadlineNotInFuture(uint40 matchDeadline, uint40 currentTime);
    error LeaseMarket_InvalidTier(uint8 minTier, uint8 maxTier);
    error LeaseMarket_InvalidReputation(uint16 minReputation, uint16 maxReputation);
    error LeaseMarket_JobTermsMismatch(Market.RequestKind kind, bytes32 jobTermsHash);
    error LeaseMarket_DepositTooSmall(uint128 deposit, uint256 minimum);
    error LeaseMarket_RequestNotFound(uint256 requestId);
    error LeaseMarket_RequestNotOpen(uint256 requestId, Market.RequestStatus status);
    error LeaseMarket_CancelNotAllowed(uint256 requestId, address caller, uint40 matchDeadline);
    error LeaseMarket_EmptyBatch();
    error LeaseMarket_LeaseNotFound(uint256 leaseId);
    error LeaseMarket_LeaseNotActive(uint256 leaseId, Market.LeaseStatus status);
    error LeaseMarket_LeaseSettled(uint256 leaseId, Market.LeaseStatus status);
    error LeaseMarket_CallerNotProvider(uint256 leaseId, address caller);
    error LeaseMarket_NothingToWithdraw(uint256 leaseId);
    error LeaseMarket_ZeroAmount();
    error LeaseMarket_CloseNotAllowed(uint256 leaseId, address caller, Market.LeaseStatus status);
    error LeaseMarket_ReclaimNoticeNotOver(uint256 leaseId, uint40 reclaimableAt, uint40 currentTime);
    error LeaseMarket_ReclaimAlreadyRequested(uint256 leaseId, uint40 reclaimableAt);
    error LeaseMarket_ChallengeOpen(uint256 leaseId, address challenger, uint40 challengedAt);
    error LeaseMarket_ChallengeTooSoon(uint256 leaseId, uint40 earliest, uint40 currentTime);
    error LeaseMarket_NoOpenChallenge(uint256 leaseId);
    error LeaseMarket_ChallengeWindowClosed(uint256 leaseId, uint40 deadline, uint40 currentTime);
    error LeaseMarket_ChallengeWindowOpen(uint256 leaseId, uint40 deadline, uint40 currentTime);
    error LeaseMarket_CallerNotGovernance(address caller);
    error LeaseMarket_JobMarketAlreadySet(address jobMarket);
    error LeaseMarket_EscrowOverflow(uint256 leaseId, uint256 escrow);
    error LeaseMarket_BatchTooLarge(uint256 length, uint256 maxLength);
    error LeaseMarket_SignedRequestNotMatched(uint256 offerId, Registry.SkipReason reason);

    /*//////////////////////////////////////////////////////////////
                            SIGNED REQUESTS
    //////////////////////////////////////////////////////////////*/

    error SignedRequests_Expired(uint256 deadline, uint256 currentTime);
    error SignedRequests_NonceUsed(address tenant, uint256 nonce);
    error SignedRequests_NonceCancelled(address tenant, uint256 nonce);
    error SignedRequests_InvalidSignature(address tenant);

    /*//////////////////////////////////////////////////////////////
                               JOB MARKET
    //////////////////////////////////////////////////////////////*/

    // (job market and verification errors go here)

    /// @notice A step verifier was given a state whose encoding is not `expected` bytes long.
    error StepVerifier_InvalidState(uint256 length, uint256 expected);

    error JobMarket_CallerNotMarket(address caller);
    error JobMarket_CallerNotGovernance(address caller);
    error JobMarket_InvalidWorkloadId();
    error JobMarket_WorkloadNotRegistered(bytes32 workload);
    error JobMarket_InputHashMismatch(bytes32 expected, bytes32 actual);
    error JobMarket_InvalidInput(bytes32 workload);
    error JobMarket_StepsOutOfBounds(uint32 steps, uint256 max);
    error JobMarket_ResultTimeoutOutOfBounds(uint40 resultTimeoutSeconds, uint40 min, uint40 max);
    error JobMarket_ChallengeWindowOutOfBounds(uint40 challengeWindowSeconds, uint40 min, uint40 max);
    error JobMarket_TermsAlreadyPublished(bytes32 termsHash);
    error JobMarket_TermsNotPublished(bytes32 termsHash);
    error JobMarket_JobExists(uint256 jobId);
    error JobMarket_InvalidJob(uint256 jobId);
    error JobMarket_TermsMismatch(uint256 jobId, bytes32 expected, bytes32 given);
    error JobMarket_UnexpectedStatus(uint256 jobId, Jobs.Status current);
    error JobMarket_CallerNotProvider(uint256 jobId, address caller);
    error JobMarket_CallerNotChallenger(uint256 jobId, address caller);
    error JobMarket_ZeroTraceRoot(uint256 jobId);
    error JobMarket_InvalidTraceProof(uint256 jobId, uint256 index);
    error JobMarket_AlreadyAttested(uint256 jobId, address verifier);
    error JobMarket_VerifierIsProvider(uint256 jobId);
    error JobMarket_ChallengerIsProvider(uint256 jobId);
    error JobMarket_UnexpectedPhase(uint256 jobId, Jobs.Phase current);
    error JobMarket_MoveDeadlinePassed(uint256 jobId, uint40 deadline);
    error JobMarket_MoveDeadlineNotPassed(uint256 jobId, uint40 deadline);
    error JobMarket_StateHashMismatch(uint256 jobId, bytes32 expected, bytes32 actual);
    error JobMarket_AlreadyVoted(uint256 jobId, address arbiter);
    error JobMarket_ArbiterIsParty(uint256 jobId, address arbiter);

    /*//////////////////////////////////////////////////////////////
                        PAYOUT CREDITS (security)
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller has no credit to claim.
    error Leasehold_NoCredit(address account);

    /*//////////////////////////////////////////////////////////////
                             PROTOCOL FEES
    //////////////////////////////////////////////////////////////*/

    /// @notice No protocol fee has accrued since the last sweep.
    error Leasehold_NoFees();
}
