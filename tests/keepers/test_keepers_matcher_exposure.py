"""The matcher keeper plans no batch above its exposure room (docs/matching-accountability.md, "The
exposure cap"): a matcher may match at most half its active bond of lease value per challenge window,
and the chain skips a pair above what is left (EXPOSURE_CAP). The keeper leaves such pairs for the
next window instead of sending them."""

import json

from keepers.contracts.types import RequestStatus

from keeper_helpers import logging_matcher
from protocol_setup import HOUR, USD, provider_with_offer, request

UNITS, PRICE, DURATION = 4, 3 * USD, 24 * HOUR
VALUE = UNITS * PRICE * DURATION // HOUR  # 288 USD at the ceiling: two exceed half the 1,000 USD bond


def test_the_matcher_plans_no_pair_above_its_exposure_room(funded_key, client_for, keeper_config, matcher_key):
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region="eu-west", units=2 * UNITS, price=2 * USD)
    tenant = client_for(funded_key())
    ids = [request(tenant, units=UNITS, max_price=PRICE, duration=DURATION) for _ in range(2)]

    matcher, stream = logging_matcher(*keeper_config(matcher_key(minimum_bond=True)), "matcher-exposure")
    try:
        matcher.setup()
        room = matcher.exposure_room()
        assert VALUE <= room < 2 * VALUE
        matcher.tick()
        statuses = [matcher.view.market.request_status_of(i) for i in ids]
        exposure, _ = matcher.view.market.exposure_of(matcher.account.address)
    finally:
        matcher.stop()

    # One request matched, the other left open for the next window; the chain skipped nothing.
    assert sorted(statuses) == [RequestStatus.OPEN, RequestStatus.MATCHED]
    assert 0 < exposure <= VALUE  # charged at the matched price, below the ceiling
    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    capped = [r for r in records if r.get("event") == "exposure_cap"]
    assert len(capped) == 1 and len(capped[0]["request_ids"]) == 1
    submitted = [r for r in records if r.get("event") == "batch_submitted"]
    assert [(r["matched"], r["skipped"]) for r in submitted] == [(1, 0)]
