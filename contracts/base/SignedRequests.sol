// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { EIP712 } from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import { SignatureChecker } from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import { ISignedRequests } from "../interfaces/ISignedRequests.sol";
import { Errors } from "../libraries/Errors.sol";
import { Market } from "../types/DataTypes.sol";

/// @title SignedRequests
/// @notice See the documentation in {ISignedRequests}. The inheriting market implements
/// `matchSignedRequest` and calls `_useSignedRequest` before it takes anything from the tenant.
abstract contract SignedRequests is ISignedRequests, EIP712 {
    // EIP-712 type strings are as long as their types: they cannot fit one word.
    // solhint-disable gas-small-strings
    /// @dev The EIP-712 type a tenant signs (see {ISignedRequests}).
    bytes32 private constant _SIGNED_REQUEST_TYPEHASH = keccak256(
        "SignedRequest(address tenant,RequestSpec spec,"
        "uint128 deposit,uint256 nonce,uint256 deadline)RequestSpec(bytes32 gpuModel,uint16 minVramGB,uint32 units,"
        "bytes32 region,uint8 minTier,uint16 minReputation,uint128 maxPricePerUnitHour,uint40 maxDurationSeconds,"
        "uint40 matchDeadline,uint8 kind,bytes32 jobTermsHash,bool rematch)"
    );
    bytes32 private constant _REQUEST_SPEC_TYPEHASH = keccak256(
        "RequestSpec(bytes32 gpuModel,uint16 minVramGB,uint32 units,bytes32 region,uint8 minTier,"
        "uint16 minReputation,uint128 maxPricePerUnitHour,uint40 maxDurationSeconds,uint40 matchDeadline,"
        "uint8 kind,bytes32 jobTermsHash,bool rematch)"
    );
    // solhint-enable gas-small-strings

    mapping(address tenant => mapping(uint256 nonce => Market.NonceStatus)) private _nonces;

    constructor() EIP712("Leasehold LeaseMarket", "1") {}

    /// @dev The EIP-712 digest a tenant signs for `request` on this chain and contract.
    function _hashSignedRequest(Market.SignedRequest calldata request) private view returns (bytes32) {
        // Every RequestSpec field is a static word, so its ABI encoding is its EIP-712 encoding.
        bytes32 specHash = keccak256(abi.encode(_REQUEST_SPEC_TYPEHASH, request.spec));
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        _SIGNED_REQUEST_TYPEHASH,
                        request.tenant,
                        specHash,
                        request.deposit,
                        request.nonce,
                        request.deadline
                    )
                )
            );
    }

    /// @inheritdoc ISignedRequests
    function nonceStatus(address tenant, uint256 nonce) external view override returns (Market.NonceStatus) {
        return _nonces[tenant][nonce];
    }

    /// @inheritdoc ISignedRequests
    function cancelSignedRequest(uint256 nonce) external override {
        // Check.
        _requireUnused(msg.sender, nonce);

        // Effect.
        _nonces[msg.sender][nonce] = Market.NonceStatus.CANCELLED;
        emit SignedRequestCancelled(msg.sender, nonce);
    }

    /// @dev Checks `request` and `signature` and spends the nonce, or reverts naming the reason.
    /// The caller emits `SignedRequestUsed` once it knows the request id.
    function _useSignedRequest(Market.SignedRequest calldata request, bytes calldata signature) internal {
        // Check: the cheap refusals before the signature check, which may call a wallet.
        address tenant = request.tenant;
        if (block.timestamp > request.deadline) revert Errors.SignedRequests_Expired(request.deadline, block.timestamp);
        _requireUnused(tenant, request.nonce);
        if (!SignatureChecker.isValidSignatureNow(tenant, _hashSignedRequest(request), signature)) {
            revert Errors.SignedRequests_InvalidSignature(tenant);
        }

        // Effect: spent before anything is pulled from the tenant.
        _nonces[tenant][request.nonce] = Market.NonceStatus.USED;
    }

    function _requireUnused(address tenant, uint256 nonce) private view {
        Market.NonceStatus status = _nonces[tenant][nonce];
        if (status == Market.NonceStatus.USED) revert Errors.SignedRequests_NonceUsed(tenant, nonce);
        if (status == Market.NonceStatus.CANCELLED) revert Errors.SignedRequests_NonceCancelled(tenant, nonce);
    }
}
