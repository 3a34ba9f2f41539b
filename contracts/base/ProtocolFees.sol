// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import { IProtocolFees } from "../interfaces/IProtocolFees.sol";
import { Errors } from "../libraries/Errors.sol";
import { PayoutCredits } from "./PayoutCredits.sol";

/// @title ProtocolFees
/// @notice See the documentation in {IProtocolFees}.
abstract contract ProtocolFees is IProtocolFees, PayoutCredits {
    using SafeERC20 for IERC20;

    /// @dev The fees held for the treasury and, in the job market, the verifier pool (the levy
    /// of the jobs nobody verified, paid to sampled verifiers): one slot, so a job's settlement
    /// moves both with one write.
    uint128 private _accruedFees;
    uint128 private _verifierPool;

    /// @inheritdoc IProtocolFees
    function accruedFees() external view override returns (uint256) {
        return _accruedFees;
    }

    /// @inheritdoc IProtocolFees
    function sweepFees() external override nonReentrant returns (uint256 amount) {
        // Check.
        amount = _accruedFees;
        if (amount == 0) revert Errors.Leasehold_NoFees();

        // Effect: the accrual is gone before the transfer; a refusal reverts both.
        _accruedFees = 0;
        address treasury = _treasury();
        emit FeesSwept(treasury, amount);

        // Interaction: not credited on refusal, since the treasury may change; the fees wait here.
        _payoutToken().safeTransfer(treasury, amount);
    }

    /// @dev Where swept fees go: the config's treasury at the time of the sweep.
    function _treasury() internal view virtual returns (address);

    /// @dev Adds `amount` to the fees held for the treasury.
    function _accrueFee(uint256 amount) internal {
        // slither-disable-next-line incorrect-equality (a zero fee is skipped, whatever it was computed from)
        if (amount == 0) return;
        _accruedFees += SafeCast.toUint128(amount);
    }

    /// @dev The verifier pool: payment tokens held for sampled verifiers.
    function _poolBalance() internal view returns (uint256) {
        return _verifierPool;
    }

    /// @dev Adds `fee` to the treasury's fees and `intoPool` to the verifier pool, takes
    /// `outOfPool` from it (reverts when it holds less): one read and one write of the slot.
    function _accrueWithPool(uint256 fee, uint256 intoPool, uint256 outOfPool) internal {
        _accruedFees += SafeCast.toUint128(fee);
        _verifierPool = SafeCast.toUint128(_verifierPool + intoPool - outOfPool);
    }
}
