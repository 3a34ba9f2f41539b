// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title SwitchRevertToken
/// @notice A token whose every transfer reverts once `reverting` is switched on, as a token its
/// issuer paused would. Open mint.
/// @dev Never deployed to a public network by our scripts.
contract SwitchRevertToken is ERC20 {
    error SwitchRevertToken_Halted();

    bool public reverting;

    constructor() ERC20("Switch Revert USD", "SRUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setReverting(bool reverting_) external {
        reverting = reverting_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (reverting) revert SwitchRevertToken_Halted();
        super._update(from, to, value);
    }
}
