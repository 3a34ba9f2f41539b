// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IStepVerifier } from "../interfaces/IStepVerifier.sol";
import { Errors } from "../libraries/Errors.sol";

/// @title HashchainStepVerifier
/// @notice Workload `hashchain`: the state is 32 bytes and each step replaces it by its keccak256.
/// The seed and the step index do not enter the step.
contract HashchainStepVerifier is IStepVerifier {
    /// @notice Length in bytes of every valid state.
    uint256 public constant STATE_LENGTH = 32;

    /// @inheritdoc IStepVerifier
    function step(bytes calldata state, uint256, bytes32) external pure override returns (bytes memory nextState) {
        if (state.length != STATE_LENGTH) {
            revert Errors.StepVerifier_InvalidState(state.length, STATE_LENGTH);
        }
        nextState = abi.encodePacked(keccak256(state));
    }

    /// @inheritdoc IStepVerifier
    function isValidState(bytes calldata state) external pure override returns (bool) {
        return state.length == STATE_LENGTH;
    }
}
