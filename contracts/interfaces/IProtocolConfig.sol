// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Config } from "../types/DataTypes.sol";

/// @title IProtocolConfig
/// @notice Governance's one contract: bounded parameters, the GPU catalogue, keeper roles,
/// the treasury and the pause switch. Owned through Ownable2Step (a timelock or multisig in
/// production). Every setter is bounded and emits an event. Pausing stops new business
/// (registrations, offers, requests, matches); it never blocks withdrawals, refunds, closes
/// or dispute moves.
interface IProtocolConfig {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when governance replaces the parameter set.
    event ParamsSet(Config.Params params);

    /// @notice Emitted when a GPU model is added to, changed in or delisted from the catalogue.
    event GpuModelSet(bytes32 indexed gpuModel, uint16 vramGB, uint8 tier, uint128 collateralPerUnit, bool listed);

    /// @notice Emitted when a role is granted or revoked.
    event RoleSet(bytes32 indexed role, address indexed account, bool granted);

    /// @notice Emitted when the treasury address changes.
    event TreasurySet(address indexed treasury);

    /*//////////////////////////////////////////////////////////////
                              CONSTANT VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Role of the market contracts allowed to lock, release and slash stake.
    function MARKET_ROLE() external view returns (bytes32);

    /// @notice Role of matcher keepers, allowed to call `matchRequests`.
    function MATCHER_ROLE() external view returns (bytes32);

    /// @notice Role of verifier keepers, allowed to attest job results.
    function VERIFIER_ROLE() external view returns (bytes32);

    /// @notice Role of arbiters, allowed to vote on a disputed step of an arbiter-mode workload.
    function ARBITER_ROLE() external view returns (bytes32);

    /// @notice Highest tier in the catalogue (4, Ultra).
    function MAX_TIER() external view returns (uint8);

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The current parameter set.
    function params() external view returns (Config.Params memory);

    /// @notice The pause flag and the parameters requests, matches and job settlements read, in
    /// one call that reads three slots instead of six.
    function marketParams() external view returns (Config.MarketParams memory);

    /// @notice The protocol fee and the verifier fee, in basis points: what a job's finalization
    /// reads of the parameters, in one slot.
    function feeBps() external view returns (uint16 protocolFeeBps, uint16 verifierFeeBps);

    /// @notice What the job market reads to claim and pay a sampled verification: the bond a
    /// verifier posts when it claims a job and the share of jobs drawn for verification (bps), one
    /// slot where `params` reads six.
    function verificationTerms() external view returns (uint128 verifierBond, uint16 sampleBps);

    /// @notice What a job's match fixes in the job's record: both fees, the least collateral, the
    /// verification sample rate, the settle bounty and the verifier bond; three slots where
    /// `params` reads six.
    function jobMatchTerms() external view returns (Config.JobMatchTerms memory);

    /// @notice The least collateral of a job, in basis points of its price: one slot, what a job
    /// match's policy check reads.
    function jobCollateralBps() external view returns (uint16);

    /// @notice The catalogue entry of `gpuModel` (all zero when never set).
    function gpuModel(bytes32 gpuModelId) external view returns (Config.GpuModel memory);

    /// @notice Whether `account` holds `role`.
    function hasRole(bytes32 role, address account) external view returns (bool);

    /// @notice Whether `account` may settle matches in the registry (release, record an outcome,
    /// slash): it holds or once held MARKET_ROLE. Revoking the role stops a market's new matches
    /// only, never the settlement of those it made.
    function isSettlingMarket(address account) external view returns (bool);

    /// @notice Where protocol fees and the treasury share of slashes go.
    function treasury() external view returns (address);

    /// @notice Whether new business is paused.
    function paused() external view returns (bool);

    /// @notice The longest time a stake can stay exposed to a slash after it stops backing new
    /// work: the longest challenge window plus the longest dispute. `unbondingPeriodSeconds`
    /// must exceed it.
    function longestSlashableWindow(Config.Params memory params_) external pure returns (uint256);

    /*//////////////////////////////////////////////////////////////
                             GOVERNANCE CALLS
    //////////////////////////////////////////////////////////////*/

    /// @notice Replaces the parameter set after checking every bound.
    /// @dev Reverts with `ProtocolConfig_ParamOutOfBounds` naming the first parameter out of
    /// bounds, `ProtocolConfig_SharesExceedWhole` when slash shares exceed 100%, and
    /// `ProtocolConfig_UnbondingTooShort` when unbonding is not longer than the longest
    /// slashable window. Emits {ParamsSet}.
    function setParams(Config.Params calldata newParams) external;

    /// @notice Adds, changes or delists a GPU model. Delisting stops new offers only.
    /// @dev Reverts when the id is zero, vRAM is zero, the tier exceeds MAX_TIER or the
    /// collateral is zero or above the bound. Emits {GpuModelSet}.
    function setGpuModel(
        bytes32 gpuModelId,
        uint16 vramGB,
        uint8 tier,
        uint128 collateralPerUnit,
        bool listed
    ) external;

    /// @notice Grants or revokes one of the four roles. A market once granted MARKET_ROLE keeps
    /// settling what it matched after a revocation ({isSettlingMarket}). Emits {RoleSet}.
    function setRole(bytes32 role, address account, bool granted) external;

    /// @notice Sets the treasury. Emits {TreasurySet}.
    function setTreasury(address newTreasury) external;

    /// @notice Stops new business. Emits {Paused}.
    function pause() external;

    /// @notice Resumes new business. Emits {Unpaused}.
    function unpause() external;
}
