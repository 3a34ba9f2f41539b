"""The matcher reports each batch's optimality gap against its proven bound, as a metric and a log field."""

import io
import json
import math

from prometheus_client import generate_latest

from keepers.matching import optimality_gap
from keepers.observability import PrefixedRegistry
from keepers.roles.matcher import MatcherKeeper

from keeper_helpers import logging_matcher
from protocol_setup import USD, provider_with_offer, request


def _matcher(keeper_config, matcher_key, name: str) -> tuple[MatcherKeeper, io.StringIO]:
    """A matcher keeper on a new bonded key, logging JSON into the returned stream."""
    return logging_matcher(*keeper_config(matcher_key()), name)


def test_optimality_gap_is_the_share_of_the_bound_left():
    assert optimality_gap(90.0, 100.0) == 0.1
    assert optimality_gap(100.0, 100.0) == 0.0
    assert optimality_gap(100.0 + 1e-9, 100.0) == 0.0  # solver tolerance: never negative
    assert optimality_gap(0.0, 0.0) == 0.0
    assert optimality_gap(5.0, None) is None


def test_a_planned_batch_logs_and_exports_its_gap_against_the_bound(funded_key, client_for, keeper_config, matcher_key):
    # Two requests want the one offer with room for one of them, a third fits the other offer:
    # the batch leaves one request out, and its bound is proven by column generation.
    providers = [client_for(funded_key(100_000 * USD)) for _ in range(2)]
    provider_with_offer(providers[0], region="eu-west", units=2, price=2 * USD)
    provider_with_offer(providers[1], region="us-east", units=1, price=int(2.5 * USD))
    tenant = client_for(funded_key())
    for units, region in ((2, "eu-west"), (2, "eu-west"), (1, None)):
        request(tenant, units=units, region=region)

    matcher, stream = _matcher(keeper_config, matcher_key, "matcher-bound")
    try:
        matcher.setup()  # the jobs are not started: one pass, run here
        matcher.tick()
    finally:
        matcher.stop()

    records = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    planned = [r for r in records if r.get("event") == "batch_planned"]
    assert len(planned) == 1
    record = planned[0]
    assert record["pairs"] == 2
    bound, total, gap = record["upper_bound"], record["total_score"], record["optimality_gap"]
    assert bound is not None and bound >= total - 1e-6 > 0
    assert math.isclose(gap, max(0.0, (bound - total) / bound), abs_tol=1e-6)
    # What the solve's time went on, stage by stage, the first scoring and the auction first.
    stages = record["stage_seconds"]
    assert list(stages)[:2] == ["pool", "auction"] and all(seconds >= 0 for seconds in stages.values())
    assert math.isclose(matcher.metrics.value("matcher_upper_bound"), bound, abs_tol=1e-6)
    assert math.isclose(matcher.metrics.value("matcher_batch_score"), total, abs_tol=1e-6)
    assert math.isclose(matcher.metrics.value("matcher_optimality_gap"), gap, abs_tol=1e-6)
    exposed = generate_latest(PrefixedRegistry(matcher.metrics.registry)).decode()
    assert "leasehold_matcher_optimality_gap " in exposed and "leasehold_matcher_upper_bound " in exposed


def test_a_plan_older_than_half_the_grace_is_dropped_and_the_next_pass_matches(
    funded_key, client_for, keeper_config, matcher_key, w3
):
    """A slow solve (here: the chain's clock moves 30 s while the batch is planned) would land a batch
    that a cheaper offer appearing meanwhile could prove dominated once it stood the 60 s grace
    (docs/matching-accountability.md): the matcher drops the plan; the next pass, on fresh books, sends."""
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region="eu-west", units=2, price=2 * USD)
    request(client_for(funded_key()), units=1, region=None)

    matcher, stream = _matcher(keeper_config, matcher_key, "matcher-stale")
    plan = matcher.plan

    def slow_plan(*args, **kwargs):
        result = plan(*args, **kwargs)
        w3.provider.make_request("evm_increaseTime", [30])
        w3.provider.make_request("evm_mine", [])
        return result

    try:
        matcher.setup()
        matcher.plan = slow_plan
        matcher.tick()
        events = [json.loads(line).get("event") for line in stream.getvalue().splitlines() if line.startswith("{")]
        assert "plan_stale" in events and "batch_submitted" not in events
        matcher.plan = plan
        matcher.tick()
    finally:
        matcher.stop()
    events = [json.loads(line).get("event") for line in stream.getvalue().splitlines() if line.startswith("{")]
    assert events.count("batch_submitted") == 1
