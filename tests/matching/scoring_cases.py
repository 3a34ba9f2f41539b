"""Seeded `candidates` and `requests_drawn` calls whose exact output (`digest`) was recorded from the NumPy
scoring (main at 6fe228a), which the numba scoring must reproduce bit for bit (`test_pruning.py`)."""

import dataclasses
import hashlib

import numpy as np

from keepers.matching import Weights, candidates
from keepers.matching.scoring import requests_drawn
from keepers.matching.shapes import SHAPES


def digest(found) -> str:
    h = hashlib.sha256()
    for column, dtype in ((found.request, np.int64), (found.offer, np.int64), (found.score, np.float64)):
        h.update(np.ascontiguousarray(column, dtype=dtype).tobytes())
    return h.hexdigest()[:16]


def with_jobs_and_exclusions(market, rng):
    """A third of the requests are jobs, a tenth excluded from a provider; half the offers take jobs."""
    requests, offers = market.requests, market.offers
    n, m = len(requests), len(offers)
    steps = np.where(rng.random(n) < 1 / 3, rng.integers(1, 5_000, n), 0)
    addresses = market.providers.address
    requests = dataclasses.replace(
        requests,
        job_steps=steps,
        job_timeout=rng.integers(60, 3_600, n),
        job_collateral=rng.random(n) * np.median(market.providers.free_stake),
        excluded=np.where(rng.random(n) < 0.1, addresses[rng.integers(0, len(addresses), n)], 0),
    )
    offers = dataclasses.replace(
        offers,
        job_rate=np.where(rng.random(m) < 0.5, rng.integers(1, 50, m), 0),
        job_setup=rng.integers(0, 600, m),
    )
    return dataclasses.replace(market, requests=requests, offers=offers)


def cases():
    """(name, thunk): each thunk returns a `candidates` result."""
    out = []
    for shape in SHAPES:
        market = SHAPES[shape](300, 3_000, 11)
        books = (market.requests, market.offers, market.providers)
        rng = np.random.default_rng(5)
        unit_cost = rng.random(len(market.offers)) * 0.05
        threshold = np.where(rng.random(len(market.requests)) < 0.5, -np.inf, 1.0 + rng.random(len(market.requests)))
        out += [
            (f"{shape} top 16", lambda b=books: candidates(*b, Weights(), 7, top_k=16)),
            (f"{shape} top 128 by score", lambda b=books: candidates(*b, Weights(), 7, top_k=128, by_score=True)),
            (
                f"{shape} pricing top 8",
                lambda b=books, u=unit_cost, t=threshold: candidates(
                    *b, Weights(), 7, top_k=8, unit_cost=u, threshold=t, by_score=True
                ),
            ),
            (
                f"{shape} no randomness top 3",
                lambda b=books: candidates(*b, Weights(randomness=0.0), 7, top_k=3),
            ),
        ]
        jobs = with_jobs_and_exclusions(market, np.random.default_rng(3))
        # The covering pairs' draw (auction._cover): the requests naming the busiest model, its offers.
        model = np.bincount(market.requests.gpu_model).argmax()
        rows = np.flatnonzero(market.requests.gpu_model == model)
        cols = np.flatnonzero(market.offers.gpu_model == model)
        out.append((f"{shape} drawn 8", lambda b=books, r=rows, c=cols: requests_drawn(*b, Weights(), 7, r, c, 8)))
        out.append(
            (
                f"{shape} jobs and exclusions top 32",
                lambda j=jobs: candidates(j.requests, j.offers, j.providers, Weights(), 9, top_k=32),
            )
        )
    return out
