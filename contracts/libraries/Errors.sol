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

    /// @notice A parameter of `setParams` (named by `name`) is outside its bounds [`min`, `max`].
    error ProtocolConfig_ParamOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);

    /// @notice `unbondingPeriodSeconds` does not exceed the longest time a stake stays slashable after it
    /// stops backing new work (`longestSlashableWindow`), so a provider could unstake before a slash.
    error ProtocolConfig_UnbondingTooShort(uint256 unbondingPeriod, uint256 longestSlashableWindow);

    /// @notice The whistleblower's and the tenant's shares of a slash add up to more than 10,000 bps.
    error ProtocolConfig_SharesExceedWhole(uint256 whistleblowerRewardBps, uint256 tenantCompensationBps);

    /// @notice A GPU model id was zero.
    error ProtocolConfig_InvalidGpuModel(bytes32 gpuModel);

    /// @notice A GPU model's tier is above `MAX_TIER`.
    error ProtocolConfig_InvalidTier(uint8 tier);

    /// @notice A GPU model's vRAM was zero.
    error ProtocolConfig_InvalidVram(uint16 vramGB);

    /// @notice A GPU model's collateral per unit is zero or above `max` (`MAX_COLLATERAL_PER_UNIT`).
    error ProtocolConfig_CollateralOutOfBounds(uint128 collateralPerUnit, uint128 max);

    /// @notice `setRole` was given a role id that is none of the four roles.
    error ProtocolConfig_UnknownRole(bytes32 role);

    /*//////////////////////////////////////////////////////////////
                           PROVIDER REGISTRY
    //////////////////////////////////////////////////////////////*/

    /// @notice A job policy's setup time exceeds the longest result timeout any job may have.
    error ProviderRegistry_InvalidJobPolicy(uint40 minResultTimeoutSeconds, uint40 max);

    /// @notice The caller is already a registered provider.
    error ProviderRegistry_AlreadyRegistered(address provider);

    /// @notice `provider` is not a registered provider.
    error ProviderRegistry_NotRegistered(address provider);

    /// @notice A provider's region was zero.
    error ProviderRegistry_InvalidRegion();

    /// @notice A provider's metadata URI is empty or longer than `maxLength` bytes.
    error ProviderRegistry_InvalidMetadataURI(uint256 length, uint256 maxLength);

    /// @notice A stake or unstake amount was zero.
    error ProviderRegistry_ZeroAmount();

    /// @notice An unstake asks for more than the provider's free (unlocked) stake.
    error ProviderRegistry_InsufficientFreeStake(uint128 requested, uint128 available);

    /// @notice `withdrawUnstaked` found no unbonding stake to withdraw.
    error ProviderRegistry_NothingUnbonding(address provider);

    /// @notice The unbonding stake becomes withdrawable only at `readyAt`.
    error ProviderRegistry_UnbondingNotReady(uint40 readyAt, uint40 currentTime);

    /// @notice A stake would take the provider's total stake past 2^128 - 1.
    error ProviderRegistry_StakeOverflow(uint256 total);

    /// @notice An offer names a GPU model the catalogue does not list.
    error ProviderRegistry_GpuModelNotListed(bytes32 gpuModel);

    /// @notice An offer's units are zero or above `maxUnits`.
    error ProviderRegistry_InvalidUnits(uint32 units, uint32 maxUnits);

    /// @notice An offer's price per unit-hour was zero.
    error ProviderRegistry_InvalidPrice(uint128 pricePerUnitHour);

    /// @notice An offer's longest lease is outside [`min`, `max`] (`min` is `minLeaseSeconds`).
    error ProviderRegistry_InvalidMaxDuration(uint40 maxDurationSeconds, uint40 min, uint40 max);

    /// @notice No offer has id `offerId`.
    error ProviderRegistry_OfferNotFound(uint256 offerId);

    /// @notice The caller is not the provider of the offer.
    error ProviderRegistry_NotOfferOwner(uint256 offerId, address caller);

    /// @notice The offer was removed for good; it cannot be changed.
    error ProviderRegistry_OfferRemoved(uint256 offerId);

    /// @notice The offer's pause flag is already `paused`.
    error ProviderRegistry_OfferPausedAlready(uint256 offerId, bool paused);

    /// @notice An offer update would leave fewer units than running leases and jobs use.
    error ProviderRegistry_UnitsBelowInUse(uint32 units, uint32 unitsInUse);

    /// @notice `updateProvider` may not move a provider with locked stake (`lockedStake`) to
    /// another region: the region is a term of its running matches.
    error ProviderRegistry_RegionLocked(address provider, uint128 lockedStake);

    /// @notice A market's settlement names an offer that `provider` does not own (defence in depth).
    error ProviderRegistry_SettlementMismatch(uint256 offerId, address provider);

    /// @notice A settlement releases more collateral than the provider has locked (defence in depth).
    error ProviderRegistry_LockedStakeUnderflow(uint128 collateral, uint128 lockedStake);

    /// @notice A settlement returns more units than the offer has in use (defence in depth).
    error ProviderRegistry_UnitsInUseUnderflow(uint32 units, uint32 unitsInUse);

    /*//////////////////////////////////////////////////////////////
                              LEASE MARKET
    //////////////////////////////////////////////////////////////*/

    /// @notice A request's units are zero or above `maxUnits` (`MAX_UNITS`).
    error LeaseMarket_InvalidUnits(uint32 units, uint32 maxUnits);

    /// @notice A request's maximum price per unit-hour was zero.
    error LeaseMarket_ZeroPrice();

    /// @notice A request's duration is below the `minLeaseSeconds` parameter.
    error LeaseMarket_DurationTooShort(uint40 maxDurationSeconds, uint40 minLeaseSeconds);

    /// @notice A request's match deadline is not after the current block's time.
    error LeaseMarket_MatchDeadlineNotInFuture(uint40 matchDeadline, uint40 currentTime);

    /// @notice A request's minimum tier is above the catalogue's `maxTier`.
    error LeaseMarket_InvalidTier(uint8 minTier, uint8 maxTier);

    /// @notice A request's minimum reputation is above `maxReputation` (10,000).
    error LeaseMarket_InvalidReputation(uint16 minReputation, uint16 maxReputation);

    /// @notice A JOB request has no terms hash, or a RENTAL request has one.
    error LeaseMarket_JobTermsMismatch(Market.RequestKind kind, bytes32 jobTermsHash);

    /// @notice A JOB request asked for re-match, which only a RENTAL's lease can have.
    error LeaseMarket_RematchNotRental();

    /// @notice The deposit does not cover the match fee, the settle bounty and the shortest lease at the
    /// request's maximum price (`minimum`).
    error LeaseMarket_DepositTooSmall(uint128 deposit, uint256 minimum);

    /// @notice No request has id `requestId`.
    error LeaseMarket_RequestNotFound(uint256 requestId);

    /// @notice The request is `status`, no longer open.
    error LeaseMarket_RequestNotOpen(uint256 requestId, Market.RequestStatus status);

    /// @notice Only the tenant may cancel an open request before its `matchDeadline`.
    error LeaseMarket_CancelNotAllowed(uint256 requestId, address caller, uint40 matchDeadline);

    /// @notice A batch (`matchRequests`, `closeLeases`) was empty.
    error LeaseMarket_EmptyBatch();

    /// @notice `leaseId` is not a lease (a matched RENTAL request).
    error LeaseMarket_LeaseNotFound(uint256 leaseId);

    /// @notice The call needs an ACTIVE lease; the lease is `status`.
    error LeaseMarket_LeaseNotActive(uint256 leaseId, Market.LeaseStatus status);

    /// @notice The lease is already settled (`status` CLOSED or TERMINATED).
    error LeaseMarket_LeaseSettled(uint256 leaseId, Market.LeaseStatus status);

    /// @notice The call is the lease's provider's, and `caller` is not it.
    error LeaseMarket_CallerNotProvider(uint256 leaseId, address caller);

    /// @notice Nothing has accrued since the provider's last withdrawal.
    error LeaseMarket_NothingToWithdraw(uint256 leaseId);

    /// @notice A top-up of zero.
    error LeaseMarket_ZeroAmount();

    /// @notice `caller` may not close the lease while it is `status` (only its tenant, or its provider after
    /// notice, may close an ACTIVE lease).
    error LeaseMarket_CloseNotAllowed(uint256 leaseId, address caller, Market.LeaseStatus status);

    /// @notice The provider closes before its notice is over at `reclaimableAt` (0: no notice given).
    error LeaseMarket_ReclaimNoticeNotOver(uint256 leaseId, uint40 reclaimableAt, uint40 currentTime);

    /// @notice The provider already gave notice; it may close from `reclaimableAt`.
    error LeaseMarket_ReclaimAlreadyRequested(uint256 leaseId, uint40 reclaimableAt);

    /// @notice A liveness challenge opened by `challenger` at `challengedAt` is still open.
    error LeaseMarket_ChallengeOpen(uint256 leaseId, address challenger, uint40 challengedAt);

    /// @notice The next liveness challenge of the lease may open only at `earliest`.
    error LeaseMarket_ChallengeTooSoon(uint256 leaseId, uint40 earliest, uint40 currentTime);

    /// @notice The lease has no open liveness challenge.
    error LeaseMarket_NoOpenChallenge(uint256 leaseId);

    /// @notice The provider answers after the challenge's `deadline`.
    error LeaseMarket_ChallengeWindowClosed(uint256 leaseId, uint40 deadline, uint40 currentTime);

    /// @notice The challenge may be resolved only after its `deadline`, when the provider can no longer answer.
    error LeaseMarket_ChallengeWindowOpen(uint256 leaseId, uint40 deadline, uint40 currentTime);

    /// @notice The capacity proof of a liveness answer has `length` bytes where the lease's size asks
    /// `expected`: 32 for the root and 32 per sibling, the tree's depth times `Market.LIVENESS_SPOT_CHECKS`.
    error LeaseMarket_LivenessProofLength(uint256 leaseId, uint256 length, uint256 expected);

    /// @notice The capacity proof of a liveness answer fails its spot check `spot`: leaf `index`,
    /// recomputed from the challenge's seed, is not under the answer's root by the proof given.
    error LeaseMarket_LivenessProofInvalid(uint256 leaseId, uint256 spot, uint256 index);

    /// @notice Only the owner of the config (governance) may call this.
    error LeaseMarket_CallerNotGovernance(address caller);

    /// @notice The job market is set once; it is already `jobMarket`.
    error LeaseMarket_JobMarketAlreadySet(address jobMarket);

    /// @notice A top-up would take the lease's escrow past 2^128 - 1.
    error LeaseMarket_EscrowOverflow(uint256 leaseId, uint256 escrow);

    /// @notice A `closeLeases` batch lists more than `maxLength` (`MAX_CLOSE_BATCH`) leases.
    error LeaseMarket_BatchTooLarge(uint256 length, uint256 maxLength);
    /// @notice `matchSignedRequest`: the named offer cannot take the signed request now, for `reason`;
    /// nothing is pulled and the signature stays unspent.
    error LeaseMarket_SignedRequestNotMatched(uint256 offerId, Registry.SkipReason reason);

    /*//////////////////////////////////////////////////////////////
                            SIGNED REQUESTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A signed request submitted after its signature's `deadline`.
    error SignedRequests_Expired(uint256 deadline, uint256 currentTime);
    /// @notice A signed request whose nonce the tenant already spent (a replay).
    error SignedRequests_NonceUsed(address tenant, uint256 nonce);
    /// @notice A signed request whose nonce the tenant cancelled with `cancelSignedRequest`.
    error SignedRequests_NonceCancelled(address tenant, uint256 nonce);
    /// @notice The signature is not the tenant's: neither its ECDSA key nor, for a contract wallet,
    /// its ERC-1271 `isValidSignature` vouches for the request.
    error SignedRequests_InvalidSignature(address tenant);

    /*//////////////////////////////////////////////////////////////
                               JOB MARKET
    //////////////////////////////////////////////////////////////*/

    /// @notice A step verifier was given a state whose encoding is not `expected` bytes long.
    error StepVerifier_InvalidState(uint256 length, uint256 expected);

    /// @notice Only the LeaseMarket opens jobs.
    error JobMarket_CallerNotMarket(address caller);

    /// @notice Only the owner of the config (governance) may call this.
    error JobMarket_CallerNotGovernance(address caller);

    /// @notice A workload id was zero.
    error JobMarket_InvalidWorkloadId();

    /// @notice Terms name a workload governance has not registered.
    error JobMarket_WorkloadNotRegistered(bytes32 workload);

    /// @notice The published input does not hash to the terms' `inputHash`.
    error JobMarket_InputHashMismatch(bytes32 expected, bytes32 actual);

    /// @notice The published input is not a valid state of the workload's step verifier.
    error JobMarket_InvalidInput(bytes32 workload);

    /// @notice The terms' step count is zero or above `max` (2^maxBisectionRounds).
    error JobMarket_StepsOutOfBounds(uint32 steps, uint256 max);

    /// @notice The terms' result timeout is outside [`min`, `max`].
    error JobMarket_ResultTimeoutOutOfBounds(uint40 resultTimeoutSeconds, uint40 min, uint40 max);

    /// @notice The terms' challenge window is outside [`min`, `max`] (`max` is `maxChallengeWindowSeconds`).
    error JobMarket_ChallengeWindowOutOfBounds(uint40 challengeWindowSeconds, uint40 min, uint40 max);

    /// @notice These terms were published already; publication is once and permanent.
    error JobMarket_TermsAlreadyPublished(bytes32 termsHash);

    /// @notice `openJob` was given unpublished terms (defence in depth: the market matches only published ones).
    error JobMarket_TermsNotPublished(bytes32 termsHash);

    /// @notice `openJob` was given the id of an existing job (defence in depth).
    error JobMarket_JobExists(uint256 jobId);

    /// @notice `openJob` was given a zero tenant or provider (defence in depth).
    error JobMarket_InvalidJob(uint256 jobId);

    /// @notice The terms passed in do not hash to the job's terms hash (`expected`).
    error JobMarket_TermsMismatch(uint256 jobId, bytes32 expected, bytes32 given);

    /// @notice The call needs another status of the job; it is `current`.
    error JobMarket_UnexpectedStatus(uint256 jobId, Jobs.Status current);

    /// @notice `arbiter` has nothing to claim for dispute `number` of the job: the vote is not
    /// resolved, it did not vote, it voted with the minority, or it claimed already.
    error JobMarket_NothingToClaim(uint256 jobId, uint32 number, address arbiter);

    /// @notice The call is the job's solver's (a reveal also the verifier's that attested the
    /// result valid), and `caller` is not it.
    error JobMarket_CallerNotProvider(uint256 jobId, address caller);

    /// @notice The call is the open dispute's challenger's, and `caller` is not it.
    error JobMarket_CallerNotChallenger(uint256 jobId, address caller);

    /// @notice A result was submitted with a zero trace root.
    error JobMarket_ZeroTraceRoot(uint256 jobId);

    /// @notice A Merkle proof does not show leaf `index` of the solver's trace root.
    error JobMarket_InvalidTraceProof(uint256 jobId, uint256 index);

    /// @notice The job was attested already, by `verifier`; one attestation per job.
    error JobMarket_AlreadyAttested(uint256 jobId, address verifier);

    /// @notice The job was already claimed for verification, by `verifier`.
    error JobMarket_AlreadyClaimed(uint256 jobId, address verifier);

    /// @notice A claim outside the blocks after the result whose hash the chain still knows
    /// (`submitBlock` + 1 to `submitBlock` + 256); `blockNumber` is the claim's block.
    error JobMarket_ClaimWindowClosed(uint256 jobId, uint256 submitBlock, uint256 blockNumber);

    /// @notice The hash of the result's block did not draw the job for verification.
    error JobMarket_NotSampled(uint256 jobId);

    /// @notice Only the verifier that claimed the job may attest it (valid: always; invalid: once
    /// it is claimed). Anyone else challenges.
    error JobMarket_NotClaimant(uint256 jobId, address caller);

    /// @notice A valid attestation without the state hash at the verifier's spot `index`, proven
    /// against the solver's trace root: the verifier does not hold the trace.
    error JobMarket_InvalidSpotProof(uint256 jobId, uint256 index);

    /// @notice The job's solver cannot attest its own result.
    error JobMarket_VerifierIsProvider(uint256 jobId);

    /// @notice The job's solver cannot challenge its own result.
    error JobMarket_ChallengerIsProvider(uint256 jobId);

    /// @notice The call needs another phase of the dispute; it is `current`.
    error JobMarket_UnexpectedPhase(uint256 jobId, Jobs.Phase current);

    /// @notice The move's `deadline` has passed; only a timeout claim is left.
    error JobMarket_MoveDeadlinePassed(uint256 jobId, uint40 deadline);

    /// @notice A timeout (or vote resolution) may be claimed only after `deadline`.
    error JobMarket_MoveDeadlineNotPassed(uint256 jobId, uint40 deadline);

    /// @notice The state shown does not hash to the agreed hash `expected` of the disputed step.
    error JobMarket_StateHashMismatch(uint256 jobId, bytes32 expected, bytes32 actual);

    /// @notice The arbiter voted already in this dispute.
    error JobMarket_AlreadyVoted(uint256 jobId, address arbiter);

    /// @notice A party to the dispute (its challenger or the solver) cannot vote on it.
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

    /*//////////////////////////////////////////////////////////////
                             MATCHER BONDS
    //////////////////////////////////////////////////////////////*/

    /// @notice `account` may not match: its active bond `active` is below the minimum `minBond`.
    error MatcherBonds_NotBonded(address account, uint128 active, uint128 minBond);

    /// @notice A bond, unbonding or parameter amount of zero where a positive one is needed.
    error MatcherBonds_ZeroAmount();

    /// @notice The caller asked to unbond `amount` but only `active` of its bond is not unbonding.
    error MatcherBonds_InsufficientBond(uint128 amount, uint128 active);

    /// @notice Nothing is unbonding for `account`.
    error MatcherBonds_NothingUnbonding(address account);

    /// @notice The unbonding delay runs until `readyAt`; it is `currentTime`.
    error MatcherBonds_UnbondingNotReady(uint40 readyAt, uint40 currentTime);

    /// @notice Only the config's owner (governance) may call this.
    error MatcherBonds_CallerNotGovernance(address caller);

    /// @notice The lease market is set once, and already is (`leaseMarket`).
    error MatcherBonds_LeaseMarketAlreadySet(address leaseMarket);

    /// @notice No lease market is set yet, so no match can be challenged.
    error MatcherBonds_LeaseMarketUnset();

    /// @notice A parameter of `setParams` (named by `name`) is outside its bounds [`min`, `max`].
    error MatcherBonds_ParamOutOfRange(string name, uint256 value, uint256 min, uint256 max);

    /// @notice Lease `leaseId` was matched by no bonded matcher this contract knows (a match made
    /// before matcher bonds existed).
    error MatcherBonds_UnknownMatcher(uint256 leaseId);

    /// @notice Lease `leaseId`'s match may be challenged until `deadline`; it is `currentTime`.
    error MatcherBonds_ChallengeWindowClosed(uint256 leaseId, uint40 deadline, uint40 currentTime);

    /// @notice Lease `leaseId`'s match was already challenged successfully; a match pays once.
    error MatcherBonds_AlreadyChallenged(uint256 leaseId);

    /// @notice Offer `offerId` is the offer the lease was matched to.
    error MatcherBonds_SameOffer(uint256 leaseId, uint256 offerId);

    /// @notice Offer `offerId` could not have taken the request for a lower price; `reason` is
    /// the first constraint it fails (PRICE_TOO_HIGH: not strictly cheaper).
    error MatcherBonds_OfferNotBetter(uint256 offerId, Registry.SkipReason reason);

    /// @notice Offer `offerId` became more available at `changedAt`, not before `cutoff` (the
    /// match's time less the grace): that it was as free at the match, and long enough before it
    /// for any matcher to see, cannot be proven.
    error MatcherBonds_OfferChangedSinceMatch(uint256 offerId, uint40 changedAt, uint40 cutoff);

    /// @notice The offer's provider gained stake or changed region at `raisedAt`, not before
    /// `cutoff` (the match's time less the grace): that it could take the request then cannot be
    /// proven.
    error MatcherBonds_ProviderChangedSinceMatch(address provider, uint32 raisedAt, uint40 cutoff);

    /// @notice Unbonding `amount` would leave the active bond below twice the `exposure` of the
    /// matcher's window, open until `endsAt`: the bond backs those matches.
    error MatcherBonds_ExposureOpen(uint128 amount, uint128 exposure, uint40 endsAt);
}
