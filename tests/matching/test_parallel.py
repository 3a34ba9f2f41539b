"""The matcher's parallel loops (numba `prange`, issue 17's wall time on 2 cores): the same answer as the one-thread
loops they replace, to the bit, whatever the number of threads."""

import numba
import numpy as np
import pytest

from keepers.matching import Weights, candidates, match, scoring
from keepers.matching.auction import _pairs_of, kernel_pairs
from keepers.matching.columns import _REDUCED_SCORE_MIN, _Pool
from keepers.matching.kernels import _bids, _bids_in_parallel, pool_pricing, unseen_pairs
from keepers.matching.shapes import SHAPES


def _pool_pricing_reference(units, pool, cost, w, add_k):
    """The NumPy code `kernels.pool_pricing` replaced in `columns._price`."""
    reduced = pool.score - units[pool.request] * cost[pool.offer]
    cover = np.maximum(w, 0.0)
    has = np.flatnonzero(pool.count)
    cover[has] = np.maximum(cover[has], np.maximum.reduceat(reduced, pool.start[has]))
    scan = pool.cutoff > cover
    gain = np.flatnonzero((reduced > w[pool.request] + _REDUCED_SCORE_MIN) & ~scan[pool.request])
    r = pool.request[gain]
    order = np.lexsort((-reduced[gain], r))
    gain, r = gain[order], r[order]
    place = np.arange(len(gain)) - np.searchsorted(r, r, side="left")
    return cover, scan, gain[place < add_k]


@pytest.mark.parametrize("shape", ["scarce", "multi-unit", "near-ties"])
@pytest.mark.parametrize("add_k", [0, 1, 8])
def test_pool_pricing_gives_the_numpy_codes_cover_scans_and_pairs(shape, add_k):
    market = SHAPES[shape](300, 3_000, 7)
    requests, offers = market.requests, market.offers
    found = candidates(requests, offers, market.providers, Weights(), 7, top_k=40, by_score=True)
    pool = _Pool(found, len(requests), 40)
    units = requests.units.astype(np.float64)
    rng = np.random.default_rng(add_k)
    for spread in (0.0, 0.05, 0.3):
        cost = rng.uniform(0.0, spread, len(offers)) * (rng.random(len(offers)) < 0.5)
        w = rng.uniform(0.0, 3 * spread, len(requests))
        # Scores rounded to one decimal: many equal reduced scores, whose order must be the pool's.
        for score in (pool.score, np.round(pool.score, 1)):
            pool.score = score
            expected = _pool_pricing_reference(units, pool, cost, w, add_k)
            got = pool_pricing(pool.start, pool.count, pool.offer, pool.score, units, cost, w, pool.cutoff, add_k, 1e-6)
            for want, have in zip(expected, got):
                np.testing.assert_array_equal(have, want)
    assert len(expected[2]) > 0 or add_k == 0


def test_unseen_pairs_are_the_new_pairs_no_request_holds_yet():
    rng = np.random.default_rng(3)
    count = rng.integers(0, 6, 50)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    offer = rng.integers(0, 20, int(count.sum()))
    request = np.repeat(np.arange(50), count)
    new_request, new_offer = rng.integers(0, 50, 400), rng.integers(0, 20, 400)
    held = set(zip(request.tolist(), offer.tolist()))
    expected = np.array([(r, o) not in held for r, o in zip(new_request.tolist(), new_offer.tolist())])
    assert expected.any() and not expected.all()
    np.testing.assert_array_equal(unseen_pairs(start, count, offer, new_request, new_offer), expected)


@pytest.mark.parametrize("priced", [False, True])
def test_the_parallel_scan_keeps_the_same_pairs_as_the_serial_one(monkeypatch, priced):
    market = SHAPES["multi-unit"](600, 6_000, 7)
    requests, offers, providers = market.requests, market.offers, market.providers
    rng = np.random.default_rng(1)
    cost = rng.uniform(0.0, 0.05, len(offers)) if priced else None
    threshold = rng.uniform(0.0, 1.0, len(requests)) if priced else None

    def scan(parallel_rows):
        monkeypatch.setattr(scoring, "PARALLEL_ROWS", parallel_rows)
        return candidates(
            requests, offers, providers, Weights(), 7, top_k=20, unit_cost=cost, threshold=threshold, by_score=True
        )

    serial, parallel = scan(10**9), scan(0)
    assert len(serial) > 1_000
    for field in ("request", "offer", "score"):
        np.testing.assert_array_equal(getattr(parallel, field), getattr(serial, field))


@pytest.mark.parametrize("shape", ["scarce", "heavy-tailed"])
def test_match_is_the_same_on_one_thread_and_on_every_core(shape):
    market = SHAPES[shape](500, 5_000, 7)
    threads = numba.get_num_threads()
    results = []
    try:
        for n in sorted({1, threads}):
            numba.set_num_threads(n)
            found, assignment = match(market.requests, market.offers, market.providers, Weights(), 7, solver="auction")
            results.append((found, assignment))
    finally:
        numba.set_num_threads(threads)
    (found, first), (found_again, again) = results[0], results[-1]
    np.testing.assert_array_equal(first.request, again.request)
    np.testing.assert_array_equal(first.offer, again.offer)
    assert first.total_score == again.total_score and first.upper_bound == again.upper_bound
    np.testing.assert_array_equal(found.offer, found_again.offer)


def test_the_parallel_cover_draw_draws_the_same_requests_as_the_serial_one(monkeypatch):
    market = SHAPES["scarce"](400, 4_000, 7)
    requests, offers, providers = market.requests, market.offers, market.providers
    rows = np.flatnonzero(requests.gpu_model == np.bincount(requests.gpu_model[requests.gpu_model > 0]).argmax())
    cols = np.flatnonzero(offers.gpu_model == requests.gpu_model[rows[0]])
    parallel = scoring.requests_drawn(requests, offers, providers, Weights(), 7, rows, cols, 8)
    monkeypatch.setattr(scoring, "_drawn_pairs", scoring._drawn_pairs_serial)
    serial = scoring.requests_drawn(requests, offers, providers, Weights(), 7, rows, cols, 8)
    assert len(serial) > len(cols)
    for field in ("request", "offer", "score"):
        np.testing.assert_array_equal(getattr(parallel, field), getattr(serial, field))


def test_the_auctions_parallel_bids_are_the_one_at_a_time_bids():
    """`kernels.auction_rounds` takes its bids from `_bids_in_parallel` in rounds of many bidders."""
    market = SHAPES["scarce"](500, 5_000, 7)
    requests, offers, providers = market.requests, market.offers, market.providers
    found = candidates(requests, offers, providers, Weights(), 7, top_k=60, by_score=True)
    pairs = kernel_pairs(_pairs_of(requests, offers, providers, found))
    rng = np.random.default_rng(5)
    for spread in (0.0, 0.2, 1.0):
        unit = rng.uniform(0.0, spread, len(offers))
        share = rng.uniform(0.0, spread, len(providers))
        free = np.sort(rng.choice(len(requests), 400, replace=False)).astype(np.int64)
        serial = (np.full(len(free), -1, dtype=np.int64), np.zeros(len(free)))
        parallel = (np.full(len(free), -1, dtype=np.int64), np.zeros(len(free)))
        _bids(free, pairs, unit, share, 0.01, *serial)
        _bids_in_parallel(free, pairs, unit, share, 0.01, *parallel)
        assert (serial[0] >= 0).sum() > 100
        np.testing.assert_array_equal(parallel[0], serial[0])
        np.testing.assert_array_equal(parallel[1], serial[1])
