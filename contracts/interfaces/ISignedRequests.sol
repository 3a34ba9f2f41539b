// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { IERC5267 } from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import { Market } from "../types/DataTypes.sol";

/// @title ISignedRequests
/// @notice Gasless ordering: a tenant signs an EIP-712 `SignedRequest` (with an ERC-2612 permit of
/// the deposit) instead of sending `createRequest`, and any matcher submits it together with its
/// match in one transaction, paid by the match fee. A signature is good once, until its deadline,
/// and not after its tenant cancelled its nonce. Contract wallets sign through ERC-1271.
/// Domain: name "Leasehold LeaseMarket", version "1", this chain, this contract (see `eip712Domain`).
/// Type: SignedRequest(address tenant,RequestSpec spec,uint128 deposit,uint256 nonce,uint256 deadline)
/// RequestSpec(bytes32 gpuModel,uint16 minVramGB,uint32 units,bytes32 region,uint8 minTier,
/// uint16 minReputation,uint128 maxPricePerUnitHour,uint40 maxDurationSeconds,uint40 matchDeadline,
/// uint8 kind,bytes32 jobTermsHash,bool rematch), with `kind` 0 for RENTAL and 1 for JOB.
interface ISignedRequests is IERC5267 {
    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a signed request is posted on-chain as `requestId` by `matcher`.
    event SignedRequestUsed(address indexed tenant, uint256 indexed nonce, uint256 indexed requestId, address matcher);

    /// @notice Emitted when a tenant cancels a nonce: no signature over it is accepted from now on.
    event SignedRequestCancelled(address indexed tenant, uint256 indexed nonce);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether `tenant`'s `nonce` is unused, used by a posted request, or cancelled.
    function nonceStatus(address tenant, uint256 nonce) external view returns (Market.NonceStatus);

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Refuses every signature over the caller's `nonce` from now on.
    /// @dev Reverts with `SignedRequests_NonceUsed` or `SignedRequests_NonceCancelled` when it is final already.
    function cancelSignedRequest(uint256 nonce) external;

    /// @notice Posts `request`, signed by its tenant, and matches it with `offerId` at once. The
    /// deposit is pulled from the tenant (after `permit`, when one is given); the match fee pays the
    /// caller. The caller must hold the MATCHER role; everything `createRequest` and a match check
    /// is checked, and a pair that does not hold reverts the whole call, so the signature stays
    /// usable for another offer.
    /// @dev Reverts with `SignedRequests_Expired` past `request.deadline`, `SignedRequests_NonceUsed`
    /// on a replay, `SignedRequests_NonceCancelled` after a cancel, `SignedRequests_InvalidSignature`
    /// when `signature` is not the tenant's (ECDSA or ERC-1271), and
    /// `LeaseMarket_SignedRequestNotMatched` with the skip reason when the pair does not hold.
    /// @return requestId The id of the request, which is the lease id of a RENTAL.
    function matchSignedRequest(
        Market.SignedRequest calldata request,
        Market.Permit calldata permit,
        bytes calldata signature,
        uint256 offerId
    ) external returns (uint256 requestId);
}
