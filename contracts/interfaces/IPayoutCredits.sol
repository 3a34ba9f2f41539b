// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IPayoutCredits
/// @notice A payout that the token refuses (a receiver on the token's blocklist, a paused token,
/// a receiver's transfer hook that reverts) is not allowed to fail the settlement that pays
/// everyone else: it is credited to its receiver, who claims it later. One party's trouble with
/// the token never holds another party's funds, nor keeps a provider from answering a liveness
/// challenge. Calls that pay only their caller (unstake, a cancelled request's refund, a claim)
/// still revert. The lease market credits match fees to their matcher without trying a transfer
/// (one claim for many batches, docs/gas.md). The job market credits a sampled verifier's pay and
/// bond, and takes its next claim's bond from that credit: a standing balance, no token transfer
/// in or out per job (docs/verification.md).
interface IPayoutCredits {
    /// @notice Emitted when `amount` is credited to `account`: a transfer it refused, or a match fee.
    event PaymentCredited(address indexed account, uint256 amount);

    /// @notice Emitted when `amount` of `account`'s credit is spent by its own call: the bond of a
    /// verification claim, taken from the credit instead of transferred in.
    event CreditSpent(address indexed account, uint256 amount);

    /// @notice Emitted when `account` claims its whole credit.
    event CreditClaimed(address indexed account, uint256 amount);

    /// @notice What `account` may claim with `claimCredit`.
    function creditOf(address account) external view returns (uint256);

    /// @notice Pays the caller its whole credit. Reverts with `Leasehold_NoCredit` when it has none,
    /// and with the token's own error while the token still refuses the caller.
    function claimCredit() external returns (uint256 amount);
}
