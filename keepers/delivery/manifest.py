"""The workload manifest a rental request commits to, and its hash.

The tenant writes a manifest (JSON or TOML), posts its hash with the rental request
(`RequestSpec.manifest_hash`, stored on chain as the request's `jobTermsHash`), and once
matched sends the manifest itself to the provider's access server. The hash is keccak256
over the manifest's canonical JSON (keys sorted, no spaces, defaults filled in), so any
two tools that read the same manifest agree on it.

Secrets are named in the manifest and committed with it; their values are sealed after the
match to the matched provider's X25519 key (`keepers.delivery.sealing`), because the provider
is not known when the hash is committed.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Literal

from eth_utils import keccak
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from keepers.errors import KeeperError

MAX_MANIFEST_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
# Names the agent sets itself; a manifest may not override them.
RESERVED_ENV = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "NVIDIA_VISIBLE_DEVICES",
        "LEASEHOLD_LEASE_ID",
        "LEASEHOLD_CREDENTIAL",
        "PORT",
    }
)


class ManifestError(KeeperError):
    """A manifest that cannot be read or does not validate; the message is one line."""


class Port(BaseModel):
    """A port the workload listens on. The process backend picks a free host port and passes it in
    `PORT_<NAME>` (the first port also in `PORT`); the docker backend publishes `port` of the container."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    port: int = Field(default=0, ge=0, le=65535)  # inside the container (docker); ignored by the process backend
    protocol: Literal["http", "tcp"] = "http"

    @field_validator("name")
    @classmethod
    def _name_is_short(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} must be 1 to 32 of a-z, 0-9 and '-', starting with a letter")
        return value


class Manifest(BaseModel):
    """What runs for a lease: a command (process backend) or an image (docker backend), its ports,
    environment, secret names and GPU units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    units: int = Field(default=1, ge=1, le=1024)
    command: list[str] = Field(default_factory=list)  # argv; ${PORT_HTTP}-style references are filled in
    image: str | None = None  # docker backend: a local image (never pulled by the agent)
    ports: list[Port] = Field(default_factory=list, max_length=16)
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list, max_length=32)  # env names whose values arrive sealed

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            _check_env_name(name)
        return value

    @field_validator("secrets")
    @classmethod
    def _secret_names(cls, value: list[str]) -> list[str]:
        for name in value:
            _check_env_name(name)
        if len(set(value)) != len(value):
            raise ValueError("each secret name once")
        return value

    @model_validator(mode="after")
    def _runs_something(self) -> Manifest:
        if not self.command and self.image is None:
            raise ValueError("give a command (process backend) or an image (docker backend)")
        names = [port.name for port in self.ports]
        if len(set(names)) != len(names):
            raise ValueError("ports: each name once")
        clash = sorted(set(self.env) & set(self.secrets))
        if clash:
            raise ValueError(f"secrets: {', '.join(clash)} also set in env")
        return self

    def canonical(self) -> bytes:
        """The bytes the hash commits to: JSON of every field, keys sorted, no whitespace."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":")).encode()

    @property
    def hash(self) -> bytes:
        return keccak(self.canonical())


def _check_env_name(name: str) -> None:
    if not _ENV_NAME.match(name):
        raise ValueError(f"{name!r} is not an environment variable name")
    if name in RESERVED_ENV or name.startswith("PORT_"):
        raise ValueError(f"{name} is set by the agent")


def parse_manifest(data: object) -> Manifest:
    """A manifest from decoded JSON/TOML data; any problem is one `ManifestError` line."""
    try:
        return Manifest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        more = f"; {error.error_count() - 1} more" if error.error_count() > 1 else ""
        return _raise(f"manifest error: {key + ': ' if key else ''}{message}{more}")


def load_manifest(path: Path | str) -> Manifest:
    """Reads a manifest file: TOML when it ends in .toml, JSON otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ManifestError(f"manifest error: cannot read {path}: {error.strerror}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest error: {path} is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise ManifestError(
            f"manifest error: {path}: not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: "
            f"{str(error).splitlines()[0]}"
        ) from None
    return parse_manifest(data)


def _raise(message: str):
    raise ManifestError(message)
