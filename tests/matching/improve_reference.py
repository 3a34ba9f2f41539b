"""The local improvement as plain Python loops (keepers/matching/improve.py before numba, main at 6fe228a).

The reference `test_improve.py` holds the numba search to: the same moves in the same order, so the same result.
One change from that code: the requests on an offer or at a provider were Python sets, iterated in the order of
the set's hash table; they are insertion-ordered dicts here (the numba search's linked lists keep that order), so
the order is a function of the moves alone. That order decides which of two trades is tried first, and a trade
can gain more than the pre-check `sc[p] > best_gain` assumes, so the two orders can end in different moves (10 of
900 random instances of `test_improve.random_instance`).
"""

from __future__ import annotations

import time

import numpy as np

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
    req, off, prov = request.tolist(), offer.tolist(), provider.tolist()
    sc, un, st = score.tolist(), units.tolist(), stake.tolist()
    # Each request's pairs, best first.
    order = np.lexsort((-score, request))
    starts = np.flatnonzero(np.r_[True, request[order][1:] != request[order][:-1]])
    pairs_of = {
        int(request[order[s]]): seq.tolist() for s, seq in zip(starts, np.split(order, starts[1:]), strict=True)
    }
    # Each provider's pairs, best first, listed when a trade first asks: who could take the room it leaves behind.
    by_provider = np.lexsort((-score, provider))
    provider_sorted = provider[by_provider]
    listed: dict[int, list[int]] = {}

    def pairs_at(v: int) -> list[int]:
        if v not in listed:
            lo, hi = np.searchsorted(provider_sorted, [v, v + 1])
            listed[v] = by_provider[lo:hi].tolist()
        return listed[v]

    used_offers = np.unique(offer)
    used_providers = np.unique(provider)
    units_left = dict(zip(used_offers.tolist(), free_units[used_offers].astype(np.float64).tolist(), strict=True))
    stake_left = dict(zip(used_providers.tolist(), free_stake[used_providers].astype(np.float64).tolist(), strict=True))
    # The requests on each offer and at each provider, in the order taken (dicts as ordered sets).
    on_offer: dict[int, dict[int, None]] = {o: {} for o in units_left}
    on_provider: dict[int, dict[int, None]] = {v: {} for v in stake_left}
    served: dict[int, int] = {}

    # Bumped by every change: `consolidate` caches each request's plain relocation until the next one.
    version = [0]
    cached: dict[int, tuple[int, tuple[float, int]]] = {}

    def take(p: int) -> None:
        version[0] += 1
        served[req[p]] = p
        on_offer[off[p]][p] = None
        on_provider[prov[p]][p] = None
        units_left[off[p]] -= un[p]
        stake_left[prov[p]] -= st[p]

    def drop(p: int) -> None:
        version[0] += 1
        del served[req[p]]
        on_offer[off[p]].pop(p, None)
        on_provider[prov[p]].pop(p, None)
        units_left[off[p]] += un[p]
        stake_left[prov[p]] += st[p]

    for p in chosen.tolist():
        take(p)

    # Past its best `_RELOCATE_PAIRS`, a relocation also looks at a request's pairs with the offers that had room
    # once the start was taken (best first, `_ROOMY_PAIRS` of them): where the units a packing left idle lie,
    # far down every list (the scarce shape: a unit on each of some 350 offers that every request ranks low).
    roomy = np.zeros(int(offer.max()) + 1, dtype=bool)
    roomy[[o for o, left in units_left.items() if left >= 1]] = True
    late = order[(np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n])) >= _RELOCATE_PAIRS) & roomy[offer[order]]]
    late_of: dict[int, list[int]] = {}
    for q in late.tolist():
        seq = late_of.setdefault(req[q], [])
        if len(seq) < _ROOMY_PAIRS:
            seq.append(q)

    def relocation(q: int, extra_units: dict[int, float], extra_stake: dict[int, float]) -> tuple[float, int]:
        """The best other pair of q's request that fits the capacity left (plus the given changes): (gain, pair)."""
        best_gain, best = -np.inf, -1
        for q2 in pairs_of[req[q]][:_RELOCATE_PAIRS] + late_of.get(req[q], []):
            o2 = off[q2]
            if q2 == q or o2 == off[q]:
                continue
            if un[q2] > units_left[o2] + extra_units.get(o2, 0.0):
                continue
            if st[q2] > stake_left[prov[q2]] + extra_stake.get(prov[q2], 0.0):
                continue
            gain = sc[q2] - sc[q]
            if gain > best_gain:
                best_gain, best = gain, q2
            break  # pairs come best first: the first that fits is the best
        return best_gain, best

    def chained(q: int, extra_units: dict[int, float], extra_stake: dict[int, float]) -> tuple[float, tuple] | None:
        """q moves to an offer with a unit idle but too few, where another request moves out to a pair that fits:
        (gain, moves), or None. An ejection chain of length two: it joins single idle units scattered over offers
        that price out the request waiting (the scarce shape: cheap offers hold requests that could pay more)."""
        best = None
        for q2 in pairs_of[req[q]][:_RELOCATE_PAIRS] + late_of.get(req[q], []):
            o2, v2 = off[q2], prov[q2]
            if q2 == q or o2 == off[q]:
                continue
            room = units_left[o2] + extra_units.get(o2, 0.0)
            if room < 1 or (un[q2] <= room and st[q2] <= stake_left[v2] + extra_stake.get(v2, 0.0)):
                continue  # no idle unit there, or it fits outright (then `relocation` found it)
            for q3 in on_offer[o2]:
                if q3 == q or un[q3] < un[q2] - room:
                    continue
                if st[q2] > stake_left[v2] + extra_stake.get(v2, 0.0) + st[q3]:
                    continue  # q3 shares q2's provider (it is on o2): its stake is all the room q2 can gain there
                eu = dict(extra_units)
                es = dict(extra_stake)
                eu[o2] = eu.get(o2, 0.0) + un[q3] - un[q2]
                es[v2] = es.get(v2, 0.0) + st[q3] - st[q2]
                gain, q4 = relocation(q3, eu, es)
                if q4 < 0:
                    continue
                total = sc[q2] - sc[q] + gain
                if best is None or total > best[0]:
                    best = (total, ((q, q2), (q3, q4)))
        return best

    def consolidate(p: int, need_units: float, need_stake: float) -> tuple[float, tuple] | None:
        """Room for pair p on its offer by relocating several requests there, best relocation first."""
        options = []
        for q in on_offer[off[p]]:
            hit = cached.get(q)
            if hit is None or hit[0] != version[0]:
                hit = (version[0], relocation(q, {}, {}))
                cached[q] = hit
            gain, q2 = hit[1]
            if q2 >= 0:
                options.append((gain, q))
        options.sort(reverse=True)
        freed_units = freed_stake = 0.0
        total = sc[p]
        moves = []
        taken_units: dict[int, float] = {}
        taken_stake: dict[int, float] = {}
        for _, q in options:
            # Again, on the capacity the relocations before this one took.
            gain, q2 = relocation(q, taken_units, taken_stake)
            if q2 < 0:
                continue
            moves.append((q, q2))
            total += gain
            freed_units += un[q]
            freed_stake += st[q]
            taken_units[off[q2]] = taken_units.get(off[q2], 0.0) - un[q2]
            taken_stake[prov[q2]] = taken_stake.get(prov[q2], 0.0) - st[q2]
            if freed_units >= need_units and freed_stake >= need_stake:
                return (total, tuple(moves)) if len(moves) > 1 else None
        return None

    def refill(r: int, p: int, q: int) -> tuple[float, int]:
        """After q leaves and p (of request r) moves in, the best waiting request that fits the room left there.

        Looks at the best `_REFILL_PAIRS` pairs on p's provider: (score, pair), or (0, -1).
        """
        o, v = off[p], prov[p]
        stake_room = stake_left[v] + st[q] - st[p]
        seen = 0
        for x in pairs_at(v):
            rx = req[x]
            if rx == r or rx in served:
                continue
            seen += 1
            if seen > _REFILL_PAIRS:
                break
            ox = off[x]
            room = units_left[ox] + (un[q] if ox == off[q] else 0.0) - (un[p] if ox == o else 0.0)
            if un[x] <= room and st[x] <= stake_room:
                return sc[x], x
        return 0.0, -1

    def try_request(r: int) -> bool:
        """The best improving move that serves unserved request r; True if one was made."""
        best_gain, best_move = _MIN_GAIN, None
        roomy_tried = 0
        for rank, p in enumerate(pairs_of[r]):
            if sc[p] <= best_gain:
                break  # pairs come best first: no later one can gain more
            o, v = off[p], prov[p]
            need_units = un[p] - units_left[o]
            need_stake = st[p] - stake_left[v]
            if need_units <= 0 and need_stake <= 0:
                best_gain, best_move = sc[p], (p, (), -1)
                break
            if rank >= _MOVE_PAIRS:
                # Past a request's best pairs, insertions only, and swaps on the offers with a unit idle: where a
                # packing left single units, a request there moving to another such unit joins two into room.
                if units_left[o] < 1 or roomy_tried >= _ROOMY_PAIRS:
                    continue
                roomy_tried += 1
            # One request makes room by leaving, relocated or dropped: one on o if o lacks units, else
            # one on any offer of o's provider (which frees its stake).
            for q in on_offer[o] if need_units > 0 else on_provider[v]:
                if un[q] < need_units or st[q] < need_stake:
                    continue
                gain, q2 = relocation(q, {o: un[q] - un[p]}, {v: st[q] - st[p]})
                if q2 >= 0 and sc[p] + gain > best_gain:
                    best_gain, best_move = sc[p] + gain, (p, ((q, q2),), -1)
                if q2 < 0 and chains:
                    chain = chained(q, {o: un[q] - un[p]}, {v: st[q] - st[p]})
                    if chain is not None and sc[p] + chain[0] > best_gain:
                        best_gain, best_move = sc[p] + chain[0], (p, chain[1], -1)
                if sc[p] - sc[q] + (sc[q] if trades else 0.0) > best_gain:
                    # Trade: q goes unserved, and another waiting request may fill the room it leaves.
                    extra, x = refill(r, p, q) if trades else (0.0, -1)
                    if sc[p] - sc[q] + extra > best_gain:
                        best_gain, best_move = sc[p] - sc[q] + extra, (p, ((q, -1),), x)
            if need_units > 0 and len(on_offer[o]) > 1:
                move = consolidate(p, need_units, need_stake)
                if move is not None and move[0] > best_gain:
                    best_gain, best_move = move[0], (p, move[1], -1)
        if best_move is None:
            return False
        p, moves, x = best_move
        for q, _ in moves:
            drop(q)
        for _, q2 in moves:
            if q2 >= 0:
                take(q2)
        take(p)
        if x >= 0:
            take(x)
        touched = [p] + [q2 for _, q2 in moves if q2 >= 0] + ([x] if x >= 0 else [])
        if all(units_left[off[t]] >= 0 and stake_left[prov[t]] >= 0 for t in touched):
            return True
        # The estimate missed a shared capacity (a provider both freed and taken): undo.
        if x >= 0:
            drop(x)
        drop(p)
        for _, q2 in moves:
            if q2 >= 0:
                drop(q2)
        for q, _ in moves:
            take(q)
        return False

    for _ in range(max_passes):
        moved = False
        waiting = [r for r in pairs_of if r not in served]
        # Requests with the best pair first: they gain most from a move.
        waiting.sort(key=lambda r: -sc[pairs_of[r][0]])
        for i, r in enumerate(waiting):
            if i % _CHECK_EVERY == 0 and time.monotonic() > deadline and time.process_time() > cpu_floor:
                return np.sort(np.fromiter(served.values(), dtype=np.int64, count=len(served)))
            if r not in served:
                moved |= try_request(r)
        if not moved:
            break
    return np.sort(np.fromiter(served.values(), dtype=np.int64, count=len(served)))
