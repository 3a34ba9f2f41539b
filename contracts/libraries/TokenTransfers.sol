// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { SafeERC20 } from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import { Errors } from "./Errors.sol";

/// @title TokenTransfers
/// @notice Deposits that measure what actually arrived. A token that delivers less than asked
/// (fee-on-transfer, rebasing down) is refused, so escrow never records more than it holds.
library TokenTransfers {
    using SafeERC20 for IERC20;

    /// @notice Pulls exactly `amount` of `token` from the caller into this contract, or reverts with
    /// `Leasehold_TransferAmountMismatch`. Only ever from `msg.sender`: no path can spend another
    /// account's allowance.
    function pullExact(IERC20 token, uint256 amount) internal {
        pullExactFrom(token, msg.sender, amount);
    }

    /// @notice `pullExact` from `from`, which must be the caller or an account whose signature over
    /// this very pull the caller has just verified (a signed request).
    function pullExactFrom(IERC20 token, address from, uint256 amount) internal {
        uint256 balanceBefore = token.balanceOf(address(this));
        // slither-disable-next-line arbitrary-send-erc20,arbitrary-send-erc20-permit (the caller or a verified signer)
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - balanceBefore;
        if (received != amount) {
            revert Errors.Leasehold_TransferAmountMismatch(address(token), amount, received);
        }
    }
}
