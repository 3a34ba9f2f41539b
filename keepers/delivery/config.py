"""`[role.delivery]` of the provider agent: which runtime, where the access server listens, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeliveryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["process", "docker"] = "process"
    host: str = "127.0.0.1"  # the access server's address
    port: int = Field(default=0, ge=0, le=65535)  # 0: a free port
    public_host: str | None = None  # the host tenants reach workloads at; default: `host`
    work_dir: Path | None = None  # default: <transactions.state_dir>/workloads
    key_file: Path | None = None  # the X25519 key; default: <transactions.state_dir>/delivery.key
    signature_max_age_seconds: int = Field(default=300, gt=0)  # a tenant's message is accepted this long
    start_timeout_seconds: float = Field(default=10.0, gt=0)  # a workload must listen on its ports by then
    stop_grace_seconds: float = Field(default=5.0, gt=0)  # SIGTERM, then SIGKILL after this
    probe_failures_before_restart: int = Field(default=2, ge=1)
    max_restarts: int = Field(default=3, ge=0)
    memory_limit_mb: int | None = Field(default=None, gt=0)  # process backend: address-space limit
    max_open_files: int | None = Field(default=None, gt=0)
    gpu_inventory: str = "none"  # none, nvml, nvidia-smi, or a recorded `nvidia-smi -q -x` file
    gpu_models: dict[str, str] = Field(default_factory=dict)  # product name -> catalogue id, where the rule misses
    docker_url: str | None = None  # docker backend: the Engine's socket; default: DOCKER_HOST or the local socket
    docker_gpus: bool = False  # docker backend: ask the NVIDIA runtime for the leased devices
    docker_network: Literal["host", "bridge"] = "bridge"  # bridge: publish ports; host: the host's network
