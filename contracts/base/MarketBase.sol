// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { Ownable } from "@openzeppelin/contracts/access/Ownable.sol";
import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import { IMarketBase } from "../interfaces/IMarketBase.sol";
import { IProtocolConfig } from "../interfaces/IProtocolConfig.sol";
import { IProviderRegistry } from "../interfaces/IProviderRegistry.sol";
import { Errors } from "../libraries/Errors.sol";
import { ProtocolFees } from "./ProtocolFees.sol";

/// @title MarketBase
/// @notice See the documentation in {IMarketBase}. The plumbing the LeaseMarket and the JobMarket
/// share: their three immutable neighbours, the governance check, and where their payouts
/// and swept fees go.
abstract contract MarketBase is IMarketBase, ProtocolFees {
    /// @dev Basis points in a whole.
    uint256 internal constant _BPS = 10_000;

    /// @inheritdoc IMarketBase
    IProtocolConfig public immutable override config;

    /// @inheritdoc IMarketBase
    IProviderRegistry public immutable override registry;

    /// @inheritdoc IMarketBase
    IERC20 public immutable override paymentToken;

    constructor(IProtocolConfig config_, IProviderRegistry registry_, IERC20 paymentToken_) {
        if (
            address(config_) == address(0) || address(registry_) == address(0) || address(paymentToken_) == address(0)
        ) {
            revert Errors.Leasehold_ZeroAddress();
        }
        config = config_;
        registry = registry_;
        paymentToken = paymentToken_;
    }

    /// @dev Whether `account` is governance: whoever owns the config (a timelock or multisig). Each
    /// market reverts with its own `<Contract>_CallerNotGovernance`.
    function _isGovernance(address account) internal view returns (bool) {
        return account == Ownable(address(config)).owner();
    }

    /// @dev Every payout and credit of a market is in its payment token.
    function _payoutToken() internal view override returns (IERC20) {
        return paymentToken;
    }

    /// @dev Swept fees go to the config's treasury of the moment.
    function _treasury() internal view override returns (address) {
        return config.treasury();
    }
}
