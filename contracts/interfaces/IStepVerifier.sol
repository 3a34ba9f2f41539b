// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStepVerifier
/// @notice The on-chain referee of one workload. A job is N steps `s_{i+1} = step(s_i, i)` over a
/// state `s` with a canonical byte encoding; the solver commits to the Merkle root of the state
/// hashes `h_i = keccak256(s_i)`. When a dispute narrows to one step k, the job market reveals
/// `s_k` (checked against `h_k`) and accepts `h_{k+1}` only if
/// `keccak256(step(s_k, k, seed)) == h_{k+1}`. The off-chain executors in `keepers/workloads/`
/// compute the same function bit for bit (docs/workloads.md).
interface IStepVerifier {
    /// @notice Computes the state after step `stepIndex` from `state`.
    /// @dev Deterministic: depends only on its arguments. Reverts with
    /// `StepVerifier_InvalidState` when `state` is not a valid encoding (see {isValidState}).
    /// @param state The canonical encoding of the state `s_k` before the step.
    /// @param stepIndex The index k of the step, 0-based (the step from `s_k` to `s_{k+1}`).
    /// @param seed The job's seed; workloads that need no randomness ignore it.
    /// @return nextState The canonical encoding of `s_{k+1}`.
    function step(bytes calldata state, uint256 stepIndex, bytes32 seed) external view returns (bytes memory nextState);

    /// @notice Whether `state` is a valid encoding of a state of this workload. Only valid states
    /// are stepped; a job's input must be valid too.
    function isValidState(bytes calldata state) external pure returns (bool);
}
