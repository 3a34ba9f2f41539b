// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { TraceProofs } from "../libraries/TraceProofs.sol";

/// @title TraceProofsHarness
/// @notice Exposes the internal TraceProofs library to tests. Not deployed outside tests.
contract TraceProofsHarness {
    function leafOf(uint256 index, bytes32 stateHash) external pure returns (bytes32) {
        return TraceProofs.leafOf(index, stateHash);
    }

    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 index,
        bytes32 stateHash
    ) external pure returns (bool) {
        return TraceProofs.verify(proof, root, index, stateHash);
    }
}
