// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC20 } from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import { IProtocolConfig } from "./IProtocolConfig.sol";
import { IProtocolFees } from "./IProtocolFees.sol";
import { IProviderRegistry } from "./IProviderRegistry.sol";

/// @title IMarketBase
/// @notice What both markets are built on: the config they read their parameters, roles and
/// governance from, the registry that holds their providers' collateral, and the payment token
/// their escrows, bonds, fees and credits are in. All three are fixed at deployment.
interface IMarketBase is IProtocolFees {
    /// @notice The protocol's parameters, roles, treasury and pause; its owner is governance.
    function config() external view returns (IProtocolConfig);

    /// @notice The provider registry that reserves, releases and slashes the collateral of matches.
    function registry() external view returns (IProviderRegistry);

    /// @notice The ERC-20 every escrow, bond, fee and credit of the market is paid in.
    function paymentToken() external view returns (IERC20);
}
