// SPDX-License-Identifier: MIT
// One file of namespace libraries (Sablier's types/DataTypes.sol): every struct and enum in one place.
// solhint-disable one-contract-per-file
pragma solidity 0.8.28;

// Structs and enums of the protocol, in one namespace library per concern.
// Timestamps are uint40, token amounts uint128; `// slot N` marks packing.

/// @title Config
/// @notice Governance-set protocol parameters and the GPU catalogue.
library Config {
    /// @notice Every bounded parameter, set in one call by governance (see docs/parameters.md).
    struct Params {
        // slot 0
        uint16 protocolFeeBps; // cut of every provider payment, to the treasury
        uint16 whistleblowerRewardBps; // share of a slash paid to whoever proved the fault
        uint16 tenantCompensationBps; // share of a slash credited to the affected tenant
        uint16 livenessSlashBps; // share of a lease's collateral slashed for a missed liveness challenge
        uint16 lateResultSlashBps; // share of a job's collateral slashed for a missed result deadline
        uint16 verifierFeeBps; // levy on every job's price for verification: the sampled verifier's pay and its pool
        uint40 minLeaseSeconds; // a request's deposit must cover this long at its max price
        uint40 reclaimNoticeSeconds; // notice a provider gives before closing a lease itself
        uint40 livenessWindowSeconds; // time the provider has to answer a liveness challenge
        uint40 livenessSpacingSeconds; // minimum time between two challenges of one lease
        // slot 1
        uint40 unbondingPeriodSeconds; // unstaked stake waits this long, still slashable
        uint40 maxChallengeWindowSeconds; // upper bound of a job's challenge window
        uint40 moveTimeoutSeconds; // time a side has for each move of a dispute
        uint40 arbiterVoteWindowSeconds; // time arbiters have to vote on a disputed step
        uint8 maxBisectionRounds; // bounds a job's steps to 2**maxBisectionRounds
        // slot 2
        uint128 matchFee; // payment token units paid to the matcher from the tenant's deposit
        uint128 settleBounty; // payment token units paid to whoever settles an expired or insolvent lease
        // slot 3
        uint128 livenessBond; // payment token units a liveness challenger posts
        uint128 challengeBond; // payment token units a job challenger posts
        // slot 4
        uint128 verifierBond; // payment token units a verifier posts when it claims a sampled job
        uint16 jobCollateralBps; // a job locks at least this share of its price as collateral (10000 = 1x)
        uint16 verificationSampleBps; // chance that a submitted result is drawn for paid verification
        // slot 5
        uint128 arbiterBond; // payment token units an arbiter posts with each vote; lost when in the minority
        uint128 arbiterFee; // payment token units of the challenger's bond paid to the majority of a decided vote
    }

    /// @notice What requests, matches and job settlements read of the parameters: two of the six
    /// slots and the pause flag in one call, instead of all six slots (docs/gas.md).
    struct MarketParams {
        bool paused;
        uint16 protocolFeeBps;
        uint16 verifierFeeBps;
        uint40 minLeaseSeconds;
        uint128 matchFee;
        uint128 settleBounty;
    }

    /// @notice What a job's match fixes of the parameters (PROTOCOL §7: terms fixed when agreed):
    /// three of the six slots in one call, instead of all six (docs/gas.md).
    struct JobMatchTerms {
        uint16 protocolFeeBps;
        uint16 verifierFeeBps;
        uint16 jobCollateralBps;
        uint16 verificationSampleBps;
        uint128 settleBounty;
        uint128 verifierBond;
    }

    /// @notice A catalogue entry: what one unit of a GPU model is and what it must be backed by.
    struct GpuModel {
        // slot 0
        uint128 collateralPerUnit; // stake token units locked per leased unit
        uint16 vramGB;
        uint8 tier; // 0 Entry, 1 Low, 2 Medium, 3 High, 4 Ultra (Spheron tiers)
        bool listed; // offers may only be added for listed models
    }
}

/// @title Registry
/// @notice Providers, their stake and their offers.
library Registry {
    /// @notice Why a provider was slashed; drives the reputation penalty.
    enum SlashReason {
        LIVENESS, // missed a liveness challenge
        LATE_RESULT, // missed a job's result deadline
        DISPUTE_LOST // lost a dispute over a job result
    }

    /// @notice A clean event recorded for a provider: a paid lease or job raises its reputation, an
    /// answered liveness challenge only its uptime (docs/reputation.md).
    enum Outcome {
        NONE, // nothing recorded: also a lease or job paid below ReputationMath.MIN_PAID_OUTCOME
        LEASE_COMPLETED,
        JOB_FINALIZED,
        LIVENESS_ANSWERED // uptime only; missed challenges are counted by a LIVENESS slash
    }

    /// @notice Why a (request, offer) pair cannot be matched. NONE means it can.
    enum SkipReason {
        NONE,
        REQUEST_NOT_OPEN,
        REQUEST_EXPIRED,
        OFFER_UNKNOWN,
        OFFER_INACTIVE, // paused or removed
        PROVIDER_IS_TENANT,
        MODEL_MISMATCH, // wrong model, or too little vRAM when any model is accepted
        TIER_TOO_LOW,
        REGION_MISMATCH,
        REPUTATION_TOO_LOW,
        PRICE_TOO_HIGH,
        DURATION_TOO_LONG, // the request's duration exceeds the offer's maximum
        UNITS_UNAVAILABLE,
        STAKE_INSUFFICIENT,
        JOB_MARKET_UNSET,
        JOB_TERMS_UNPUBLISHED, // the job market has not seen the request's terms: openJob would revert
        JOB_TERMS_REFUSED, // the offer's job policy does not accept the terms (no jobs, or too short a timeout)
        PROVIDER_EXCLUDED, // the request was re-opened after a lease of this offer's provider failed (docs/leases.md)
        EXPOSURE_CAP // the pair's value would take the matcher's exposure above its cap (half its bond)
    }

    struct Provider {
        // slot 0
        bytes32 region;
        // slot 1
        uint128 freeStake; // staked, not locked, not unbonding
        uint128 lockedStake; // collateral of running leases and jobs
        // slot 2 (with leasesCompleted and feesPaid, so a release writes the timestamp for free)
        uint96 unbondingStake; // waiting for unbondingReadyAt; still slashable (a whole stake fits 96 bits)
        uint32 unbondingReadyAt;
        uint32 registeredAt;
        // The last time this provider could have become able to match more: stake added or freed,
        // or its region changed. A match challenge proves the provider's stake and region by it
        // (docs/matching-accountability.md).
        uint32 raisedAt;
        // reputation facts, all from on-chain events (leasesCompleted in slot 2, the rest slot 3)
        uint32 leasesCompleted;
        // Protocol fees the provider's settled leases and jobs paid, in ReputationMath.FEE_UNIT
        // (0.001 USD), saturating: what its reputation grows with (docs/reputation.md).
        uint32 feesPaid;
        uint32 jobsFinalized;
        uint32 livenessAnswered;
        uint32 livenessMissed;
        uint32 disputesLost;
        uint32 slashCount;
        uint40 penaltyUpdatedAt;
        // slot 4
        uint128 totalSlashed;
        uint128 penaltyPoints; // decays with a 30-day half-life from penaltyUpdatedAt
    }

    struct Offer {
        // slot 0
        address provider;
        uint16 units; // ≤ MAX_OFFER_UNITS; the calls take uint32 and check the bound
        uint16 unitsInUse;
        bool paused;
        bool removed;
        // The last time the offer could have become more available: added, updated, unpaused, or
        // units returned. Reservations only take availability and leave it. A match challenge
        // proves the offer was as free at the match as it is now by it.
        uint40 changedAt;
        // slot 1
        bytes32 gpuModel;
        // slot 2
        uint128 pricePerUnitHour; // payment token units per unit per hour
        uint40 maxDurationSeconds;
        // the job policy: the jobs the provider consents to (docs/verification.md)
        uint32 jobStepsPerSecond; // steps per second the whole offer computes; 0: takes no jobs
        uint40 jobMinResultTimeoutSeconds; // time the provider needs besides the steps (setup, transfer)
    }

    /// @notice What a market asks of an offer when it matches a request.
    struct MatchTerms {
        address tenant;
        bytes32 gpuModel; // 0: any model with at least minVramGB
        bytes32 region; // 0: any region
        uint128 maxPricePerUnitHour;
        uint40 durationSeconds; // longest the lease or job may run
        uint32 units;
        uint16 minVramGB;
        uint16 minReputation; // 0..10000
        uint8 minTier;
    }

    /// @notice What the registry granted for a match.
    struct Reservation {
        address provider;
        uint128 pricePerUnitHour;
        uint128 collateral; // stake locked for this match
    }

    /// @notice Identifies what a market is ending: the stake and units a match took.
    struct Settlement {
        address provider;
        uint64 offerId;
        uint32 units;
        uint128 collateral;
    }

    /// @notice A slash ordered by a market, with who shares it.
    struct SlashOrder {
        uint128 amount; // asked; fewer is taken when the provider has less stake
        SlashReason reason;
        address whistleblower; // gets whistleblowerRewardBps; 0 or the provider itself: treasury
        address tenant; // gets tenantCompensationBps; 0: treasury
    }
}

/// @title Market
/// @notice Rental and job requests, and the streaming leases matched rental requests become.
library Market {
    /// @notice Once a request is matched, its record's `matchDeadline` (dead from then on) holds
    /// the match record: the matcher's id in MatcherBonds in the low 38 bits, and whether the
    /// request named a GPU model and a region, which a match challenge must honour.
    uint40 internal constant MATCHER_ID_MASK = (uint40(1) << 38) - 1;
    /// @notice The match record's flag: the request named a GPU model.
    uint40 internal constant MODEL_NAMED = uint40(1) << 38;
    /// @notice The match record's flag: the request named a region.
    uint40 internal constant REGION_NAMED = uint40(1) << 39;
    /// @notice How many times a request that opted into re-match (`RequestSpec.rematch`) is re-opened
    /// at most: after this many re-opened requests, the next failed lease refunds as any other.
    uint8 internal constant MAX_REMATCHES = 3;
    /// @notice How long a re-opened request stays open for a match, from the failed lease's end.
    uint40 internal constant REMATCH_WINDOW_SECONDS = 21_600; // 6 hours
    /// @notice The liveness capacity proof (docs/leases.md, "Liveness: a capacity proof"): leaves
    /// per leased unit; a lease's proof has `units` times this many leaves, padded with zero
    /// leaves to a power of two.
    uint256 internal constant LIVENESS_LEAVES_PER_UNIT = 32;
    /// @notice The capacity proof's keccak steps per leaf: leaf i is this many keccak256 steps
    /// from keccak256(seed, i) (keccak stands in for the GPU kernel).
    uint256 internal constant LIVENESS_CHAIN_STEPS = 16;
    /// @notice The capacity proof's spot checks: leaves drawn from (seed, root) that the answer
    /// proves against its root and the chain recomputes.
    uint256 internal constant LIVENESS_SPOT_CHECKS = 8;

    /// @notice RENTAL becomes a streaming lease here; JOB is handed to the job market at match.
    enum RequestKind {
        RENTAL,
        JOB
    }

    /// @notice Stored request status. EXPIRED is derived (OPEN past its matchDeadline) and is
    /// only ever returned by `requestStatusOf`; MATCHED and CANCELLED are terminal.
    enum RequestStatus {
        NULL,
        OPEN,
        EXPIRED,
        MATCHED,
        CANCELLED
    }

    /// @notice Derived lease status (see docs/leases.md). CLOSED and TERMINATED are terminal.
    enum LeaseStatus {
        NULL,
        ACTIVE,
        EXPIRED, // the lease ran its full duration
        INSOLVENT, // the balance is streamed out before the end
        CLOSED,
        TERMINATED // ended by a missed liveness challenge
    }

    /// @notice Why a lease ended. NONE while it runs. The only fault that ends a lease is a missed
    /// liveness challenge (LIVENESS_FAILURE, with the provider slashed); a job's faults end the job,
    /// whose outcome the job market keeps (`Jobs.Status`).
    enum CloseReason {
        NONE,
        TENANT,
        PROVIDER_RECLAIM,
        EXPIRED,
        INSOLVENT,
        LIVENESS_FAILURE
    }

    /// @notice Why `closeLeases` left a listed lease open. NONE means it was closed.
    enum CloseSkipReason {
        NONE,
        LEASE_NOT_FOUND, // not a matched RENTAL request
        LEASE_SETTLED, // already CLOSED or TERMINATED, also when listed twice
        CHALLENGE_OPEN, // only the answer, resolveLiveness or the tenant's own closeLease may end it
        LEASE_ACTIVE // neither EXPIRED nor INSOLVENT: only its parties may close it, one by one
    }

    /// @notice What a tenant asks for; calldata only, so ordered for reading, not packing.
    struct RequestSpec {
        bytes32 gpuModel; // 0: any model with at least minVramGB
        uint16 minVramGB;
        uint32 units; // 1..1024
        bytes32 region; // 0: any region
        uint8 minTier; // 0..4
        uint16 minReputation; // 0..10000
        uint128 maxPricePerUnitHour;
        uint40 maxDurationSeconds; // the lease runs this long at most
        uint40 matchDeadline; // absolute; unmatched after it, anyone may refund the tenant
        RequestKind kind;
        bytes32 jobTermsHash; // JOB: its published terms; RENTAL: its manifest commitment, or 0
        bool rematch; // RENTAL: re-open the unused deposit when a provider fails the lease (docs/leases.md)
    }

    /// @notice A (request, offer) pair proposed by a matcher.
    struct Pair {
        uint256 requestId;
        uint256 offerId;
    }

    /// @notice The view of one id (`getRequest`, `getLease`): the request's terms while it is open
    /// and, once a RENTAL request is matched, the lease's state (lease id = request id). Assembled
    /// from `OrderRecord`; once matched, `gpuModel` and `region` are the matched offer's model and
    /// its provider's region, and a JOB's provider, offer and collateral are its job's. Memory
    /// only, so ordered for reading; `OrderRecord` is how it is stored.
    struct Order {
        address tenant;
        uint40 matchDeadline;
        uint40 durationSeconds; // the request's maxDurationSeconds; the lease's full length
        RequestKind kind;
        RequestStatus status; // OPEN, MATCHED or CANCELLED
        uint128 escrow; // the deposit while open; once leased: balance + reserved bounty, top-ups included
        uint128 pricePerUnitHour; // the tenant's maximum while open; the offer's price once matched
        address provider; // 0 until matched
        uint32 units;
        uint16 minVramGB;
        uint16 minReputation;
        uint8 minTier;
        uint16 protocolFeeBps; // fixed at match: the fee the provider agreed to
        CloseReason closeReason; // NONE until the lease is settled
        uint128 collateral; // stake locked by the registry for this match
        uint128 settleBounty; // reserved at match, paid to whoever settles an ended lease
        uint128 withdrawn; // accrued already paid out (provider share + fee)
        uint40 startTime; // a lease's start; a matched JOB's match time
        uint40 stopTime; // close time, or the challenge time of a missed liveness challenge
        uint40 offerId;
        address challenger; // 0 when no liveness challenge is open
        uint40 challengedAt; // the latest challenge, open or answered
        uint40 reclaimableAt; // 0 until the provider gives notice
        uint128 challengeBond;
        bytes32 gpuModel;
        bytes32 region;
        bytes32 jobTermsHash;
        uint8 rematchesLeft; // re-opens left to a request that opted into re-match; 0: none (or opted out)
        uint256 reopenedFrom; // a re-opened request (or its lease): the failed lease it came from; 0 otherwise
        address excludedProvider; // that failed lease's provider, whose offers cannot match it; 0 otherwise
    }

    /// @notice How one id is stored. Slots 3 and 4 hold the request's `Target` while it is open
    /// and the lease's money and clock once a RENTAL request is matched: a match rewrites two
    /// occupied slots instead of filling two new ones (docs/gas.md). The clock slot says whether a
    /// challenge is open, so a withdrawal or close reads slot 5 only when one is; what was paid
    /// out is kept as the time accrual was paid up to (`Order.withdrawn` is the accrual at that
    /// time, which no later top-up changes: a lease is topped up only while its balance exceeds
    /// what has streamed). Slot 1 keeps a lease's balance without the reserved bounty, so accrual
    /// does not read slot 3 (`Order.escrow` adds the bounty back). A matched JOB keeps only its
    /// status here; the job market holds the rest.
    struct OrderRecord {
        // slot 0
        address tenant;
        uint40 matchDeadline;
        uint40 durationSeconds; // the request's maxDurationSeconds; the lease's full length
        RequestKind kind;
        RequestStatus status; // OPEN, MATCHED or CANCELLED
        // slot 1
        // the deposit while open; once leased: the streaming balance, top-ups included; a matched JOB:
        // the match's time (the job market holds its escrow)
        uint128 escrow;
        uint128 pricePerUnitHour; // the tenant's maximum while open; the offer's price once leased
        // slot 2
        address provider; // 0 until leased; a re-opened request's excluded provider while it is open
        uint16 units; // 1..1024 (LeaseMarket.MAX_UNITS), so a byte is left for `rematchesLeft`
        uint8 rematchesLeft; // set at creation: MAX_REMATCHES with `RequestSpec.rematch`, else 0
        uint16 minVramGB;
        uint16 minReputation;
        uint8 minTier;
        uint16 protocolFeeBps; // fixed at match: the fee the provider agreed to
        CloseReason closeReason; // NONE until the lease is settled
        // slot 3 (Target.gpuModel while open)
        uint128 collateral; // stake locked by the registry for this lease
        uint128 settleBounty; // reserved at match (beside the balance), paid to whoever settles an ended lease
        // slot 4 (Target.region while open): the lease's clock, all a withdrawal or close reads of it
        uint40 paidUntil; // accrual up to this time is paid out (provider share + fee); 0 before any
        uint40 startTime;
        uint40 stopTime; // close time, or the challenge time of a missed liveness challenge
        uint40 offerId;
        uint40 challengedAt; // the latest challenge, open or answered
        uint40 reclaimableAt; // 0 until the provider gives notice
        bool challengeOpen; // the challenge at `challengedAt` waits for its answer
        // slot 5: the latest challenge's; meaningful only while `challengeOpen`
        address challenger;
        uint56 challengeBond; // ProtocolConfig bounds the liveness bond to 10**9 units, far below 2**56
        uint40 challengeDeadline; // fixed when the challenge opens: the last second it may be answered
        // slot 6
        bytes32 jobTermsHash;
        // slots 7 to 9: written only for a request that opted into re-match (docs/leases.md)
        Rematch rematch;
    }

    /// @notice What a request that opted into re-match keeps beside its record: while it may be
    /// re-opened, the price cap and target its lease overwrites (the re-opened request's spec); once
    /// re-opened, the failed lease it came from, whose provider it excludes.
    struct Rematch {
        // slot 7
        uint128 maxPricePerUnitHour; // while `rematchesLeft` is not 0
        uint64 reopenedFrom; // a re-opened request: the failed lease's id; 0 otherwise
        // slot 8
        bytes32 gpuModel; // while `rematchesLeft` is not 0; 0: any (left unwritten)
        // slot 9
        bytes32 region; // while `rematchesLeft` is not 0; 0: any (left unwritten)
    }

    /// @notice A lease's accrual terms, read once from its record; memory only.
    struct Stream {
        uint256 start;
        uint256 end; // start + duration, or the stop time if earlier
        uint256 ratePerHour; // pricePerUnitHour × units
        uint128 balance;
    }

    /// @notice What an open request asks of the offer's model and provider; overlays slots 3
    /// and 4 of its `OrderRecord` until the match.
    struct Target {
        // slot 3 of the record
        bytes32 gpuModel; // 0: any model with at least minVramGB
        // slot 4 of the record
        bytes32 region; // 0: any region
    }
    /// @notice A request a tenant signs (EIP-712) instead of sending: any matcher submits it with
    /// its match. `nonce` is any unused number of the tenant's choice; `deadline` bounds the signature.
    struct SignedRequest {
        address tenant;
        RequestSpec spec;
        uint128 deposit;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice An ERC-2612 permit of the deposit from the tenant to the lease market; a zero
    /// permit leaves the tenant's standing allowance to pay.
    struct Permit {
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice Where a tenant's signed-request nonce stands; USED and CANCELLED are final.
    enum NonceStatus {
        UNUSED,
        USED,
        CANCELLED
    }
}

/// @title Jobs
/// @notice Jobs: deterministic computations paid from escrow, verified optimistically, disputed by
/// bisection (docs/verification.md).
library Jobs {
    /// @notice A job's status. MATCHED, SUBMITTED, DISPUTED and the terminal FINALIZED, EXPIRED and
    /// SLASHED are stored (VOIDED no longer is); LATE (MATCHED past the result deadline) and FINALIZABLE
    /// (SUBMITTED after the challenge window) are derived from the clock by `statusOf`.
    enum Status {
        NONE,
        MATCHED, // waiting for the solver's result
        LATE, // derived: the result deadline passed; anyone may expire the job
        SUBMITTED, // result in, challenge window open
        FINALIZABLE, // derived: the window closed undisputed; anyone may finalize
        DISPUTED, // a bisection game is running; the window is paused
        FINALIZED, // terminal: solver paid
        EXPIRED, // terminal: no result in time; tenant refunded, solver slashed a little
        SLASHED, // terminal: the solver lost a dispute; tenant refunded, collateral slashed
        VOIDED // no longer reached: a vote without a majority is the challenger's loss (kept so values do not move)
    }

    /// @notice What the one verifier of a job said.
    enum Attestation {
        NONE,
        VALID,
        INVALID
    }

    /// @notice Whose move a dispute waits for.
    enum Phase {
        NONE, // no dispute open
        REVEAL, // the solver reveals the state hash at the midpoint
        RESPOND, // the challenger agrees or disagrees with it
        PROVE, // one step left: the solver (or anyone for it) shows the step on-chain
        VOTE // one step left in an arbiter-mode workload: arbiters vote
    }

    /// @notice How a dispute ended. VOIDED: an arbiter vote without a strict majority, settled as
    /// the challenger's loss (the window resumes).
    enum DisputeResult {
        SOLVER_WON,
        CHALLENGER_WON,
        VOIDED
    }

    /// @notice What a tenant buys: published once (the input goes to an event only), referred to
    /// by `keccak256(abi.encode(terms))` and passed back as calldata where a call needs it.
    struct JobTerms {
        bytes32 workload; // a registered workload id, e.g. "hashchain"
        bytes32 inputHash; // h_0 = keccak256(input state)
        bytes32 seed; // fed to every step
        uint32 steps; // N ≥ 1, ≤ 2**maxBisectionRounds
        uint40 resultTimeoutSeconds; // from the match to the result deadline
        uint40 challengeWindowSeconds; // ≥ 10 minutes, ≤ maxChallengeWindowSeconds
    }

    /// @notice What publication records for a terms hash: the workload's referee at that moment
    /// (governance changing a workload later cannot change running jobs) and the two durations a
    /// job needs without the terms. Zero means unpublished.
    struct TermsRecord {
        // slot 0
        address stepVerifier; // 0 for an arbiter-mode workload without on-chain checks
        bool arbiterMode;
        uint24 resultTimeoutSeconds; // at most 30 days (MAX_RESULT_TIMEOUT_SECONDS), below 2**24
        uint24 challengeWindowSeconds; // never 0 once published; at most 7 days (ProtocolConfig)
        uint32 steps; // N, which the solver's offer must be able to compute within the timeout
    }

    /// @notice A workload registered by governance.
    struct Workload {
        // slot 0
        address stepVerifier; // checks input validity and, outside arbiter mode, the final step
        bool arbiterMode; // the final step is decided by ARBITER_ROLE votes
    }

    /// @notice The view of a job (`getJob`). Memory only, so ordered for reading; `JobRecord` is
    /// how it is stored, and the tenant and terms hash are the lease market's record of the JOB
    /// request the job was matched from.
    struct Job {
        address provider; // the solver
        uint64 offerId;
        uint32 units;
        address tenant;
        uint40 resultDeadline;
        uint40 windowEndsAt; // challenges and attestations only before it; finalize from it
        Status status; // stored values only (see Status)
        Attestation attestation;
        uint128 collateral; // stake locked in the registry for this job
        uint128 escrow; // payment tokens held here for this job
        bytes32 termsHash;
        bytes32 outputHash; // h_N claimed by the solver
        bytes32 traceRoot; // Merkle root of (i, h_i) for i = 0..N (TraceProofs)
        address verifier; // the verifier that claimed the job (sampled), or attested it invalid
        uint96 verifierBond; // the bond a claim posts, fixed at the match; held here once `verifier` claimed
        uint40 submitBlock; // the block of the result, whose hash draws the sample; 0 before
        uint16 sampleBps; // the verification sample rate fixed at the match: the draw and the verifier's pay
    }

    /// @notice How a job is stored: three slots at the match (the fees, the sample rate and the
    /// verifier bond fixed in them), two more with the result, and the claim and the attestation
    /// written into the second (docs/gas.md). The tenant and the terms hash are
    /// not stored again: the lease market's record of the request keeps them.
    struct JobRecord {
        // slot 0
        address provider; // the solver
        uint40 offerId; // the lease market matches only offers below 2**40
        uint16 units; // at most the lease market's MAX_UNITS (1024)
        // The bond a claim posts, fixed at the match; at most 100,000 USD (1e11 units, below 2**40)
        // by ProtocolConfig. Held here once `verifier` claimed the job; 0 after an invalid
        // attestation by a verifier that had not claimed it (that one posts the challenge bond).
        uint40 verifierBond;
        // slot 1
        address verifier; // 0 until a verifier claims the job (sampled) or attests it invalid
        // MATCHED: the result deadline. From the result on (dead as a deadline): the number of
        // the block the result was submitted in, whose hash draws the verification sample.
        uint40 resultDeadline;
        uint40 windowEndsAt; // challenges and attestations only before it; finalize from it
        Status status; // stored values only (see Status)
        Attestation attestation;
        // slot 2: the money, and the fees and sample rate fixed at the match (PROTOCOL §7: terms
        // fixed when agreed)
        uint96 collateral; // stake locked in the registry for this job; units x 1e24 and 5 x a uint96 price fit
        uint88 escrow; // the job's price held here, without the settle bounty; the registry skips a larger one
        uint16 protocolFeeBps; // fixed at the match
        uint16 verifierFeeBps; // fixed at the match
        uint16 sampleBps; // the verification sample rate, fixed at the match: the draw and the verifier's pay
        uint24 settleBounty; // reserved from the escrow at the match; at most 5 USD (5e6 < 2**24) by ProtocolConfig
        // slot 3
        bytes32 outputHash; // h_N claimed by the solver
        // slot 4
        bytes32 traceRoot; // Merkle root of (i, h_i) for i = 0..N (TraceProofs)
    }

    /// @notice The bisection game of a job's current (or last) dispute. The challenger agrees
    /// with hLo (the hash of state `lo`) and disputes hHi (the hash of state `hi`). The two
    /// durations are taken from the parameters when the dispute opens, so governance cannot
    /// move the deadlines of a running game; they also spare every move a parameter read.
    struct Dispute {
        // slot 0
        address challenger;
        uint96 bond; // payment tokens the challenger posted; bonds are bounded far below 2**96
        // slot 1
        uint32 lo;
        uint32 hi;
        uint40 deadline; // of the current phase, inclusive
        Phase phase;
        bool arbiterMode;
        uint40 moveTimeoutSeconds;
        uint40 voteWindowSeconds;
        uint32 number; // 1 for a job's first dispute; keys arbiter votes
        bool verifierDefends; // the solver side's last move was the valid verifier's: it gets the compensation
        // slot 2
        bytes32 hLo;
        // slot 3
        bytes32 hHi;
        // slot 4
        bytes32 hMid; // revealed, waiting for the challenger's answer
        // slot 5
        uint40 windowLeft; // challenge window time left when the dispute opened
        uint32 votesForSolver;
        uint32 votesForChallenger;
        uint40 arbiterBond; // copied when the dispute opens; bonds are at most 100,000 USD (below 2**40)
        uint40 arbiterFee; // copied when the dispute opens; at most the challenge bond
    }

    /// @notice The result of an arbiter vote, kept per dispute for the arbiters' claims
    /// (`claimArbiterPay`). Votes and outcomes are coded 1 (solver correct), 2 (solver wrong);
    /// outcome 3 is no majority, 0 not resolved yet.
    struct VoteTally {
        // slot 0
        uint8 outcome;
        uint40 bond; // each vote's bond, back to the majority (to every voter without one)
        uint96 payPerVote; // the fee and the minority's bonds, shared by the majority
    }
}
