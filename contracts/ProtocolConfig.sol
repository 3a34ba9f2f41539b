// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { Ownable2Step } from "@openzeppelin/contracts/access/Ownable2Step.sol";
import { Pausable } from "@openzeppelin/contracts/utils/Pausable.sol";

import { IProtocolConfig } from "./interfaces/IProtocolConfig.sol";
import { Errors } from "./libraries/Errors.sol";
import { Config } from "./types/DataTypes.sol";

/// @title ProtocolConfig
/// @notice See the documentation in {IProtocolConfig}. Bounds and defaults are listed, with
/// their units, in docs/parameters.md.
contract ProtocolConfig is IProtocolConfig, Ownable2Step, Pausable {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProtocolConfig
    bytes32 public constant override MARKET_ROLE = keccak256("MARKET_ROLE");

    /// @inheritdoc IProtocolConfig
    bytes32 public constant override MATCHER_ROLE = keccak256("MATCHER_ROLE");

    /// @inheritdoc IProtocolConfig
    bytes32 public constant override VERIFIER_ROLE = keccak256("VERIFIER_ROLE");

    /// @inheritdoc IProtocolConfig
    bytes32 public constant override ARBITER_ROLE = keccak256("ARBITER_ROLE");

    /// @inheritdoc IProtocolConfig
    uint8 public constant override MAX_TIER = 4;

    /// @notice Upper bound of a catalogue entry's collateral, in stake token units (a million
    /// whole tokens of an 18-decimal token): keeps `units × collateralPerUnit` far below 2^128.
    uint128 public constant MAX_COLLATERAL_PER_UNIT = 1_000_000e18;

    /// @notice One US dollar in payment token units (6 decimals).
    uint128 public constant USD = 1_000_000;

    /// @notice The default `protocolFeeBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_PROTOCOL_FEE_BPS = 100;

    /// @notice The default `whistleblowerRewardBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_WHISTLEBLOWER_REWARD_BPS = 5000;

    /// @notice The default `tenantCompensationBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_TENANT_COMPENSATION_BPS = 3000;

    /// @notice The default `livenessSlashBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_LIVENESS_SLASH_BPS = 1000;

    /// @notice The default `lateResultSlashBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_LATE_RESULT_SLASH_BPS = 500;

    /// @notice The default `verifierFeeBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_VERIFIER_FEE_BPS = 1200;

    /// @notice The default `minLeaseSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_MIN_LEASE_SECONDS = 1 hours;

    /// @notice The default `reclaimNoticeSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_RECLAIM_NOTICE_SECONDS = 24 hours;

    /// @notice The default `livenessWindowSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_LIVENESS_WINDOW_SECONDS = 10 minutes;

    /// @notice The default `livenessSpacingSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_LIVENESS_SPACING_SECONDS = 1 hours;

    /// @notice The default `unbondingPeriodSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_UNBONDING_PERIOD_SECONDS = 7 days;

    /// @notice The default `maxChallengeWindowSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_MAX_CHALLENGE_WINDOW_SECONDS = 1 days;

    /// @notice The default `moveTimeoutSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_MOVE_TIMEOUT_SECONDS = 1 hours;

    /// @notice The default `arbiterVoteWindowSeconds`, set at deployment (docs/parameters.md).
    uint40 public constant DEFAULT_ARBITER_VOTE_WINDOW_SECONDS = 1 hours;

    /// @notice The default `maxBisectionRounds`, set at deployment (docs/parameters.md).
    uint8 public constant DEFAULT_MAX_BISECTION_ROUNDS = 24;

    /// @notice The default `matchFee`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_MATCH_FEE = USD / 2;

    /// @notice The default `settleBounty`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_SETTLE_BOUNTY = USD / 4;

    /// @notice The default `livenessBond`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_LIVENESS_BOND = 5 * USD;

    /// @notice The default `challengeBond`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_CHALLENGE_BOND = 50 * USD;

    /// @notice The default `verifierBond`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_VERIFIER_BOND = 20 * USD;

    /// @notice The default `jobCollateralBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_JOB_COLLATERAL_BPS = 40_000;

    /// @notice The default `verificationSampleBps`, set at deployment (docs/parameters.md).
    uint16 public constant DEFAULT_VERIFICATION_SAMPLE_BPS = 2000;

    /// @notice The default `arbiterBond`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_ARBITER_BOND = 10 * USD;

    /// @notice The default `arbiterFee`, set at deployment (docs/parameters.md).
    uint128 public constant DEFAULT_ARBITER_FEE = 10 * USD;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    Config.Params private _params;

    mapping(bytes32 gpuModelId => Config.GpuModel entry) private _gpuModels;

    mapping(bytes32 role => mapping(address account => bool granted)) private _roles;

    /// @dev Every account ever granted MARKET_ROLE: it settles in the registry what it matched even
    /// once the role is revoked, so no revocation blocks an exit.
    mapping(address account => bool granted) private _settlingMarkets;

    address private _treasury;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @dev The defaults go through the same checks as `setParams`, so a bad constant fails the
    /// deployment instead of shipping.
    constructor(address initialOwner, address initialTreasury) Ownable(initialOwner) {
        _setTreasury(initialTreasury);
        _setParams(
            Config.Params({
                protocolFeeBps: DEFAULT_PROTOCOL_FEE_BPS,
                whistleblowerRewardBps: DEFAULT_WHISTLEBLOWER_REWARD_BPS,
                tenantCompensationBps: DEFAULT_TENANT_COMPENSATION_BPS,
                livenessSlashBps: DEFAULT_LIVENESS_SLASH_BPS,
                lateResultSlashBps: DEFAULT_LATE_RESULT_SLASH_BPS,
                verifierFeeBps: DEFAULT_VERIFIER_FEE_BPS,
                minLeaseSeconds: DEFAULT_MIN_LEASE_SECONDS,
                reclaimNoticeSeconds: DEFAULT_RECLAIM_NOTICE_SECONDS,
                livenessWindowSeconds: DEFAULT_LIVENESS_WINDOW_SECONDS,
                livenessSpacingSeconds: DEFAULT_LIVENESS_SPACING_SECONDS,
                unbondingPeriodSeconds: DEFAULT_UNBONDING_PERIOD_SECONDS,
                maxChallengeWindowSeconds: DEFAULT_MAX_CHALLENGE_WINDOW_SECONDS,
                moveTimeoutSeconds: DEFAULT_MOVE_TIMEOUT_SECONDS,
                arbiterVoteWindowSeconds: DEFAULT_ARBITER_VOTE_WINDOW_SECONDS,
                maxBisectionRounds: DEFAULT_MAX_BISECTION_ROUNDS,
                matchFee: DEFAULT_MATCH_FEE,
                settleBounty: DEFAULT_SETTLE_BOUNTY,
                livenessBond: DEFAULT_LIVENESS_BOND,
                challengeBond: DEFAULT_CHALLENGE_BOND,
                verifierBond: DEFAULT_VERIFIER_BOND,
                jobCollateralBps: DEFAULT_JOB_COLLATERAL_BPS,
                verificationSampleBps: DEFAULT_VERIFICATION_SAMPLE_BPS,
                arbiterBond: DEFAULT_ARBITER_BOND,
                arbiterFee: DEFAULT_ARBITER_FEE
            })
        );
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProtocolConfig
    function params() external view override returns (Config.Params memory) {
        return _params;
    }

    /// @inheritdoc IProtocolConfig
    function marketParams() external view override returns (Config.MarketParams memory) {
        Config.Params storage p = _params;
        return
            Config.MarketParams({
                paused: paused(),
                protocolFeeBps: p.protocolFeeBps,
                verifierFeeBps: p.verifierFeeBps,
                minLeaseSeconds: p.minLeaseSeconds,
                matchFee: p.matchFee,
                settleBounty: p.settleBounty
            });
    }

    /// @inheritdoc IProtocolConfig
    function jobMatchTerms() external view override returns (Config.JobMatchTerms memory) {
        Config.Params storage p = _params;
        return
            Config.JobMatchTerms({
                protocolFeeBps: p.protocolFeeBps,
                verifierFeeBps: p.verifierFeeBps,
                jobCollateralBps: p.jobCollateralBps,
                verificationSampleBps: p.verificationSampleBps,
                settleBounty: p.settleBounty,
                verifierBond: p.verifierBond
            });
    }

    /// @inheritdoc IProtocolConfig
    function feeBps() external view override returns (uint16 protocolFeeBps, uint16 verifierFeeBps) {
        return (_params.protocolFeeBps, _params.verifierFeeBps);
    }

    /// @inheritdoc IProtocolConfig
    function verificationTerms() external view override returns (uint128 verifierBond, uint16 sampleBps) {
        return (_params.verifierBond, _params.verificationSampleBps);
    }

    /// @inheritdoc IProtocolConfig
    function jobCollateralBps() external view override returns (uint16) {
        return _params.jobCollateralBps;
    }

    /// @inheritdoc IProtocolConfig
    function gpuModel(bytes32 gpuModelId) external view override returns (Config.GpuModel memory) {
        return _gpuModels[gpuModelId];
    }

    /// @inheritdoc IProtocolConfig
    function hasRole(bytes32 role, address account) external view override returns (bool) {
        return _roles[role][account];
    }

    /// @inheritdoc IProtocolConfig
    function isSettlingMarket(address account) external view override returns (bool) {
        return _settlingMarkets[account];
    }

    /// @inheritdoc IProtocolConfig
    function treasury() external view override returns (address) {
        return _treasury;
    }

    /// @inheritdoc IProtocolConfig
    function paused() public view override(IProtocolConfig, Pausable) returns (bool) {
        return super.paused();
    }

    /// @inheritdoc IProtocolConfig
    function longestSlashableWindow(Config.Params memory params_) public pure override returns (uint256) {
        // Every dispute move (2 per bisection round, plus the opening and the final step proof)
        // may take a full move timeout, then arbiters may take their whole vote window.
        return
            uint256(params_.maxChallengeWindowSeconds) +
            (2 * uint256(params_.maxBisectionRounds) + 2) * uint256(params_.moveTimeoutSeconds) +
            uint256(params_.arbiterVoteWindowSeconds);
    }

    /*//////////////////////////////////////////////////////////////
                             GOVERNANCE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IProtocolConfig
    function setParams(Config.Params calldata newParams) external override onlyOwner {
        _setParams(newParams);
    }

    /// @inheritdoc IProtocolConfig
    function setGpuModel(
        bytes32 gpuModelId,
        uint16 vramGB,
        uint8 tier,
        uint128 collateralPerUnit,
        bool listed
    ) external override onlyOwner {
        // Check: a usable catalogue entry, even when delisting, since running leases keep it.
        if (gpuModelId == bytes32(0)) revert Errors.ProtocolConfig_InvalidGpuModel(gpuModelId);
        if (vramGB == 0) revert Errors.ProtocolConfig_InvalidVram(vramGB);
        if (tier > MAX_TIER) revert Errors.ProtocolConfig_InvalidTier(tier);
        if (collateralPerUnit == 0 || collateralPerUnit > MAX_COLLATERAL_PER_UNIT) {
            revert Errors.ProtocolConfig_CollateralOutOfBounds(collateralPerUnit, MAX_COLLATERAL_PER_UNIT);
        }

        // Effect: store the entry.
        _gpuModels[gpuModelId] = Config.GpuModel({
            collateralPerUnit: collateralPerUnit,
            vramGB: vramGB,
            tier: tier,
            listed: listed
        });
        emit GpuModelSet(gpuModelId, vramGB, tier, collateralPerUnit, listed);
    }

    /// @inheritdoc IProtocolConfig
    function setRole(bytes32 role, address account, bool granted) external override onlyOwner {
        // Check: only the four roles the protocol reads, never the zero address.
        if (role != MARKET_ROLE && role != MATCHER_ROLE && role != VERIFIER_ROLE && role != ARBITER_ROLE) {
            revert Errors.ProtocolConfig_UnknownRole(role);
        }
        if (account == address(0)) revert Errors.Leasehold_ZeroAddress();

        // Effect: grant or revoke.
        _roles[role][account] = granted;
        if (granted && role == MARKET_ROLE) _settlingMarkets[account] = true;
        emit RoleSet(role, account, granted);
    }

    /// @inheritdoc IProtocolConfig
    function setTreasury(address newTreasury) external override onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @inheritdoc IProtocolConfig
    function pause() external override onlyOwner {
        _pause();
    }

    /// @inheritdoc IProtocolConfig
    function unpause() external override onlyOwner {
        _unpause();
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert Errors.Leasehold_ZeroAddress();
        _treasury = newTreasury;
        emit TreasurySet(newTreasury);
    }

    /// @dev The bounds below are the table of docs/parameters.md; keep both in step.
    function _setParams(Config.Params memory p) private {
        // Check: shares of value, in basis points.
        _checkBounds("protocolFeeBps", p.protocolFeeBps, 0, 1000);
        _checkBounds("whistleblowerRewardBps", p.whistleblowerRewardBps, 0, 9000);
        _checkBounds("tenantCompensationBps", p.tenantCompensationBps, 0, 9000);
        if (uint256(p.whistleblowerRewardBps) + p.tenantCompensationBps > 10_000) {
            revert Errors.ProtocolConfig_SharesExceedWhole(p.whistleblowerRewardBps, p.tenantCompensationBps);
        }
        _checkBounds("livenessSlashBps", p.livenessSlashBps, 100, 5000);
        _checkBounds("lateResultSlashBps", p.lateResultSlashBps, 0, 5000);
        _checkBounds("verifierFeeBps", p.verifierFeeBps, 0, 3000);

        // Check: durations, in seconds.
        _checkBounds("minLeaseSeconds", p.minLeaseSeconds, 1 minutes, 1 days);
        _checkBounds("reclaimNoticeSeconds", p.reclaimNoticeSeconds, 1 hours, 7 days);
        _checkBounds("livenessWindowSeconds", p.livenessWindowSeconds, 1 minutes, 1 hours);
        _checkBounds("livenessSpacingSeconds", p.livenessSpacingSeconds, 10 minutes, 1 days);
        _checkBounds("unbondingPeriodSeconds", p.unbondingPeriodSeconds, 1 days, 60 days);
        _checkBounds("maxChallengeWindowSeconds", p.maxChallengeWindowSeconds, 10 minutes, 7 days);
        _checkBounds("moveTimeoutSeconds", p.moveTimeoutSeconds, 5 minutes, 1 days);
        _checkBounds("arbiterVoteWindowSeconds", p.arbiterVoteWindowSeconds, 10 minutes, 1 days);
        _checkBounds("maxBisectionRounds", p.maxBisectionRounds, 1, 32);

        // Check: amounts, in payment token units.
        _checkBounds("matchFee", p.matchFee, 0, 10 * USD);
        _checkBounds("settleBounty", p.settleBounty, 0, 5 * USD);
        _checkBounds("livenessBond", p.livenessBond, USD / 100, 1000 * USD);
        _checkBounds("challengeBond", p.challengeBond, USD / 100, 100_000 * USD);
        _checkBounds("verifierBond", p.verifierBond, USD / 100, 100_000 * USD);
        _checkBounds("arbiterBond", p.arbiterBond, USD / 100, 100_000 * USD);
        // The fee comes out of the challenger's bond.
        _checkBounds("arbiterFee", p.arbiterFee, 0, p.challengeBond);

        // Check: multiples, in basis points of a job's price (10000 = 1x).
        _checkBounds("jobCollateralBps", p.jobCollateralBps, 10_000, 50_000);
        // Check: a share of jobs; never zero, the sampled verifier's pay is the levy over it.
        _checkBounds("verificationSampleBps", p.verificationSampleBps, 100, 10_000);

        // Check: stake must stay slashable for as long as any fault it backed can be proven.
        uint256 window = longestSlashableWindow(p);
        if (p.unbondingPeriodSeconds <= window) {
            revert Errors.ProtocolConfig_UnbondingTooShort(p.unbondingPeriodSeconds, window);
        }

        // Effect: store the set.
        _params = p;
        emit ParamsSet(p);
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert Errors.ProtocolConfig_ParamOutOfBounds(name, value, min, max);
    }
}
