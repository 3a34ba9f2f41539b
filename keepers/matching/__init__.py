"""Matching: scores every feasible (request, offer) pair and solves the batch as an assignment."""

from .assignment import Assignment, first_come_greedy, greedy_by_score, match, optimality_gap, relaxation_bound, solve
from .book import Codebook, OfferBook, ProviderBook, RequestBook
from .scoring import Candidates, Weights, candidates, seed_from_block_hash


def warm_up() -> float:
    """Compiles the matcher's numba loops (or loads them from numba's on-disk cache): the seconds it took.

    The first call of a compiled loop in a process compiles it (seconds) or, once it is cached, loads it
    (a fraction of a second); the matcher keeper calls this at start so its first batch pays neither.
    """
    from . import improve, kernels, packing, scoring

    return scoring.warm_up() + improve.warm_up() + kernels.warm_up() + packing.warm_up()


__all__ = [
    "Assignment",
    "Candidates",
    "Codebook",
    "OfferBook",
    "ProviderBook",
    "RequestBook",
    "Weights",
    "candidates",
    "first_come_greedy",
    "greedy_by_score",
    "match",
    "optimality_gap",
    "relaxation_bound",
    "seed_from_block_hash",
    "solve",
    "warm_up",
]
