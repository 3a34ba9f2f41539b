"""Local improvement of an assignment: insertions, ejections and relocations over the candidate pairs.

Rounding a fractional relaxation strands capacity when it binds: what the
relaxation keeps at 1 packs requests badly into the offers' units, and the
units left over lie scattered in pieces too small for the requests still
waiting (the scarce shape of `shapes.py`: demand three times the free units of
one GPU model). `improve` repairs that with moves that each raise the total
score, for an unserved request r and one of its pairs (r, o):

- insert: o and its provider have room for r;
- swap: a request r' on o makes room for r by leaving o, and either
  - relocates to another of its pairs that has room (an ejection chain of
    length one: the score of both, less what r' had), or
  - goes unserved, when r scores more on o than r' did;
- consolidate (`_consolidate`): when no single request on o frees enough
  units, the requests on o that together do are each relocated to another
  offer with room, best relocation first.

Each move is checked against the exact capacities (units per offer, stake per
provider) before it is made, so the result is feasible whenever the start is.
Moves strictly raise the total, so the search ends; it also stops at the
deadline. The moves are searched by numba-compiled loops over flat arrays
(`_try_requests` and the functions it calls; issue 17): the pairs of each
request and of each provider as sorted index lists (CSR), the capacities left
per offer and provider, and the requests on each offer and at each provider as
doubly linked lists. The loops are compiled once per machine and cached on
disk (`cache=True`); `warm_up` compiles or loads them before the first batch.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from numba import njit

# A move must gain more than this (scores are sums of floats).
_MIN_GAIN = 1e-9
# Check the deadline every this many requests tried.
_CHECK_EVERY = 16
# Swaps and consolidations are tried on a waiting request's best this many pairs (insertions on all), and a
# relocation looks at the best this many pairs of the request moved: each bound keeps a move's cost fixed
# (without them, 10,000 x 100,000 scarce spent minutes in relocations that found nothing).
_MOVE_PAIRS = 32
_RELOCATE_PAIRS = 64
_ROOMY_PAIRS = 16
# A trade (a request on the offer goes unserved for the newcomer) looks this far down the provider's pairs for a
# waiting request to fill the room it leaves.
_REFILL_PAIRS = 64
# Entries of a chain's capacity changes: the swap's offer and provider, and the chain's own.
_CHAIN_EXTRAS = 4
# A linked list's end.
_NONE = -1


class _State(NamedTuple):
    """The pairs, each request's and provider's pairs best first, and the assignment with its capacities left."""

    req: np.ndarray  # per pair: request, offer, provider rows (int64)
    off: np.ndarray
    prov: np.ndarray
    sc: np.ndarray  # per pair: score, units, stake (float64)
    un: np.ndarray
    st: np.ndarray
    pair_start: np.ndarray  # request r's pairs, best first: pair_list[pair_start[r] : pair_start[r + 1]]
    pair_list: np.ndarray
    late_start: np.ndarray  # request r's pairs past its best `_RELOCATE_PAIRS` on offers with room at the start
    late_list: np.ndarray
    at_start: np.ndarray  # provider v's pairs, best first: at_list[at_start[v] : at_start[v + 1]]
    at_list: np.ndarray
    units_left: np.ndarray  # per offer row
    stake_left: np.ndarray  # per provider row
    served: np.ndarray  # per request row: its pair, or -1
    offer_head: np.ndarray  # the pairs taken on each offer, in the order taken: a doubly linked list
    offer_tail: np.ndarray
    offer_next: np.ndarray
    offer_prev: np.ndarray
    offer_count: np.ndarray
    provider_head: np.ndarray  # the same at each provider
    provider_tail: np.ndarray
    provider_next: np.ndarray
    provider_prev: np.ndarray
    version: np.ndarray  # [0]: bumped by every change; `_consolidate` caches relocations until the next one
    cached_version: np.ndarray  # per pair: the version its plain relocation was cached at (-1: none)
    cached_gain: np.ndarray
    cached_pair: np.ndarray


def improve(
    request: np.ndarray,
    offer: np.ndarray,
    provider: np.ndarray,
    score: np.ndarray,
    units: np.ndarray,
    stake: np.ndarray,
    free_units: np.ndarray,
    free_stake: np.ndarray,
    chosen: np.ndarray,
    deadline: float,
    max_passes: int = 4,
    trades: bool = True,
    cpu_seconds: float = 0.0,
    chains: bool = True,
) -> np.ndarray:
    """Indices of the pairs chosen after local improvement of `chosen` (indices into the pair arrays).

    `request`, `offer`, `provider`, `score`, `units`, `stake`: one entry per
    candidate pair (units and stake are what the pair takes from its offer and
    provider); `free_units` per offer, `free_stake` per provider; `chosen`: a
    feasible assignment (no request twice, within every capacity).
    """
    n = len(request)
    if n == 0:
        return chosen
    # It stops at the deadline, but not before it has had `cpu_seconds` of the process's CPU time: on a
    # loaded machine a wall-clock slot alone gives it a varying share of a core, and a varying result.
    cpu_floor = time.process_time() + cpu_seconds
    served_rows = np.zeros(int(request.max()) + 1, dtype=bool)
    served_rows[request[chosen]] = True
    if served_rows[request].all():
        return chosen  # no request waits: no move can serve one
    state = _state(request, offer, provider, score, units, stake, free_units, free_stake, chosen)
    has_pairs = np.flatnonzero(np.diff(state.pair_start) > 0)
    best = state.sc[state.pair_list[state.pair_start[has_pairs]]]
    for _ in range(max_passes):
        # Requests with the best pair first: they gain most from a move.
        waiting = has_pairs[state.served[has_pairs] < 0]
        waiting = waiting[best_first(best[state.served[has_pairs] < 0])]
        moved = False
        for at in range(0, len(waiting), _CHECK_EVERY):
            if time.monotonic() > deadline and time.process_time() > cpu_floor:
                return _chosen(state)
            moved |= _try_requests(state, waiting[at : at + _CHECK_EVERY], trades, chains)
        if not moved:
            break
    return _chosen(state)


def _chosen(state: _State) -> np.ndarray:
    return np.sort(state.served[state.served >= 0])


def _state(request, offer, provider, score, units, stake, free_units, free_stake, chosen) -> _State:
    """The search's arrays, with `chosen` taken."""
    n = len(request)
    request = np.ascontiguousarray(request, dtype=np.int64)
    offer = np.ascontiguousarray(offer, dtype=np.int64)
    provider = np.ascontiguousarray(provider, dtype=np.int64)
    score = np.ascontiguousarray(score, dtype=np.float64)
    n_requests, n_offers, n_providers = int(request.max()) + 1, int(offer.max()) + 1, int(provider.max()) + 1
    # Each request's pairs, best first (ties: the pair's index).
    # One score order regrouped twice by a counting sort: the orders two lexsorts give, in a third of the time.
    ranked = best_first(score)
    order, pair_start = grouped(ranked, request, n_requests)
    by_provider, at_start = grouped(ranked, provider, n_providers)
    state = _State(
        request,
        offer,
        provider,
        score,
        np.ascontiguousarray(units, dtype=np.float64),
        np.ascontiguousarray(stake, dtype=np.float64),
        pair_start,
        order,
        np.zeros(n_requests + 1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        at_start,
        by_provider,
        np.asarray(free_units[:n_offers], dtype=np.float64).copy(),
        np.asarray(free_stake[:n_providers], dtype=np.float64).copy(),
        np.full(n_requests, _NONE, dtype=np.int64),
        np.full(n_offers, _NONE, dtype=np.int64),
        np.full(n_offers, _NONE, dtype=np.int64),
        np.full(n, _NONE, dtype=np.int64),
        np.full(n, _NONE, dtype=np.int64),
        np.zeros(n_offers, dtype=np.int64),
        np.full(n_providers, _NONE, dtype=np.int64),
        np.full(n_providers, _NONE, dtype=np.int64),
        np.full(n, _NONE, dtype=np.int64),
        np.full(n, _NONE, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
        np.zeros(n),
        np.full(n, _NONE, dtype=np.int64),
    )
    _take_all(state, np.asarray(chosen, dtype=np.int64))
    # Past its best `_RELOCATE_PAIRS`, a relocation also looks at a request's pairs with the offers that had room
    # once the start was taken (best first, `_ROOMY_PAIRS` of them): where the units a packing left idle lie,
    # far down every list (the scarce shape: a unit on each of some 350 offers that every request ranks low).
    roomy = state.units_left >= 1
    rank = np.arange(n) - np.repeat(pair_start[:-1], np.diff(pair_start))
    late = order[(rank >= _RELOCATE_PAIRS) & roomy[offer[order]]]
    late_request = request[late]
    late_bounds = np.searchsorted(late_request, np.arange(n_requests + 1))
    late = late[np.arange(len(late)) - np.repeat(late_bounds[:-1], np.diff(late_bounds)) < _ROOMY_PAIRS]
    late_start = np.searchsorted(request[late], np.arange(n_requests + 1))
    return state._replace(late_start=late_start, late_list=late)


# `best_first` sorts stably outright when more than this share of its values tie (fixing the runs costs more then).
_TIED_SHARE = 0.01


def best_first(values: np.ndarray) -> np.ndarray:
    """Indices of `values` highest first, equal values in index order: `np.argsort(-values, kind="stable")`.

    A stable sort of a million floats is a merge sort (0.12 s here); introsort and then each run of equal values
    put back in index order gives the same order in a third of the time where ties are few, as with scores.
    """
    values = np.asarray(values)
    order = np.argsort(-values)
    ranked = values[order]
    tie = (ranked[1:] == ranked[:-1]) | (np.isnan(ranked[1:]) & np.isnan(ranked[:-1]))
    n_tied = int(np.count_nonzero(tie))
    if n_tied == 0:
        return order
    if n_tied > _TIED_SHARE * len(values):
        return np.argsort(-values, kind="stable")
    in_run = np.zeros(len(values), dtype=bool)
    in_run[1:] = tie
    in_run[:-1] |= tie
    at = np.flatnonzero(in_run)
    run = np.cumsum(np.concatenate([[True], ~tie]))[at]
    order[at] = order[at][np.lexsort((order[at], run))]
    return order


@njit(cache=True)
def grouped(order: np.ndarray, key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """`order` regrouped by key, stably (a counting sort): (the indices, where each key's run starts)."""
    start = np.zeros(n_keys + 1, dtype=np.int64)
    for i in order:
        start[key[i] + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    at = start[:-1].copy()
    regrouped = np.empty(len(order), dtype=np.int64)
    for i in order:
        regrouped[at[key[i]]] = i
        at[key[i]] += 1
    return regrouped, start


@njit(cache=True)
def _append(head: np.ndarray, tail: np.ndarray, after: np.ndarray, before: np.ndarray, key: int, p: int) -> None:
    """Pair p joins the end of key's linked list."""
    last = tail[key]
    after[p], before[p] = _NONE, last
    if last != _NONE:
        after[last] = p
    else:
        head[key] = p
    tail[key] = p


@njit(cache=True)
def _unlink(head: np.ndarray, tail: np.ndarray, after: np.ndarray, before: np.ndarray, key: int, p: int) -> None:
    """Pair p leaves key's linked list."""
    if before[p] != _NONE:
        after[before[p]] = after[p]
    else:
        head[key] = after[p]
    if after[p] != _NONE:
        before[after[p]] = before[p]
    else:
        tail[key] = before[p]


@njit(cache=True)
def _take(s: _State, p: int) -> None:
    s.version[0] += 1
    s.served[s.req[p]] = p
    o, v = s.off[p], s.prov[p]
    _append(s.offer_head, s.offer_tail, s.offer_next, s.offer_prev, o, p)
    s.offer_count[o] += 1
    _append(s.provider_head, s.provider_tail, s.provider_next, s.provider_prev, v, p)
    s.units_left[o] -= s.un[p]
    s.stake_left[v] -= s.st[p]


@njit(cache=True)
def _drop(s: _State, p: int) -> None:
    s.version[0] += 1
    s.served[s.req[p]] = _NONE
    o, v = s.off[p], s.prov[p]
    _unlink(s.offer_head, s.offer_tail, s.offer_next, s.offer_prev, o, p)
    s.offer_count[o] -= 1
    _unlink(s.provider_head, s.provider_tail, s.provider_next, s.provider_prev, v, p)
    s.units_left[o] += s.un[p]
    s.stake_left[v] += s.st[p]


@njit(cache=True)
def _take_all(s: _State, chosen: np.ndarray) -> None:
    for p in chosen:
        _take(s, p)


@njit(cache=True)
def _extra(keys: np.ndarray, values: np.ndarray, count: int, key: int) -> float:
    """A capacity change by row (the keys' first `count` entries), 0.0 where there is none."""
    for i in range(count):
        if keys[i] == key:
            return values[i]
    return 0.0


@njit(cache=True)
def _set_extra(keys: np.ndarray, values: np.ndarray, count: int, key: int, value: float) -> int:
    """Sets the change of row `key`; the number of entries after."""
    for i in range(count):
        if keys[i] == key:
            values[i] = value
            return count
    keys[count], values[count] = key, value
    return count + 1


@njit(cache=True)
def _relocation(s: _State, q, units_keys, units_extra, n_units, stake_keys, stake_extra, n_stake):
    """The best other pair of q's request that fits the capacity left (plus the given changes): (gain, pair)."""
    r = s.req[q]
    lo, hi = s.pair_start[r], s.pair_start[r + 1]
    first = min(hi, lo + _RELOCATE_PAIRS)
    late_lo, late_hi = s.late_start[r], s.late_start[r + 1]
    for i in range(first - lo + late_hi - late_lo):
        q2 = s.pair_list[lo + i] if lo + i < first else s.late_list[late_lo + i - (first - lo)]
        o2 = s.off[q2]
        if q2 == q or o2 == s.off[q]:
            continue
        if s.un[q2] > s.units_left[o2] + _extra(units_keys, units_extra, n_units, o2):
            continue
        v2 = s.prov[q2]
        if s.st[q2] > s.stake_left[v2] + _extra(stake_keys, stake_extra, n_stake, v2):
            continue
        return s.sc[q2] - s.sc[q], q2  # pairs come best first: the first that fits is the best
    return -np.inf, _NONE


@njit(cache=True)
def _chained(s: _State, q, units_keys, units_extra, n_units, stake_keys, stake_extra, n_stake):
    """q moves to an offer with a unit idle but too few, where another request moves out to a pair that fits.

    (gain, q2, q3, q4): q to q2, q3 to q4; q2 is -1 where there is none. An
    ejection chain of length two: it joins single idle units scattered over
    offers that price out the request waiting (the scarce shape: cheap offers
    hold requests that could pay more).
    """
    best, best_q2, best_q3, best_q4 = -np.inf, _NONE, _NONE, _NONE
    eu_keys = np.empty(_CHAIN_EXTRAS, dtype=np.int64)
    eu_values = np.empty(_CHAIN_EXTRAS)
    es_keys = np.empty(_CHAIN_EXTRAS, dtype=np.int64)
    es_values = np.empty(_CHAIN_EXTRAS)
    r = s.req[q]
    lo, hi = s.pair_start[r], s.pair_start[r + 1]
    first = min(hi, lo + _RELOCATE_PAIRS)
    late_lo, late_hi = s.late_start[r], s.late_start[r + 1]
    for i in range(first - lo + late_hi - late_lo):
        q2 = s.pair_list[lo + i] if lo + i < first else s.late_list[late_lo + i - (first - lo)]
        o2, v2 = s.off[q2], s.prov[q2]
        if q2 == q or o2 == s.off[q]:
            continue
        room = s.units_left[o2] + _extra(units_keys, units_extra, n_units, o2)
        stake_room = s.stake_left[v2] + _extra(stake_keys, stake_extra, n_stake, v2)
        if room < 1 or (s.un[q2] <= room and s.st[q2] <= stake_room):
            continue  # no idle unit there, or it fits outright (then `_relocation` found it)
        q3 = s.offer_head[o2]
        while q3 != _NONE:
            if q3 == q or s.un[q3] < s.un[q2] - room or s.st[q2] > stake_room + s.st[q3]:
                # q3 shares q2's provider (it is on o2): its stake is all the room q2 can gain there.
                q3 = s.offer_next[q3]
                continue
            for j in range(n_units):
                eu_keys[j], eu_values[j] = units_keys[j], units_extra[j]
            for j in range(n_stake):
                es_keys[j], es_values[j] = stake_keys[j], stake_extra[j]
            nu = _set_extra(
                eu_keys, eu_values, n_units, o2, _extra(units_keys, units_extra, n_units, o2) + s.un[q3] - s.un[q2]
            )
            ns = _set_extra(
                es_keys, es_values, n_stake, v2, _extra(stake_keys, stake_extra, n_stake, v2) + s.st[q3] - s.st[q2]
            )
            gain, q4 = _relocation(s, q3, eu_keys, eu_values, nu, es_keys, es_values, ns)
            if q4 != _NONE:
                total = s.sc[q2] - s.sc[q] + gain
                if best_q2 == _NONE or total > best:
                    best, best_q2, best_q3, best_q4 = total, q2, q3, q4
            q3 = s.offer_next[q3]
    return best, best_q2, best_q3, best_q4


@njit(cache=True)
def _consolidate(s: _State, p, need_units, need_stake, ints, floats):
    """Room for pair p on its offer by relocating several requests there, best relocation first.

    (gain, number of moves): the moves are the first entries of ints[3] (from) and ints[4] (to); none: (-inf, 0).
    `ints` (5 rows) and `floats` (3 rows) are scratch of at least as many columns as requests.
    """
    o = s.off[p]
    gains, pairs = floats[0], ints[0]
    none_keys = ints[0][:0]
    none_values = floats[0][:0]
    n_options = 0
    q = s.offer_head[o]
    while q != _NONE:
        if s.cached_version[q] != s.version[0]:
            gain, q2 = _relocation(s, q, none_keys, none_values, 0, none_keys, none_values, 0)
            s.cached_version[q], s.cached_gain[q], s.cached_pair[q] = s.version[0], gain, q2
        if s.cached_pair[q] != _NONE:
            # Insertion sort by (gain, pair), descending.
            at = n_options
            while at > 0 and (
                gains[at - 1] < s.cached_gain[q] or (gains[at - 1] == s.cached_gain[q] and pairs[at - 1] < q)
            ):
                gains[at], pairs[at] = gains[at - 1], pairs[at - 1]
                at -= 1
            gains[at], pairs[at] = s.cached_gain[q], q
            n_options += 1
        q = s.offer_next[q]
    freed_units = freed_stake = 0.0
    total = s.sc[p]
    n_moves = 0
    units_keys, stake_keys, moved_from, moved_to = ints[1], ints[2], ints[3], ints[4]
    units_taken, stake_taken = floats[1], floats[2]
    n_units = n_stake = 0
    for i in range(n_options):
        q = pairs[i]
        # Again, on the capacity the relocations before this one took.
        gain, q2 = _relocation(s, q, units_keys, units_taken, n_units, stake_keys, stake_taken, n_stake)
        if q2 == _NONE:
            continue
        moved_from[n_moves], moved_to[n_moves] = q, q2
        n_moves += 1
        total += gain
        freed_units += s.un[q]
        freed_stake += s.st[q]
        o2, v2 = s.off[q2], s.prov[q2]
        n_units = _set_extra(
            units_keys, units_taken, n_units, o2, _extra(units_keys, units_taken, n_units, o2) - s.un[q2]
        )
        n_stake = _set_extra(
            stake_keys, stake_taken, n_stake, v2, _extra(stake_keys, stake_taken, n_stake, v2) - s.st[q2]
        )
        if freed_units >= need_units and freed_stake >= need_stake:
            if n_moves > 1:
                return total, n_moves
            return -np.inf, 0
    return -np.inf, 0


@njit(cache=True)
def _refill(s: _State, r, p, q):
    """After q leaves and p (of request r) moves in, the best waiting request that fits the room left there.

    Looks at the best `_REFILL_PAIRS` pairs on p's provider: (score, pair), or (0, -1).
    """
    o, v = s.off[p], s.prov[p]
    stake_room = s.stake_left[v] + s.st[q] - s.st[p]
    seen = 0
    for i in range(s.at_start[v], s.at_start[v + 1]):
        x = s.at_list[i]
        rx = s.req[x]
        if rx == r or s.served[rx] != _NONE:
            continue
        seen += 1
        if seen > _REFILL_PAIRS:
            break
        ox = s.off[x]
        room = s.units_left[ox] + (s.un[q] if ox == s.off[q] else 0.0) - (s.un[p] if ox == o else 0.0)
        if s.un[x] <= room and s.st[x] <= stake_room:
            return s.sc[x], x
    return 0.0, _NONE


@njit(cache=True)
def _try_request(s: _State, r, trades, chains, ints, floats) -> bool:
    """The best improving move that serves unserved request r; True if one was made.

    `ints` (7 rows) and `floats` (3 rows): scratch of at least as many columns as requests.
    """
    best_gain = _MIN_GAIN
    best_p, best_moves, best_x = _NONE, 0, _NONE
    # The best move's requests moved (from, to: -1 where one goes unserved).
    best_from, best_to = ints[5], ints[6]
    roomy_tried = 0
    units_keys = np.empty(1, dtype=np.int64)
    units_extra = np.empty(1)
    stake_keys = np.empty(1, dtype=np.int64)
    stake_extra = np.empty(1)
    lo, hi = s.pair_start[r], s.pair_start[r + 1]
    for rank in range(hi - lo):
        p = s.pair_list[lo + rank]
        if s.sc[p] <= best_gain:
            break  # pairs come best first: no later one can gain more
        o, v = s.off[p], s.prov[p]
        need_units = s.un[p] - s.units_left[o]
        need_stake = s.st[p] - s.stake_left[v]
        if need_units <= 0 and need_stake <= 0:
            best_gain, best_p, best_moves, best_x = s.sc[p], p, 0, _NONE
            break
        if rank >= _MOVE_PAIRS:
            # Past a request's best pairs, insertions only, and swaps on the offers with a unit idle: where a
            # packing left single units, a request there moving to another such unit joins two into room.
            if s.units_left[o] < 1 or roomy_tried >= _ROOMY_PAIRS:
                continue
            roomy_tried += 1
        # One request makes room by leaving, relocated or dropped: one on o if o lacks units, else
        # one on any offer of o's provider (which frees its stake).
        on_offer = need_units > 0
        q = s.offer_head[o] if on_offer else s.provider_head[v]
        while q != _NONE:
            here = q
            q = s.offer_next[here] if on_offer else s.provider_next[here]
            if s.un[here] < need_units or s.st[here] < need_stake:
                continue
            units_keys[0], units_extra[0] = o, s.un[here] - s.un[p]
            stake_keys[0], stake_extra[0] = v, s.st[here] - s.st[p]
            gain, q2 = _relocation(s, here, units_keys, units_extra, 1, stake_keys, stake_extra, 1)
            if q2 != _NONE and s.sc[p] + gain > best_gain:
                best_gain, best_p, best_moves, best_x = s.sc[p] + gain, p, 1, _NONE
                best_from[0], best_to[0] = here, q2
            if q2 == _NONE and chains:
                chain, c2, c3, c4 = _chained(s, here, units_keys, units_extra, 1, stake_keys, stake_extra, 1)
                if c2 != _NONE and s.sc[p] + chain > best_gain:
                    best_gain, best_p, best_moves, best_x = s.sc[p] + chain, p, 2, _NONE
                    best_from[0], best_to[0], best_from[1], best_to[1] = here, c2, c3, c4
            if s.sc[p] - s.sc[here] + (s.sc[here] if trades else 0.0) > best_gain:
                # Trade: the request goes unserved, and another waiting request may fill the room it leaves.
                extra, x = _refill(s, r, p, here) if trades else (0.0, _NONE)
                if s.sc[p] - s.sc[here] + extra > best_gain:
                    best_gain, best_p, best_moves, best_x = s.sc[p] - s.sc[here] + extra, p, 1, x
                    best_from[0], best_to[0] = here, _NONE
        if need_units > 0 and s.offer_count[o] > 1:
            gain, n_moves = _consolidate(s, p, need_units, need_stake, ints, floats)
            if n_moves > 0 and gain > best_gain:
                best_gain, best_p, best_moves, best_x = gain, p, n_moves, _NONE
                best_from[:n_moves] = ints[3][:n_moves]
                best_to[:n_moves] = ints[4][:n_moves]
    if best_p == _NONE:
        return False
    p, x = best_p, best_x
    for i in range(best_moves):
        _drop(s, best_from[i])
    for i in range(best_moves):
        if best_to[i] != _NONE:
            _take(s, best_to[i])
    _take(s, p)
    if x != _NONE:
        _take(s, x)
    fits = s.units_left[s.off[p]] >= 0 and s.stake_left[s.prov[p]] >= 0
    for i in range(best_moves):
        t = best_to[i]
        if t != _NONE:
            fits = fits and s.units_left[s.off[t]] >= 0 and s.stake_left[s.prov[t]] >= 0
    if x != _NONE:
        fits = fits and s.units_left[s.off[x]] >= 0 and s.stake_left[s.prov[x]] >= 0
    if fits:
        return True
    # The estimate missed a shared capacity (a provider both freed and taken): undo.
    if x != _NONE:
        _drop(s, x)
    _drop(s, p)
    for i in range(best_moves):
        if best_to[i] != _NONE:
            _drop(s, best_to[i])
    for i in range(best_moves):
        _take(s, best_from[i])
    return False


@njit(cache=True)
def _try_requests(s: _State, rows: np.ndarray, trades: bool, chains: bool) -> bool:
    """`_try_request` on each of `rows` still waiting, in order; True if any move was made."""
    # Scratch for the moves: no offer holds more requests than there are.
    ints = np.empty((7, len(s.served) + 2), dtype=np.int64)
    floats = np.empty((3, len(s.served) + 2))
    moved = False
    for r in rows:
        if s.served[r] == _NONE:
            moved |= _try_request(s, r, trades, chains, ints, floats)
    return moved


def warm_up() -> float:
    """Compiles the search's loops (or loads them from numba's cache) on a tiny market: the seconds it took.

    The matcher keeper calls it at start, so its first batch does not pay for the compilation.
    """
    started = time.perf_counter()
    # Request 0 (2 units) fits only offer 0, held by request 1, which can move to offer 1 only if request 2 moves
    # on to offer 2: a chain of two; request 3 can take offer 3 only once both requests there move (a
    # consolidation); a trade and an insertion are tried on the way.
    request = np.array([0, 1, 1, 2, 2, 3, 4, 4, 5, 5])
    offer = np.array([0, 0, 1, 1, 2, 3, 3, 4, 3, 5])
    units = np.array([2.0, 2.0, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0])
    score = np.array([1.5, 1.6, 1.5, 1.4, 1.3, 1.9, 1.2, 1.1, 1.2, 1.1])
    for trades, chains in ((True, True), (False, False)):
        improve(
            request,
            offer,
            offer.copy(),
            score,
            units,
            units.copy(),
            np.array([2.0, 2.0, 1.0, 2.0, 1.0, 1.0]),
            np.full(6, 10.0),
            np.array([1, 3, 6, 8]),
            time.monotonic() + 60,
            trades=trades,
            chains=chains,
        )
    return time.perf_counter() - started
