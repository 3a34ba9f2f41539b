// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ERC20 } from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import { ERC20Permit } from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title BlocklistPermitToken
/// @notice A USDC-like token whose issuer can blocklist an account (any transfer from or to it
/// reverts) or pause the token as a whole (every transfer reverts). Otherwise a drop-in for
/// {TestStablecoin} (6 decimals, open mint, ERC-2612 permit), so the awkward-token tests and the
/// stateful campaign (where `createRequestWithPermit` and refused payouts meet in one walk) share
/// it. Open mint, open blocklist and open pause (test token only).
/// @dev Never deployed to a public network by our scripts.
contract BlocklistPermitToken is ERC20, ERC20Permit {
    error BlocklistPermitToken_Blocked(address account);
    error BlocklistPermitToken_Paused();

    mapping(address account => bool blocked) public isBlocked;
    bool public paused;

    constructor() ERC20("Blocklist USD", "BLUSD") ERC20Permit("Blocklist USD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool blocked) external {
        isBlocked[account] = blocked;
    }

    /// @notice Pauses (or resumes) every transfer, mint included, as an issuer halting its token would.
    function setPaused(bool paused_) external {
        paused = paused_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (paused) revert BlocklistPermitToken_Paused();
        if (isBlocked[from]) revert BlocklistPermitToken_Blocked(from);
        if (isBlocked[to]) revert BlocklistPermitToken_Blocked(to);
        super._update(from, to, value);
    }
}
