"""No dominated pair: a batch that no match challenge can win on the books it was planned from.

A match can be challenged by anyone who names an offer that met the request, was strictly cheaper
and was still free (docs/matching-accountability.md). The score weighs more than price
(docs/matching.md), so an assignment may leave such an offer free. `undominated` moves each such
pair to the cheapest offer that could take it once the batch's own allocations are counted,
until none is left: every move lowers the batch's total price, so it ends.
"""

from __future__ import annotations

import numpy as np

from .book import OfferBook, ProviderBook, RequestBook

# Every move lowers the total price strictly, so the loop ends; this only bounds a pathological book.
_MAX_PASSES = 64


def undominated(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    request_rows: np.ndarray,
    offer_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (rows into the books) with every dominated pair moved to a cheaper offer.

    A pair is dominated when an offer meeting the registry's constraints for its request (model or
    vRAM, tier, region, reputation, provider neither the tenant nor excluded, duration) is strictly cheaper and still
    has the units and its provider the free stake for it after the batch. Pairs are visited in
    request-id order, the cheapest such offer wins (the lower id on a tie): deterministic, so a
    batch replays.
    """
    request_rows = np.asarray(request_rows, dtype=np.int64)
    offer_rows = np.asarray(offer_rows, dtype=np.int64).copy()
    if len(request_rows) == 0:
        return request_rows, offer_rows
    free_units = offers.free_units.astype(np.int64).copy()
    free_stake = providers.free_stake.astype(np.float64).copy()
    units = requests.units[request_rows]
    np.subtract.at(free_units, offer_rows, units)
    np.subtract.at(free_stake, offers.provider[offer_rows], units * offers.collateral_per_unit[offer_rows])
    order = np.argsort(requests.ids[request_rows], kind="stable")
    for _ in range(_MAX_PASSES):
        moved = False
        for i in order:
            r, o = request_rows[i], offer_rows[i]
            better = _cheapest_free(requests, offers, providers, r, o, free_units, free_stake)
            if better is None:
                continue
            need = units[i] * offers.collateral_per_unit
            free_units[o] += units[i]
            free_stake[offers.provider[o]] += need[o]
            free_units[better] -= units[i]
            free_stake[offers.provider[better]] -= need[better]
            offer_rows[i] = better
            moved = True
        if not moved:
            break
    return request_rows, offer_rows


def _cheapest_free(
    requests: RequestBook,
    offers: OfferBook,
    providers: ProviderBook,
    r: int,
    o: int,
    free_units: np.ndarray,
    free_stake: np.ndarray,
) -> int | None:
    units = requests.units[r]
    model = requests.gpu_model[r]
    fits = (
        (offers.gpu_model == model if model != 0 else offers.vram >= requests.min_vram[r])
        & ((offers.region == requests.region[r]) if requests.region[r] != 0 else True)
        & (offers.tier >= requests.min_tier[r])
        & (providers.reputation[offers.provider] >= requests.min_reputation[r])
        & (providers.address[offers.provider] != requests.tenant[r])
        & ((providers.address[offers.provider] != requests.excluded[r]) if requests.excluded is not None else True)
        & (offers.max_duration >= requests.duration[r])
        & (offers.price < offers.price[o])
        & (free_units >= units)
        & (free_stake[offers.provider] >= units * offers.collateral_per_unit)
    )
    cheaper = np.flatnonzero(fits)
    if len(cheaper) == 0:
        return None
    return int(cheaper[np.lexsort((offers.ids[cheaper], offers.price[cheaper]))[0]])
