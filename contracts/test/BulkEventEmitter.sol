// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { ILeaseMarket } from "../interfaces/ILeaseMarket.sol";
import { Market } from "../types/DataTypes.sol";

/// @title BulkEventEmitter
/// @notice Emits LeaseMarket's own events (same signatures, same fields) for whole lease
/// lifecycles at once, so the indexer benchmark can build 100,000 real-shaped events in
/// seconds; the indexer is pointed at this address with LeaseMarket's ABI.
/// @dev Benchmark fixture only: holds no funds, checks nothing, never deployed by our scripts.
contract BulkEventEmitter {
    /// @notice Emits, for each id in [firstId, firstId + count), RequestCreated, LeaseStarted
    /// and LeaseClosed (reason EXPIRED), as a lease that ran its course would.
    function emitLifecycles(uint256 firstId, uint256 count, Market.RequestSpec calldata spec) external {
        uint256 end = firstId + count;
        for (uint256 id = firstId; id < end; ++id) {
            emit ILeaseMarket.RequestCreated(id, msg.sender, spec, 100e6);
            emit ILeaseMarket.LeaseStarted(
                id,
                address(this),
                1,
                msg.sender,
                spec.maxPricePerUnitHour,
                90e6,
                1e6,
                3000e6,
                spec.matchDeadline
            );
            emit ILeaseMarket.LeaseClosed(id, msg.sender, Market.CloseReason.EXPIRED, 80e6, 1e6, 9e6, 1e6, msg.sender);
        }
    }
}
