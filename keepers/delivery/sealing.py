"""Secrets sealed to the provider's X25519 key (libsodium sealed boxes through PyNaCl).

The agent keeps one X25519 key pair in a file of its own (mode 0600) and serves the public
half at `GET /delivery/key`; a tenant seals each secret value to it, so only that agent can
open it. A sealed box is anonymous: who sealed it is proven by the tenant's EIP-712
signature over the sealed values (`keepers.delivery.messages`), not by the box.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from keepers.delivery.errors import DeliveryRefused
from keepers.errors import ConfigError

MAX_SECRET_BYTES = 16 * 1024
_SEAL_OVERHEAD = 48  # the ephemeral public key (32) and the MAC (16)


def load_or_create_key(path: Path) -> PrivateKey:
    """The agent's delivery key: read from `path`, or made and written there (0600) on first start."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        key = PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(bytes(key))
        return key
    except OSError as error:
        raise ConfigError(f"config error: role.delivery.key_file: cannot read {path}: {error.strerror}") from None
    if len(raw) != PrivateKey.SIZE:
        raise ConfigError(f"config error: role.delivery.key_file: {path} is not a {PrivateKey.SIZE}-byte X25519 key")
    return PrivateKey(raw)


def public_key_text(key: PrivateKey) -> str:
    return base64.b64encode(bytes(key.public_key)).decode()


def seal(public_key: str, value: str) -> str:
    """`value` sealed to the base64 X25519 `public_key`, as base64."""
    try:
        recipient = PublicKey(base64.b64decode(public_key, validate=True))
    except (ValueError, TypeError) as error:
        raise DeliveryRefused(f"delivery error: the provider's key is not a base64 X25519 key: {error}") from None
    return base64.b64encode(SealedBox(recipient).encrypt(value.encode())).decode()


def open_sealed(key: PrivateKey, name: str, sealed: str) -> str:
    """Opens one sealed secret; a box sealed to another key, or garbled, is refused by name."""
    try:
        box = base64.b64decode(sealed, validate=True)
        if len(box) > MAX_SECRET_BYTES + _SEAL_OVERHEAD:
            raise ValueError("too long")
        return SealedBox(key).decrypt(box).decode()
    except (ValueError, TypeError, CryptoError, UnicodeDecodeError):
        raise DeliveryRefused(
            f"secret {name}: cannot be opened with this provider's key; seal it to the key at GET /delivery/key"
        ) from None
