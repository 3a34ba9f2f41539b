"""Exact repacking of an assignment, a provider and its partners at a time, compiled (numba): scarce markets.

Where capacity is scarce the loss is in how requests of a few units share out a
provider's units and stake (docs/matching.md, "The packing"): a provider holding
a 3-unit request where a 2-unit and a 1-unit one would fit, an offer holding
[1, 1, 1, 1] where [1, 1, 2] would, its fourth one-unit request moving to
another provider's odd unit. `pack` repacks a group at a time, exactly: a
provider the waiting requests reach and up to `MAX_GROUP` - 1 partners
(`_partners`: the providers whose served requests gain most by moving to it,
and those with a unit idle where its own served requests gain most by moving).
Every request with a pair in the group takes part:

- a waiting request, worth its pair's score there, or nothing;
- a request served outside, worth its pair's score there less the one it
  has plus the best waiting request that fits the room it leaves (`_refill`),
  or nothing;
- a request served in the group, worth its pair's score there or, leaving, its
  best pair outside that fits the room left idle now (or nothing),

and a dynamic programme over the group's states (units taken per offer:
capacities are whole units, at most a few per offer, so a provider has some
tens of states; a state is allowed only if the stake it locks, its offers'
units times their collateral, fits each provider's) finds the best packing.
Only the best few options of each (offer, units) class can be used (no more
than the offer's units over the class's units), so the rest are left out
before the programme. The packing is made only if it raises the total, checked
again on the exact capacities once made (two requests leaving for the same
idle room: the second stays out, and the packing is undone if it no longer
gains). Providers are visited in a seeded order, sweep after sweep until one
gains nothing or `max_sweeps`: the result is a function of the assignment,
the pairs and the seed, whatever the clock.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from .improve import best_first, grouped

# A packing must gain more than this (scores are sums of floats).
_MIN_GAIN = 1e-9
# A group's states (the product over its offers of units + 1) number at most this: partners past it are left out
# (a provider alone with more is left as it is). Scarce shape: a provider has one offer of at most 8 units.
MAX_STATES = 4_096
# A group holds at most this many providers (1,000 x 10,000 scarce, seed 7: 1, 958.6; 4, 960.3; 6 or 8, 960.3 at
# 5-20 times the cost).
MAX_GROUP = 4
# Units a pair may take (the classes' index); a larger request is left out of the packing.
_MAX_UNITS = 16
# A request leaving another provider for the group is worth what it leaves less the best waiting request that fits
# the room it leaves, among the best this many pairs at that provider.
_REFILL_PAIRS = 128
_NONE = -1
# A request served at the provider looks this far down its pairs for partners with a unit idle.
_OUT_PAIRS = 32


@njit(cache=True)
def _relocation(req, off, prov, sc, un, st, pair_start, pair_list, units_left, stake_left, r, group, mark):
    """Request r's best pair away from the group (providers with group[v] == mark) that fits the room left, or -1."""
    for i in range(pair_start[r], pair_start[r + 1]):
        q = pair_list[i]
        if group[prov[q]] == mark:
            continue
        if un[q] <= units_left[off[q]] and st[q] <= stake_left[prov[q]]:
            return q
    return _NONE


@njit(cache=True)
def _refill(req, off, prov, sc, un, st, at_start, at_list, served, units_left, stake_left, s):
    """The best waiting request that fits where served pair s would leave room (its provider's pairs): or -1."""
    o, w = off[s], prov[s]
    stake_room = stake_left[w] + st[s]
    for i in range(at_start[w], min(at_start[w + 1], at_start[w] + _REFILL_PAIRS)):
        x = at_list[i]
        if served[req[x]] != _NONE or req[x] == req[s]:
            continue
        room = units_left[off[x]] + (un[s] if off[x] == o else 0.0)
        if un[x] <= room and st[x] <= stake_room:
            return x
    return _NONE


@njit(cache=True)
def _touch(r, prov, pair_start, pair_list, changed):
    """Request r moved: each provider it has a pair with counts one change more."""
    for i in range(pair_start[r], pair_start[r + 1]):
        changed[prov[pair_list[i]]] += 1


@njit(cache=True)
def _refill_cached(req, off, prov, sc, un, st, at_start, at_list, served, units_left, stake_left, s, cache, changed):
    """`_refill`, remembered per pair until a request with a pair at its provider moves (`changed`)."""
    if cache[0, s] != changed[prov[s]]:
        cache[0, s] = changed[prov[s]]
        cache[1, s] = _refill(req, off, prov, sc, un, st, at_start, at_list, served, units_left, stake_left, s)
    return cache[1, s]


@njit(cache=True)
def _take(q, req, off, prov, un, st, served, units_left, stake_left):
    served[req[q]] = q
    units_left[off[q]] -= un[q]
    stake_left[prov[q]] -= st[q]


@njit(cache=True)
def _drop(q, req, off, prov, un, st, served, units_left, stake_left):
    served[req[q]] = _NONE
    units_left[off[q]] += un[q]
    stake_left[prov[q]] += st[q]


@njit(cache=True)
def _consider(members, best_gain, n, max_group, w, gain):
    """Provider w as a partner worth `gain` in the best-first list members[1:n]; the list's new length."""
    at = -1
    for j in range(1, n):
        if members[j] == w:
            at = j
    if at >= 0:
        if gain <= best_gain[at]:
            return n
    elif n < max_group:
        at = n
        n += 1
    else:
        at = n - 1  # replace the weakest (the list is kept best first)
        if gain <= best_gain[at]:
            return n
    members[at], best_gain[at] = w, gain
    while at > 1 and best_gain[at] > best_gain[at - 1]:
        members[at], members[at - 1] = members[at - 1], members[at]
        best_gain[at], best_gain[at - 1] = best_gain[at - 1], best_gain[at]
        at -= 1
    return n


@njit(cache=True)
def _partners(
    v, req, off, prov, sc, un, pair_start, pair_list, at_start, at_list, served, units_left, max_group, members
):
    """Provider v and the providers it trades requests with best (at most `max_group` in all).

    Those whose served requests gain most by moving to v, and those with idle units where v's served requests
    gain most by moving.
    """
    members[0] = v
    n = 1
    if max_group < 2:
        return n
    best_gain = np.full(max_group, -np.inf)
    for i in range(at_start[v], at_start[v + 1]):
        p = at_list[i]
        s = served[req[p]]
        if s == _NONE:
            continue
        if prov[s] != v:
            n = _consider(members, best_gain, n, max_group, prov[s], sc[p] - sc[s])
        elif s == p:
            r = req[p]
            for j in range(pair_start[r], min(pair_start[r + 1], pair_start[r] + _OUT_PAIRS)):
                q = pair_list[j]
                if prov[q] != v and units_left[off[q]] >= 1:
                    n = _consider(members, best_gain, n, max_group, prov[q], sc[q] - sc[s])
    return n


@njit(cache=True)
def _pack_group(
    members, n_members, req, off, prov, sc, un, st, pair_start, pair_list, at_start, at_list, free_units, collateral,
    served, units_left, stake_left, base, stamp, group, mark, local, max_states, cache, changed,
):  # fmt: skip
    """Repacks the providers `members[:n_members]` together (see the module's docstring); the gain made (0.0 if none).

    Members past the first are dropped (last first) while their states together number more than `max_states`.
    """
    n_all = 0
    for g in range(n_members):
        n_all += at_start[members[g] + 1] - at_start[members[g]]
    if n_all == 0:
        return 0.0
    # The members' offers and their capacities; members dropped from the end while the states are too many.
    stake_cap = np.empty(n_members)
    offer_row = np.empty(n_all, dtype=np.int64)
    offer_member = np.empty(n_all, dtype=np.int64)
    n_offers = 0
    states = 1
    kept_members = 0
    for g in range(n_members):
        v = members[g]
        cap_v = stake_left[v]
        for i in range(at_start[v], at_start[v + 1]):
            p = at_list[i]
            if served[req[p]] == p:
                cap_v += st[p]
        stake_cap[g] = cap_v
        states_v = 1
        first_offer = n_offers
        for i in range(at_start[v], at_start[v + 1]):
            o = off[at_list[i]]
            if local[o] >= 0:
                continue
            local[o] = n_offers
            offer_row[n_offers] = o
            offer_member[n_offers] = g
            n_offers += 1
        for k in range(first_offer, n_offers):
            states_v *= _capacity(offer_row[k], free_units, collateral, cap_v) + 1
        if states * states_v > max_states:
            for k in range(first_offer, n_offers):
                local[offer_row[k]] = _NONE
            n_offers = first_offer
            break
        states *= states_v
        kept_members += 1
    n_members = kept_members
    if n_members == 0:
        return 0.0
    for g in range(n_members):
        group[members[g]] = mark
    cap = np.empty(n_offers, dtype=np.int64)
    coll = np.zeros(n_offers)
    mult = np.empty(n_offers, dtype=np.int64)
    m = 1
    for k in range(n_offers):
        coll[k] = collateral[offer_row[k]]
        cap[k] = _capacity(offer_row[k], free_units, collateral, stake_cap[offer_member[k]])
        mult[k] = m
        m *= cap[k] + 1
    # Each request's value when it takes no pair here (`base`), once per request (stamped with the mark).
    option_pair = np.empty(n_all, dtype=np.int64)
    option_gain = np.empty(n_all)
    n_options = 0
    current = 0.0  # the group's requests' scores now, less their bases
    for g in range(n_members):
        v = members[g]
        for i in range(at_start[v], at_start[v + 1]):
            p = at_list[i]
            r = req[p]
            k = local[off[p]]
            if stamp[r] != mark:
                stamp[r] = mark
                s = served[r]
                if s == _NONE:
                    base[r] = 0.0
                elif group[prov[s]] != mark:
                    # Leaving its place, it makes room for a waiting request there.
                    x = _refill_cached(
                        req, off, prov, sc, un, st, at_start, at_list, served, units_left, stake_left, s, cache, changed
                    )
                    base[r] = sc[s] - (sc[x] if x != _NONE else 0.0)
                else:
                    q = _relocation(
                        req, off, prov, sc, un, st, pair_start, pair_list, units_left, stake_left, r, group, mark
                    )
                    base[r] = sc[q] if q != _NONE else 0.0
                    current += sc[s] - base[r]
            gain = sc[p] - base[r]
            if gain > _MIN_GAIN and un[p] <= cap[k]:
                option_pair[n_options] = p
                option_gain[n_options] = gain
                n_options += 1
    picked = np.empty(0, dtype=np.int64)
    n_picked = 0
    if n_options > 0:
        picked, n_picked, best = _programme(
            option_pair[:n_options], option_gain[:n_options], n_offers, offer_member, cap, coll, mult, stake_cap,
            states, local, req, off, un,
        )  # fmt: skip
        if best <= current + _MIN_GAIN:
            n_picked = -1
    for k in range(n_offers):
        local[offer_row[k]] = _NONE
    if n_picked < 0 or (n_options == 0 and current >= -_MIN_GAIN):
        for g in range(n_members):
            group[members[g]] = _NONE
        return 0.0
    gained = _apply(
        members, n_members, picked[:n_picked], req, off, prov, sc, un, st, pair_start, pair_list, at_start,
        at_list, served, units_left, stake_left, group, mark, changed,
    )  # fmt: skip
    for g in range(n_members):
        group[members[g]] = _NONE
    return gained


@njit(cache=True)
def _capacity(o, free_units, collateral, stake_cap):
    """Offer o's whole units, no more than the stake in play at its provider backs."""
    c = np.floor(free_units[o] + 1e-9)
    if collateral[o] > 0:
        c = min(c, np.floor(stake_cap / collateral[o] * (1 + 1e-12)))
    return max(int(c), 0)


@njit(cache=True)
def _programme(
    option_pair, option_gain, n_offers, offer_member, cap, coll, mult, stake_cap, states, local, req, off, un
):
    """The best packing of the options (pairs, with their gains): (pairs picked, how many, total gain)."""
    n_options = len(option_pair)
    # Keep an option only among the best (its offer's units over its units, plus one per other offer) of its class.
    order = np.argsort(-option_gain, kind="mergesort")
    count = np.zeros(n_offers * (_MAX_UNITS + 1), dtype=np.int64)
    kept = np.empty(n_options, dtype=np.int64)
    kept_gain = np.empty(n_options)
    n_kept = 0
    for j in range(n_options):
        p = option_pair[order[j]]
        k = local[off[p]]
        u = int(un[p])
        if u > _MAX_UNITS:
            continue
        c = k * (_MAX_UNITS + 1) + u
        if count[c] < cap[k] // max(u, 1) + n_offers - 1:
            count[c] += 1
            kept[n_kept] = p
            kept_gain[n_kept] = option_gain[order[j]]
            n_kept += 1
    if n_kept == 0:
        return kept[:0], 0, 0.0
    # Items: the requests of the kept options, each one run of options.
    by_item = np.argsort(req[kept[:n_kept]], kind="mergesort")
    kept = kept[by_item]
    kept_gain = kept_gain[by_item]
    item_start = np.empty(n_kept + 1, dtype=np.int64)
    n_items = 0
    for i in range(n_kept):
        if i == 0 or req[kept[i]] != req[kept[i - 1]]:
            item_start[n_items] = i
            n_items += 1
    item_start[n_items] = n_kept
    # The states whose stake fits every member's.
    n_members = 0
    for k in range(n_offers):
        n_members = max(n_members, offer_member[k] + 1)
    fits = np.ones(states, dtype=np.bool_)
    locked = np.zeros(n_members)
    for s in range(states):
        locked[:] = 0.0
        rest = s
        for k in range(n_offers):
            locked[offer_member[k]] += (rest % (cap[k] + 1)) * coll[k]
            rest //= cap[k] + 1
        for g in range(n_members):
            if locked[g] > stake_cap[g]:
                fits[s] = False
    value = np.full(states, -np.inf)
    value[0] = 0.0
    after = np.empty(states)
    choice = np.full((n_items, states), -1, dtype=np.int32)
    for it in range(n_items):
        after[:] = value
        for s in range(states):
            if value[s] == -np.inf:
                continue
            for j in range(item_start[it], item_start[it + 1]):
                p = kept[j]
                k = local[off[p]]
                u = int(un[p])
                if (s // mult[k]) % (cap[k] + 1) + u > cap[k]:
                    continue
                t = s + u * mult[k]
                if not fits[t]:
                    continue
                g = value[s] + kept_gain[j]
                if g > after[t]:
                    after[t] = g
                    choice[it, t] = j
        value[:] = after
    best_state = 0
    for s in range(states):
        if value[s] > value[best_state]:
            best_state = s
    picked = np.empty(n_items, dtype=np.int64)
    n_picked = 0
    s = best_state
    for it in range(n_items - 1, -1, -1):
        j = choice[it, s]
        if j >= 0:
            p = kept[j]
            picked[n_picked] = p
            n_picked += 1
            s -= int(un[p]) * mult[local[off[p]]]
    return picked, n_picked, value[best_state]


@njit(cache=True)
def _apply(
    members, n_members, picked, req, off, prov, sc, un, st, pair_start, pair_list, at_start, at_list, served,
    units_left, stake_left, group, mark, changed,
):  # fmt: skip
    """Makes a packing on the exact capacities; the gain, or 0.0 (undone) if it gains nothing or does not fit.

    The group's requests leave, those picked take their pairs, a request that left another provider for one here
    has the best waiting request there fill its room, and those that left without a pair here move to their best
    pair elsewhere that fits.
    """
    n_before = 0
    for g in range(n_members):
        v = members[g]
        for i in range(at_start[v], at_start[v + 1]):
            if served[req[at_list[i]]] == at_list[i]:
                n_before += 1
    before = np.empty(n_before + len(picked), dtype=np.int64)
    n_before = 0
    for g in range(n_members):
        v = members[g]
        for i in range(at_start[v], at_start[v + 1]):
            p = at_list[i]
            if served[req[p]] == p:
                before[n_before] = p
                n_before += 1
    for p in picked:
        s2 = served[req[p]]
        if s2 != _NONE and group[prov[s2]] != mark:
            before[n_before] = s2
            n_before += 1
    old = 0.0
    for i in range(n_before):
        old += sc[before[i]]
        _drop(before[i], req, off, prov, un, st, served, units_left, stake_left)
    new = 0.0
    for p in picked:
        new += sc[p]
        _take(p, req, off, prov, un, st, served, units_left, stake_left)
    fits = True
    for g in range(n_members):
        fits = fits and stake_left[members[g]] >= 0
    for p in picked:
        fits = fits and units_left[off[p]] >= 0
    after_pairs = np.empty(2 * n_before + 1, dtype=np.int64)
    n_after = 0
    for i in range(n_before):
        if group[prov[before[i]]] != mark:
            x = _refill(req, off, prov, sc, un, st, at_start, at_list, served, units_left, stake_left, before[i])
            if x != _NONE and un[x] <= units_left[off[x]] and st[x] <= stake_left[prov[x]]:
                after_pairs[n_after] = x
                n_after += 1
                new += sc[x]
                _take(x, req, off, prov, un, st, served, units_left, stake_left)
    for i in range(n_before):
        r = req[before[i]]
        if served[r] == _NONE and group[prov[before[i]]] == mark:
            q = _relocation(req, off, prov, sc, un, st, pair_start, pair_list, units_left, stake_left, r, group, mark)
            if q != _NONE:
                after_pairs[n_after] = q
                n_after += 1
                new += sc[q]
                _take(q, req, off, prov, un, st, served, units_left, stake_left)
    if fits and new > old + _MIN_GAIN:
        # Every provider where a request moved has a pair: what a packing or a refill there sees has changed.
        for i in range(n_before):
            _touch(req[before[i]], prov, pair_start, pair_list, changed)
        for p in picked:
            _touch(req[p], prov, pair_start, pair_list, changed)
        for i in range(n_after):
            _touch(req[after_pairs[i]], prov, pair_start, pair_list, changed)
        return new - old
    for i in range(n_after):
        _drop(after_pairs[i], req, off, prov, un, st, served, units_left, stake_left)
    for p in picked:
        _drop(p, req, off, prov, un, st, served, units_left, stake_left)
    for i in range(n_before):
        _take(before[i], req, off, prov, un, st, served, units_left, stake_left)
    return 0.0


@njit(cache=True)
def _sweep(
    req, off, prov, sc, un, st, pair_start, pair_list, at_start, at_list, free_units, collateral, served, units_left,
    stake_left, order, max_group, max_states, cache, changed, visited,
):  # fmt: skip
    """One sweep: each provider of `order` repacked with its partners (`_partners`); the total gained.

    A provider is passed over when no request with a pair there has moved since its last visit (`changed`: the
    moves seen per provider; `visited`: that count at its last visit, -1 for never).
    """
    base = np.zeros(len(served))
    stamp = np.full(len(served), -1, dtype=np.int64)
    group = np.full(len(stake_left), -1, dtype=np.int64)
    local = np.full(len(free_units), -1, dtype=np.int64)
    members = np.empty(max_group, dtype=np.int64)
    gained = 0.0
    for mark in range(len(order)):
        v = order[mark]
        if visited[v] == changed[v]:
            continue
        n_members = _partners(
            v, req, off, prov, sc, un, pair_start, pair_list, at_start, at_list, served, units_left,
            max_group, members,
        )  # fmt: skip
        gained += _pack_group(
            members, n_members, req, off, prov, sc, un, st, pair_start, pair_list, at_start, at_list, free_units,
            collateral, served, units_left, stake_left, base, stamp, group, mark, local, max_states, cache,
            changed,
        )  # fmt: skip
        visited[v] = changed[v]
    return gained


def pack(
    request: np.ndarray,
    offer: np.ndarray,
    provider: np.ndarray,
    score: np.ndarray,
    units: np.ndarray,
    stake: np.ndarray,
    free_units: np.ndarray,
    free_stake: np.ndarray,
    chosen: np.ndarray,
    seed: int,
    max_sweeps: int = 4,
    max_group: int = MAX_GROUP,
    max_states: int = MAX_STATES,
) -> np.ndarray:
    """Indices of the pairs chosen after repacking `chosen` provider by provider (indices into the pair arrays).

    `request`, `offer`, `provider`, `score`, `units`, `stake`: one entry per
    candidate pair, each (request, offer) once; `free_units` per offer and
    `free_stake` per provider (whole units: `book.integer_capacities`);
    `chosen`: a feasible assignment. Each sweep visits the providers that a
    waiting request has a pair with, in an order drawn from `seed`; sweeps
    stop when one gains nothing or after `max_sweeps`.
    """
    n = len(request)
    if n == 0 or len(chosen) == 0:
        return chosen
    req = np.ascontiguousarray(request, dtype=np.int64)
    off = np.ascontiguousarray(offer, dtype=np.int64)
    prov = np.ascontiguousarray(provider, dtype=np.int64)
    sc = np.ascontiguousarray(score, dtype=np.float64)
    un = np.ascontiguousarray(units, dtype=np.float64)
    st = np.ascontiguousarray(stake, dtype=np.float64)
    n_requests, n_providers = int(req.max()) + 1, len(free_stake)
    # Each request's and each provider's pairs, best first (ties: the pair's index).
    ranked = best_first(sc)
    pair_list, pair_start = grouped(ranked, req, n_requests)
    at_list, at_start = grouped(ranked, prov, n_providers)
    chosen = np.asarray(chosen, dtype=np.int64)
    served = np.full(n_requests, -1, dtype=np.int64)
    served[req[chosen]] = chosen
    units_left = np.asarray(free_units, dtype=np.float64) - np.bincount(
        off[chosen], un[chosen], minlength=len(free_units)
    )
    stake_left = np.asarray(free_stake, dtype=np.float64) - np.bincount(prov[chosen], st[chosen], minlength=n_providers)
    collateral = np.zeros(len(free_units))
    collateral[off] = np.where(un > 0, st / np.maximum(un, 1.0), 0.0)
    cache = np.full((2, n), -1, dtype=np.int64)
    changed = np.zeros(n_providers, dtype=np.int64)
    visited = np.full(n_providers, -1, dtype=np.int64)
    rng = np.random.default_rng([seed, 23])
    free_units = np.asarray(free_units, dtype=np.float64)
    for _ in range(max_sweeps):
        reached = np.unique(prov[served[req] < 0])
        if len(reached) == 0:
            break
        order = rng.permutation(reached).astype(np.int64)
        gained = _sweep(
            req, off, prov, sc, un, st, pair_start, pair_list, at_start, at_list, free_units, collateral, served,
            units_left, stake_left, order, max_group, max_states, cache, changed, visited,
        )  # fmt: skip
        if gained <= _MIN_GAIN:
            break
    return np.sort(served[served >= 0])


def warm_up() -> float:
    """Compiles the packing's loops (or loads them from numba's cache) on a tiny market: the seconds it took."""
    started = time.perf_counter()
    # One provider with two offers of 2 units and stake for 3: a 3-unit request there gives way to a 2-unit
    # and a 1-unit one waiting.
    request = np.array([0, 1, 1, 2, 2])
    offer = np.array([0, 0, 1, 0, 1])
    units = np.array([3.0, 2.0, 2.0, 1.0, 1.0])
    pack(
        request,
        offer,
        np.zeros(5, dtype=np.int64),
        np.array([1.5, 1.0, 0.9, 1.0, 0.9]),
        units,
        units.copy(),
        np.array([4.0, 2.0]),
        np.array([3.0]),
        np.array([0]),
        7,
    )
    return time.perf_counter() - started
