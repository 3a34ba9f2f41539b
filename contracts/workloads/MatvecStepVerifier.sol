// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IStepVerifier } from "../interfaces/IStepVerifier.sol";
import { Errors } from "../libraries/Errors.sol";

/// @title MatvecStepVerifier
/// @notice Workload `matvec`: a deterministic stand-in for one dense neural-network layer per step.
/// The state is 16 signed Q16.16 fixed-point numbers, each a big-endian two's-complement int32
/// (64 bytes). Step i computes, for every row r,
///     next[r] = min(max((b_i[r] * 2^16 + sum_c W_i[r][c] * s[c]) >> 16, 0), 2^31 - 1)
/// where `>>` is the arithmetic shift (floor), and the int16 weights and biases are Q0.16 numbers
/// read big-endian from keccak words:
///     row r of W_i = the 16 int16 of keccak256(abi.encode(seed, i, r)), column 0 first;
///     b_i          = the 16 int16 of keccak256(abi.encode(seed, i, uint256(16))).
/// Every intermediate fits in 51 bits, so NumPy int64 (keepers/workloads/matvec.py) computes the
/// same numbers exactly (docs/workloads.md gives the bounds).
contract MatvecStepVerifier is IStepVerifier {
    /// @notice Number of values in the state vector (and rows and columns of each W_i).
    uint256 public constant WIDTH = 16;

    /// @notice Length in bytes of every valid state: WIDTH int32 values.
    uint256 public constant STATE_LENGTH = 64;

    /// @notice Fraction bits of the Q16.16 state, and of the Q0.16 weights and biases.
    uint256 public constant FRACTION_BITS = 16;

    int256 private constant _INT32_MAX = int256(type(int32).max);

    /// @inheritdoc IStepVerifier
    function step(
        bytes calldata state,
        uint256 stepIndex,
        bytes32 seed
    ) external pure override returns (bytes memory nextState) {
        if (state.length != STATE_LENGTH) {
            revert Errors.StepVerifier_InvalidState(state.length, STATE_LENGTH);
        }

        int256[WIDTH] memory values = _decode(state);
        uint256 biasWord = uint256(keccak256(abi.encode(seed, stepIndex, WIDTH)));
        // 16 int32 outputs packed eight to a word, row 0 in the high bits of the first word.
        uint256[2] memory packed;

        // Bounds (|W|, |b| <= 2^15, |s| <= 2^31): |b * 2^16| <= 2^31 and each |W * s| <= 2^46, so
        // |acc| <= 2^31 + 16 * 2^46 < 2^51. Nothing here can overflow int256, and the counters stay
        // below WIDTH.
        unchecked {
            for (uint256 row = 0; row < WIDTH; ++row) {
                uint256 weightWord = uint256(keccak256(abi.encode(seed, stepIndex, row)));
                int256 acc = int256(int16(uint16(biasWord >> (240 - 16 * row)))) << FRACTION_BITS;
                for (uint256 col = 0; col < WIDTH; ++col) {
                    // The top 16 bits are the weight of this column; the next column's move up.
                    acc += int256(int16(uint16(weightWord >> 240))) * values[col];
                    weightWord <<= 16;
                }
                // Signed `>>` rounds towards negative infinity, as NumPy's arithmetic shift does.
                int256 out = acc >> FRACTION_BITS;
                if (out < 0) {
                    out = 0;
                } else if (out > _INT32_MAX) {
                    out = _INT32_MAX;
                }
                // `out` is in [0, 2^31 - 1] here, so the cast keeps it whole.
                packed[row / 8] = (packed[row / 8] << 32) | uint256(out);
            }
        }
        nextState = abi.encodePacked(packed[0], packed[1]);
    }

    /// @inheritdoc IStepVerifier
    function isValidState(bytes calldata state) external pure override returns (bool) {
        return state.length == STATE_LENGTH;
    }

    /// @dev The WIDTH big-endian two's-complement int32 values of a state of STATE_LENGTH bytes.
    function _decode(bytes calldata state) private pure returns (int256[WIDTH] memory values) {
        for (uint256 i = 0; i < WIDTH; ++i) {
            values[i] = int256(int32(uint32(bytes4(state[4 * i:4 * i + 4]))));
        }
    }
}
