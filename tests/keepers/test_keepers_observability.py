import json
import urllib.error
import urllib.request

from keepers.config import ChainConfig, KeeperConfig, MetricsConfig
from keepers.roles.heartbeat import HeartbeatKeeper


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def heartbeat_keeper(anvil, stale_head_seconds):
    config = KeeperConfig(
        chain=ChainConfig(rpc_url=anvil.url, chain_id=31337, poll_interval_seconds=60),
        metrics=MetricsConfig(port=0, stale_head_seconds=stale_head_seconds),
    )
    return HeartbeatKeeper(config, name="hb")


def test_health_is_200_while_head_is_fresh_then_503_when_stale(anvil, w3):
    keeper = heartbeat_keeper(anvil, stale_head_seconds=3600)
    keeper.start()
    try:
        status, body = get(keeper.health.url + "/health")
        assert status == 200
        assert json.loads(body)["head_block"] == w3.eth.block_number
        head_timestamp = w3.eth.get_block("latest")["timestamp"]
        keeper.health.clock = lambda: head_timestamp + 3601
        status, body = get(keeper.health.url + "/health")
        assert status == 503
        assert json.loads(body)["status"] == "stale"
    finally:
        keeper.stop()


def test_metrics_endpoint_exports_framework_and_role_metrics(anvil, w3):
    keeper = heartbeat_keeper(anvil, stale_head_seconds=3600)
    keeper.metrics.counter("matches", "Requests matched").inc(3)
    keeper.start()
    try:
        keeper.beat()
        status, body = get(keeper.health.url + "/metrics")
    finally:
        keeper.stop()
    assert status == 200
    # Exported under the leasehold_ prefix (issue 15, finding 10), short names inside the process.
    assert f"leasehold_head_block {float(w3.eth.block_number)}" in body
    assert "leasehold_matches_total 3.0" in body
    for name in ("head_lag_seconds", "account_balance_wei"):
        assert f"# TYPE leasehold_{name} gauge" in body
    for name in ("tx_sent_total", "tx_failed_total", "tx_replaced_total", "tx_refused_total"):
        assert f"# TYPE leasehold_{name} counter" in body
    assert "\nhead_block " not in body


def test_two_keepers_keep_separate_registries(anvil):
    first, second = heartbeat_keeper(anvil, 60), heartbeat_keeper(anvil, 60)
    first.metrics.counter("settlements", "Leases settled").inc()
    assert first.metrics.value("settlements_total") == 1
    assert second.metrics.value("settlements_total") == 0
