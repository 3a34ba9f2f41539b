"""Keeper configuration: a TOML file, overridden by `LEASEHOLD_*` environment variables.

`LEASEHOLD_CHAIN__RPC_URL=...` overrides `[chain] rpc_url`: the prefix, then the
section and key joined by a double underscore. Every key is validated and unknown
keys are refused, so a typo is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from keepers.errors import ConfigError

ENV_PREFIX = "LEASEHOLD_"
ENV_NESTING = "__"
LOCAL_CHAIN_IDS = frozenset({31337, 1337})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChainConfig(_Section):
    rpc_url: str
    chain_id: int = Field(gt=0)
    deployment: Path | None = None
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    # Blocks a log must be under before keepers act on it. Default: 0 on a local chain (it does not
    # re-org, and an automining Anvil mines no block until a transaction comes), 2 elsewhere.
    confirmations: int = Field(default=2, ge=0)
    reorg_lookback_blocks: int = Field(default=64, ge=1)
    logs_chunk_blocks: int = Field(default=2000, ge=1)
    # Per request: a timeout, then up to rpc_attempts tries with waits doubling from rpc_backoff_seconds.
    rpc_timeout_seconds: float = Field(default=30.0, gt=0)
    rpc_attempts: int = Field(default=5, ge=1)
    rpc_backoff_seconds: float = Field(default=0.25, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _confirmations_by_chain(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("confirmations") is None:
            try:
                local = int(data.get("chain_id")) in LOCAL_CHAIN_IDS
            except (TypeError, ValueError):
                local = False  # chain_id's own validation reports it
            data = {**data, "confirmations": 0 if local else 2}
        return data


class AccountConfig(_Section):
    keystore: Path | None = None
    password_file: Path | None = None
    private_key_env: str | None = None

    @model_validator(mode="after")
    def _one_key_source(self) -> AccountConfig:
        has_keystore = self.keystore is not None or self.password_file is not None
        if has_keystore and self.private_key_env is not None:
            raise ValueError("give either keystore + password_file or private_key_env, not both")
        if has_keystore and (self.keystore is None or self.password_file is None):
            raise ValueError("keystore and password_file go together")
        if not has_keystore and self.private_key_env is None:
            raise ValueError("give keystore + password_file, or private_key_env on a local chain")
        return self


class TransactionsConfig(_Section):
    max_fee_gwei: float = Field(default=100.0, gt=0)
    priority_fee_gwei: float = Field(default=1.0, ge=0)
    replace_after_seconds: float = Field(default=60.0, gt=0)
    fee_bump_percent: float = Field(default=12.5, ge=10)
    max_retries: int = Field(default=5, ge=0)
    state_dir: Path = Path(".keeper-state")


class MetricsConfig(_Section):
    """`host:port` serves /health (a provider advertises it). /metrics, which shows the account's
    balance, is served there only when `host` is loopback; otherwise on `metrics_host:metrics_port`
    (default loopback), a private listener of its own."""

    host: str = "127.0.0.1"
    port: int = Field(default=9100, ge=0, le=65535)
    stale_head_seconds: float = Field(default=120.0, gt=0)
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)


class KeeperConfig(_Section):
    chain: ChainConfig
    account: AccountConfig | None = None
    transactions: TransactionsConfig = TransactionsConfig()
    metrics: MetricsConfig = MetricsConfig()
    role: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _raw_key_only_on_local_chain(self) -> KeeperConfig:
        raw_key = self.account is not None and self.account.private_key_env is not None
        if raw_key and self.chain.chain_id not in LOCAL_CHAIN_IDS:
            raise ValueError(
                f"account.private_key_env: a raw private key is allowed only on a local chain "
                f"(chain_id {sorted(LOCAL_CHAIN_IDS)}), not chain_id {self.chain.chain_id}; use a keystore"
            )
        return self


def load_config(path: Path | str, environ: Mapping[str, str]) -> KeeperConfig:
    """Reads `path`, applies `LEASEHOLD_*` overrides from `environ`, and validates the result."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"config error: cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config error: {path}: invalid TOML: {error}") from None
    overridden = _apply_env_overrides(data, environ)
    try:
        return KeeperConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_one_line(error, path, overridden)) from None


def _apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, str]:
    """Writes each override into `data`; returns dotted key -> variable name, for error messages."""
    overridden: dict[str, str] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = name[len(ENV_PREFIX) :].lower().split(ENV_NESTING)
        if not all(keys):
            raise ConfigError(f"config error: {name}: empty key in environment override")
        table = data
        for key in keys[:-1]:
            table = table.setdefault(key, {})
            if not isinstance(table, dict):
                raise ConfigError(f"config error: {name}: {'.'.join(keys[:-1])} is not a table")
        table[keys[-1]] = value
        overridden[".".join(keys)] = name
    return overridden


def _one_line(error: ValidationError, path: Path, overridden: dict[str, str]) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    # A misspelt section (LEASEHOLD_CHIAN__RPC_URL) fails at `chian`, a prefix of the overridden key.
    blamed = [name for dotted, name in overridden.items() if key and (dotted == key or dotted.startswith(f"{key}."))]
    source = f"env {blamed[0]}" if blamed else f"file {path}"
    more = f"; {error.error_count() - 1} more" if error.error_count() > 1 else ""
    location = f"{key}: " if key and not message.startswith(f"{key}:") else ""
    return f"config error: {location}{message[0].lower()}{message[1:]} ({source}){more}"
