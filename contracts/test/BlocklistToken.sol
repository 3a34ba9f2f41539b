// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlocklistToken
/// @notice A USDC-like token whose issuer can blocklist an account: any transfer from or to it
/// reverts. Open mint and open blocklist (test token only).
/// @dev Never deployed to a public network by our scripts.
contract BlocklistToken is ERC20 {
    error BlocklistToken_Blocked(address account);

    mapping(address account => bool blocked) public isBlocked;

    constructor() ERC20("Blocklist USD", "BLUSD") { }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool blocked) external {
        isBlocked[account] = blocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (isBlocked[from]) revert BlocklistToken_Blocked(from);
        if (isBlocked[to]) revert BlocklistToken_Blocked(to);
        super._update(from, to, value);
    }
}
