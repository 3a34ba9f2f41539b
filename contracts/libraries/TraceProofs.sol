// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import { MerkleProof } from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title TraceProofs
/// @notice Membership proofs of one state hash in a solver's trace commitment. The trace root is
/// the root of an OpenZeppelin StandardMerkleTree over the pairs `(uint256 index, bytes32
/// stateHash)` for index 0..N: leaves are double-hashed ABI encodings and inner nodes hash their
/// children as a sorted pair. The JavaScript `StandardMerkleTree` of OpenZeppelin's merkle-tree
/// package and keepers/workloads/trace.py build the same root, and the double hash keeps a leaf
/// from being passed off as an inner node.
library TraceProofs {
    /// @notice The leaf committing to `stateHash` as the hash of state number `index`.
    function leafOf(uint256 index, bytes32 stateHash) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(index, stateHash))));
    }

    /// @notice Whether `proof` shows that `stateHash` is the hash of state number `index` in the
    /// trace committed to by `root`.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 index,
        bytes32 stateHash
    ) internal pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leafOf(index, stateHash));
    }
}
