"""The whole batch as one capacity-aware assignment.

Each request takes all its units from one offer. Offers have free units and
providers have free stake shared by their offers, so this is a generalised
assignment problem. It is solved as a 0/1 integer programme with SciPy's HiGHS
(`scipy.optimize.milp`):

    maximise   Σ score[p] · x[p]                      over candidate pairs p
    subject to Σ x[p] ≤ 1                             for every request
               Σ units[p] · x[p] ≤ free units          for every offer
               Σ units[p] · collateral[p] · x[p] ≤ free stake   for every provider
               x[p] ∈ {0, 1}

The score-greedy assignment (best pair first) is always computed too, and the
better of the two is returned: HiGHS proves optimality fast on batches of a
few thousand candidate pairs, but past `milp_max_pairs` or its time limit the
greedy answer is usually within a percent of the bound (docs/matching.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .book import OfferBook, ProviderBook, RequestBook
from .scoring import Candidates


@dataclass(frozen=True)
class Assignment:
    """Chosen pairs as rows into the books, and how they were found."""

    request: np.ndarray
    offer: np.ndarray
    total_score: float
    method: str  # "milp-optimal", "milp-time-limit", "greedy"
    upper_bound: float | None = None  # the solver's bound on the optimum, when it has one

    def __len__(self) -> int:
        return len(self.request)


def _pair_demands(requests: RequestBook, offers: OfferBook, c: Candidates) -> tuple[np.ndarray, np.ndarray]:
    units = requests.units[c.request].astype(np.float64)
    stake = units * offers.collateral_per_unit[c.offer].astype(np.float64)
    return units, stake


def solve(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    candidates: Candidates,
    time_limit_seconds: float = 2.0,
    milp_max_pairs: int = 20_000,
) -> Assignment:
    """The better of the exact programme (within its limits) and the score-greedy assignment."""
    greedy = greedy_by_score(requests, offers, providers, candidates)
    if len(candidates) == 0 or len(candidates) > milp_max_pairs:
        return greedy
    exact = _solve_milp(requests, offers, providers, candidates, time_limit_seconds)
    if exact is None or exact.total_score < greedy.total_score:
        return greedy
    return exact


def _solve_milp(requests, offers, providers, candidates: Candidates, time_limit_seconds: float) -> Assignment | None:
    n = len(candidates)
    units, stake = _pair_demands(requests, offers, candidates)
    columns = np.arange(n)
    provider_of_pair = offers.provider[candidates.offer]

    def incidence(rows: np.ndarray, values: np.ndarray) -> sparse.csr_array:
        uniq, dense_rows = np.unique(rows, return_inverse=True)
        return uniq, sparse.csr_array((values, (dense_rows, columns)), shape=(len(uniq), n))

    req_rows, req_matrix = incidence(candidates.request, np.ones(n))
    off_rows, off_matrix = incidence(candidates.offer, units)
    prov_rows, prov_matrix = incidence(provider_of_pair, stake)
    constraints = [
        LinearConstraint(req_matrix, -np.inf, 1.0),
        LinearConstraint(off_matrix, -np.inf, offers.free_units[off_rows].astype(np.float64)),
        LinearConstraint(prov_matrix, -np.inf, providers.free_stake[prov_rows].astype(np.float64)),
    ]
    result = milp(
        -candidates.score,
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options={"time_limit": time_limit_seconds, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return None
    chosen = np.flatnonzero(result.x > 0.5)
    method = "milp-optimal" if result.status == 0 else "milp-time-limit"
    bound = getattr(result, "mip_dual_bound", None)
    return Assignment(
        candidates.request[chosen],
        candidates.offer[chosen],
        float(candidates.score[chosen].sum()),
        method,
        None if bound is None else float(-bound),
    )


def greedy_by_score(
    requests: RequestBook, offers: OfferBook, providers: ProviderBook, candidates: Candidates
) -> Assignment:
    """Best pair first, skipping pairs whose request is taken or whose capacity ran out."""
    order = np.argsort(-candidates.score, kind="stable")
    return _greedy(requests, offers, providers, candidates, order, "greedy")


def first_come_greedy(
    requests: RequestBook, offers: OfferBook, providers: ProviderBook, candidates: Candidates
) -> Assignment:
    """What a naive matcher does: requests in id order, each takes its best remaining offer."""
    order = np.lexsort((-candidates.score, requests.ids[candidates.request]))
    return _greedy(requests, offers, providers, candidates, order, "first-come")


def _greedy(requests, offers, providers, candidates, order, method) -> Assignment:
    units, stake = _pair_demands(requests, offers, candidates)
    free_units = offers.free_units.astype(np.float64).copy()
    free_stake = providers.free_stake.astype(np.float64).copy()
    taken = np.zeros(len(requests), dtype=bool)
    chosen = []
    for p in order:
        r, o = candidates.request[p], candidates.offer[p]
        prov = offers.provider[o]
        if taken[r] or units[p] > free_units[o] or stake[p] > free_stake[prov]:
            continue
        taken[r] = True
        free_units[o] -= units[p]
        free_stake[prov] -= stake[p]
        chosen.append(p)
    chosen = np.asarray(chosen, dtype=np.int64)
    return Assignment(
        candidates.request[chosen], candidates.offer[chosen], float(candidates.score[chosen].sum()), method
    )
