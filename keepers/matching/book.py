"""The matcher's view of the market: open requests, offers and providers as arrays.

Token amounts (prices, stake, collateral) are float64: with an 18-decimal token
they pass 2**63. Rounding can only blur a pair that sits within one part in
2**53 of a limit, and the chain's exact check decides such a pair.

Ids that the chain stores as bytes32 or addresses (GPU model, region, tenant,
provider) are mapped to small integers by a `Codebook`, with 0 reserved for the
zero value ("any"), so feasibility and scoring run as NumPy array operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass
class Codebook:
    """Maps hashable chain values to dense integer codes; the zero value is code 0."""

    zero: object
    _codes: dict = field(default_factory=dict)

    def code(self, value) -> int:
        if value == self.zero:
            return 0
        return self._codes.setdefault(value, len(self._codes) + 1)


@dataclass(frozen=True)
class RequestBook:
    """Open requests, one row each."""

    ids: np.ndarray  # int64 request id
    tenant: np.ndarray  # int64 address code
    gpu_model: np.ndarray  # int64 model code, 0 = any model with at least min_vram
    min_vram: np.ndarray  # int64 GB
    units: np.ndarray  # int64
    region: np.ndarray  # int64 region code, 0 = any
    min_tier: np.ndarray  # int64
    min_reputation: np.ndarray  # int64 0..10000
    max_price: np.ndarray  # float64 payment token units per unit-hour
    duration: np.ndarray  # int64 seconds
    # A JOB's terms, which the offer's job policy must take (docs/verification.md); None: all rentals.
    job_steps: np.ndarray | None = None  # int64 steps N; 0 for a RENTAL
    job_timeout: np.ndarray | None = None  # int64 result timeout seconds
    job_collateral: np.ndarray | None = None  # float64 stake the job needs: jobCollateralBps of the deposit
    # A re-opened request's excluded provider (docs/leases.md, "Re-match"); None: no request has one.
    excluded: np.ndarray | None = None  # int64 address code (same codebook as tenant), 0 = none

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class OfferBook:
    """Active offers, one row each, with their provider's index into the ProviderBook."""

    ids: np.ndarray  # int64 offer id
    provider: np.ndarray  # int64 row in ProviderBook
    gpu_model: np.ndarray  # int64 model code
    vram: np.ndarray  # int64 GB (from the catalogue)
    tier: np.ndarray  # int64 (from the catalogue)
    region: np.ndarray  # int64 region code of the provider
    price: np.ndarray  # float64 per unit-hour
    max_duration: np.ndarray  # int64 seconds
    units: np.ndarray  # int64 units offered
    free_units: np.ndarray  # int64 units not in use
    collateral_per_unit: np.ndarray  # float64 stake units (from the catalogue)
    # The offer's job policy; None: no offer takes jobs.
    job_rate: np.ndarray | None = None  # int64 steps per second; 0: takes no jobs
    job_setup: np.ndarray | None = None  # int64 minimum result timeout besides the steps

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class ProviderBook:
    """Providers that have offers, one row each."""

    address: np.ndarray  # int64 address code (same codebook as RequestBook.tenant)
    free_stake: np.ndarray  # float64 stake units
    reputation: np.ndarray  # int64 0..10000
    uptime: np.ndarray  # int64 0..10000
    slash_count: np.ndarray  # int64
    completed: np.ndarray  # int64 leases completed + jobs finalized

    def __len__(self) -> int:
        return len(self.address)


def select_rows(book, rows: np.ndarray):
    """The same book restricted to some rows (a ProviderBook passed with an OfferBook stays whole: offers index it)."""
    columns = {f.name: getattr(book, f.name) for f in fields(book)}
    return type(book)(**{name: None if column is None else column[rows] for name, column in columns.items()})


def integer_capacities(offers: OfferBook, providers: ProviderBook) -> tuple[np.ndarray, np.ndarray]:
    """The capacities the solvers use: (units per offer, stake per provider), as float64, rounded down to whole units.

    Units are whole, so where stake binds the units it can back are too: an
    offer takes at most ⌊free stake / collateral per unit⌋ units, and a
    provider whose offers all ask the same collateral c backs at most
    ⌊free stake / c⌋ units across them, which is free stake c · ⌊free stake / c⌋.
    Every 0/1 assignment that fits the books' capacities fits these (and the
    other way round), so the optimum is the same; a linear relaxation over
    them is tighter (the scarce shape of `shapes.py`: a provider with stake for
    1.5 H100 units no longer serves half a request), and so is every bound the
    matcher proves from one.
    """
    collateral = offers.collateral_per_unit.astype(np.float64)
    stake = providers.free_stake.astype(np.float64)
    # A hair of slack against float error in stake / collateral (token amounts carry 18 decimals).
    backed = np.floor(stake[offers.provider] / np.maximum(collateral, np.finfo(np.float64).tiny) * (1 + 1e-12))
    units = np.minimum(offers.free_units.astype(np.float64), np.where(collateral > 0, backed, np.inf))
    n = len(providers)
    low = np.full(n, np.inf)
    high = np.zeros(n)
    np.minimum.at(low, offers.provider, collateral)
    np.maximum.at(high, offers.provider, collateral)
    same = (low == high) & (low > 0)
    rounded = stake.copy()
    # c · (⌊stake / c⌋ + a millionth): sums of c in floats may pass c · ⌊stake / c⌋ by a rounding error, and whole
    # units still fit exactly the ⌊stake / c⌋ they fit before.
    whole = np.floor(stake[same] / low[same] * (1 + 1e-12))
    rounded[same] = np.minimum(stake[same], low[same] * (whole + 1e-6))
    return units, rounded
