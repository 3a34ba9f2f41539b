// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IJobMarket } from "../interfaces/IJobMarket.sol";
import { IProtocolConfig } from "../interfaces/IProtocolConfig.sol";
import { Config, Jobs } from "../types/DataTypes.sol";
import { Errors } from "./Errors.sol";
import { TokenTransfers } from "./TokenTransfers.sol";
import { TraceProofs } from "./TraceProofs.sol";

/// @title JobDisputes
/// @notice The moves of a job's bisection game, linked into JobMarket and run by DELEGATECALL on
/// its storage (docs/architecture.md, "JobMarket and its linked library"), as LeaseLiveness is
/// into LeaseMarket. Every function checks and writes one dispute (and its votes) and emits
/// JobMarket's events; the market keeps the job lookup, the resolution, the slash and every
/// payout, so no payout leaves from here and every one of them credits (PayoutCredits) when the
/// token refuses it. Only JobMarket calls it: a library's external functions act on the caller's
/// storage, so a direct call changes nothing that matters to anyone.
library JobDisputes {
    /// @notice Opens a dispute over [0, N] and pauses the window (`challenge` and `attest(false)`
    /// of JobMarket after their checks); the market pulls the bond.
    function open(
        Jobs.Dispute storage d,
        Jobs.JobRecord storage job,
        uint256 jobId,
        Jobs.JobTerms calldata terms,
        bool arbiterMode,
        Config.Params calldata params,
        uint128 bond
    ) external {
        uint32 number = d.number + 1;
        d.challenger = msg.sender;
        d.bond = SafeCast.toUint96(bond);
        d.arbiterMode = arbiterMode;
        d.moveTimeoutSeconds = params.moveTimeoutSeconds;
        d.voteWindowSeconds = params.arbiterVoteWindowSeconds;
        d.arbiterBond = SafeCast.toUint40(params.arbiterBond);
        d.arbiterFee = SafeCast.toUint40(params.arbiterFee);
        d.number = number;
        d.verifierDefends = false;
        d.lo = 0;
        d.hi = terms.steps;
        // h_0 is agreed by construction: the published input hashes to it.
        d.hLo = terms.inputHash;
        d.hHi = job.outputHash;
        // Cannot underflow: the job is SUBMITTED, not FINALIZABLE, so the window is still open.
        unchecked {
            d.windowLeft = job.windowEndsAt - uint40(block.timestamp);
        }
        (Jobs.Phase phase, uint40 deadline) = _enterNextPhase(d, 0, terms.steps);
        job.status = Jobs.Status.DISPUTED;
        emit IJobMarket.DisputeOpened(jobId, msg.sender, number, bond, phase, deadline);
    }

    /// @notice `reveal` of JobMarket: the solver, or the verifier that vouched for its result (attack
    /// 2 of issue 12: it holds the same trace and defends it when the solver does not), in time,
    /// with a hash the solver's trace commits to.
    function reveal(
        Jobs.Dispute storage d,
        Jobs.JobRecord storage job,
        uint256 jobId,
        bytes32 hMid,
        bytes32[] calldata proof
    ) external {
        // Check
        requireMove(jobId, d, Jobs.Phase.REVEAL);
        bool byVerifier;
        if (msg.sender != job.provider) {
            // Only then is the attestation's slot read: the solver's reveals pay nothing for it.
            byVerifier = msg.sender == job.verifier && job.attestation == Jobs.Attestation.VALID;
            if (!byVerifier) revert Errors.JobMarket_CallerNotProvider(jobId, msg.sender);
        }
        uint32 mid;
        // Cannot overflow: both are uint32, summed in 256 bits.
        unchecked {
            mid = uint32((uint256(d.lo) + d.hi) / 2);
        }
        if (!TraceProofs.verify(proof, job.traceRoot, mid, hMid)) revert Errors.JobMarket_InvalidTraceProof(jobId, mid);

        // Effect
        uint40 deadline = uint40(block.timestamp) + d.moveTimeoutSeconds;
        d.hMid = hMid;
        d.phase = Jobs.Phase.RESPOND;
        d.deadline = deadline;
        d.verifierDefends = byVerifier;
        emit IJobMarket.MidpointRevealed(jobId, mid, hMid, deadline);
    }

    /// @notice `respond` of JobMarket: the challenger keeps the half it still disputes.
    function respond(Jobs.Dispute storage d, uint256 jobId, bool agree) external {
        // Check
        requireMove(jobId, d, Jobs.Phase.RESPOND);
        if (msg.sender != d.challenger) revert Errors.JobMarket_CallerNotChallenger(jobId, msg.sender);

        // Effect
        uint32 lo = d.lo;
        uint32 hi = d.hi;
        uint32 mid;
        // Cannot overflow: both are uint32, summed in 256 bits.
        unchecked {
            mid = uint32((uint256(lo) + hi) / 2);
        }
        if (agree) {
            lo = mid;
            d.lo = mid;
            d.hLo = d.hMid;
        } else {
            hi = mid;
            d.hi = mid;
            d.hHi = d.hMid;
        }
        (Jobs.Phase phase, uint40 deadline) = _enterNextPhase(d, lo, hi);
        emit IJobMarket.MidpointAnswered(jobId, agree, lo, hi, phase, deadline);
    }

    /// @notice `voteOnStep` of JobMarket: an arbiter with no stake in the outcome votes once, in
    /// time, bonded so that voting against the majority costs.
    function vote(
        Jobs.Dispute storage d,
        mapping(uint32 => mapping(address => uint8)) storage votes,
        uint256 jobId,
        address provider,
        bool solverCorrect,
        IProtocolConfig config,
        bytes32 arbiterRole,
        IERC20 paymentToken
    ) external {
        // Check
        if (!config.hasRole(arbiterRole, msg.sender)) revert Errors.Leasehold_MissingRole(arbiterRole, msg.sender);
        requireMove(jobId, d, Jobs.Phase.VOTE);
        if (msg.sender == d.challenger || msg.sender == provider) {
            revert Errors.JobMarket_ArbiterIsParty(jobId, msg.sender);
        }
        mapping(address => uint8) storage voted = votes[d.number];
        if (voted[msg.sender] != 0) revert Errors.JobMarket_AlreadyVoted(jobId, msg.sender);

        // Effect
        uint128 bond = d.arbiterBond;
        voted[msg.sender] = solverCorrect ? 1 : 2;
        if (solverCorrect) d.votesForSolver += 1;
        else d.votesForChallenger += 1;
        emit IJobMarket.StepVoted(jobId, msg.sender, solverCorrect, bond);

        // Interaction
        TokenTransfers.pullExact(paymentToken, bond);
    }

    /// @notice `resolveVote` of JobMarket before the resolution: a strict majority decides and is
    /// paid the fee out of the challenger's bond and the minority's bonds, shared per majority
    /// vote. A tie (no votes included) is a challenger that could not win a majority: VOIDED,
    /// settled as its loss (attack 4 of issue 12), and every voter gets its bond back. Returns the
    /// result and the rounding dust the market accrues for the treasury.
    function tally(
        Jobs.Dispute storage d,
        mapping(uint32 => Jobs.VoteTally) storage tallies,
        uint256 jobId
    ) external returns (Jobs.DisputeResult result, uint256 dust) {
        // Check
        if (d.phase != Jobs.Phase.VOTE) revert Errors.JobMarket_UnexpectedPhase(jobId, d.phase);
        if (block.timestamp <= d.deadline) revert Errors.JobMarket_MoveDeadlineNotPassed(jobId, d.deadline);

        // Effect
        uint32 forSolver = d.votesForSolver;
        uint32 forChallenger = d.votesForChallenger;
        uint8 outcome;
        uint32 winners;
        (result, outcome, winners) = forSolver > forChallenger
            ? (Jobs.DisputeResult.SOLVER_WON, 1, forSolver)
            : forChallenger > forSolver
                ? (Jobs.DisputeResult.CHALLENGER_WON, 2, forChallenger)
                : (Jobs.DisputeResult.VOIDED, 3, 0);
        uint128 bond = d.bond;
        uint128 fee;
        uint256 pay;
        if (winners != 0) {
            fee = d.arbiterFee < bond ? d.arbiterFee : bond;
            uint256 pot = fee + uint256(forSolver + forChallenger - winners) * d.arbiterBond;
            pay = pot / winners;
            dust = pot - pay * winners;
            d.bond = uint96(bond - fee);
        }
        tallies[d.number] = Jobs.VoteTally({
            outcome: outcome,
            bond: d.arbiterBond,
            payPerVote: SafeCast.toUint96(pay)
        });
        emit IJobMarket.VoteTallied(jobId, d.number, outcome, fee, uint128(pay), uint128(dust));
    }

    /// @notice `claimArbiterPay` of JobMarket: a resolved vote, and a vote of the caller's that was
    /// not in the minority, claimed once. Returns what the market pays the arbiter.
    function claimArbiterPay(
        Jobs.VoteTally storage tally_,
        mapping(address => uint8) storage votes,
        uint256 jobId,
        uint32 number
    ) external returns (uint128 amount) {
        uint8 outcome = tally_.outcome;
        uint8 cast = votes[msg.sender];

        // Check
        if (outcome == 0 || cast == 0 || cast == 3 || (outcome != 3 && cast != outcome)) {
            revert Errors.JobMarket_NothingToClaim(jobId, number, msg.sender);
        }

        // Effect
        votes[msg.sender] = 3;
        amount = uint128(tally_.bond) + (outcome == 3 ? 0 : tally_.payPerVote);
        emit IJobMarket.ArbiterPaid(jobId, number, msg.sender, amount);
    }

    /// @notice Reverts unless the dispute waits for `phase` and its deadline has not passed.
    function requireMove(uint256 jobId, Jobs.Dispute storage d, Jobs.Phase phase) internal view {
        if (d.phase != phase) revert Errors.JobMarket_UnexpectedPhase(jobId, d.phase);
        if (block.timestamp > d.deadline) revert Errors.JobMarket_MoveDeadlinePassed(jobId, d.deadline);
    }

    /// @dev Sets the phase that follows an interval [lo, hi]: another reveal while more than one
    /// step is disputed, else the final step, proven on-chain or voted on by arbiters.
    function _enterNextPhase(
        Jobs.Dispute storage d,
        uint32 lo,
        uint32 hi
    ) private returns (Jobs.Phase phase, uint40 deadline) {
        if (hi - lo > 1) {
            phase = Jobs.Phase.REVEAL;
            deadline = uint40(block.timestamp) + d.moveTimeoutSeconds;
        } else if (d.arbiterMode) {
            phase = Jobs.Phase.VOTE;
            deadline = uint40(block.timestamp) + d.voteWindowSeconds;
            d.votesForSolver = 0;
            d.votesForChallenger = 0;
        } else {
            phase = Jobs.Phase.PROVE;
            deadline = uint40(block.timestamp) + d.moveTimeoutSeconds;
        }
        d.phase = phase;
        d.deadline = deadline;
    }
}
