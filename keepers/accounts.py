"""The keeper's signing key: an encrypted keystore, or a raw key on local chains only."""

from __future__ import annotations

import json
from collections.abc import Mapping

from eth_account import Account
from eth_account.signers.local import LocalAccount

from keepers.config import AccountConfig
from keepers.errors import AccountError


def load_account(config: AccountConfig, environ: Mapping[str, str]) -> LocalAccount:
    """Decrypts the keystore with the password file, or reads the key from `private_key_env`.

    The configuration already refuses `private_key_env` on a public chain id.
    """
    if config.private_key_env is not None:
        raw_key = environ.get(config.private_key_env)
        if not raw_key:
            raise AccountError(f"account error: environment variable {config.private_key_env} is not set")
        try:
            return Account.from_key(raw_key.strip())
        except (ValueError, TypeError) as error:
            raise AccountError(
                f"account error: {config.private_key_env} does not hold a private key: {error}"
            ) from None
    try:
        keystore = json.loads(config.keystore.read_text())
        password = config.password_file.read_text().rstrip("\r\n")
    except OSError as error:
        raise AccountError(f"account error: cannot read {error.filename}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise AccountError(f"account error: {config.keystore} is not a keystore: {error}") from None
    try:
        return Account.from_key(Account.decrypt(keystore, password))
    except ValueError as error:
        if "MAC mismatch" in str(error):
            raise AccountError(
                f"account error: cannot decrypt {config.keystore}: wrong password in {config.password_file}"
            ) from None
        raise AccountError(f"account error: cannot decrypt {config.keystore}: {error}") from None
