// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Puppet
/// @notice A contract account that does whatever it is told: a provider, tenant or challenger
/// that is a contract, so a token hook can re-enter the protocol as that party.
/// @dev Never deployed to a public network by our scripts. Open to anyone (test only).
contract Puppet {
    /// @notice Calls `to` with `data` as this account; a revert is passed on unchanged.
    function forward(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
