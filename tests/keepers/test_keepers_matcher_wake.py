"""The matcher's wake: a block that brings a request starts a pass at once, not at the next poll."""

import io
import time

import pytest
from pydantic import ValidationError

from keepers.config import KeeperConfig
from keepers.observability import make_logger
from keepers.roles.matcher import MatcherConfig, MatcherKeeper

from protocol_setup import provider_with_offer, request

POLL_SECONDS = 60.0  # far longer than the test waits: only a wake can match


def test_a_new_request_is_matched_at_the_next_wake_long_before_the_poll(
    funded_key, client_for, keeper_config, matcher_key
):
    provider = client_for(funded_key(100_000 * 10**6))
    provider_with_offer(provider, region="eu-west", units=2)
    tenant = client_for(funded_key())
    data, environ = keeper_config(matcher_key(), {"wake_interval_seconds": 0.1})
    data["chain"]["poll_interval_seconds"] = POLL_SECONDS
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data),
        environ=environ,
        name="matcher-wake",
        logger=make_logger("matcher-wake", "matcher", "CRITICAL"),
    )
    passes = []
    tick = matcher.tick
    matcher.tick = lambda: (passes.append(time.monotonic()), tick())
    matcher.start()
    try:
        deadline = time.monotonic() + 20
        while len(passes) < 1:
            assert time.monotonic() < deadline, "the first pass never ran"
            time.sleep(0.05)  # wall clock: the keeper's scheduler thread runs the first pass
        idle_passes = len(passes)
        time.sleep(0.5)  # five idle wakes: no block, so no pass
        assert len(passes) == idle_passes == 1

        request_id = request(tenant)
        deadline = time.monotonic() + 20
        while tenant.request(request_id).status != "MATCHED":
            assert time.monotonic() < deadline, "the request was not matched by a wake"
            time.sleep(0.05)  # wall clock: the keeper's thread matches
    finally:
        matcher.stop()
    assert len(passes) >= 2
    assert matcher.metrics.value("matches_total") == 1


def test_with_a_heads_socket_a_new_request_is_matched_without_waiting_for_the_wake_interval(
    funded_key, client_for, keeper_config, matcher_key
):
    """Issue 17, item 5: new heads over a websocket (Anvil serves it on its HTTP port) wake the matcher at once."""
    provider = client_for(funded_key(100_000 * 10**6))
    provider_with_offer(provider, region="eu-west", units=2)
    tenant = client_for(funded_key())
    data, environ = keeper_config(matcher_key())
    rpc_url = data["chain"]["rpc_url"]
    data["role"] = {
        **data.get("role", {}),
        "wake_interval_seconds": POLL_SECONDS,  # neither the wake nor the poll comes within the test
        "heads_url": rpc_url.replace("http://", "ws://", 1),
    }
    data["chain"]["poll_interval_seconds"] = POLL_SECONDS
    stream = io.StringIO()
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data),
        environ=environ,
        name="matcher-heads",
        logger=make_logger("matcher-heads", "matcher", "INFO", stream=stream),
    )
    matcher.start()
    try:
        deadline = time.monotonic() + 20
        while "heads_subscribed" not in stream.getvalue():
            assert time.monotonic() < deadline, f"never subscribed: {stream.getvalue()[-2000:]}"
            time.sleep(0.05)  # wall clock: the subscription's thread connects
        request_id = request(tenant)
        sent = time.monotonic()
        while tenant.request(request_id).status != "MATCHED":
            assert time.monotonic() < sent + 10, "the request's block did not wake the matcher"
            time.sleep(0.05)  # wall clock: the keeper's thread matches
    finally:
        matcher.stop()
    assert matcher.metrics.value("matches_total") == 1
    assert not matcher._heads.is_alive()


def test_a_heads_url_that_is_not_a_websocket_is_refused():
    with pytest.raises(ValidationError, match="heads_url"):
        MatcherConfig(heads_url="http://127.0.0.1:8545")
