// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantHookToken
/// @notice A token with a transfer hook (as ERC-777 or a malicious token has): when a transfer
/// pays the armed `beneficiary`, the token first calls `target` with `payload`, once, as an
/// attacker re-entering the protocol mid-payout would. It records the attempt and its revert
/// data; with `bubble` set, a failed re-entry reverts the transfer itself. Open mint.
/// @dev Never deployed to a public network by our scripts. The call comes from the token; to
/// re-enter as the paid party, `target` is a {Puppet} that party is, and `payload` its `forward`.
contract ReentrantHookToken is ERC20 {
    address public beneficiary;
    address public target;
    bytes public payload;
    bool public bubble;

    uint256 public attempts;
    bool public lastSucceeded;
    bytes public lastRevertData;

    bool private _inHook;

    constructor() ERC20("Reentrant Hook USD", "RHUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfer to `beneficiary_` first calls `target_` with
    /// `payload_`. A zero `beneficiary_` disarms it.
    function arm(address beneficiary_, address target_, bytes calldata payload_, bool bubble_) external {
        beneficiary = beneficiary_;
        target = target_;
        payload = payload_;
        bubble = bubble_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (to == beneficiary && to != address(0) && from != address(0) && !_inHook) {
            _inHook = true;
            attempts += 1;
            (bool ok, bytes memory data) = target.call(payload);
            lastSucceeded = ok;
            lastRevertData = data;
            _inHook = false;
            if (!ok && bubble) {
                assembly ("memory-safe") {
                    revert(add(data, 32), mload(data))
                }
            }
        }
        super._update(from, to, value);
    }
}
