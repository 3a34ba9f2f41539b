// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { Jobs, Registry } from "../types/DataTypes.sol";

/// @title RecordingJobMarket
/// @notice Stands in for the job market in lease market tests: records the last handover and the
/// escrow it held when the call arrived, so a test can check the escrow moved before `openJob`.
/// @dev Never deployed to a public network by our scripts. It has `IJobMarket.openJob`'s,
/// `isPublished`'s, `jobSkipReason`'s and `getJob`'s signatures but not the rest of the job market, so it does not
/// claim the interface.
contract RecordingJobMarket {
    IERC20 public immutable paymentToken;

    uint256 public requestId;
    address public tenant;
    address public provider;
    uint256 public offerId;
    uint32 public units;
    uint128 public collateral;
    uint128 public escrow;
    bytes32 public jobTermsHash;
    uint256 public balanceAtOpen;
    uint256 public jobsOpened;
    mapping(bytes32 termsHash => bool published) public isPublished;

    constructor(IERC20 paymentToken_) {
        paymentToken = paymentToken_;
    }

    /// @notice Marks terms as published, as `JobMarket.publishJobTerms` would.
    function publish(bytes32 termsHash) external {
        isPublished[termsHash] = true;
    }

    /// @notice What the lease market asks at a JOB match: published terms are taken by any offer.
    function jobSkipReason(bytes32 termsHash, uint256, uint128) external view returns (Registry.SkipReason) {
        return isPublished[termsHash] ? Registry.SkipReason.NONE : Registry.SkipReason.JOB_TERMS_UNPUBLISHED;
    }

    function openJob(
        uint256 requestId_,
        address tenant_,
        address provider_,
        uint256 offerId_,
        uint32 units_,
        uint128 collateral_,
        uint128 escrow_,
        bytes32 jobTermsHash_
    ) external {
        requestId = requestId_;
        tenant = tenant_;
        provider = provider_;
        offerId = offerId_;
        units = units_;
        collateral = collateral_;
        escrow = escrow_;
        jobTermsHash = jobTermsHash_;
        balanceAtOpen = paymentToken.balanceOf(address(this));
        jobsOpened += 1;
    }

    /// @notice The last handover as a job, for the lease market's view of a matched JOB request.
    function getJob(uint256) external view returns (Jobs.Job memory job) {
        job.provider = provider;
        job.offerId = uint64(offerId);
        job.units = units;
        job.tenant = tenant;
        job.collateral = collateral;
        job.escrow = escrow;
        job.termsHash = jobTermsHash;
    }

    /// @notice The last handover's match, as the lease market's view and a match challenge read it.
    function matchOf(uint256) external view returns (address, uint40, uint128, uint128) {
        return (provider, uint40(offerId), collateral, escrow);
    }
}
