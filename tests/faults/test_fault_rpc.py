"""Scenario 2: the matcher and the settler reach the chain through a proxy that drops connections,
loses answers, times out, answers HTTP 5xx and refuses wide eth_getLogs ranges.

Each case arms faults once both keepers run, lets tenants' requests be matched and, after the
leases ran out, closed; then checks the chain's books and what the keepers reported. Tenants and
providers reach the node directly: only the keepers see the faults, so every fault the proxy
injected must show up exactly once in the keepers' metrics and logs.
"""

import pytest
from brownie import chain
from eth_utils import event_abi_to_log_topic

from keepers.deployment import load_deployment
from keepers.indexer import CheckpointStore, EventIndexer
from keepers.market_view import VIEW_EVENTS
from keepers.observability import Metrics, make_logger
from keepers.roles.matcher import MatcherKeeper
from keepers.roles.settler import SettlerKeeper
from keepers.rpc import make_web3
from scripts.deploy import bond_matcher

from chain_faults import Books, KeeperRun, provider_with_offer, rental_request, wait_until
from protocol_setup import HOUR
from rpc_proxy import FaultProxy

# Client side: a short timeout, four tries with waits of 0.05, 0.1 and 0.2 s.
FAST_RPC = {"rpc_timeout_seconds": 0.5, "rpc_attempts": 4, "rpc_backoff_seconds": 0.05}
HOLD_SECONDS = 1.0  # the proxy's timeout fault: longer than the client waits
REPORTED_AS = {"drop": "connection", "drop_answer": "connection", "timeout": "timeout"}


@pytest.fixture
def proxy(anvil):
    proxy = FaultProxy(anvil.url, hold_seconds=HOLD_SECONDS).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def run(keeper_config):
    run = KeeperRun(keeper_config)
    yield run
    run.stop()


@pytest.fixture
def market_with_offer(protocol, funded_key, client_for, accounts):
    """A provider with a 2 USD H100 offer, a tenant, and keys for a matcher and a settler."""
    deployment, path = protocol
    provider_with_offer(client_for(funded_key()))
    matcher = funded_key()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), matcher.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, matcher.address, payer=accounts[0])
    return client_for(funded_key()), matcher, funded_key(), path


def run_market(run, proxy, market_with_offer, arm, *, requests=2):
    """Starts both keepers through the proxy, arms the faults, and drives requests to settled leases.

    Returns (request ids, matched in time, closed in time).
    """
    tenant, matcher_key, settler_key, _ = market_with_offer
    run.start(MatcherKeeper, matcher_key, rpc_url=proxy.url, chain=FAST_RPC)
    run.start(SettlerKeeper, settler_key, rpc_url=proxy.url, chain=FAST_RPC)
    arm(proxy)
    ids = [rental_request(tenant) for _ in range(requests)]
    matched = wait_until(lambda: all(tenant.request(r).status == "MATCHED" for r in ids))
    chain.sleep(3 * HOUR)
    chain.mine()
    closed = wait_until(lambda: all(tenant.lease(r).status == "CLOSED" for r in ids))
    wait_until(lambda: proxy.armed() == 0, timeout=10)
    return ids, matched, closed


def reported_exactly(run, proxy) -> tuple[bool, bool]:
    """(every injected fault in the logs, and in the metrics), one report per failed attempt."""
    by_kind = {}
    for kind, count in proxy.injected.items():
        reported = REPORTED_AS.get(kind, kind)
        by_kind[reported] = by_kind.get(reported, 0) + count
    logged = dict.fromkeys(by_kind, 0)
    for record in run.log_events("rpc_error"):
        logged[record["kind"]] = logged.get(record["kind"], 0) + 1
    in_logs = bool(by_kind) and logged == by_kind
    in_metrics = bool(by_kind) and all(
        run.metric("rpc_errors_total", {"kind": kind}) == count for kind, count in by_kind.items()
    )
    return in_logs, in_metrics


# Fewer faults per case than tries per request: web3's retry must absorb every one of them.
CASES = {
    "connection dropped before the node saw the request": [("drop", 3, None)],
    "answer lost after the node executed the transaction": [("drop_answer", 2, ("eth_sendRawTransaction",))],
    "answer lost after the node answered a read": [("drop_answer", 3, ("eth_call", "eth_getLogs"))],
    "request held past the client timeout": [("timeout", 3, None)],
    "HTTP 500, 502 and 503 from the endpoint": [("http_500", 1, None), ("http_502", 1, None), ("http_503", 1, None)],
}


@pytest.mark.parametrize("case", list(CASES))
def test_keepers_ride_out_transient_rpc_faults(case, fault_report, run, proxy, market_with_offer, anvil, protocol):
    def arm(proxy):
        for kind, times, methods in CASES[case]:
            proxy.arm(kind, times, methods)

    ids, matched, closed = run_market(run, proxy, market_with_offer, arm)
    run.stop()
    books = Books(anvil.url, protocol[1]).check(ids, settled=True)
    in_logs, in_metrics = reported_exactly(run, proxy)
    failed_runs = run.metric_all_labels("job_failures_total")
    failed_txs = run.metric_all_labels("tx_failed_total")
    fault_report.record(
        2,
        case,
        injected=", ".join(f"{kind} x{count}" for kind, count in sorted(proxy.injected.items())),
        observed=(
            f"every failed try logged and counted, then retried with backoff; {len(ids)} requests matched and "
            f"settled by {int(run.metric('tx_sent_total', {'label': 'match_requests'}))} match and "
            f"{int(sum(run.metric('tx_sent_total', {'label': label}) for label in ('close_lease', 'close_leases')))} "
            "close transactions; "
            f"{int(failed_runs)} job runs and {int(failed_txs)} transactions failed"
        ),
        **books,
        fault_in_logs=in_logs,
        fault_in_metrics=in_metrics,
    )
    assert matched and closed
    assert proxy.armed() == 0
    assert books == {"no_payment_lost": True, "no_payment_twice": True, "nothing_left_unsettled": True}
    assert in_logs and in_metrics
    assert failed_runs == failed_txs == 0


def test_a_node_down_past_every_retry_fails_the_run_and_the_next_tick_recovers(
    fault_report, run, proxy, market_with_offer, anvil, protocol
):
    ids, matched, closed = run_market(run, proxy, market_with_offer, lambda proxy: proxy.arm("drop", 24))
    run.stop()
    books = Books(anvil.url, protocol[1]).check(ids, settled=True)
    in_logs, in_metrics = reported_exactly(run, proxy)
    failed_runs = run.metric_all_labels("job_failures_total")
    failed_logged = len(run.log_events("job_failed"))
    fault_report.record(
        2,
        "endpoint refusing every try of several requests in a row",
        injected=f"drop x{proxy.injected['drop']} (more than {FAST_RPC['rpc_attempts']} tries of one request)",
        observed=(
            f"{int(failed_runs)} job runs gave up and were logged as job_failed; the next ticks matched and "
            f"settled all {len(ids)} requests"
        ),
        **books,
        fault_in_logs=in_logs and failed_logged > 0,
        fault_in_metrics=in_metrics and failed_runs > 0,
    )
    assert matched and closed
    assert books == {"no_payment_lost": True, "no_payment_twice": True, "nothing_left_unsettled": True}
    assert in_logs and in_metrics
    assert failed_runs == failed_logged > 0


def test_indexer_splits_refused_log_ranges_and_misses_no_event(
    fault_report, run, proxy, market_with_offer, anvil, protocol, w3
):
    max_blocks = 3
    # Refusing from the start: the views' first scan covers every block since the deployment.
    proxy.max_log_blocks = max_blocks
    ids, matched, closed = run_market(run, proxy, market_with_offer, lambda proxy: None)
    run.stop()
    matcher = run.keepers[0]
    view = matcher.view
    # Read once the keeper stopped: the view's events and its cursor then describe the same scan.
    store = CheckpointStore(matcher.config.transactions.state_dir)
    scanned_block, _ = store.latest(view.indexer.name)
    store.close()
    books = Books(anvil.url, protocol[1]).check(ids, settled=True)
    contracts = [view.market, view.registry]
    topics = sorted(
        {
            "0x" + event_abi_to_log_topic(item).hex()
            for contract in contracts
            for item in contract.abi
            if item.get("type") == "event" and item["name"] in VIEW_EVENTS
        }
    )
    direct = w3.eth.get_logs(
        {
            "fromBlock": view.indexer.start_block,
            "toBlock": scanned_block,
            "address": [c.address for c in contracts],
            "topics": [topics],
        }
    )
    indexed = [(e.block_number, e.log_index) for e in view._events]
    expected = sorted((log["blockNumber"], log["logIndex"]) for log in direct)
    none_missed_or_twice = indexed == expected
    splits = run.metric_all_labels("getlogs_range_splits_total")
    halved_logged = len(run.log_events("logs_chunk_halved"))
    refused = proxy.injected["getlogs_refused"]
    fault_report.record(
        2,
        f"eth_getLogs over more than {max_blocks} blocks refused",
        injected=f"{refused} getLogs refused with -32005 'query returned more than 10000 results'",
        observed=(
            f"indexers halved their span down to {view.indexer.chunk_blocks} blocks and kept it; "
            f"{len(indexed)} view events equal a direct full getLogs, none twice; {len(ids)} requests settled"
        ),
        no_payment_lost=books["no_payment_lost"] and none_missed_or_twice,
        no_payment_twice=books["no_payment_twice"] and none_missed_or_twice,
        nothing_left_unsettled=books["nothing_left_unsettled"],
        fault_in_logs=refused > 0 and halved_logged == refused,
        fault_in_metrics=refused > 0 and splits == refused,
    )
    assert matched and closed
    assert none_missed_or_twice, (indexed, expected)
    assert books == {"no_payment_lost": True, "no_payment_twice": True, "nothing_left_unsettled": True}
    assert refused > 0 and halved_logged == refused == splits


def test_an_http_413_on_get_logs_is_split_at_once_never_retried(proxy, market_with_offer, protocol, w3, tmp_path):
    """A 4xx cannot get better by asking again: the provider passes it on, the indexer halves the range."""
    deployment = load_deployment(protocol[1], w3)
    registry = deployment.contract(w3, "ProviderRegistry")
    metrics = Metrics()
    through_proxy = make_web3(proxy.url, timeout_seconds=5, attempts=4, backoff_seconds=0.05, metrics=metrics)
    delivered = []
    indexer = EventIndexer(
        through_proxy,
        [deployment.contract(through_proxy, "ProviderRegistry")],
        CheckpointStore(tmp_path),
        name="registry",
        start_block=deployment.block_number,
        chunk_blocks=2000,
        confirmations=0,
        lookback=16,
        on_event=delivered.append,
        on_rollback=lambda block: None,
        logger=make_logger("test", "indexer", "CRITICAL"),
        metrics=metrics,
    )
    proxy.arm("http_413", 1, ("eth_getLogs",))
    indexer.poll()
    query = {"fromBlock": deployment.block_number, "toBlock": indexer.scanned_block, "address": registry.address}
    direct = [(log["blockNumber"], log["logIndex"]) for log in w3.eth.get_logs(query)]
    assert [(e.block_number, e.log_index) for e in delivered] == sorted(direct)
    assert proxy.injected["http_413"] == 1
    assert metrics.value("getlogs_range_splits_total", {"indexer": "registry"}) == 1
    assert metrics.value("rpc_errors_total", {"kind": "http_413"}) == 0
    assert indexer.chunk_blocks < 2000
