// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IPayoutCredits } from "./IPayoutCredits.sol";

/// @title IProtocolFees
/// @notice The protocol's share of a market's flows (fees on earnings, the treasury's share of a
/// forfeited bond) accrues in the market, one storage slot for all of it, instead of a transfer
/// to the treasury at every withdrawal, close and finalization. Anyone may sweep the whole
/// accrual to the treasury the config names at the time of the sweep. A market's token balance
/// is always its escrows, bonds and credits plus `accruedFees()`.
interface IProtocolFees is IPayoutCredits {
    /// @notice Emitted when `amount`, all the fees accrued, is transferred to `treasury`.
    event FeesSwept(address indexed treasury, uint256 amount);

    /// @notice The fees accrued and not yet swept.
    function accruedFees() external view returns (uint256);

    /// @notice Transfers every accrued fee to the config's current treasury; callable by anyone.
    /// Reverts with `Leasehold_NoFees` when nothing has accrued, and with the token's own error
    /// while the token refuses the treasury: the fees then stay accrued, nothing is lost.
    function sweepFees() external returns (uint256 amount);
}
