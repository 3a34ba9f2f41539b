// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { IPayoutCredits } from "../interfaces/IPayoutCredits.sol";
import { Errors } from "../libraries/Errors.sol";

/// @title PayoutCredits
/// @notice See the documentation in {IPayoutCredits}.
abstract contract PayoutCredits is IPayoutCredits, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    mapping(address account => uint256 amount) private _credits;

    /// @inheritdoc IPayoutCredits
    function creditOf(address account) external view override returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IPayoutCredits
    function claimCredit() external override nonReentrant returns (uint256 amount) {
        // Check.
        amount = _credits[msg.sender];
        if (amount == 0) revert Errors.Leasehold_NoCredit(msg.sender);

        // Effect: the credit is gone before the transfer.
        delete _credits[msg.sender];
        emit CreditClaimed(msg.sender, amount);

        // Interaction: the claimant's own call, so a refusal fails only the claimant.
        _payoutToken().safeTransfer(msg.sender, amount);
    }

    /// @dev The token every payout and credit of the contract is in.
    function _payoutToken() internal view virtual returns (IERC20);

    /// @dev Credits `amount` to `to` for a later claim, without trying a transfer.
    function _credit(address to, uint256 amount) internal {
        if (amount == 0) return;
        _credits[to] += amount;
        emit PaymentCredited(to, amount);
    }

    /// @dev Takes `amount` from `from`'s credit when it holds that much, for a call of `from`'s own
    /// that would otherwise pull it in; returns whether it did (else nothing changes).
    function _spendCredit(address from, uint256 amount) internal returns (bool) {
        uint256 credit = _credits[from];
        if (credit < amount) return false;
        _credits[from] = credit - amount;
        emit CreditSpent(from, amount);
        return true;
    }

    /// @dev Pays `amount` to `to`; when the token refuses, credits it to `to` instead. Callers are
    /// `nonReentrant` and have written their terminal state before, so a refusing token (or a
    /// hook that tries to re-enter) changes only where `to`'s own money waits.
    function _payOrCredit(address to, uint256 amount) internal {
        // slither-disable-next-line incorrect-equality (a zero payout is skipped, whatever it was computed from)
        if (amount == 0) return;
        if (_payoutToken().trySafeTransfer(to, amount)) return;
        _credit(to, amount);
    }
}
