"""Matching: scores every feasible (request, offer) pair and solves the batch as an assignment."""

from .assignment import Assignment, first_come_greedy, greedy_by_score, match, optimality_gap, relaxation_bound, solve
from .book import Codebook, OfferBook, ProviderBook, RequestBook
from .scoring import Candidates, Weights, candidates, seed_from_block_hash

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
]
