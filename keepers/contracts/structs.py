"""The contracts' calldata structs that keepers build: what a tenant asks for, what a job computes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keepers.contracts.types import RequestKind
from keepers.ids import ZERO_BYTES32, from_bytes32, to_bytes32


@dataclass(frozen=True)
class RequestSpec:
    """What a tenant asks for. `gpu_model`/`region` None mean any; `match_deadline` is a unix time."""

    units: int
    max_price_per_unit_hour: int
    max_duration_seconds: int
    match_deadline: int
    gpu_model: str | None = None
    min_vram_gb: int = 0
    region: str | None = None
    min_tier: int = 0
    min_reputation: int = 0
    kind: str = "RENTAL"
    job_terms_hash: bytes = ZERO_BYTES32
    manifest_hash: bytes = ZERO_BYTES32  # a RENTAL's workload manifest commitment (docs/delivery.md)
    rematch: bool = False  # a RENTAL: re-opened when its provider fails the lease (docs/leases.md, "Re-match")

    def __post_init__(self) -> None:
        if self.manifest_hash != ZERO_BYTES32 and (self.kind != "RENTAL" or self.job_terms_hash != ZERO_BYTES32):
            raise ValueError("manifest_hash is a RENTAL's commitment; a JOB commits to job_terms_hash")
        if self.rematch and self.kind != "RENTAL":
            raise ValueError("rematch is a RENTAL's option: a JOB is not re-opened when its solver fails")

    def as_tuple(self) -> tuple:
        """The `Market.RequestSpec` struct, in its field order."""
        return (
            to_bytes32(self.gpu_model) if self.gpu_model else ZERO_BYTES32,
            self.min_vram_gb,
            self.units,
            to_bytes32(self.region) if self.region else ZERO_BYTES32,
            self.min_tier,
            self.min_reputation,
            self.max_price_per_unit_hour,
            self.max_duration_seconds,
            self.match_deadline,
            int(RequestKind[self.kind]),
            self.job_terms_hash if self.manifest_hash == ZERO_BYTES32 else self.manifest_hash,
            self.rematch,
        )


@dataclass(frozen=True)
class JobTerms:
    """`Jobs.JobTerms`: what a job computes (docs/verification.md, Terms). `workload` is the bytes32 id."""

    workload: bytes
    input_hash: bytes
    seed: bytes
    steps: int
    result_timeout_seconds: int
    challenge_window_seconds: int

    def as_tuple(self) -> tuple:
        return (
            self.workload,
            self.input_hash,
            self.seed,
            self.steps,
            self.result_timeout_seconds,
            self.challenge_window_seconds,
        )

    @classmethod
    def from_event(cls, terms: Mapping[str, Any] | tuple) -> JobTerms:
        """From a decoded `JobTermsPublished` terms argument (web3 gives a named mapping or a tuple)."""
        if isinstance(terms, Mapping):
            terms = (
                terms["workload"],
                terms["inputHash"],
                terms["seed"],
                terms["steps"],
                terms["resultTimeoutSeconds"],
                terms["challengeWindowSeconds"],
            )
        workload, input_hash, seed, steps, result_timeout, window = terms
        return cls(bytes(workload), bytes(input_hash), bytes(seed), steps, result_timeout, window)

    @property
    def workload_name(self) -> str:
        return from_bytes32(self.workload)
