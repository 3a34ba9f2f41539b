// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Jobs, Registry } from "../types/DataTypes.sol";
import { IMarketBase } from "./IMarketBase.sol";

/// @title IJobMarket
/// @notice Jobs bought through the LeaseMarket: the solver submits a result and a trace root; the
/// hash of the result's block draws it for verification with probability `verificationSampleBps`,
/// and a sampled job is claimed by one bonded verifier, paid from a per-job levy, that attests it
/// valid with a spot proof of the trace; anyone may challenge inside the window with a bond, and a
/// challenge is settled by a bisection game over the solver's trace down to one step, checked
/// on-chain by the workload's step verifier or voted on by arbiters. Without a successful
/// challenge anyone finalizes after the window. Mechanism and economics: docs/verification.md.
/// @dev A job's id is the id of the JOB request it was matched from. Terms are published once
/// (event only) and passed back as calldata; every call that takes them checks their hash.
interface IJobMarket is IMarketBase {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when governance registers, changes or removes (verifier 0, not arbiter
    /// mode) a workload. Published terms keep the workload as it was at publication.
    event WorkloadSet(bytes32 indexed workload, address indexed stepVerifier, bool arbiterMode);

    /// @notice Emitted once per terms hash; providers and verifiers read the input from here.
    event JobTermsPublished(bytes32 indexed termsHash, Jobs.JobTerms terms, bytes input);

    /// @notice Emitted when the LeaseMarket opens a job; the escrow is held here from now on:
    /// `escrow` is the job's price, and the settle bounty is reserved beside it (what
    /// {ILeaseMarket-JobHandedOver} moved here, less `escrow`). `collateral` is the whole stake
    /// locked for the job, at least `jobCollateralBps` of the price.
    event JobOpened(
        uint256 indexed jobId,
        address indexed tenant,
        address indexed provider,
        uint256 offerId,
        uint32 units,
        uint128 collateral,
        uint128 escrow,
        bytes32 termsHash,
        uint40 resultDeadline
    );

    /// @notice Emitted when whoever settled a job (finalized, expired, or ended its dispute) is
    /// paid `bounty`: the job's reserved bounty, or a share of a losing challenger's bond.
    event SettleBountyPaid(uint256 indexed jobId, address indexed recipient, uint128 bounty);

    /// @notice Emitted when the solver submits its result; the challenge window runs to
    /// `windowEndsAt`.
    event ResultSubmitted(uint256 indexed jobId, bytes32 outputHash, bytes32 traceRoot, uint40 windowEndsAt);

    /// @notice Emitted when a job without a result in time is expired.
    event JobExpired(uint256 indexed jobId, address indexed caller, uint128 refunded, uint128 slashed);

    /// @notice Emitted when a verifier claims a sampled job, posting `bond`; the window now ends at
    /// `windowEndsAt`, a whole window from the claim.
    event VerificationClaimed(uint256 indexed jobId, address indexed verifier, uint128 bond, uint40 windowEndsAt);

    /// @notice Emitted when a verifier attests. `valid` (the claimant, with its spot proof)
    /// restarts the window at `windowEndsAt`, and `bond` is its claim's (`claimAndAttest` claims
    /// with this event alone, no {VerificationClaimed}); not `valid` opens a
    /// dispute with the verifier as challenger ({DisputeOpened} follows) and `bond` is the
    /// challenge bond.
    event Attested(uint256 indexed jobId, address indexed verifier, bool valid, uint128 bond, uint40 windowEndsAt);

    /// @notice Emitted when a dispute opens; `phase` is the first move, due by `deadline`.
    event DisputeOpened(
        uint256 indexed jobId,
        address indexed challenger,
        uint32 number,
        uint128 bond,
        Jobs.Phase phase,
        uint40 deadline
    );

    /// @notice Emitted when the solver reveals the hash of state `index`, proven against its root.
    event MidpointRevealed(uint256 indexed jobId, uint32 index, bytes32 stateHash, uint40 deadline);

    /// @notice Emitted when the challenger answers; the disputed interval is now [lo, hi].
    event MidpointAnswered(uint256 indexed jobId, bool agreed, uint32 lo, uint32 hi, Jobs.Phase phase, uint40 deadline);

    /// @notice Emitted when the last step is checked on-chain.
    event StepProven(uint256 indexed jobId, uint32 stepIndex, bool solverCorrect);

    /// @notice Emitted for each arbiter vote on the last step of an arbiter-mode dispute, with the
    /// bond the arbiter posted with it.
    event StepVoted(uint256 indexed jobId, address indexed arbiter, bool solverCorrect, uint128 bond);

    /// @notice Emitted when an arbiter vote is resolved: `outcome` 1 (solver correct), 2 (solver
    /// wrong) or 3 (no majority); `fee` is what the challenger's bond paid the committee;
    /// `payPerVote` what each majority vote claims besides its bond; `dust` the rounding accrued
    /// for the treasury.
    event VoteTallied(
        uint256 indexed jobId,
        uint32 indexed number,
        uint8 outcome,
        uint128 fee,
        uint128 payPerVote,
        uint128 dust
    );

    /// @notice Emitted when an arbiter claims its bond (and, in the majority, its pay) for a vote.
    event ArbiterPaid(uint256 indexed jobId, uint32 indexed number, address indexed arbiter, uint128 amount);

    /// @notice Emitted when a dispute ends. `slashed` is the solver's slash (stake tokens) when it
    /// lost; `windowEndsAt` is the reopened window when the challenger lost or could not win an
    /// arbiter majority (VOIDED).
    event DisputeResolved(
        uint256 indexed jobId,
        address indexed challenger,
        uint32 number,
        Jobs.DisputeResult result,
        uint128 slashed,
        uint40 windowEndsAt
    );

    /// @notice Emitted when a challenger that could not win has its bond split: `toDefender` to
    /// `defender`, the side that defended the result (the solver, or the verifier that attested it
    /// valid when it made the solver side's last move), the rest accrued for the treasury
    /// ({IProtocolFees}).
    event ChallengerBondForfeited(
        uint256 indexed jobId,
        address indexed challenger,
        address defender,
        uint128 toDefender,
        uint128 toTreasury
    );

    /// @notice Emitted when a verifier that attested a result proven wrong loses its bond.
    /// `toChallenger` is `whistleblowerRewardBps` of the bond, capped by what the treasury keeps of
    /// the solver's slash, so a solver losing to its own second account never gains.
    event VerifierBondForfeited(
        uint256 indexed jobId,
        address indexed verifier,
        uint128 toChallenger,
        uint128 toTreasury
    );

    /// @notice Emitted when a job is finalized. `escrow == toProvider + protocolFee +
    /// verifierLevy`; the levy joins the verifier pool, from which `toVerifier` (the sampled
    /// verifier's pay, 0 when nobody attested valid) is paid.
    event JobFinalized(
        uint256 indexed jobId,
        address indexed provider,
        uint128 toProvider,
        uint128 protocolFee,
        uint128 verifierLevy,
        uint128 toVerifier
    );

    /*//////////////////////////////////////////////////////////////
                              CONSTANT VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Shortest challenge window a job may ask for (10 minutes).
    function MIN_CHALLENGE_WINDOW_SECONDS() external view returns (uint40);

    /// @notice Shortest result timeout a job may ask for.
    function MIN_RESULT_TIMEOUT_SECONDS() external view returns (uint40);

    /// @notice Longest result timeout a job may ask for.
    function MAX_RESULT_TIMEOUT_SECONDS() external view returns (uint40);

    /// @notice Blocks after the result's in which a sampled job may be claimed: the chain knows the
    /// hash of the last 256 blocks only (`blockhash`).
    function CLAIM_WINDOW_BLOCKS() external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The only address allowed to open jobs: the LeaseMarket, whose record of each JOB
    /// request keeps the job's tenant and terms hash.
    function market() external view returns (address);

    /// @notice The workload `workloadId` as governance set it (all zero: not registered).
    function workload(bytes32 workloadId) external view returns (Jobs.Workload memory);

    /// @notice `keccak256(abi.encode(terms))`, the id of a set of terms.
    function hashTerms(Jobs.JobTerms calldata terms) external pure returns (bytes32);

    /// @notice Whether `termsHash` was published. The LeaseMarket must only accept JOB requests
    /// whose terms are published; publication is permanent.
    function isPublished(bytes32 termsHash) external view returns (bool);

    /// @notice Why a JOB request with terms `termsHash` and `deposit` cannot be matched to
    /// `offerId` (NONE when it can, or when the offer does not exist: the registry says so):
    /// JOB_TERMS_UNPUBLISHED, JOB_TERMS_REFUSED when the offer's job policy does not take the terms
    /// (the timeout is shorter than its setup time plus the steps at its throughput), or
    /// STAKE_INSUFFICIENT when the provider's free stake cannot back `jobCollateralBps` of the deposit.
    function jobSkipReason(
        bytes32 termsHash,
        uint256 offerId,
        uint128 deposit
    ) external view returns (Registry.SkipReason);

    /// @notice What publication recorded for `termsHash` (all zero: unpublished).
    function termsRecord(bytes32 termsHash) external view returns (Jobs.TermsRecord memory);

    /// @notice Job `jobId`'s match as this market holds it: the solver, its offer, the collateral
    /// locked and the job's price (its escrow without the settle bounty); all zero for an unknown id.
    /// What the lease market's view and a match challenge read, without the whole job.
    function matchOf(
        uint256 jobId
    ) external view returns (address provider, uint40 offerId, uint128 collateral, uint128 price);

    /// @notice The facts of a job: its record here, with the tenant and the terms hash the
    /// LeaseMarket keeps for the request (all zero for an unknown id).
    function getJob(uint256 jobId) external view returns (Jobs.Job memory);

    /// @notice The status of a job now, derived from its stored status and the clock.
    function statusOf(uint256 jobId) external view returns (Jobs.Status);

    /// @notice The verifier pool: the levy of the jobs nobody verified, and the bonds of claimants
    /// that never attested, held to pay sampled verifiers.
    function verifierPool() external view returns (uint256);

    /// @notice Whether the hash of a result's block, `submitBlockHash`, draws job `jobId` for
    /// verification at a sample rate of `sampleBps`: keccak256(abi.encode(hash, jobId)) mod 10,000
    /// below it. Keepers compute it off-chain before claiming.
    function isDrawn(bytes32 submitBlockHash, uint256 jobId, uint16 sampleBps) external pure returns (bool);

    /// @notice The step whose state hash `verifier` must prove to attest a result with trace root
    /// `traceRoot` valid: keccak256(abi.encode(traceRoot, verifier)) mod (N + 1). Bound to the
    /// verifier's address, so a copied attestation proves nothing.
    function spotIndex(bytes32 traceRoot, address verifier, uint32 steps) external pure returns (uint256);

    /// @notice The current (or last) dispute of a job.
    function disputeOf(uint256 jobId) external view returns (Jobs.Dispute memory);

    /// @notice For keepers: the phase of the job's open dispute, its deadline and who must move
    /// (the solver, the challenger, or address(0) for the arbiters). Phase NONE: no dispute.
    function nextMove(uint256 jobId) external view returns (Jobs.Phase phase, uint40 deadline, address mover);

    /// @notice Whether `arbiter` voted in the job's current dispute.
    function hasVoted(uint256 jobId, address arbiter) external view returns (bool);

    /*//////////////////////////////////////////////////////////////
                             GOVERNANCE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice The owner of ProtocolConfig registers, changes or removes a workload. A zero
    /// `stepVerifier` is allowed in arbiter mode; zero and not arbiter mode removes the workload.
    /// @dev Reverts with `JobMarket_CallerNotGovernance`, `JobMarket_InvalidWorkloadId`.
    /// Emits {WorkloadSet}.
    function setWorkload(bytes32 workloadId, address stepVerifier, bool arbiterMode) external;

    /*//////////////////////////////////////////////////////////////
                              PUBLIC CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice Anyone publishes job terms with their input, once, before a tenant asks for them.
    /// @dev Checks the input against `inputHash` and, when the workload has a step verifier,
    /// its validity; the steps, result timeout and challenge window against their bounds.
    /// Stores one slot; the input lives in the event. Emits {JobTermsPublished}.
    function publishJobTerms(Jobs.JobTerms calldata terms, bytes calldata input) external returns (bytes32 termsHash);

    /// @notice Anyone expires a job whose result deadline passed: the tenant gets the whole
    /// escrow back, the solver is slashed `lateResultSlashBps` of the collateral with the caller
    /// as whistleblower. Emits {JobExpired}.
    function expireJob(uint256 jobId) external;

    /// @notice Anyone challenges a submitted result inside the window (not the solver itself),
    /// posting `challengeBond`. Opens a dispute and pauses the window.
    /// @dev Emits {DisputeOpened}.
    function challenge(uint256 jobId, Jobs.JobTerms calldata terms) external;

    /// @notice Anyone settles a dispute whose current move (reveal, respond or prove) is overdue,
    /// for the side that moved last. Emits {DisputeResolved}.
    function claimTimeout(uint256 jobId) external;

    /// @notice Anyone shows the disputed step on-chain: `stateLo` must hash to the agreed hLo;
    /// the solver wins when the step from it hashes to hHi (or the challenger wins otherwise,
    /// including when `stateLo` is not a valid state of the workload). The solver (or the verifier
    /// that attested valid, which then takes the losing challenger's compensation) must see to it
    /// before the deadline. Emits {StepProven} and {DisputeResolved}.
    function proveStep(uint256 jobId, Jobs.JobTerms calldata terms, bytes calldata stateLo) external;

    /// @notice Anyone resolves an arbiter vote after its window: a strict majority decides; a tie
    /// or no votes is a challenger that could not win a majority (result VOIDED): its bond is
    /// forfeited as when it loses and the window resumes, so the solver keeps its pay unless a
    /// later challenge wins. Emits {DisputeResolved} and {ChallengerBondForfeited}.
    function resolveVote(uint256 jobId) external;

    /// @notice Anyone finalizes a job whose window closed undisputed: the solver gets the escrow
    /// less the protocol fee and the verifier levy; the protocol fee accrues for the treasury
    /// ({IProtocolFees}) and the levy joins the verifier pool. The claimant that attested valid
    /// gets its bond back and min(pool, escrow x verifierFeeBps / verificationSampleBps) from the
    /// pool; a claimant that never attested loses its bond to the pool. Emits {JobFinalized}.
    function finalizeJob(uint256 jobId) external;

    /*//////////////////////////////////////////////////////////////
                              ROLE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice The LeaseMarket opens a job from a matched JOB request, after transferring
    /// `escrow` payment tokens here; the registry has already locked `collateral` for the offer.
    /// @dev Reverts with `JobMarket_CallerNotMarket`, `JobMarket_JobExists`,
    /// `JobMarket_TermsNotPublished` (the market accepts only published terms, so this never
    /// fires in a batch). Emits {JobOpened}.
    function openJob(
        uint256 requestId,
        address tenant,
        address provider,
        uint256 offerId,
        uint32 units,
        uint128 collateral,
        uint128 escrow,
        bytes32 jobTermsHash
    ) external;

    /// @notice The solver submits `outputHash` (h_N) and the root of its trace, with a proof that
    /// leaf N of the trace is `outputHash`, before the result deadline. Opens the challenge
    /// window. Emits {ResultSubmitted}.
    function submitResult(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bytes32 outputHash,
        bytes32 traceRoot,
        bytes32[] calldata outputProof
    ) external;

    /// @notice VERIFIER_ROLE (not the solver) claims a submitted result drawn for verification
    /// (`isDrawn` by the hash of its block, at the sample rate fixed at the match), first come, in
    /// the `CLAIM_WINDOW_BLOCKS` blocks after it and inside the window, posting the verifier bond
    /// fixed at the match. Only the claimant may then attest; the window restarts for a full
    /// `challengeWindowSeconds` so it has time to re-execute.
    /// @dev Reverts with `JobMarket_AlreadyClaimed`, `JobMarket_ClaimWindowClosed`,
    /// `JobMarket_NotSampled`. Emits {VerificationClaimed}.
    function claimVerification(uint256 jobId, Jobs.JobTerms calldata terms) external;

    /// @notice `claimVerification` and a valid `attest` in one call, for a verifier that already
    /// holds the re-executed trace: the same claim (first come, drawn, posting the bond fixed at
    /// the match) with the state hash at the caller's spot, `spotHash`, and its proof against the
    /// solver's trace root. The window restarts once, for a full `challengeWindowSeconds`. A
    /// verifier that still has to re-execute claims first and attests later.
    /// @dev Reverts as `claimVerification` does, and with `JobMarket_InvalidSpotProof`. Emits
    /// {Attested} only: its `bond` is the claim's.
    function claimAndAttest(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bytes32 spotHash,
        bytes32[] calldata spotProof
    ) external;

    /// @notice A verifier attests a submitted result once per job, inside the window. `valid`: only
    /// the claimant, with `spotHash`, the hash of state `spotIndex(traceRoot, caller, N)`, and its
    /// proof against the solver's trace root; it restarts the window for a full
    /// `challengeWindowSeconds`. Not `valid`: VERIFIER_ROLE (not the solver; the claimant only once
    /// the job is claimed) opens a dispute as challenger, posting `challengeBond` like any
    /// challenger; `spotHash` and `spotProof` are ignored.
    /// @dev Reverts with `JobMarket_NotClaimant`, `JobMarket_InvalidSpotProof`. Emits {Attested}
    /// (and {DisputeOpened}).
    function attest(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bool valid,
        bytes32 spotHash,
        bytes32[] calldata spotProof
    ) external;

    /// @notice The solver, or the verifier that attested the result valid (it holds the same
    /// trace, so it can defend what it vouched for when the solver does not), reveals `hMid`, the
    /// hash of state (lo + hi) / 2, with a proof against the solver's trace root.
    /// Emits {MidpointRevealed}.
    function reveal(uint256 jobId, bytes32 hMid, bytes32[] calldata proof) external;

    /// @notice The challenger agrees (the interval becomes [mid, hi]) or disagrees ([lo, mid])
    /// with the revealed hash. Emits {MidpointAnswered}.
    function respond(uint256 jobId, bool agree) external;

    /// @notice ARBITER_ROLE (not a party) votes once on the last step of an arbiter-mode dispute,
    /// inside the vote window, posting the dispute's `arbiterBond`. Emits {StepVoted}.
    function voteOnStep(uint256 jobId, bool solverCorrect) external;

    /// @notice An arbiter of dispute `number` of the job claims, once the vote is resolved, its
    /// bond and its share of the pay when it voted with the majority, or its bond alone when
    /// there was no majority; a minority vote lost its bond to the majority.
    /// @dev Reverts with `JobMarket_NothingToClaim`. Emits {ArbiterPaid}.
    function claimArbiterPay(uint256 jobId, uint32 number) external;
}
