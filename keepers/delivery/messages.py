"""The tenant's EIP-712 messages to a provider's access server.

Every request about a lease (deploy, access, logs) is signed by the lease's tenant over a
domain bound to the chain and the LeaseMarket, so a signature for one deployment or chain
is worthless on another. `issuedAt` (the chain's clock, a unix time) bounds how long a
signature is accepted; the agent refuses one older or newer than its window.
"""

from __future__ import annotations

import json

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from keepers.ids import ZERO_BYTES32

DOMAIN_NAME = "Leasehold Delivery"
DOMAIN_VERSION = "1"
ACTIONS = ("access", "logs")

TYPES = {
    "Deploy": [
        {"name": "leaseId", "type": "uint256"},
        {"name": "manifestHash", "type": "bytes32"},
        {"name": "secretsHash", "type": "bytes32"},
        {"name": "issuedAt", "type": "uint256"},
    ],
    "LeaseRequest": [
        {"name": "leaseId", "type": "uint256"},
        {"name": "action", "type": "string"},
        {"name": "issuedAt", "type": "uint256"},
    ],
}


def secrets_hash(sealed: dict[str, str]) -> bytes:
    """What the signature says of the sealed secret values: keccak256 of their sorted JSON (zero when none)."""
    if not sealed:
        return ZERO_BYTES32
    return keccak(json.dumps(sealed, sort_keys=True, separators=(",", ":")).encode())


def _domain(chain_id: int, market: str) -> dict:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": market}


def _deploy(chain_id, market, lease_id, manifest_hash, sealed, issued_at):
    return encode_typed_data(
        domain_data=_domain(chain_id, market),
        message_types={"Deploy": TYPES["Deploy"]},
        message_data={
            "leaseId": lease_id,
            "manifestHash": manifest_hash,
            "secretsHash": secrets_hash(sealed),
            "issuedAt": issued_at,
        },
    )


def _request(chain_id, market, lease_id, action, issued_at):
    return encode_typed_data(
        domain_data=_domain(chain_id, market),
        message_types={"LeaseRequest": TYPES["LeaseRequest"]},
        message_data={"leaseId": lease_id, "action": action, "issuedAt": issued_at},
    )


def sign_deploy(
    account: LocalAccount,
    chain_id: int,
    market: str,
    lease_id: int,
    manifest_hash: bytes,
    sealed: dict[str, str],
    issued_at: int,
) -> str:
    message = _deploy(chain_id, market, lease_id, manifest_hash, sealed, issued_at)
    return "0x" + account.sign_message(message).signature.hex().removeprefix("0x")


def deploy_signer(
    chain_id: int,
    market: str,
    lease_id: int,
    manifest_hash: bytes,
    sealed: dict[str, str],
    issued_at: int,
    signature: str,
) -> str:
    """The address that signed this deploy message (any address for a wrong message: compare it)."""
    message = _deploy(chain_id, market, lease_id, manifest_hash, sealed, issued_at)
    return Account.recover_message(message, signature=signature)


def sign_request(account: LocalAccount, chain_id: int, market: str, lease_id: int, action: str, issued_at: int) -> str:
    message = _request(chain_id, market, lease_id, action, issued_at)
    return "0x" + account.sign_message(message).signature.hex().removeprefix("0x")


def request_signer(chain_id: int, market: str, lease_id: int, action: str, issued_at: int, signature: str) -> str:
    return Account.recover_message(_request(chain_id, market, lease_id, action, issued_at), signature=signature)
