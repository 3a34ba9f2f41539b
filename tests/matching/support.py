"""Markets and candidate sets shared by the column generation and pricing pool tests."""

import dataclasses

import numpy as np

from keepers.matching import Weights, candidates
from keepers.matching.synthetic import generate


def every_pair(requests, offers, providers, seed):
    return candidates(requests, offers, providers, Weights(), seed, top_k=max(1, len(offers)))


def crowded_market(seed, n_requests=40, n_offers=30):
    """Requests that all want the same model in any region, from offers with few free units: capacity binds."""
    market = generate(n_requests, n_offers, seed=seed)
    offers, requests = market.offers, market.requests
    model = offers.gpu_model[0]
    offers = dataclasses.replace(
        offers, gpu_model=np.full(n_offers, model), free_units=np.minimum(offers.free_units, 2)
    )
    requests = dataclasses.replace(
        requests,
        gpu_model=np.full(n_requests, model),
        min_vram=np.zeros(n_requests, dtype=np.int64),
        region=np.zeros(n_requests, dtype=np.int64),
        max_price=np.full(n_requests, offers.price.max() * 2),
        duration=np.full(n_requests, 3600),
    )
    return requests, offers, market.providers
