// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IJobMarket
/// @notice The part of the job market the lease market calls: it hands over a matched JOB
/// request with its escrow already transferred.
interface IJobMarket {
    /// @notice Opens the job of a matched JOB request. The lease market has transferred
    /// `escrow` payment tokens to the job market just before this call, and the registry holds
    /// `collateral` of `provider`'s stake locked for `units` of offer `offerId`.
    /// @dev Only the lease market may call it. `jobTermsHash` names the terms the tenant
    /// committed to (workload, input, steps, deadlines).
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
}
