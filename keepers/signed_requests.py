"""EIP-712 signed requests (gasless ordering), as LeaseMarket's SignedRequests base checks them.

A tenant signs a `SignedRequest` (its spec, deposit, a nonce of its choice and a deadline) and an
ERC-2612 permit of the deposit; any matcher submits both with its match (`matchSignedRequest`).
The same typed data is built by the TypeScript SDK (sdk/src/signed.ts); the contract tests and
the SDK's tests have the contract accept what each signs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from eth_account import Account
from eth_account.messages import encode_typed_data

DOMAIN_NAME = "Leasehold LeaseMarket"
DOMAIN_VERSION = "1"

SPEC_FIELDS = (
    ("gpuModel", "bytes32"),
    ("minVramGB", "uint16"),
    ("units", "uint32"),
    ("region", "bytes32"),
    ("minTier", "uint8"),
    ("minReputation", "uint16"),
    ("maxPricePerUnitHour", "uint128"),
    ("maxDurationSeconds", "uint40"),
    ("matchDeadline", "uint40"),
    ("kind", "uint8"),
    ("jobTermsHash", "bytes32"),
    ("rematch", "bool"),
)
REQUEST_FIELDS = (
    ("tenant", "address"),
    ("spec", "RequestSpec"),
    ("deposit", "uint128"),
    ("nonce", "uint256"),
    ("deadline", "uint256"),
)
TYPES = {
    "SignedRequest": [{"name": n, "type": t} for n, t in REQUEST_FIELDS],
    "RequestSpec": [{"name": n, "type": t} for n, t in SPEC_FIELDS],
}


def spec_dict(spec: Sequence | Mapping) -> dict:
    """A RequestSpec as a dict by field name, from a tuple in struct order or a mapping."""
    if isinstance(spec, Mapping):
        return {name: spec[name] for name, _ in SPEC_FIELDS}
    if len(spec) != len(SPEC_FIELDS):
        raise ValueError(f"a RequestSpec has {len(SPEC_FIELDS)} fields, not {len(spec)}")
    return dict(zip((name for name, _ in SPEC_FIELDS), spec))


def typed_data(chain_id: int, market: str, tenant: str, spec, deposit: int, nonce: int, deadline: int) -> dict:
    """The full EIP-712 typed data of a signed request, as eth_account and wallets take it."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **TYPES,
        },
        "primaryType": "SignedRequest",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": market},
        "message": {
            "tenant": tenant,
            "spec": spec_dict(spec),
            "deposit": deposit,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def sign_request(
    key, chain_id: int, market: str, spec, deposit: int, nonce: int, deadline: int, tenant: str | None = None
) -> bytes:
    """The 65-byte signature of `key` over a signed request of `tenant`: by default the key's own
    account; a contract wallet (ERC-1271) whose owner the key is, otherwise."""
    tenant = tenant or Account.from_key(key).address
    data = typed_data(chain_id, market, tenant, spec, deposit, nonce, deadline)
    return bytes(Account.sign_message(encode_typed_data(full_message=data), key).signature)


def request_tuple(tenant: str, spec, deposit: int, nonce: int, deadline: int) -> tuple:
    """A `Market.SignedRequest` in struct order, as a contract call takes it."""
    fields = spec_dict(spec)
    return (tenant, tuple(fields[name] for name, _ in SPEC_FIELDS), deposit, nonce, deadline)


def permit_signature(
    key, token_name: str, chain_id: int, token: str, spender: str, value: int, nonce: int, deadline: int
) -> tuple[int, int, bytes, bytes]:
    """An ERC-2612 permit as a `Market.Permit` tuple (deadline, v, r, s)."""
    owner = Account.from_key(key).address
    data = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": token_name, "version": "1", "chainId": chain_id, "verifyingContract": token},
        "message": {"owner": owner, "spender": spender, "value": value, "nonce": nonce, "deadline": deadline},
    }
    signed = Account.sign_message(encode_typed_data(full_message=data), key)
    return deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
