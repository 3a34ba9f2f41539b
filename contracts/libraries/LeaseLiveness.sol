// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { MerkleProof } from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import { Math } from "@openzeppelin/contracts/utils/math/Math.sol";

import { ILeaseMarket } from "../interfaces/ILeaseMarket.sol";
import { IProtocolConfig } from "../interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "../interfaces/IProviderRegistry.sol";
import { Config, Market, Registry } from "../types/DataTypes.sol";
import { Errors } from "./Errors.sol";
import { TokenTransfers } from "./TokenTransfers.sol";

/// @title LeaseLiveness
/// @notice The liveness game, the reclaim notice and the re-match of a lease, linked into LeaseMarket and run
/// by DELEGATECALL on its storage (docs/architecture.md, "LeaseMarket and its linked library").
/// Every function checks and writes one lease record and emits LeaseMarket's events; the market
/// keeps the lease lookup, the derived status, the settlement and every payout, so no payout
/// leaves from here and every one of them credits (PayoutCredits) when the token refuses it.
/// Only LeaseMarket calls it: a library's external functions act on the caller's storage, so a
/// direct call changes nothing that matters to anyone.
library LeaseLiveness {
    uint256 private constant _BPS = 10_000;
    uint256 private constant _SECONDS_PER_HOUR = 3600;
    /// @dev keccak256("leasehold.LeaseLiveness.seeds"): where, in LeaseMarket's storage and apart
    /// from its declared variables, the seed of each lease's latest challenge is kept.
    bytes32 private constant _SEEDS_SLOT = 0xcb7257d87c5855f5af806e5f0e277355b7ca3bcb99467111edfd14237b7e25e9;

    /// @dev The capacity-proof seeds: lease id => the seed fixed when its latest challenge opened.
    struct Seeds {
        mapping(uint256 leaseId => bytes32 seed) byLease;
    }

    /// @notice `challengeLiveness` (`isChallenge`) or `requestReclaim` of LeaseMarket after the
    /// lookup (`status` is the lease's derived status): one entry for both, so the market keeps one
    /// call site.
    function open(
        Market.OrderRecord storage order,
        uint256 leaseId,
        Market.LeaseStatus status,
        IProtocolConfig config,
        IERC20 paymentToken,
        bool isChallenge
    ) external {
        if (isChallenge) _challenge(order, leaseId, status, config, paymentToken);
        else _requestReclaim(order, leaseId, status, config);
    }

    /// @dev `requestReclaim`: the provider gives notice on an ACTIVE lease, once.
    function _requestReclaim(
        Market.OrderRecord storage order,
        uint256 leaseId,
        Market.LeaseStatus status,
        IProtocolConfig config
    ) private {
        // Check.
        if (msg.sender != order.provider) revert Errors.LeaseMarket_CallerNotProvider(leaseId, msg.sender);
        if (status != Market.LeaseStatus.ACTIVE) revert Errors.LeaseMarket_LeaseNotActive(leaseId, status);
        uint40 reclaimableAt = order.reclaimableAt;
        if (reclaimableAt != 0) revert Errors.LeaseMarket_ReclaimAlreadyRequested(leaseId, reclaimableAt);

        // Effect.
        reclaimableAt = uint40(block.timestamp) + config.params().reclaimNoticeSeconds;
        order.reclaimableAt = reclaimableAt;
        emit ILeaseMarket.ReclaimRequested(leaseId, reclaimableAt);
    }

    /// @dev `challengeLiveness`: opens a challenge on an ACTIVE lease and pulls the bond. The answer
    /// deadline and the capacity proof's seed are fixed here: no later parameter change moves them.
    function _challenge(
        Market.OrderRecord storage order,
        uint256 leaseId,
        Market.LeaseStatus status,
        IProtocolConfig config,
        IERC20 paymentToken
    ) private {
        // Check: one open challenge per lease, spaced from the previous one (or the start).
        if (status != Market.LeaseStatus.ACTIVE) revert Errors.LeaseMarket_LeaseNotActive(leaseId, status);
        if (order.challengeOpen) {
            revert Errors.LeaseMarket_ChallengeOpen(leaseId, order.challenger, order.challengedAt);
        }
        Config.Params memory params = config.params();
        uint40 lastChallengedAt = order.challengedAt;
        uint40 earliest = (lastChallengedAt == 0 ? order.startTime : lastChallengedAt) + params.livenessSpacingSeconds;
        if (block.timestamp < earliest) {
            revert Errors.LeaseMarket_ChallengeTooSoon(leaseId, earliest, uint40(block.timestamp));
        }

        // Effect: ProtocolConfig bounds the bond to 1,000 USD (10**9 units), far below 2**56.
        uint128 bond = params.livenessBond;
        uint40 deadline = uint40(block.timestamp) + params.livenessWindowSeconds;
        order.challengeOpen = true;
        order.challengedAt = uint40(block.timestamp);
        order.challenger = msg.sender;
        order.challengeBond = uint56(bond);
        order.challengeDeadline = deadline;
        // The capacity proof's seed: unknown to the provider until this block (the previous block's
        // hash and the beacon randomness), and distinct per lease and challenge.
        bytes32 seed = keccak256(abi.encode(blockhash(block.number - 1), block.prevrandao, leaseId, block.timestamp));
        _seeds().byLease[leaseId] = seed;
        emit ILeaseMarket.LivenessChallenged(leaseId, msg.sender, bond, deadline, seed);

        // Interaction.
        if (bond > 0) TokenTransfers.pullExact(paymentToken, bond);
    }

    /// @notice `respondLiveness` of LeaseMarket after the lookup: the provider answers an open
    /// challenge by its deadline with a capacity proof for the challenge's seed (`answer`: the root,
    /// then the Merkle paths of the spot-checked leaves). Returns who the market then pays the bond
    /// to and the bond: the provider, unless the challenger is the lease's own tenant, whose bond
    /// goes back to it. A tenant's check of its own lease is part of the service the lease pays
    /// for: were its bond the provider's, a provider that serves nobody (the GPU re-let, taken
    /// back only for each proof) would be paid for the very check that caught it (issue 12).
    function respond(
        Market.OrderRecord storage order,
        uint256 leaseId,
        IProviderRegistry registry,
        bytes calldata answer
    ) external returns (address bondTo, uint128 bond) {
        // Check: the provider, within the window fixed when the challenge opened, with the work.
        address provider = order.provider;
        if (msg.sender != provider) revert Errors.LeaseMarket_CallerNotProvider(leaseId, msg.sender);
        if (!order.challengeOpen) revert Errors.LeaseMarket_NoOpenChallenge(leaseId);
        uint40 deadline = order.challengeDeadline;
        if (block.timestamp > deadline) {
            revert Errors.LeaseMarket_ChallengeWindowClosed(leaseId, deadline, uint40(block.timestamp));
        }
        _checkCapacityProof(leaseId, _seeds().byLease[leaseId], order.units, answer);

        // Effect: closing the challenge releases the accrual held back since it opened. The
        // challenger and bond stay, dead, in their slot: the next challenge rewrites it.
        bond = order.challengeBond;
        order.challengeOpen = false;
        address challenger = order.challenger;
        bondTo = challenger == order.tenant ? challenger : provider;

        // slither-disable-next-line reentrancy-no-eth (our immutable registry; the market's call nonReentrant)
        registry.recordOutcome(provider, Registry.Outcome.LIVENESS_ANSWERED);
        emit ILeaseMarket.LivenessAnswered(leaseId, provider, bondTo, bond);
    }

    /// @notice Leaf `index` of a capacity proof for `seed`: `Market.LIVENESS_CHAIN_STEPS` keccak256
    /// steps from keccak256(seed, index). The Python twin is keepers/liveness.py.
    function capacityLeaf(bytes32 seed, uint256 index) internal pure returns (bytes32 leaf) {
        uint256 steps = Market.LIVENESS_CHAIN_STEPS;
        assembly ("memory-safe") {
            mstore(0x00, seed)
            mstore(0x20, index)
            leaf := keccak256(0x00, 0x40)
            for {
                let k := 0
            } lt(k, steps) {
                k := add(k, 1)
            } {
                mstore(0x00, leaf)
                leaf := keccak256(0x00, 0x20)
            }
        }
    }

    /// @dev The spot check of a capacity proof (docs/leases.md, "Liveness: a capacity proof"): the
    /// lease's `units` x LIVENESS_LEAVES_PER_UNIT leaves sit, padded with zero leaves to a power of
    /// two, under a sorted-pair keccak tree (OpenZeppelin MerkleProof). `answer` is its root, then,
    /// for each of the LIVENESS_SPOT_CHECKS leaf indices drawn from (seed, root), the leaf's `depth`
    /// siblings, 32 bytes each; the chain recomputes each drawn leaf and checks its path to the root.
    function _checkCapacityProof(uint256 leaseId, bytes32 seed, uint256 units, bytes calldata answer) private pure {
        uint256 leaves = units * Market.LIVENESS_LEAVES_PER_UNIT;
        uint256 pathBytes = Math.log2(leaves, Math.Rounding.Ceil) * 32;
        uint256 expected = 32 + pathBytes * Market.LIVENESS_SPOT_CHECKS;
        if (answer.length != expected) revert Errors.LeaseMarket_LivenessProofLength(leaseId, answer.length, expected);
        bytes32 root = bytes32(answer[:32]);
        for (uint256 spot; spot < Market.LIVENESS_SPOT_CHECKS; ++spot) {
            uint256 index = uint256(keccak256(abi.encode(seed, root, spot))) % leaves;
            uint256 from = 32 + spot * pathBytes;
            if (_pathRoot(capacityLeaf(seed, index), answer[from:from + pathBytes]) != root) {
                revert Errors.LeaseMarket_LivenessProofInvalid(leaseId, spot, index);
            }
        }
    }

    /// @dev The root `path` (siblings of 32 bytes, leaf upwards) leads `leaf` to, by OpenZeppelin MerkleProof.
    function _pathRoot(bytes32 leaf, bytes calldata path) private pure returns (bytes32) {
        bytes32[] calldata proof;
        assembly ("memory-safe") {
            proof.offset := path.offset
            proof.length := shr(5, path.length)
        }
        return MerkleProof.processProofCalldata(proof, leaf);
    }

    /// @dev The seeds of the leases' latest challenges, at `_SEEDS_SLOT` of LeaseMarket's storage.
    function _seeds() private pure returns (Seeds storage seeds) {
        assembly ("memory-safe") {
            seeds.slot := _SEEDS_SLOT
        }
    }

    /// @notice `resolveLiveness` of LeaseMarket after the lookup: past the deadline fixed when the
    /// challenge opened, the challenge closes and the registry slashes the provider and ends the
    /// match. Returns who gets the bond back, the bond, and the challenge time the market stops
    /// the lease's clock at.
    function resolve(
        Market.OrderRecord storage order,
        uint256 leaseId,
        IProtocolConfig config,
        IProviderRegistry registry
    ) external returns (address challenger, uint128 bond, uint40 challengedAt) {
        // Check: an open challenge whose window has passed unanswered.
        if (!order.challengeOpen) revert Errors.LeaseMarket_NoOpenChallenge(leaseId);
        uint40 deadline = order.challengeDeadline;
        if (block.timestamp <= deadline) {
            revert Errors.LeaseMarket_ChallengeWindowOpen(leaseId, deadline, uint40(block.timestamp));
        }

        // Effect: the challenge closes; the bond is owed back to the challenger.
        challenger = order.challenger;
        bond = order.challengeBond;
        challengedAt = order.challengedAt;
        order.challengeOpen = false;

        // Effect: the registry ends the match with the slash; the market's settlement stops the clock.
        // slither-disable-next-line reentrancy-no-eth (our immutable registry; the market's call nonReentrant)
        uint128 slashed = registry.slash(
            Registry.Settlement({
                provider: order.provider,
                offerId: order.offerId,
                units: order.units,
                collateral: order.collateral
            }),
            Registry.SlashOrder({
                amount: uint128((uint256(order.collateral) * config.params().livenessSlashBps) / _BPS),
                reason: Registry.SlashReason.LIVENESS,
                whistleblower: challenger,
                tenant: order.tenant
            })
        );
        emit ILeaseMarket.LivenessResolved(leaseId, challenger, slashed, bond);
    }

    /// @notice The tenant closes its lease while a challenge is open (LeaseMarket `closeLease`):
    /// the challenge is called off, nobody is slashed and nothing is recorded, the challenger is
    /// owed its bond back, and the lease's clock stops at the challenge time, so the accrual held
    /// back since then (never earned: nobody answered) returns to the tenant. A challenge raised
    /// to stall the close thus delays nothing and earns the provider less than no challenge.
    function callOff(
        Market.OrderRecord storage order,
        uint256 leaseId
    ) external returns (address challenger, uint128 bond, uint40 challengedAt) {
        challenger = order.challenger;
        bond = order.challengeBond;
        challengedAt = order.challengedAt;
        order.challengeOpen = false;
        emit ILeaseMarket.LivenessCalledOff(leaseId, challenger, bond);
    }

    /// @notice `createRequest` of LeaseMarket for a request with `rematch`: it may be re-opened
    /// `MAX_REMATCHES` times, and keeps beside its record the price cap and target its lease overwrites.
    function keepSpec(
        Market.OrderRecord storage order,
        Market.RequestKind kind,
        uint128 maxPricePerUnitHour,
        bytes32 gpuModel,
        bytes32 region
    ) external {
        if (kind != Market.RequestKind.RENTAL) revert Errors.LeaseMarket_RematchNotRental();
        order.rematchesLeft = Market.MAX_REMATCHES;
        _keep(order.rematch, maxPricePerUnitHour, gpuModel, region);
    }

    /// @notice LeaseMarket's settlement of a lease that opted into re-match and ended by its
    /// provider's liveness failure or reclaim: `deposit`, the tenant's unused deposit, opens
    /// `request` (the record of the market's next id, `requestId`) with the lease's spec, its manifest
    /// commitment, one re-open fewer and the lease's provider excluded, when `createRequest` would take
    /// it today (not paused, the duration and the deposit still enough). Returns false, changing
    /// nothing, when it would not: the market then refunds the tenant as for any lease.
    function reopen(
        Market.OrderRecord storage lease,
        Market.OrderRecord storage request,
        uint256 leaseId,
        uint256 requestId,
        uint128 deposit,
        IProtocolConfig config
    ) external returns (bool) {
        // Check: what createRequest would take today; short of it, nothing changes.
        if (!_reopenable(lease, deposit, config)) return false;

        // Effect: the new request, as _createRequest writes one, with the provider excluded.
        uint8 rematchesLeft = lease.rematchesLeft - 1;
        address excluded = lease.provider;
        request.tenant = lease.tenant;
        request.matchDeadline = uint40(block.timestamp) + Market.REMATCH_WINDOW_SECONDS;
        request.durationSeconds = lease.durationSeconds;
        request.status = Market.RequestStatus.OPEN;
        request.escrow = deposit;
        request.provider = excluded;
        request.units = lease.units;
        request.rematchesLeft = rematchesLeft;
        request.minVramGB = lease.minVramGB;
        request.minReputation = lease.minReputation;
        request.minTier = lease.minTier;
        bytes32 manifest = lease.jobTermsHash;
        if (manifest != bytes32(0)) request.jobTermsHash = manifest;
        _reopenSpec(lease.rematch, request, leaseId, rematchesLeft != 0);
        emit ILeaseMarket.RequestReopened(leaseId, requestId, lease.tenant, excluded, deposit, rematchesLeft);
        return true;
    }

    /// @dev Whether `createRequest` would take the lease's spec with `deposit` at today's parameters.
    function _reopenable(
        Market.OrderRecord storage lease,
        uint128 deposit,
        IProtocolConfig config
    ) private view returns (bool) {
        Config.MarketParams memory params = config.marketParams();
        if (params.paused || lease.durationSeconds < params.minLeaseSeconds) return false;
        uint256 minimum =
            uint256(params.matchFee) +
                params.settleBounty +
                Math.ceilDiv(
                    uint256(lease.rematch.maxPricePerUnitHour) * lease.units * params.minLeaseSeconds,
                    _SECONDS_PER_HOUR
                );
        return deposit >= minimum;
    }

    /// @dev Writes the kept price cap and target into the re-opened request, the lease it came from,
    /// and the price cap and target again when it may be re-opened once more.
    function _reopenSpec(
        Market.Rematch storage spec,
        Market.OrderRecord storage request,
        uint256 leaseId,
        bool keep
    ) private {
        uint128 maxPrice = spec.maxPricePerUnitHour;
        bytes32 gpuModel = spec.gpuModel;
        bytes32 region = spec.region;
        request.pricePerUnitHour = maxPrice;
        // The open request's target overlays slots 3 and 4 of its record (LeaseMarket._targetOf).
        assembly ("memory-safe") {
            if gpuModel {
                sstore(add(request.slot, 3), gpuModel)
            }
            if region {
                sstore(add(request.slot, 4), region)
            }
        }
        // Ids grow by one per transaction: a lease id never reaches 2**64.
        request.rematch.reopenedFrom = uint64(leaseId);
        if (keep) _keep(request.rematch, maxPrice, gpuModel, region);
    }

    /// @dev Writes a re-match spec; a zero model or region ("any") is left unwritten.
    function _keep(Market.Rematch storage spec, uint128 maxPricePerUnitHour, bytes32 gpuModel, bytes32 region) private {
        spec.maxPricePerUnitHour = maxPricePerUnitHour;
        if (gpuModel != bytes32(0)) spec.gpuModel = gpuModel;
        if (region != bytes32(0)) spec.region = region;
    }
}
