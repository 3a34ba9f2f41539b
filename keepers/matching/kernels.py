"""The auction's inner loops, compiled by numba (issue 17: the auction's CPU time).

The auction (`auction.py`) runs some 1,750 bid rounds on the scarce shape at
10,000 x 100,000, each a few hundred bidders: as NumPy calls per round the
Python and array overhead was most of its 6.8 s of CPU. Here one compiled
call runs every round (`auction_rounds`), and one the bound's descent
(`descend_prices`), with the same bids, tie-breaks and prices as the NumPy
code they replace (a first fit now sums a provider's shares of stake one bid
at a time rather than as a prefix sum, which can differ in the last bit).

`cache=True` keeps the compiled code in `__pycache__` beside this file (or
numba's user-wide cache where that is not writable), so only the first
process after an install pays the compile; `warm_up` compiles (or loads) every
kernel on a tiny problem, and `keepers.matching.warm_up`, which the matcher
keeper calls at start, calls it so that no batch is charged for it.
"""

from __future__ import annotations

import os
import time
import types

import numpy as np
from numba import config, njit, prange

# The `parallel=True` loops (here and in `scoring.py`) run on OpenMP threads where numba finds OpenMP. Its
# threads spin between loops by default, which on a busy 2-core machine takes the core the matcher's own thread
# needs next: at a load of 2, 1,000 x 10,000 batches took 2.5-7 s instead of 0.06-0.1 s. Passive, they sleep.
# Set before numba starts its threads (at the first parallel loop); an operator's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Several keeper threads of one process (and the tests, which run keepers side by side) may enter these loops at
# once: only a thread-safe layer allows that (OpenMP through Debian's libgomp1, or TBB). numba's fallback, its
# own workqueue, would abort the process there; with this setting a machine without either fails at the first
# parallel loop (`make install`'s warm-up) with numba's own message instead.
config.THREADING_LAYER = "threadsafe"

# A bid round with at least this many bidders computes their bids on every core (`_bids_in_parallel`); the rest,
# most rounds, one at a time: starting the threads costs more than a few hundred bids. Scarce shape at 10,000 x
# 100,000 (seed 7): 239 of its 1,726 rounds have this many bidders, and hold 91% of its 494,205 bids.
PARALLEL_BIDS = 256
# A capacity is compared with this slack (shares of a provider's free stake are floats).
SHARE_SLACK = 1e-12
# A descent target is reached where the willing load comes within this of the capacity.
_REACH_SLACK = 1e-9


@njit(cache=True)
def _by_group(group, n_groups):
    """The pairs grouped by `group` (a stable counting sort): the order, and each group's first position."""
    first = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(len(group)):
        first[group[i] + 1] += 1
    for g in range(n_groups):
        first[g + 1] += first[g]
    fill = first[:-1].copy()
    order = np.empty(len(group), dtype=np.int64)
    for i in range(len(group)):
        order[fill[group[i]]] = i
        fill[group[i]] += 1
    return order, first


@njit(cache=True)
def _best_two(r, pairs, unit, share):
    """Request r's best profit at these prices, its pair (the first at the best; -1 if it has none), and the best
    profit of its other pairs (-inf if none): a pair's profit is its score less units · u[o] + share · v[p]."""
    start, count, offer, provider, score, units, share_of, _ = pairs
    best = -np.inf
    second = -np.inf
    pick = -1
    for i in range(start[r], start[r] + count[r]):
        value = score[i] - units[i] * unit[offer[i]] - share_of[i] * share[provider[i]]
        if value > best:
            if pick >= 0 and best > second:
                second = best
            best = value
            pick = i
        elif value > second:
            second = value
    return best, pick, second


@njit(cache=True)
def keep_best(group, bid, load, cap):
    """Mask: per group (numbered 0..len(cap)-1), first fit by bid: the highest bids that fit the capacity the higher
    ones left, in that order, equal bids in the order given.

    A bid that does not fit is passed over, not the end of the group: a lower bid for fewer units may still fit
    (a prefix alone left an 8-unit offer holding a 4 and a 2 with 2 units idle behind a second 4). The best bid
    of a group always fits (every pair fits its capacity alone).
    """
    by_group, first = _by_group(group, len(cap))
    kept = np.zeros(len(group), dtype=np.bool_)
    for g in range(len(cap)):
        members = by_group[first[g] : first[g + 1]]
        if len(members) == 0:
            continue
        # Highest bid first; a stable sort keeps equal bids in the given order (as `np.lexsort` did).
        order = members[np.argsort(-bid[members], kind="mergesort")]
        room = cap[g]
        for k in order:
            if load[k] <= room + SHARE_SLACK * max(room, 1.0):
                kept[k] = True
                room -= load[k]
    return kept


@njit(cache=True)
def _settle_groups(rows, group, bid, load, cap, assigned, rejected, n_rejected):
    """Each group keeps its best fitting holders (`keep_best`); the rest are turned away.

    `rows`, `group`, `bid`, `load`: the holders, in request row order, `group` numbering their groups
    0..len(cap)-1. The turned away are freed in `assigned` and appended to `rejected` after its first
    `n_rejected`. Returns, per group, the price that turns them away (the lowest bid kept, or the highest
    turned away if first fit kept a lower one, so that bidder does not bid there again; -inf where none was
    turned away), and the new count.
    """
    kept = keep_best(group, bid, load, cap)
    lowest = np.full(len(cap), np.inf)
    highest_out = np.full(len(cap), -np.inf)
    for k in range(len(rows)):
        g = group[k]
        if kept[k]:
            lowest[g] = min(lowest[g], bid[k])
        else:
            highest_out[g] = max(highest_out[g], bid[k])
            assigned[rows[k]] = -1
            rejected[n_rejected] = rows[k]
            n_rejected += 1
    raised = np.full(len(cap), -np.inf)
    for g in range(len(cap)):
        if highest_out[g] > -np.inf:
            raised[g] = max(lowest[g], highest_out[g])
    return raised, n_rejected


@njit(cache=True)
def _holders(held, local):
    """The request rows holding a pair on a group bid on this round (`local[group]` >= 0), in row order, and that
    local number; `held[r]`: r's group (-1: none)."""
    n = 0
    for r in range(len(held)):
        if held[r] >= 0 and local[held[r]] >= 0:
            n += 1
    rows = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    k = 0
    for r in range(len(held)):
        if held[r] >= 0 and local[held[r]] >= 0:
            rows[k] = r
            group[k] = local[held[r]]
            k += 1
    return rows, group


@njit(cache=True)
def _release(rows, held_offer, held_provider):
    """The turned-away `rows` hold nothing any more."""
    for r in rows:
        held_offer[r] = -1
        held_provider[r] = -1


def renamed(function, name: str):
    """`function` under another name: numba keys its on-disk cache by the Python function's name, so the serial and
    the parallel compilations of one loop need a function each."""
    function = types.FunctionType(function.__code__, function.__globals__, name, function.__defaults__)
    function.__qualname__ = name
    return function


def _bids_loop(free, pairs, unit, share, eps, bid_pair, bid_paid):
    """Each free request's bid at these prices, into `bid_pair` (-1: none of its pairs has a positive profit) and
    `bid_paid`: its most profitable pair, at the pair's score less the next-best option (at least 0) plus `eps`.
    Each bid reads only the round's prices, so the parallel compilation (`prange`) makes the same bids."""
    score = pairs[4]
    for j in prange(len(free)):
        best, pick, second = _best_two(free[j], pairs, unit, share)
        if best > 0:
            bid_pair[j] = pick
            bid_paid[j] = score[pick] - max(second, 0.0) + eps


# One loop, compiled twice (`PARALLEL_BIDS`): one bidder at a time, and on every core.
_bids = njit(cache=True)(renamed(_bids_loop, "_bids"))
_bids_in_parallel = njit(cache=True, parallel=True)(renamed(_bids_loop, "_bids_in_parallel"))


@njit(cache=True)
def auction_rounds(pairs, unit, share, assigned, paid, free, eps, max_rounds):
    """Bid rounds from `free` (request rows, sorted) until none bids; `unit`, `share`, `assigned`, `paid` in place.

    Per round (Jacobi): every free request bids for its most profitable pair at the round's prices (the pair's
    score less the next-best option, at least 0, plus `eps`); the offers bid on keep their best fitting holders
    by bid per unit and raise their price to the bid that turns the rest away; then, if a provider bid on holds
    more than its free stake, the providers bid on do the same by bid per share of stake. The turned away bid
    next round. Returns the rounds run. `pairs`: the pairs' columns (`auction.kernel_pairs`).
    """
    start, _, offer, provider, _, units, share_of, free_units = pairs
    n_requests = len(start)
    n_offers = len(unit)
    n_providers = len(share)
    offer_local = np.full(n_offers, -1, dtype=np.int64)
    provider_local = np.full(n_providers, -1, dtype=np.int64)
    rejected = np.empty(n_requests, dtype=np.int64)
    # Each request's offer and provider while it holds a pair (-1: none): the scans for the holders of the
    # offers bid on read these, not the pairs' columns (a million entries at 10,000 x 100,000).
    held_offer = np.full(n_requests, -1, dtype=np.int64)
    held_provider = np.full(n_requests, -1, dtype=np.int64)
    for r in range(n_requests):
        if assigned[r] >= 0:
            held_offer[r] = offer[assigned[r]]
            held_provider[r] = provider[assigned[r]]
    rounds = 0
    while len(free) > 0 and rounds < max_rounds:
        rounds += 1
        # Bids, all at the round's prices.
        touched_offers = np.empty(len(free), dtype=np.int64)
        touched_providers = np.empty(len(free), dtype=np.int64)
        n_offers_bid = 0
        n_providers_bid = 0
        bid_pair = np.full(len(free), -1, dtype=np.int64)
        bid_paid = np.zeros(len(free))
        if len(free) >= PARALLEL_BIDS:
            _bids_in_parallel(free, pairs, unit, share, eps, bid_pair, bid_paid)
        else:
            _bids(free, pairs, unit, share, eps, bid_pair, bid_paid)
        if not np.any(bid_pair >= 0):
            break
        for j in range(len(free)):
            q = bid_pair[j]
            if q < 0:
                continue
            r = free[j]
            assigned[r] = q
            paid[r] = bid_paid[j]
            o = offer[q]
            held_offer[r] = o
            held_provider[r] = provider[q]
            if offer_local[o] < 0:
                offer_local[o] = n_offers_bid
                touched_offers[n_offers_bid] = o
                n_offers_bid += 1
            p = provider[q]
            if provider_local[p] < 0:
                provider_local[p] = n_providers_bid
                touched_providers[n_providers_bid] = p
                n_providers_bid += 1
        # Offers: every holder of an offer bid on, in request row order.
        rows, group = _holders(held_offer, offer_local)
        q = assigned[rows]
        bid = (paid[rows] - share_of[q] * share[provider[q]]) / units[q]
        cap = free_units[touched_offers[:n_offers_bid]].astype(np.float64)
        raised, n_rejected = _settle_groups(rows, group, bid, units[q], cap, assigned, rejected, 0)
        _release(rejected[:n_rejected], held_offer, held_provider)
        for g in range(n_offers_bid):
            o = touched_offers[g]
            if raised[g] > -np.inf:
                unit[o] = max(unit[o], raised[g])
            offer_local[o] = -1
        # Providers: only if one bid on now holds more than its free stake.
        rows, group = _holders(held_provider, provider_local)
        q = assigned[rows]
        load = share_of[q]
        held = np.zeros(n_providers_bid)
        for k in range(len(rows)):
            held[group[k]] += load[k]
        if np.any(held > 1.0 + SHARE_SLACK):
            bid = (paid[rows] - units[q] * unit[offer[q]]) / np.maximum(load, 1e-300)
            before = n_rejected
            raised, n_rejected = _settle_groups(
                rows, group, bid, load, np.ones(n_providers_bid), assigned, rejected, n_rejected
            )
            _release(rejected[before:n_rejected], held_offer, held_provider)
            for g in range(n_providers_bid):
                if raised[g] > -np.inf:
                    p = touched_providers[g]
                    share[p] = max(share[p], raised[g])
        for g in range(n_providers_bid):
            provider_local[touched_providers[g]] = -1
        free = np.sort(rejected[:n_rejected])
    return rounds


@njit(cache=True, parallel=True)
def _best_of_each(pairs, unit, share):
    """Per request row: the best profit at these prices, its pair (the first at the best; -1 if the request has
    no pair), and the best of its other pairs (-inf if none). In parallel (`prange`): each row is its own."""
    n = len(pairs[0])
    best = np.full(n, -np.inf)
    pick = np.full(n, -1, dtype=np.int64)
    second = np.full(n, -np.inf)
    for r in prange(n):
        best[r], pick[r], second[r] = _best_two(r, pairs, unit, share)
    return best, pick, second


@njit(cache=True)
def _bound(best, pick, unit, share, free_units):
    """Σ_r max(0, best profit) + Σ u · free units + Σ v: the Lagrangian bound over the pairs at these prices."""
    total = 0.0
    for r in range(len(best)):
        if pick[r] >= 0 and best[r] > 0:
            total += best[r]
    for o in range(len(unit)):
        total += unit[o] * free_units[o]
    for p in range(len(share)):
        total += share[p]
    return total


@njit(cache=True, parallel=True)
def _descent_target(order, first, will, load, cap):
    """Per group, the price minimising Σ load · max(0, will − price) + price · cap: the will at which the willing
    load, highest will first, reaches the capacity (0 where it never does). Groups in parallel (`prange`)."""
    n_groups = len(cap)
    target = np.zeros(n_groups)
    for g in prange(n_groups):
        members = order[first[g] : first[g + 1]]
        willing = members[will[members] > 0]  # a will of 0 or less never sets a price above 0
        if len(willing) == 0:
            continue
        ranked = willing[np.argsort(-will[willing], kind="mergesort")]
        total = 0.0
        for i in ranked:
            total += load[i]
            if total >= cap[g] - _REACH_SLACK:
                target[g] = will[i]
                break
    return target


@njit(cache=True)
def _lowest(bound, best_bound, unit, share, best_unit, best_share):
    """The lower of the two bounds; where it is `bound`, its prices are copied into the best ones."""
    if bound < best_bound:
        best_unit[:] = unit
        best_share[:] = share
        return bound
    return best_bound


@njit(cache=True, parallel=True)
def _wills(level, request, offer, provider, score, units, share_of, unit, share, best, pick, second, will):
    """Per pair, what a unit of its offer (level 0) or a share of its provider's stake (level 1) is worth to its
    request over the request's best option elsewhere (or nothing), into `will`. Pairs in parallel (`prange`)."""
    for i in prange(len(score)):
        r = request[i]
        alt = max(second[r], 0.0) if pick[r] == i else max(best[r], 0.0)
        if level == 0:
            will[i] = (score[i] - share_of[i] * share[provider[i]] - alt) / units[i]
        else:
            will[i] = (score[i] - units[i] * unit[offer[i]] - alt) / max(share_of[i], 1e-300)


@njit(cache=True)
def descend_prices(pairs, request, unit, share, iterations, step, floor, subgradient_iterations, shrink):
    """`auction.descend`'s block coordinate steps, then (with `subgradient_iterations` > 0) its projected
    subgradient steps towards `floor`: the best prices seen and their bound. `unit` and `share` are not changed."""
    _, _, offer, provider, score, units, share_of, free_units = pairs
    n_offers = len(unit)
    n_providers = len(share)
    n_pairs = len(score)
    best, pick, second = _best_of_each(pairs, unit, share)
    best_bound = _bound(best, pick, unit, share, free_units)
    best_unit = unit.copy()
    best_share = share.copy()
    unit = unit.copy()
    share = share.copy()
    by_offer, offer_first = _by_group(offer, n_offers)
    by_provider, provider_first = _by_group(provider, n_providers)
    ones = np.ones(n_providers)
    will = np.empty(n_pairs)
    for _ in range(iterations):
        for level in range(2):
            # What a pair is worth to its request over the request's best option elsewhere (or nothing).
            _wills(level, request, offer, provider, score, units, share_of, unit, share, best, pick, second, will)
            if level == 0:
                target = _descent_target(by_offer, offer_first, will, units, free_units)
                for o in range(n_offers):
                    unit[o] = max(0.0, (1 - step) * unit[o] + step * target[o])
            else:
                target = _descent_target(by_provider, provider_first, will, share_of, ones)
                for p in range(n_providers):
                    share[p] = max(0.0, (1 - step) * share[p] + step * target[p])
            best, pick, second = _best_of_each(pairs, unit, share)
            best_bound = _lowest(
                _bound(best, pick, unit, share, free_units), best_bound, unit, share, best_unit, best_share
            )
    # Projected subgradient steps with Polyak's step towards `floor`, from the best prices so far.
    unit = best_unit.copy()
    share = best_share.copy()
    theta = 1.0
    g_unit = np.empty(n_offers)
    g_share = np.empty(n_providers)
    for _ in range(subgradient_iterations):
        best, pick, second = _best_of_each(pairs, unit, share)
        value = _bound(best, pick, unit, share, free_units)
        if _lowest(value, best_bound, unit, share, best_unit, best_share) < best_bound:
            best_bound = value
        else:
            theta *= shrink
        # Free units less the units the requests' best pairs take, per offer; 1 less their share, per provider.
        for o in range(n_offers):
            g_unit[o] = free_units[o]
        g_share[:] = 1.0
        for r in range(len(best)):
            if pick[r] >= 0 and best[r] > 0:
                g_unit[offer[pick[r]]] -= units[pick[r]]
                g_share[provider[pick[r]]] -= share_of[pick[r]]
        norm = 0.0
        # Projected on prices >= 0: a price at 0 with room to spare stays there.
        for o in range(n_offers):
            if unit[o] <= 0 and g_unit[o] > 0:
                g_unit[o] = 0.0
            norm += g_unit[o] * g_unit[o]
        for p in range(n_providers):
            if share[p] <= 0 and g_share[p] > 0:
                g_share[p] = 0.0
            norm += g_share[p] * g_share[p]
        if norm == 0.0 or value <= floor:
            break
        length = theta * (value - floor) / norm
        for o in range(n_offers):
            unit[o] = max(0.0, unit[o] - length * g_unit[o])
        for p in range(n_providers):
            share[p] = max(0.0, share[p] - length * g_share[p])
    return best_unit, best_share, best_bound


@njit(cache=True, parallel=True)
def pool_pricing(start, count, offer, score, request_units, cost, w, cutoff, add_k, min_gain):
    """Pricing over each request's pool (`columns._price`): per request row, the cover (at least max(w, 0) and
    its pool pairs' best reduced score, score − units · cost[offer]), whether pairs outside its pool could pass
    the cover (`cutoff` > cover: those requests are scanned over every offer), and, for the others, the indices
    of its `add_k` pool pairs of highest reduced score above w + `min_gain`, best first (equal ones in pool
    order), request by request. Requests in parallel (`prange`), each into its own `add_k` slots."""
    n = len(start)
    cover = np.empty(n)
    scan = np.zeros(n, dtype=np.bool_)
    slot = np.empty(n * add_k, dtype=np.int64)
    slot_value = np.empty(n * add_k)
    kept = np.zeros(n, dtype=np.int64)
    for r in prange(n):
        units = request_units[r]
        top = max(w[r], 0.0)
        for i in range(start[r], start[r] + count[r]):
            top = max(top, score[i] - units * cost[offer[i]])
        cover[r] = top
        if cutoff[r] > top:
            scan[r] = True
            continue
        if add_k <= 0:
            continue
        floor = w[r] + min_gain
        base = r * add_k
        m = 0
        for i in range(start[r], start[r] + count[r]):
            value = score[i] - units * cost[offer[i]]
            if value <= floor or (m == add_k and value <= slot_value[base + m - 1]):
                continue
            # Insert after every kept pair of at least this value (a stable order), dropping the last if full.
            at = m if m < add_k else add_k - 1
            while at > 0 and slot_value[base + at - 1] < value:
                if at < add_k:
                    slot_value[base + at] = slot_value[base + at - 1]
                    slot[base + at] = slot[base + at - 1]
                at -= 1
            slot_value[base + at] = value
            slot[base + at] = i
            if m < add_k:
                m += 1
        kept[r] = m
    total = 0
    for r in range(n):
        total += kept[r]
    gain = np.empty(total, dtype=np.int64)
    k = 0
    for r in range(n):
        for j in range(kept[r]):
            gain[k] = slot[r * add_k + j]
            k += 1
    return cover, scan, gain


@njit(cache=True, parallel=True)
def unseen_pairs(start, count, offer, new_request, new_offer):
    """Mask: the new (request, offer) pairs that are not among a request's pairs (`start`, `count` per request row
    into `offer`). A scan of the request's own pairs (a hundred or so) per new pair instead of a sort of every
    pair's key. New pairs in parallel (`prange`), each into its own slot."""
    fresh = np.ones(len(new_request), dtype=np.bool_)
    for j in prange(len(new_request)):
        r = new_request[j]
        o = new_offer[j]
        for i in range(start[r], start[r] + count[r]):
            if offer[i] == o:
                fresh[j] = False
                break
    return fresh


def warm_up() -> float:
    """Compile (or load from the cache) every kernel on a tiny problem; the seconds it took.

    `keepers.matching.warm_up` (the matcher keeper's start) calls it so that its first batch is not charged for
    the compile (some 15 s of CPU the first time after an install or a change to this file, 0.2 s from the cache).
    """
    started = time.perf_counter()
    # Two requests, two one-unit offers of one provider: the second request is turned away once, then moves.
    start = np.array([0, 2], dtype=np.int64)
    count = np.array([2, 2], dtype=np.int64)
    request = np.array([0, 0, 1, 1], dtype=np.int64)
    offer = np.array([0, 1, 0, 1], dtype=np.int64)
    provider = np.zeros(4, dtype=np.int64)
    score = np.array([2.0, 1.0, 3.0, 1.5])
    units = np.ones(4)
    share_of = np.full(4, 0.5)
    free_units = np.ones(2)
    unit, share = np.zeros(2), np.zeros(1)
    assigned, paid = np.full(2, -1, dtype=np.int64), np.zeros(2)
    free = np.arange(2, dtype=np.int64)
    pairs = (start, count, offer, provider, score, units, share_of, free_units)
    auction_rounds(pairs, unit, share, assigned, paid, free, 0.01, 100)
    descend_prices(pairs, request, unit, share, 1, 0.5, 0.0, 1, 0.9)
    keep_best(np.zeros(2, dtype=np.int64), np.array([2.0, 1.0]), np.ones(2), np.ones(1))
    unseen_pairs(start, count, offer, request, offer)
    pool_pricing(start, count, offer, score, units, np.zeros(2), np.zeros(2), np.full(2, -np.inf), 2, 1e-6)
    return time.perf_counter() - started
