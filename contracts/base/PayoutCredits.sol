// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { SafeCast } from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import { ReentrancyGuardTransient } from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import { IPayoutCredits } from "../interfaces/IPayoutCredits.sol";
import { Errors } from "../libraries/Errors.sol";

/// @title PayoutCredits
/// @notice See the documentation in {IPayoutCredits}.
abstract contract PayoutCredits is IPayoutCredits, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev Low 128 bits: the account's credit. High 128 bits: a word the inheriting contract keeps
    /// per account beside it (`_creditTagOf`), so that a call crediting an account can update that
    /// word in the same slot write (the LeaseMarket keeps a matcher's exposure there).
    mapping(address account => uint256 word) private _credits;

    uint256 private constant _CREDIT_MASK = type(uint128).max;

    /// @inheritdoc IPayoutCredits
    function creditOf(address account) external view override returns (uint256) {
        return _credits[account] & _CREDIT_MASK;
    }

    /// @inheritdoc IPayoutCredits
    function claimCredit() external override nonReentrant returns (uint256 amount) {
        // Check.
        uint256 word = _credits[msg.sender];
        amount = word & _CREDIT_MASK;
        if (amount == 0) revert Errors.Leasehold_NoCredit(msg.sender);

        // Effect: the credit is gone before the transfer; the tag stays.
        _credits[msg.sender] = word ^ amount;
        emit CreditClaimed(msg.sender, amount);

        // Interaction: the claimant's own call, so a refusal fails only the claimant.
        _payoutToken().safeTransfer(msg.sender, amount);
    }

    /// @dev The token every payout and credit of the contract is in.
    function _payoutToken() internal view virtual returns (IERC20);

    /// @dev Credits `amount` to `to` for a later claim, without trying a transfer.
    function _credit(address to, uint256 amount) internal {
        if (amount == 0) return;
        uint256 word = _credits[to];
        _credits[to] = ((word >> 128) << 128) | _addCredit(word, amount);
        emit PaymentCredited(to, amount);
    }

    /// @dev The word the inheriting contract keeps beside `account`'s credit.
    function _creditTagOf(address account) internal view returns (uint128) {
        return uint128(_credits[account] >> 128);
    }

    /// @dev Credits `amount` to `to` (nothing when zero) and sets its tag to `tag`, one slot write.
    function _creditAndTag(address to, uint256 amount, uint128 tag) internal {
        _credits[to] = (uint256(tag) << 128) | _addCredit(_credits[to], amount);
        if (amount != 0) emit PaymentCredited(to, amount);
    }

    /// @dev The credit in `word` plus `amount`; no token supply reaches 2**128, and a sum above it
    /// reverts (SafeCast) rather than spill into the tag.
    function _addCredit(uint256 word, uint256 amount) private pure returns (uint256) {
        return SafeCast.toUint128((word & _CREDIT_MASK) + amount);
    }

    /// @dev Takes `amount` from `from`'s credit when it holds that much, for a call of `from`'s own
    /// that would otherwise pull it in; returns whether it did (else nothing changes). The tag
    /// above the credit is kept: the credit covers `amount`, so the subtraction borrows nothing.
    function _spendCredit(address from, uint256 amount) internal returns (bool) {
        uint256 word = _credits[from];
        if (word & _CREDIT_MASK < amount) return false;
        _credits[from] = word - amount;
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
