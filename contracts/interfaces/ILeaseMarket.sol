// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Market, Registry } from "../types/DataTypes.sol";
import { IMarketBase } from "./IMarketBase.sol";

/// @title ILeaseMarket
/// @notice Tenants post rental and job requests with escrow; matcher keepers pair them with
/// offers; a matched RENTAL request becomes a lease that streams payment to its provider per
/// second, capped by its balance, until it expires, runs dry, is closed or is terminated by a
/// missed liveness challenge. A matched JOB request is handed to the job market. Status is
/// derived from stored facts and the clock (docs/leases.md). Lease id = request id.
interface ILeaseMarket is IMarketBase {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a tenant posts a request and its deposit.
    event RequestCreated(uint256 indexed requestId, address indexed tenant, Market.RequestSpec spec, uint128 deposit);

    /// @notice Emitted when an open request is cancelled and its whole deposit refunded to the tenant.
    event RequestCancelled(uint256 indexed requestId, address indexed caller, uint128 refunded);

    /// @notice Emitted for a pair of a batch that could not be matched; the batch goes on.
    event MatchSkipped(uint256 indexed requestId, uint256 indexed offerId, Registry.SkipReason reason);

    /// @notice Emitted when a RENTAL request is matched and its lease starts streaming.
    event LeaseStarted(
        uint256 indexed leaseId,
        address indexed provider,
        uint256 indexed offerId,
        address matcher,
        uint128 pricePerUnitHour,
        uint128 balance,
        uint128 settleBounty,
        uint128 collateral,
        uint40 endTime
    );

    /// @notice Emitted when a JOB request is matched and handed, with its escrow, to the job market.
    event JobHandedOver(
        uint256 indexed requestId,
        address indexed provider,
        uint256 indexed offerId,
        address matcher,
        uint128 escrow
    );

    /// @notice Emitted when the provider withdraws streamed earnings; `fee` accrued for the treasury.
    event EarningsWithdrawn(uint256 indexed leaseId, address indexed provider, uint128 amount, uint128 fee);

    /// @notice Emitted when anyone adds to an active lease's balance.
    event LeaseToppedUp(uint256 indexed leaseId, address indexed funder, uint128 amount, uint128 balance);

    /// @notice Emitted when the provider gives notice; it may close the lease from `reclaimableAt`.
    event ReclaimRequested(uint256 indexed leaseId, uint40 reclaimableAt);

    /// @notice Emitted when a lease is settled, whatever the reason: the provider got `paid`
    /// (after `fee`, accrued for the treasury), the tenant `refunded`, and `bounty` went to `bountyRecipient`.
    event LeaseClosed(
        uint256 indexed leaseId,
        address indexed caller,
        Market.CloseReason indexed reason,
        uint128 paid,
        uint128 fee,
        uint128 refunded,
        uint128 bounty,
        address bountyRecipient
    );

    /// @notice Emitted when a lease of a request that opted into re-match ends by its provider's
    /// liveness failure or reclaim: the tenant's unused deposit (`refunded` of the lease's
    /// `LeaseClosed`, and the bounty when it was the tenant's) is not refunded but opens request
    /// `requestId` with the same spec and manifest commitment, which no offer of `excludedProvider`
    /// can match; it may be re-opened `rematchesLeft` more times (docs/leases.md, "Re-match").
    event RequestReopened(
        uint256 indexed leaseId,
        uint256 indexed requestId,
        address indexed tenant,
        address excludedProvider,
        uint128 deposit,
        uint8 rematchesLeft
    );

    /// @notice Emitted for a lease of a `closeLeases` batch that cannot be closed by anyone now; the batch goes on.
    event CloseSkipped(uint256 indexed leaseId, Market.CloseSkipReason reason);

    /// @notice Emitted when anyone challenges a lease's provider to prove its leased capacity works;
    /// `seed` seeds the capacity proof the answer must carry (docs/leases.md).
    event LivenessChallenged(
        uint256 indexed leaseId,
        address indexed challenger,
        uint128 bond,
        uint40 deadline,
        bytes32 seed
    );

    /// @notice Emitted when the provider answers in time. The bond went to `bondTo`: the provider,
    /// or back to the challenger when that is the lease's own tenant (its check is part of the
    /// service the lease pays for, so it pays the provider nothing more).
    event LivenessAnswered(uint256 indexed leaseId, address indexed provider, address bondTo, uint128 bond);

    /// @notice Emitted when an unanswered challenge is resolved: the lease is terminated (a
    /// LeaseClosed with reason LIVENESS_FAILURE follows) and the provider slashed.
    event LivenessResolved(uint256 indexed leaseId, address indexed challenger, uint128 slashed, uint128 bondReturned);

    /// @notice Emitted when the tenant closes its lease while a challenge is open: the challenge
    /// is called off, nobody is slashed, the challenger's bond goes back to it (a LeaseClosed
    /// follows, the clock stopped at the challenge time).
    event LivenessCalledOff(uint256 indexed leaseId, address indexed challenger, uint128 bondReturned);

    /// @notice Emitted once, when governance wires the job market.
    event JobMarketSet(address indexed jobMarket);

    /*//////////////////////////////////////////////////////////////
                              CONSTANT VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Most units one request may ask for.
    function MAX_UNITS() external view returns (uint32);

    /// @notice Most leases one `closeLeases` call may list. A lease costs about 48,000 gas in a
    /// batch when the leases share a provider, and not more than a lone close (under 100,000) when
    /// each touches cold slots: 200 stay within 20 M gas, inside a block's limit.
    function MAX_CLOSE_BATCH() external view returns (uint256);

    /// @notice The job market JOB requests are handed to; zero until governance sets it.
    function jobMarket() external view returns (address);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The id the next request gets; ids run from 1 to `nextRequestId() - 1`.
    function nextRequestId() external view returns (uint256);

    /// @notice The stored record of a request and, once it is a lease, of the lease.
    /// @dev Reverts with `LeaseMarket_RequestNotFound` for an unknown id.
    function getRequest(uint256 requestId) external view returns (Market.Order memory);

    /// @notice Same record as `getRequest`, for an id that is a lease.
    /// @dev Reverts with `LeaseMarket_LeaseNotFound` unless the id is a matched RENTAL request.
    function getLease(uint256 leaseId) external view returns (Market.Order memory);

    /// @notice `matcher`'s exposure: the value of what it matched (a lease's price × units ×
    /// duration, a job's deposit) in its window, which ends at `endsAt`. A window opens at the
    /// first match after the last one ended and lasts MatcherBonds' `challengeWindowSeconds`;
    /// within it the exposure stays at most the cap `matchTermsOf` gives (docs/matching-accountability.md).
    function exposureOf(address matcher) external view returns (uint128 exposure, uint40 endsAt);

    /// @notice The tenant of a request (zero when unknown). The job market reads a job's tenant here
    /// rather than storing it again.
    function tenantOf(uint256 requestId) external view returns (address);

    /// @notice The job terms hash of a JOB request, or the workload manifest commitment of a RENTAL
    /// (zero when the tenant committed to none, or for an unknown id). The job market reads a job's
    /// terms hash here rather than storing it again; a provider agent checks a manifest against it.
    function jobTermsHashOf(uint256 requestId) external view returns (bytes32);

    /// @notice OPEN, EXPIRED (open past its match deadline), MATCHED or CANCELLED; NULL when unknown.
    function requestStatusOf(uint256 requestId) external view returns (Market.RequestStatus);

    /// @notice ACTIVE, EXPIRED, INSOLVENT, CLOSED or TERMINATED; NULL when not a lease.
    function statusOf(uint256 leaseId) external view returns (Market.LeaseStatus);

    /// @notice What the lease's balance has streamed to the provider so far (before the fee).
    function accruedOf(uint256 leaseId) external view returns (uint128);

    /// @notice Accrued not yet paid out (before the fee).
    function withdrawableOf(uint256 leaseId) external view returns (uint128);

    /// @notice The streaming balance: deposit minus match fee and reserved bounty, plus top-ups.
    function balanceOf(uint256 leaseId) external view returns (uint128);

    /*//////////////////////////////////////////////////////////////
                                 TENANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Posts a request and pulls `deposit` payment tokens from the caller.
    /// @dev Reverts when paused (`Leasehold_Paused`), on a bad spec (units 1..MAX_UNITS, a
    /// non-zero price, maxDurationSeconds ≥ minLeaseSeconds, a future matchDeadline, minTier ≤
    /// MAX_TIER, minReputation ≤ 10000, a non-zero jobTermsHash for a JOB), and when the
    /// deposit is below matchFee + settleBounty + minLeaseSeconds at the max price (rounded up).
    /// Refuses a token that delivers less than asked. Emits {RequestCreated}.
    function createRequest(Market.RequestSpec calldata spec, uint128 deposit) external returns (uint256 requestId);

    /// @notice `createRequest` after an ERC-2612 permit for `deposit`. A permit that fails (for
    /// instance because someone front-ran it) is ignored when the allowance already suffices.
    function createRequestWithPermit(
        Market.RequestSpec calldata spec,
        uint128 deposit,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 requestId);

    /// @notice Refunds the whole deposit of an open request to its tenant. The tenant may
    /// cancel any time; anyone may once the match deadline has passed.
    /// @dev Reverts with `LeaseMarket_RequestNotOpen` or `LeaseMarket_CancelNotAllowed`.
    /// Emits {RequestCancelled}.
    function cancelRequest(uint256 requestId) external;

    /// @notice Adds `amount` to an ACTIVE lease's balance; anyone may pay. An INSOLVENT lease
    /// cannot be topped up: it must be closed (the top-up would pay for dark time). A top-up that
    /// would take the escrow past 2^128 - 1 reverts with `LeaseMarket_EscrowOverflow`.
    /// @dev Emits {LeaseToppedUp}.
    function topUp(uint256 leaseId, uint128 amount) external;

    /*//////////////////////////////////////////////////////////////
                                 MATCHERS
    //////////////////////////////////////////////////////////////*/

    /// @notice MATCHER_ROLE: matches each (request, offer) pair whose constraints still hold,
    /// skipping the others with {MatchSkipped}. The summed match fees go to the caller.
    /// @dev Reverts only for a missing role, pause or an empty batch. Emits {LeaseStarted} or
    /// {JobHandedOver} per matched pair.
    function matchRequests(Market.Pair[] calldata pairs) external;

    /*//////////////////////////////////////////////////////////////
                                PROVIDERS
    //////////////////////////////////////////////////////////////*/

    /// @notice Pays the provider what has streamed and is not yet paid, minus the protocol fee.
    /// @dev Emits {EarningsWithdrawn}.
    function withdrawEarnings(uint256 leaseId) external returns (uint128 amount);

    /// @notice Gives notice: the provider may close the ACTIVE lease after `reclaimNoticeSeconds`.
    /// @dev Emits {ReclaimRequested}.
    function requestReclaim(uint256 leaseId) external;

    /// @notice Answers an open liveness challenge within the window with a capacity proof for the
    /// challenge's seed. `answer` is the Merkle root of the lease's `units` x
    /// `Market.LIVENESS_LEAVES_PER_UNIT` leaves, then the sibling paths of the
    /// `Market.LIVENESS_SPOT_CHECKS` leaves drawn from (seed, root), one after the other, 32 bytes
    /// per node; the chain recomputes each drawn leaf (docs/leases.md). The bond goes to the
    /// provider, or back to the challenger when the challenger is the lease's tenant; credited
    /// ({IPayoutCredits}) when the token refuses the transfer.
    /// @dev Emits {LivenessAnswered}. Reverts with LeaseMarket_LivenessProofLength or
    /// LeaseMarket_LivenessProofInvalid on an answer without the work.
    function respondLiveness(uint256 leaseId, bytes calldata answer) external;

    /*//////////////////////////////////////////////////////////////
                                 ANYONE
    //////////////////////////////////////////////////////////////*/

    /// @notice Settles a lease: pays the provider accrued minus withdrawn minus the fee, refunds
    /// the tenant the unaccrued balance, returns units and collateral to the registry. The
    /// tenant may close any time (TENANT); the provider after its notice (PROVIDER_RECLAIM);
    /// anyone once EXPIRED or INSOLVENT, for the reserved settle bounty (a tenant or provider
    /// closing sends the bounty back to the tenant).
    /// While a liveness challenge is open only the tenant may close: the challenge is called off
    /// (the challenger's bond back, no slash), and the clock stops at the challenge time, so the
    /// held-back accrual returns to the tenant; a challenge cannot stall a tenant's exit.
    /// @dev Reverts with `LeaseMarket_LeaseSettled` when already settled and
    /// `LeaseMarket_ChallengeOpen` when anyone but the tenant closes while a liveness challenge is
    /// open. Emits {LeaseClosed}, after {LivenessCalledOff} when a challenge was open.
    function closeLease(uint256 leaseId) external;

    /// @notice Settles every listed lease that anyone may close now (EXPIRED or INSOLVENT, no
    /// challenge open), each exactly as `closeLease` by the caller would, except that the settle
    /// bounties owed to the caller are summed and paid in one transfer at the end (credited if the
    /// token refuses it). A listed lease of which the caller is the tenant or the provider sends
    /// its bounty to the tenant, as `closeLease` does. A lease that cannot be closed now is left
    /// as it is with {CloseSkipped} and its reason; an ACTIVE lease is skipped whoever calls, so a
    /// batch never ends a running lease. Not paused by the market's pause, as `closeLease` is not.
    /// @dev Reverts only with `LeaseMarket_EmptyBatch` or `LeaseMarket_BatchTooLarge` (more than
    /// `MAX_CLOSE_BATCH` ids). Emits {LeaseClosed} per closed lease, {CloseSkipped} per other.
    function closeLeases(uint256[] calldata leaseIds) external;

    /// @notice Challenges an ACTIVE lease's provider to answer on-chain; posts `livenessBond`.
    /// One open challenge per lease, `livenessSpacingSeconds` after the previous one (or the start).
    /// The answer deadline, now + `livenessWindowSeconds`, is fixed here: a later change of the
    /// window does not move it.
    /// @dev Emits {LivenessChallenged}.
    function challengeLiveness(uint256 leaseId) external;

    /// @notice Terminates a lease whose challenge went unanswered past the deadline it opened with:
    /// accrual stops at the challenge time, the provider is slashed `livenessSlashBps` of the
    /// collateral, the challenger gets its bond back, the caller the settle bounty.
    /// @dev Emits {LivenessResolved} and {LeaseClosed} with reason LIVENESS_FAILURE.
    function resolveLiveness(uint256 leaseId) external;

    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    /// @notice Owner of the config, once: the job market JOB requests go to.
    /// @dev Emits {JobMarketSet}.
    function setJobMarket(address jobMarket_) external;
}
