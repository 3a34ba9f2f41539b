// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { MarketBase } from "./base/MarketBase.sol";
import { IJobMarket } from "./interfaces/IJobMarket.sol";
import { ILeaseMarket } from "./interfaces/ILeaseMarket.sol";
import { IProtocolConfig } from "./interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "./interfaces/IProviderRegistry.sol";
import { IStepVerifier } from "./interfaces/IStepVerifier.sol";
import { Errors } from "./libraries/Errors.sol";
import { JobDisputes } from "./libraries/JobDisputes.sol";
import { ReputationMath } from "./libraries/ReputationMath.sol";
import { TokenTransfers } from "./libraries/TokenTransfers.sol";
import { TraceProofs } from "./libraries/TraceProofs.sol";
import { Config, Jobs, Registry } from "./types/DataTypes.sol";

/// @title JobMarket
/// @notice Optimistic verification of jobs: result, sampled and paid verification, challenge
/// window, bisection dispute (run by the linked JobDisputes library), slash or payout. See
/// {IJobMarket} and docs/verification.md.
contract JobMarket is IJobMarket, MarketBase {
    using SafeCast for uint256;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    uint40 public constant override MIN_CHALLENGE_WINDOW_SECONDS = 10 minutes;

    /// @inheritdoc IJobMarket
    uint40 public constant override MIN_RESULT_TIMEOUT_SECONDS = 1 minutes;

    /// @inheritdoc IJobMarket
    uint40 public constant override MAX_RESULT_TIMEOUT_SECONDS = 30 days;

    /// @inheritdoc IJobMarket
    uint256 public constant override CLAIM_WINDOW_BLOCKS = 256;

    /*//////////////////////////////////////////////////////////////
                               IMMUTABLES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    address public immutable override market;

    /// @dev Read once: role checks then cost one call instead of two.
    bytes32 private immutable _verifierRole;
    bytes32 private immutable _arbiterRole;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    mapping(bytes32 workloadId => Jobs.Workload) private _workloads;
    mapping(bytes32 termsHash => Jobs.TermsRecord) private _termsRecords;
    mapping(uint256 jobId => Jobs.JobRecord) private _jobs;
    mapping(uint256 jobId => Jobs.Dispute) private _disputes;
    /// @dev An arbiter's vote per dispute: 0 none, 1 solver correct, 2 solver wrong, 3 claimed.
    mapping(uint256 jobId => mapping(uint32 disputeNumber => mapping(address arbiter => uint8))) private _voted;
    mapping(uint256 jobId => mapping(uint32 disputeNumber => Jobs.VoteTally)) private _tallies;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @notice Wires the job market to its config, registry, payment token and lease market.
    /// @param market_ The LeaseMarket, the only caller of `openJob` and the keeper of each job's tenant
    /// and terms hash (`tenantOf`, `jobTermsHashOf`); it must use `paymentToken_`.
    constructor(
        IProtocolConfig config_,
        IProviderRegistry registry_,
        IERC20 paymentToken_,
        address market_
    ) MarketBase(config_, registry_, paymentToken_) {
        if (market_ == address(0)) revert Errors.Leasehold_ZeroAddress();
        market = market_;
        _verifierRole = config_.VERIFIER_ROLE();
        _arbiterRole = config_.ARBITER_ROLE();
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    function workload(bytes32 workloadId) external view override returns (Jobs.Workload memory) {
        return _workloads[workloadId];
    }

    /// @inheritdoc IJobMarket
    function hashTerms(Jobs.JobTerms calldata terms) public pure override returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @inheritdoc IJobMarket
    function isPublished(bytes32 termsHash) external view override returns (bool) {
        return _termsRecords[termsHash].challengeWindowSeconds != 0;
    }

    /// @inheritdoc IJobMarket
    function jobSkipReason(
        bytes32 termsHash,
        uint256 offerId,
        uint128 deposit
    ) external view override returns (Registry.SkipReason) {
        Jobs.TermsRecord storage t = _termsRecords[termsHash];
        if (t.challengeWindowSeconds == 0) return Registry.SkipReason.JOB_TERMS_UNPUBLISHED;
        // The deposit bounds the job's price from above, so the collateral `openJob` locks.
        return registry.checkJobPolicy(offerId, t.steps, t.resultTimeoutSeconds, deposit);
    }

    /// @inheritdoc IJobMarket
    function termsRecord(bytes32 termsHash) external view override returns (Jobs.TermsRecord memory) {
        return _termsRecords[termsHash];
    }

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view override returns (Jobs.Job memory) {
        return _viewOf(jobId, _jobs[jobId]);
    }

    /// @inheritdoc IJobMarket
    function matchOf(
        uint256 jobId
    ) external view override returns (address provider, uint40 offerId, uint128 collateral, uint128 price) {
        Jobs.JobRecord storage job = _jobs[jobId];
        return (job.provider, job.offerId, job.collateral, job.escrow);
    }

    /// @inheritdoc IJobMarket
    function statusOf(uint256 jobId) external view override returns (Jobs.Status) {
        return _statusOf(_jobs[jobId]);
    }

    /// @inheritdoc IJobMarket
    function verifierPool() external view override returns (uint256) {
        return _poolBalance();
    }

    /// @inheritdoc IJobMarket
    function isDrawn(bytes32 submitBlockHash, uint256 jobId, uint16 sampleBps) public pure override returns (bool) {
        return uint256(keccak256(abi.encode(submitBlockHash, jobId))) % _BPS < sampleBps;
    }

    /// @inheritdoc IJobMarket
    function spotIndex(bytes32 traceRoot, address verifier, uint32 steps) public pure override returns (uint256) {
        return uint256(keccak256(abi.encode(traceRoot, verifier))) % (uint256(steps) + 1);
    }

    /// @inheritdoc IJobMarket
    function disputeOf(uint256 jobId) external view override returns (Jobs.Dispute memory) {
        return _disputes[jobId];
    }

    /// @inheritdoc IJobMarket
    function nextMove(uint256 jobId) external view override returns (Jobs.Phase phase, uint40 deadline, address mover) {
        Jobs.Dispute storage d = _disputes[jobId];
        phase = d.phase;
        if (phase == Jobs.Phase.NONE) return (phase, 0, address(0));
        deadline = d.deadline;
        if (phase == Jobs.Phase.REVEAL || phase == Jobs.Phase.PROVE) mover = _jobs[jobId].provider;
        else if (phase == Jobs.Phase.RESPOND) mover = d.challenger;
    }

    /// @inheritdoc IJobMarket
    function hasVoted(uint256 jobId, address arbiter) external view override returns (bool) {
        return _voted[jobId][_disputes[jobId].number][arbiter] != 0;
    }

    /*//////////////////////////////////////////////////////////////
                            GOVERNANCE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    function setWorkload(bytes32 workloadId, address stepVerifier, bool arbiterMode) external override {
        // Check: governance is whoever owns the config (a timelock or multisig).
        if (!_isGovernance(msg.sender)) revert Errors.JobMarket_CallerNotGovernance(msg.sender);
        if (workloadId == bytes32(0)) revert Errors.JobMarket_InvalidWorkloadId();

        // Effect
        _workloads[workloadId] = Jobs.Workload({ stepVerifier: stepVerifier, arbiterMode: arbiterMode });
        emit WorkloadSet(workloadId, stepVerifier, arbiterMode);
    }

    /*//////////////////////////////////////////////////////////////
                              PUBLIC CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    function publishJobTerms(
        Jobs.JobTerms calldata terms,
        bytes calldata input
    ) external override returns (bytes32 termsHash) {
        // Check: a registered workload, the input it names and accepts, bounded numbers.
        Jobs.Workload memory w = _workloads[terms.workload];
        if (w.stepVerifier == address(0) && !w.arbiterMode) {
            revert Errors.JobMarket_WorkloadNotRegistered(terms.workload);
        }
        bytes32 inputHash = keccak256(input);
        if (inputHash != terms.inputHash) revert Errors.JobMarket_InputHashMismatch(terms.inputHash, inputHash);
        if (w.stepVerifier != address(0) && !IStepVerifier(w.stepVerifier).isValidState(input)) {
            revert Errors.JobMarket_InvalidInput(terms.workload);
        }
        Config.Params memory params = config.params();
        uint256 maxSteps = uint256(1) << params.maxBisectionRounds;
        if (terms.steps == 0 || terms.steps > maxSteps) revert Errors.JobMarket_StepsOutOfBounds(terms.steps, maxSteps);
        if (
            terms.resultTimeoutSeconds < MIN_RESULT_TIMEOUT_SECONDS ||
            terms.resultTimeoutSeconds > MAX_RESULT_TIMEOUT_SECONDS
        ) {
            revert Errors.JobMarket_ResultTimeoutOutOfBounds(
                terms.resultTimeoutSeconds,
                MIN_RESULT_TIMEOUT_SECONDS,
                MAX_RESULT_TIMEOUT_SECONDS
            );
        }
        if (
            terms.challengeWindowSeconds < MIN_CHALLENGE_WINDOW_SECONDS ||
            terms.challengeWindowSeconds > params.maxChallengeWindowSeconds
        ) {
            revert Errors.JobMarket_ChallengeWindowOutOfBounds(
                terms.challengeWindowSeconds,
                MIN_CHALLENGE_WINDOW_SECONDS,
                params.maxChallengeWindowSeconds
            );
        }
        termsHash = hashTerms(terms);
        if (_termsRecords[termsHash].challengeWindowSeconds != 0) {
            revert Errors.JobMarket_TermsAlreadyPublished(termsHash);
        }

        // Effect: one slot; the terms and the input live in the event.
        _termsRecords[termsHash] = Jobs.TermsRecord({
            stepVerifier: w.stepVerifier,
            arbiterMode: w.arbiterMode,
            // Fit: both were checked against bounds below 2**24 just above.
            resultTimeoutSeconds: uint24(terms.resultTimeoutSeconds),
            challengeWindowSeconds: uint24(terms.challengeWindowSeconds),
            steps: terms.steps
        });
        emit JobTermsPublished(termsHash, terms, input);
    }

    /// @inheritdoc IJobMarket
    function expireJob(uint256 jobId) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check
        _requireStatus(jobId, job, Jobs.Status.LATE);

        // Effect: terminal before any transfer.
        job.status = Jobs.Status.EXPIRED;
        uint128 escrow = job.escrow;
        address tenant = ILeaseMarket(market).tenantOf(jobId);
        uint128 slashAmount = ((uint256(job.collateral) * config.params().lateResultSlashBps) / _BPS).toUint128();

        // Effect: the registry ends the match with the slash. No finder's share: a provider's
        // second account expiring its job would get it back (docs/verification.md, self-reports).
        uint128 slashed = registry.slash(
            _settlementOf(job),
            Registry.SlashOrder({
                amount: slashAmount,
                reason: Registry.SlashReason.LATE_RESULT,
                whistleblower: address(0),
                tenant: tenant
            })
        );
        emit JobExpired(jobId, msg.sender, escrow, slashed);

        // Interaction
        _payOrCredit(tenant, escrow);
        _paySettler(jobId, job.settleBounty);
    }

    /// @inheritdoc IJobMarket
    function challenge(uint256 jobId, Jobs.JobTerms calldata terms) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check
        _requireStatus(jobId, job, Jobs.Status.SUBMITTED);
        if (msg.sender == job.provider) revert Errors.JobMarket_ChallengerIsProvider(jobId);
        bytes32 termsHash = _requireTerms(jobId, terms);
        Config.Params memory params = config.params();

        // Effect
        _openDispute(jobId, job, terms, termsHash, params, params.challengeBond);

        // Interaction
        TokenTransfers.pullExact(paymentToken, params.challengeBond);
    }

    /// @inheritdoc IJobMarket
    function claimTimeout(uint256 jobId) external override nonReentrant {
        Jobs.Dispute storage d = _disputes[jobId];

        // Check: a move is overdue; a vote is resolved by `resolveVote`.
        Jobs.Phase phase = d.phase;
        if (phase != Jobs.Phase.REVEAL && phase != Jobs.Phase.RESPOND && phase != Jobs.Phase.PROVE) {
            revert Errors.JobMarket_UnexpectedPhase(jobId, phase);
        }
        if (block.timestamp <= d.deadline) revert Errors.JobMarket_MoveDeadlineNotPassed(jobId, d.deadline);

        // Effect and Interaction: the side that moved last wins.
        _resolve(
            jobId,
            _jobs[jobId],
            d,
            phase == Jobs.Phase.RESPOND ? Jobs.DisputeResult.SOLVER_WON : Jobs.DisputeResult.CHALLENGER_WON
        );
    }

    /// @inheritdoc IJobMarket
    function proveStep(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bytes calldata stateLo
    ) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];
        Jobs.Dispute storage d = _disputes[jobId];

        // Check: only the preimage of the agreed hash is accepted, so whoever calls, the outcome
        // is the same; a wrong state reverts and decides nothing.
        JobDisputes.requireMove(jobId, d, Jobs.Phase.PROVE);
        bytes32 termsHash = _requireTerms(jobId, terms);
        bytes32 stateHash = keccak256(stateLo);
        if (stateHash != d.hLo) revert Errors.JobMarket_StateHashMismatch(jobId, d.hLo, stateHash);

        // Check: the step, by the referee recorded when the terms were published. No try/catch:
        // a verifier that runs out of gas reverts the call instead of deciding it.
        IStepVerifier verifier = IStepVerifier(_termsRecords[termsHash].stepVerifier);
        uint32 stepIndex = d.lo;
        bool solverCorrect =
            verifier.isValidState(stateLo) && keccak256(verifier.step(stateLo, stepIndex, terms.seed)) == d.hHi;
        emit StepProven(jobId, stepIndex, solverCorrect);
        // The compensation goes to the side that defended: a proof by the solver or by its valid
        // verifier makes it theirs; anyone else's leaves the last reveal's mover.
        if (msg.sender == job.provider) d.verifierDefends = false;
        else if (msg.sender == job.verifier && job.attestation == Jobs.Attestation.VALID) d.verifierDefends = true;

        // Effect and Interaction
        _resolve(jobId, job, d, solverCorrect ? Jobs.DisputeResult.SOLVER_WON : Jobs.DisputeResult.CHALLENGER_WON);
    }

    /// @inheritdoc IJobMarket
    function resolveVote(uint256 jobId) external override nonReentrant {
        Jobs.Dispute storage d = _disputes[jobId];

        // Check and Effect: the tally (JobDisputes), its dust for the treasury.
        (Jobs.DisputeResult result, uint256 dust) = JobDisputes.tally(d, _tallies[jobId], jobId);
        _accrueFee(dust);

        // Effect and Interaction
        _resolve(jobId, _jobs[jobId], d, result);
    }

    /// @inheritdoc IJobMarket
    function claimArbiterPay(uint256 jobId, uint32 number) external override nonReentrant {
        // Check and Effect
        uint128 amount = JobDisputes.claimArbiterPay(_tallies[jobId][number], _voted[jobId][number], jobId, number);

        // Interaction
        _payOrCredit(msg.sender, amount);
    }

    /// @inheritdoc IJobMarket
    function finalizeJob(uint256 jobId) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check: the window closed with no dispute open (PROTOCOL §7 invariant 9).
        _requireStatus(jobId, job, Jobs.Status.FINALIZABLE);

        // Effect: terminal before any transfer. Floors keep the payout within the escrow.
        // The fee, the levy and the sample rate are those fixed at the match, whatever governance
        // set since.
        job.status = Jobs.Status.FINALIZED;
        uint128 escrow = job.escrow;
        uint128 protocolFee = uint128((uint256(escrow) * job.protocolFeeBps) / _BPS);
        uint128 levy = uint128((uint256(escrow) * job.verifierFeeBps) / _BPS);
        uint128 toProvider = escrow - protocolFee - levy;
        address provider = job.provider;
        address verifier = job.verifier;
        // The bond fixed at the match is held only once a verifier claimed the job.
        uint128 verifierBond = verifier == address(0) ? 0 : job.verifierBond;
        uint128 toVerifier;
        if (job.attestation == Jobs.Attestation.VALID) {
            // The sampled verifier that proved it holds the trace: levy over the sample rate (what
            // re-executing one job in 1/s must earn), out of the levy and the pool.
            uint256 pay = (uint256(escrow) * job.verifierFeeBps) / job.sampleBps;
            uint256 available = _poolBalance() + levy;
            toVerifier = uint128(pay < available ? pay : available);
            _accrueWithPool(protocolFee, levy, toVerifier);
        } else {
            // Nobody verified: the levy funds the pool, with the bond of a verifier that claimed
            // the job and never vouched for it (zero when nobody claimed it).
            _accrueWithPool(protocolFee, uint256(levy) + verifierBond, 0);
            verifierBond = 0;
        }
        // The collateral is released with the match; the job counts as finalized above the minimum pay,
        // and its protocol fee is what the provider's reputation grows with.
        registry.release(
            _settlementOf(job),
            ReputationMath.paidOutcome(escrow, Registry.Outcome.JOB_FINALIZED),
            protocolFee
        );
        emit JobFinalized(jobId, provider, toProvider, protocolFee, levy, toVerifier);

        // Interaction: payments to parties fixed in advance. The verifier's pay and bond are
        // credited: its standing balance, which its next claim's bond is taken from (no transfer).
        _payOrCredit(provider, toProvider);
        _credit(verifier, uint256(toVerifier) + verifierBond);
        _paySettler(jobId, job.settleBounty);
    }

    /*//////////////////////////////////////////////////////////////
                               ROLE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IJobMarket
    function openJob(
        uint256 requestId,
        address tenant,
        address provider,
        uint256 offerId,
        uint32 units,
        uint128 collateral,
        uint128 escrow,
        bytes32 jobTermsHash
    ) external override {
        Jobs.JobRecord storage job = _jobs[requestId];

        // Check: the market moved `escrow` here before calling.
        if (msg.sender != market) revert Errors.JobMarket_CallerNotMarket(msg.sender);
        if (job.status != Jobs.Status.NONE) revert Errors.JobMarket_JobExists(requestId);
        if (tenant == address(0) || provider == address(0)) revert Errors.JobMarket_InvalidJob(requestId);
        uint40 resultDeadline = _termsRecords[jobTermsHash].resultTimeoutSeconds;
        if (resultDeadline == 0) revert Errors.JobMarket_TermsNotPublished(jobTermsHash);

        // Effect: three slots. The tenant and the terms hash stay in the market's record of the
        // request, which outlives the job: stored here again they would cost a slot.
        resultDeadline += uint40(block.timestamp);
        job.provider = provider;
        job.offerId = offerId.toUint40();
        job.units = uint256(units).toUint16();
        job.resultDeadline = resultDeadline;
        job.status = Jobs.Status.MATCHED;
        (collateral, escrow) = _fixMatchTerms(job, offerId, collateral, escrow);
        emit JobOpened(requestId, tenant, provider, offerId, units, collateral, escrow, jobTermsHash, resultDeadline);
    }

    /// @inheritdoc IJobMarket
    function submitResult(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bytes32 outputHash,
        bytes32 traceRoot,
        bytes32[] calldata outputProof
    ) external override {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check: the solver, on time, with h_N bound to leaf N of its trace.
        _requireStatus(jobId, job, Jobs.Status.MATCHED);
        if (msg.sender != job.provider) revert Errors.JobMarket_CallerNotProvider(jobId, msg.sender);
        _requireTerms(jobId, terms);
        if (traceRoot == bytes32(0)) revert Errors.JobMarket_ZeroTraceRoot(jobId);
        if (!TraceProofs.verify(outputProof, traceRoot, terms.steps, outputHash)) {
            revert Errors.JobMarket_InvalidTraceProof(jobId, terms.steps);
        }

        // Effect: the window counts from the result. The result deadline, met, gives its bits to
        // the block number, whose hash (unknown to the solver now) draws the verification sample.
        uint40 windowEndsAt = uint40(block.timestamp) + terms.challengeWindowSeconds;
        job.windowEndsAt = windowEndsAt;
        job.resultDeadline = uint40(block.number);
        job.status = Jobs.Status.SUBMITTED;
        job.outputHash = outputHash;
        job.traceRoot = traceRoot;
        emit ResultSubmitted(jobId, outputHash, traceRoot, windowEndsAt);
    }

    /// @inheritdoc IJobMarket
    function claimVerification(uint256 jobId, Jobs.JobTerms calldata terms) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check and Effect: the claim (first come, drawn, in its blocks), then the terms.
        uint128 bond = _claim(jobId, job);
        _requireTerms(jobId, terms);

        // Effect: it gets a whole window from now to re-execute, and nobody finalizes before it
        // could attest.
        uint40 windowEndsAt = uint40(block.timestamp) + terms.challengeWindowSeconds;
        job.windowEndsAt = windowEndsAt;
        emit VerificationClaimed(jobId, msg.sender, bond, windowEndsAt);

        // Effect or Interaction
        _postClaimBond(bond);
    }

    /// @inheritdoc IJobMarket
    function claimAndAttest(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bytes32 spotHash,
        bytes32[] calldata spotProof
    ) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check and Effect: the same claim as `claimVerification`'s, first come; then the terms and
        // the spot proof of the valid attestation, which restarts the window once.
        uint128 bond = _claim(jobId, job);
        _requireTerms(jobId, terms);
        _attestValid(jobId, job, terms, bond, spotHash, spotProof);

        // Effect or Interaction
        _postClaimBond(bond);
    }

    /// @inheritdoc IJobMarket
    function attest(
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bool valid,
        bytes32 spotHash,
        bytes32[] calldata spotProof
    ) external override nonReentrant {
        Jobs.JobRecord storage job = _jobs[jobId];

        // Check
        _requireStatus(jobId, job, Jobs.Status.SUBMITTED);
        address claimant = job.verifier;
        if (job.attestation != Jobs.Attestation.NONE) revert Errors.JobMarket_AlreadyAttested(jobId, claimant);
        bytes32 termsHash = _requireTerms(jobId, terms);

        if (valid) {
            // Check: the claimant only (its proof follows).
            if (msg.sender != claimant) revert Errors.JobMarket_NotClaimant(jobId, msg.sender);
            _attestValid(jobId, job, terms, job.verifierBond, spotHash, spotProof);
            return;
        }

        // Check: a bonded verifier (not the solver); once a job is claimed, only its claimant
        // attests (anyone else challenges).
        if (!config.hasRole(_verifierRole, msg.sender)) {
            revert Errors.Leasehold_MissingRole(_verifierRole, msg.sender);
        }
        if (msg.sender == job.provider) revert Errors.JobMarket_VerifierIsProvider(jobId);
        if (claimant == address(0)) {
            // Effect: an unclaimed job; this verifier posts the challenge bond, not the claim's.
            job.verifierBond = 0;
        } else if (msg.sender != claimant) {
            revert Errors.JobMarket_NotClaimant(jobId, msg.sender);
        }

        // Effect: the same dispute as any challenger's, so the same bond.
        Config.Params memory params = config.params();
        uint128 bond = params.challengeBond;
        job.verifier = msg.sender;
        job.attestation = Jobs.Attestation.INVALID;
        emit Attested(jobId, msg.sender, false, bond, job.windowEndsAt);
        _openDispute(jobId, job, terms, termsHash, params, bond);

        // Interaction
        TokenTransfers.pullExact(paymentToken, bond);
    }

    /// @inheritdoc IJobMarket
    function reveal(uint256 jobId, bytes32 hMid, bytes32[] calldata proof) external override {
        JobDisputes.reveal(_disputes[jobId], _jobs[jobId], jobId, hMid, proof);
    }

    /// @inheritdoc IJobMarket
    function respond(uint256 jobId, bool agree) external override {
        JobDisputes.respond(_disputes[jobId], jobId, agree);
    }

    /// @inheritdoc IJobMarket
    function voteOnStep(uint256 jobId, bool solverCorrect) external override nonReentrant {
        JobDisputes.vote(
            _disputes[jobId],
            _voted[jobId],
            jobId,
            _jobs[jobId].provider,
            solverCorrect,
            config,
            _arbiterRole,
            paymentToken
        );
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @dev A claim's checks and effect: a bonded verifier (not the solver), first, on a result still
    /// in its window, drawn by the hash of its block at the sample rate fixed at the match, within
    /// the blocks whose hash the chain still knows. Records the claimant (the bond fixed at the
    /// match is already in the record, so no slot is filled) and returns the bond, which the
    /// caller pulls.
    function _claim(uint256 jobId, Jobs.JobRecord storage job) private returns (uint128 bond) {
        _requireStatus(jobId, job, Jobs.Status.SUBMITTED);
        if (!config.hasRole(_verifierRole, msg.sender)) {
            revert Errors.Leasehold_MissingRole(_verifierRole, msg.sender);
        }
        if (msg.sender == job.provider) revert Errors.JobMarket_VerifierIsProvider(jobId);
        if (job.verifier != address(0)) revert Errors.JobMarket_AlreadyClaimed(jobId, job.verifier);
        uint256 submitBlock = job.resultDeadline;
        if (block.number <= submitBlock || block.number > submitBlock + CLAIM_WINDOW_BLOCKS) {
            revert Errors.JobMarket_ClaimWindowClosed(jobId, submitBlock, block.number);
        }
        if (!isDrawn(blockhash(submitBlock), jobId, job.sampleBps)) revert Errors.JobMarket_NotSampled(jobId);
        job.verifier = msg.sender;
        return job.verifierBond;
    }

    /// @dev A valid attestation by the claimant: the state hash at its own spot of the solver's
    /// trace, which only a verifier holding the whole trace can show (a lazy one cannot attest).
    /// Whistleblowers get a full window from now to check what it vouched for.
    function _attestValid(
        uint256 jobId,
        Jobs.JobRecord storage job,
        Jobs.JobTerms calldata terms,
        uint128 bond,
        bytes32 spotHash,
        bytes32[] calldata spotProof
    ) private {
        bytes32 traceRoot = job.traceRoot;
        uint256 index = spotIndex(traceRoot, msg.sender, terms.steps);
        if (!TraceProofs.verify(spotProof, traceRoot, index, spotHash)) {
            revert Errors.JobMarket_InvalidSpotProof(jobId, index);
        }
        uint40 windowEndsAt = uint40(block.timestamp) + terms.challengeWindowSeconds;
        job.attestation = Jobs.Attestation.VALID;
        job.windowEndsAt = windowEndsAt;
        emit Attested(jobId, msg.sender, true, bond, windowEndsAt);
    }

    /// @dev Posts a claim's bond: from the claimant's credit when it holds enough (the pay and bonds
    /// of its earlier jobs are credited: a standing balance, no transfer in), else pulled.
    function _postClaimBond(uint128 bond) private {
        if (!_spendCredit(msg.sender, bond)) TokenTransfers.pullExact(paymentToken, bond);
    }

    /// @dev The verifier's bond held for the job: the one fixed at the match once a verifier
    /// claimed it, else nothing.
    function _postedBond(Jobs.JobRecord storage job) private view returns (uint128) {
        return job.verifier == address(0) ? 0 : job.verifierBond;
    }

    /// @dev Opens a dispute over [0, N] and pauses the window (JobDisputes); the caller pulls the bond.
    function _openDispute(
        uint256 jobId,
        Jobs.JobRecord storage job,
        Jobs.JobTerms calldata terms,
        bytes32 termsHash,
        Config.Params memory params,
        uint128 bond
    ) private {
        JobDisputes.open(_disputes[jobId], job, jobId, terms, _termsRecords[termsHash].arbiterMode, params, bond);
    }

    /// @dev Ends the open dispute. Every branch sets the dispute's and the job's new state before
    /// any call out.
    function _resolve(
        uint256 jobId,
        Jobs.JobRecord storage job,
        Jobs.Dispute storage d,
        Jobs.DisputeResult result
    ) private {
        // Effect: the game is over whatever the result.
        d.phase = Jobs.Phase.NONE;
        address challenger = d.challenger;
        uint128 bond = d.bond;
        Config.Params memory params = config.params();

        if (result != Jobs.DisputeResult.CHALLENGER_WON) {
            // Effect: the window resumes where the dispute paused it, with at least one move
            // timeout so an honest challenger shut out by a losing one can still act. A void
            // (arbiters without a majority) is settled the same way: the challenger opened the
            // dispute and could not win it, so the solver keeps its pay and the bond is forfeited.
            uint40 reopened = d.windowLeft > d.moveTimeoutSeconds ? d.windowLeft : d.moveTimeoutSeconds;
            uint40 windowEndsAt = uint40(block.timestamp) + reopened;
            job.windowEndsAt = windowEndsAt;
            job.status = Jobs.Status.SUBMITTED;
            uint128 toDefender = uint128((uint256(bond) * params.whistleblowerRewardBps) / _BPS);
            // The compensation goes to whoever defended: the verifier when it made the solver
            // side's last move (the solver abandoned what the verifier vouched for), else the solver.
            address defender = d.verifierDefends ? job.verifier : job.provider;
            // The game's settler is paid from the treasury's half; the job's bounty waits.
            uint128 toSettler = bond - toDefender < params.settleBounty ? bond - toDefender : params.settleBounty;
            _accrueFee(bond - toDefender - toSettler);
            emit DisputeResolved(jobId, challenger, d.number, result, 0, windowEndsAt);
            emit ChallengerBondForfeited(jobId, challenger, defender, toDefender, bond - toDefender - toSettler);

            // Interaction
            _payOrCredit(defender, toDefender);
            _paySettler(jobId, toSettler);
            return;
        }

        Registry.Settlement memory settlement = _settlementOf(job);
        address tenant = ILeaseMarket(market).tenantOf(jobId);
        uint128 escrow = job.escrow;

        // Effect: terminal; the solver was shown wrong.
        job.status = Jobs.Status.SLASHED;

        // Effect: the whole collateral is slashed, for the tenant and the treasury; no finder's share,
        // which a solver's second account would get back (docs/verification.md, self-reports).
        uint128 slashed = registry.slash(
            settlement,
            Registry.SlashOrder({
                amount: settlement.collateral,
                reason: Registry.SlashReason.DISPUTE_LOST,
                whistleblower: address(0),
                tenant: tenant
            })
        );
        emit DisputeResolved(jobId, challenger, d.number, result, slashed, 0);
        (uint128 verifierToChallenger, uint128 verifierBack) = _settleVerifierOnSlash(
            jobId,
            job,
            settlement.collateral,
            params
        );

        // Interaction: the escrow to the tenant; the bond (and the verifier's share) to the
        // challenger; a claimant's bond back when it did not vouch for the result.
        _payOrCredit(tenant, escrow);
        _payOrCredit(challenger, uint256(bond) + verifierToChallenger);
        _payOrCredit(job.verifier, verifierBack);
        _paySettler(jobId, job.settleBounty);
    }

    /// @dev The verifier's bond when the solver was shown wrong. A verifier that vouched for the
    /// wrong result (a colluding one: a lazy one cannot attest) loses it, its share to the
    /// challenger. A claimant that did not vouch for it gets it back (it flagged the result, or
    /// someone else's dispute came first) and no pay: a pay for flagging would go to a cheater's
    /// own second account claiming its drawn job, so it would lose less than when caught
    /// (property 5). Returns the challenger's share and what goes back to the verifier.
    function _settleVerifierOnSlash(
        uint256 jobId,
        Jobs.JobRecord storage job,
        uint128 collateral,
        Config.Params memory params
    ) private returns (uint128 toChallenger, uint128 back) {
        uint128 verifierBond = _postedBond(job);
        Jobs.Attestation attestation = job.attestation;
        if (attestation == Jobs.Attestation.VALID) {
            toChallenger = _verifierShareToChallenger(verifierBond, collateral, params);
            _accrueFee(verifierBond - toChallenger);
            emit VerifierBondForfeited(jobId, job.verifier, toChallenger, verifierBond - toChallenger);
        } else {
            back = verifierBond;
        }
    }

    /// @dev Pays `bounty` to the caller, who settled the job (PROTOCOL §7: every settlement pays
    /// its settler). The solver or the tenant settling their own job are paid as anyone is: the
    /// bounty is the tenant's price for having it settled.
    function _paySettler(uint256 jobId, uint128 bounty) private {
        emit SettleBountyPaid(jobId, msg.sender, bounty);
        _payOrCredit(msg.sender, bounty);
    }

    /// @dev The challenger's share of a lazy verifier's forfeited bond: `whistleblowerRewardBps` of
    /// it, but never more than the treasury keeps of the solver's slash. The challenger may be the
    /// solver's own second account (and the tenant a third), which gets back every other share of
    /// the slash; capped so, losing a dispute on purpose never pays (PROTOCOL §7 invariant 7),
    /// whatever the collateral and the split. The registry's split is mirrored exactly: the whole
    /// collateral is slashed (it is locked), and neither the challenger nor the tenant can be the
    /// solver (`challenge` and the match refuse it), so both shares are paid.
    function _verifierShareToChallenger(
        uint128 verifierBond,
        uint128 collateral,
        Config.Params memory params
    ) private pure returns (uint128) {
        uint256 share = (uint256(verifierBond) * params.whistleblowerRewardBps) / _BPS;
        uint256 treasuryShare =
            uint256(collateral) -
                (uint256(collateral) * params.whistleblowerRewardBps) / _BPS -
                (uint256(collateral) * params.tenantCompensationBps) / _BPS;
        return uint128(share < treasuryShare ? share : treasuryShare);
    }

    /// @dev Fixes the money terms of a job being opened (PROTOCOL §7: terms fixed when agreed): both
    /// fees, the verification sample rate and the verifier bond as they are now; the settle bounty,
    /// reserved from the escrow as a lease reserves its own; and the collateral, raised to
    /// `jobCollateralBps` of the price. The market's match checked (`jobSkipReason`) that the
    /// provider's free stake covers the part above the units'. Returns the whole collateral and the
    /// price (the escrow less the bounty).
    function _fixMatchTerms(
        Jobs.JobRecord storage job,
        uint256 offerId,
        uint128 collateral,
        uint128 escrow
    ) private returns (uint128, uint128 price) {
        uint128 settleBounty;
        // Warm: the match read these three parameter slots just before (the lease market's
        // `marketParams`, the registry's `jobCollateralBps`); `params()` would read three more, cold.
        Config.JobMatchTerms memory params = config.jobMatchTerms();
        settleBounty = params.settleBounty < escrow ? params.settleBounty : escrow;
        price = escrow - settleBounty;
        uint256 required = (uint256(price) * params.jobCollateralBps) / _BPS;
        if (required > collateral) {
            // slither-disable-next-line reentrancy-no-eth (our immutable registry; only the market calls)
            registry.lockJobCollateral(job.provider, offerId, uint128(required - collateral));
            collateral = uint128(required);
        }
        job.collateral = uint256(collateral).toUint96();
        job.escrow = uint256(price).toUint88();
        job.protocolFeeBps = params.protocolFeeBps;
        job.verifierFeeBps = params.verifierFeeBps;
        job.sampleBps = params.verificationSampleBps;
        // Fit: ProtocolConfig bounds the bounty to 5 USD (5e6 units) and the bond to 1e11 units.
        job.settleBounty = uint24(settleBounty);
        job.verifierBond = uint40(params.verifierBond);
        return (collateral, price);
    }

    /// @dev What the registry needs to end the job's match.
    function _settlementOf(Jobs.JobRecord storage job) private view returns (Registry.Settlement memory) {
        return
            Registry.Settlement({
                provider: job.provider,
                offerId: job.offerId,
                units: job.units,
                collateral: job.collateral
            });
    }

    /// @dev The stored status, with the two clock-derived ones.
    function _statusOf(Jobs.JobRecord storage job) private view returns (Jobs.Status status) {
        status = job.status;
        if (status == Jobs.Status.MATCHED && block.timestamp > job.resultDeadline) return Jobs.Status.LATE;
        if (status == Jobs.Status.SUBMITTED && block.timestamp >= job.windowEndsAt) return Jobs.Status.FINALIZABLE;
    }

    /// @dev Reverts with the current status unless it is `expected`.
    function _requireStatus(uint256 jobId, Jobs.JobRecord storage job, Jobs.Status expected) private view {
        Jobs.Status current = _statusOf(job);
        if (current != expected) revert Errors.JobMarket_UnexpectedStatus(jobId, current);
    }

    /// @dev Reverts unless `terms` hash to the terms of the job's request, kept by the market;
    /// returns their hash.
    function _requireTerms(uint256 jobId, Jobs.JobTerms calldata terms) private view returns (bytes32 given) {
        given = hashTerms(terms);
        bytes32 expected = ILeaseMarket(market).jobTermsHashOf(jobId);
        if (given != expected) revert Errors.JobMarket_TermsMismatch(jobId, expected, given);
    }

    /// @dev The external view of a job: its record, with the tenant and terms hash the market keeps.
    function _viewOf(uint256 jobId, Jobs.JobRecord storage job) private view returns (Jobs.Job memory v) {
        v.provider = job.provider;
        v.offerId = job.offerId;
        v.units = job.units;
        // The record's deadline field holds the submission block once a result is in.
        if (job.status == Jobs.Status.MATCHED || job.status == Jobs.Status.EXPIRED) {
            v.resultDeadline = job.resultDeadline;
        } else {
            v.submitBlock = job.resultDeadline;
        }
        v.windowEndsAt = job.windowEndsAt;
        v.status = job.status;
        v.attestation = job.attestation;
        v.collateral = job.collateral;
        v.escrow = job.escrow;
        v.outputHash = job.outputHash;
        v.traceRoot = job.traceRoot;
        v.verifier = job.verifier;
        v.verifierBond = job.verifierBond;
        v.sampleBps = job.sampleBps;
        // An unknown id asks the market nothing.
        if (v.status == Jobs.Status.NONE) return v;
        v.tenant = ILeaseMarket(market).tenantOf(jobId);
        v.termsHash = ILeaseMarket(market).jobTermsHashOf(jobId);
    }
}
