"""The rental keepers against a real chain: matcher, settler and prober, alone and racing.

Keepers run in-process (start/stop) or as `leasehold` subprocesses; chain time
moves only with chain.sleep. Waits poll the chain for what another thread or
process does, bounded in wall-clock time.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from brownie import chain

from keepers.client import RequestSpec
from keepers.config import KeeperConfig
from keepers.contracts.types import SkipReason
from keepers.devchain import REPO_ROOT
from keepers.journal import Journal
from keepers.observability import make_logger
from keepers.roles.matcher import MatcherKeeper
from keepers.roles.prober import ProberKeeper
from keepers.roles.settler import SettlerKeeper

from protocol_setup import H100, HOUR, USD, provider_with_offer, request

T4 = "nvidia-t4-16gb"
REGIONS = ("eu-west", "us-east")
DEAD_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers there


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the keepers"
        time.sleep(0.1)  # wall clock: another thread or process is working; chain time does not move


@pytest.fixture
def keepers(keeper_config):
    """Builds in-process keepers of any role; stops every one at the end of the test."""
    built = []

    def make(role_class, account, role=None):
        data, environ = keeper_config(account, role)
        keeper = role_class(
            KeeperConfig.model_validate(data),
            environ=environ,
            name=f"{role_class.role}-{len(built)}",
            logger=make_logger(f"{role_class.role}-{len(built)}", role_class.role, "CRITICAL"),
        )
        built.append(keeper)
        return keeper

    yield make
    for keeper in built:
        keeper.stop()


# ---------------------------------------------------------------------------------------- matcher


def test_matcher_matches_a_batch_and_every_match_satisfies_its_request(funded_key, client_for, keepers, matcher_key):
    providers = [client_for(funded_key(100_000 * USD)) for _ in range(3)]
    offers = {
        provider_with_offer(providers[0], region="eu-west", units=2, price=2 * USD),
        provider_with_offer(providers[1], region="us-east", units=3, price=int(2.5 * USD)),
        provider_with_offer(providers[2], region="eu-west", units=2, price=4 * USD),  # dearer than every request
    }
    tenant = client_for(funded_key())
    wanted = [
        request(tenant, units=1, region="eu-west"),
        request(tenant, units=2),
        request(tenant, units=1, region="us-east"),
        request(tenant, units=1, max_price=int(2.2 * USD)),  # only the 2 USD offer fits
        request(tenant, units=3, region="eu-west"),  # no eu-west offer under 3 USD has 3 units
    ]
    matcher = keepers(MatcherKeeper, matcher_key())
    matcher.start()
    wait_for(lambda: sum(tenant.request(r).status == "MATCHED" for r in wanted) == 4)
    matcher.stop()

    assert tenant.request(wanted[-1]).status == "OPEN"
    for request_id in wanted[:-1]:
        lease = tenant.lease(request_id)
        offer = tenant.offer(lease.offer_id)
        assert offer.offer_id in offers and offer.gpu_model == H100
        assert lease.price_per_unit_hour == offer.price_per_unit_hour <= 3 * USD
        assert lease.provider != tenant.address
    assert tenant.lease(wanted[0]).region == "eu-west"
    assert tenant.lease(wanted[2]).region == "us-east"
    assert tenant.lease(wanted[3]).price_per_unit_hour == 2 * USD
    used = {o.offer_id: o.units_in_use for o in tenant.offers()}
    assert all(used[o.offer_id] <= o.units for o in tenant.offers())
    assert matcher.metrics.value("matches_total") == 4


def test_matcher_rematches_a_reopened_request_with_another_provider_and_wastes_no_pair(
    funded_key, client_for, keepers, matcher_key
):
    """A provider that fails an opted-in lease on purpose hopes for the re-opened request through its
    cheaper second offer; the matcher plans it onto the other provider and the chain skips nothing."""
    failing = client_for(funded_key(100_000 * USD))
    first = provider_with_offer(failing, region="eu-west", price=2 * USD)
    second = failing.offer_id_of(failing.add_offer(H100, 4, 2 * USD, 24 * HOUR))
    other = client_for(funded_key(100_000 * USD))
    other_offer = provider_with_offer(other, region="us-east", price=int(2.5 * USD))
    tenant = client_for(funded_key())
    spec = RequestSpec(
        gpu_model=H100,
        units=1,
        max_price_per_unit_hour=3 * USD,
        max_duration_seconds=10 * HOUR,
        match_deadline=tenant.now() + HOUR,
        rematch=True,
    )
    lease_id = tenant.request_id_of(tenant.create_request(spec, 40 * USD))
    direct = client_for(matcher_key())
    direct.send(direct.contracts.market.match_requests([(lease_id, first)]))
    params = tenant.params()
    chain.sleep(params["livenessSpacingSeconds"])
    chain.mine()
    tenant.challenge_liveness(lease_id)
    chain.sleep(params["livenessWindowSeconds"] + 1)
    chain.mine()
    (reopened,) = tenant.events(tenant.resolve_liveness(lease_id), tenant.market, "RequestReopened")
    new = reopened["requestId"]
    assert tenant.request(new).excluded_provider == failing.address

    matcher = keepers(MatcherKeeper, matcher_key())
    matcher.setup()
    matcher.view.refresh()
    plan = matcher.plan(matcher.w3.eth.block_number)
    assert plan.pairs == [(new, other_offer)] and second != other_offer
    matcher.tick()

    lease = tenant.lease(new)
    assert lease.provider == other.address and lease.reopened_from == lease_id
    assert matcher.metrics.value("matches_total") == 1
    assert matcher.metrics.value("matches_skipped_total", {"reason": str(int(SkipReason.PROVIDER_EXCLUDED))}) == 0


def test_two_matchers_racing_never_double_match_and_waste_no_batch(funded_key, client_for, keepers, matcher_key):
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region="eu-west", units=8, price=2 * USD)
    tenant = client_for(funded_key())
    wanted = [request(tenant) for _ in range(6)]
    first, second = keepers(MatcherKeeper, matcher_key()), keepers(MatcherKeeper, matcher_key())
    first.start()
    second.start()
    wait_for(lambda: all(tenant.request(r).status == "MATCHED" for r in wanted))
    first.stop()
    second.stop()

    leases = tenant.leases(wanted)
    assert {lease.lease_id for lease in leases} == set(wanted)
    assert tenant.offer(leases[0].offer_id).units_in_use == len(wanted)
    for keeper in (first, second):
        assert keeper.metrics.value("tx_failed_total", {"label": "match_requests"}) == 0
    assert first.metrics.value("matches_total") + second.metrics.value("matches_total") == len(wanted)


def test_one_pass_sends_its_batches_in_flight_together_and_every_pair_lands(
    funded_key, client_for, keepers, matcher_key
):
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region="eu-west", units=8, price=2 * USD)
    tenant = client_for(funded_key())
    wanted = [request(tenant) for _ in range(7)]
    matcher = keepers(MatcherKeeper, matcher_key(), {"batch_size": 2, "max_in_flight": 3})
    matcher.setup()
    senders = set()
    submit = matcher.submit

    def recording_submit(pairs):
        senders.add(threading.current_thread().name)
        return submit(pairs)

    matcher.submit = recording_submit
    first_block = tenant.w3.eth.block_number + 1
    matcher.tick()  # one pass, in this thread: it returns once every batch has its receipt

    assert len(senders) > 1 and all(name.startswith(f"{matcher.name}-match") for name in senders)

    assert all(tenant.request(r).status == "MATCHED" for r in wanted)
    assert tenant.offer(tenant.lease(wanted[0]).offer_id).units_in_use == len(wanted)
    batches = [
        tx
        for number in range(first_block, tenant.w3.eth.block_number + 1)
        for tx in tenant.w3.eth.get_block(number, full_transactions=True)["transactions"]
        if tx["from"] == matcher.sender.address
    ]
    assert len(batches) == 4  # 7 pairs in batches of 2
    assert sorted(tx["nonce"] for tx in batches) == list(range(batches[0]["nonce"], batches[0]["nonce"] + 4))
    assert matcher.metrics.value("matches_total") == len(wanted)
    assert matcher.metrics.value("tx_failed_total", {"label": "match_requests"}) == 0


def test_matcher_replays_a_batch_from_its_block(funded_key, client_for, keepers, keeper_config, matcher_key, tmp_path):
    provider = client_for(funded_key(100_000 * USD))
    provider_with_offer(provider, region="eu-west", units=4)
    tenant = client_for(funded_key())
    wanted = [request(tenant), request(tenant, units=2)]
    block = tenant.w3.eth.block_number
    matcher = keepers(MatcherKeeper, matcher_key())
    matcher.start()
    wait_for(lambda: all(tenant.request(r).status == "MATCHED" for r in wanted))
    matcher.stop()

    replayer = keepers(MatcherKeeper, matcher_key())
    replayer.setup()
    plan = replayer.replay(block)
    assert plan.pairs == [(r, tenant.lease(r).offer_id) for r in wanted]
    assert plan == replayer.replay(block)
    assert replayer.replay(tenant.w3.eth.block_number).pairs == []

    data, environ = keeper_config(funded_key(0))
    config_path = tmp_path / "matcher.toml"
    config_path.write_text(_toml(data))
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "keepers.cli",
            "market",
            "replay-match",
            "--config",
            str(config_path),
            "--block",
            str(block),
            "--json",
        ],
        env={**os.environ, **environ},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    replayed = json.loads(answer.stdout)
    assert [(p["request_id"], p["offer_id"]) for p in replayed["pairs"]] == plan.pairs
    assert replayed["seed"] == plan.seed


# ---------------------------------------------------------------------------------------- settler


def test_settler_closes_an_expired_and_an_insolvent_lease_for_the_bounty(funded_key, client_for, keepers, matcher_key):
    provider = client_for(funded_key(100_000 * USD))
    offer_id = provider_with_offer(provider, region="eu-west", units=4, price=2 * USD)
    tenant = client_for(funded_key())
    params = tenant.params()
    fees = params["matchFee"] + params["settleBounty"]
    expiring = request(tenant, duration=HOUR)
    starving = request(tenant, duration=10 * HOUR, deposit=fees + 2 * USD * 2)  # two hours' worth
    running = request(tenant, duration=10 * HOUR)
    matcher = client_for(matcher_key())
    matcher.send(matcher.contracts.market.match_requests([(r, offer_id) for r in (expiring, starving, running)]))
    chain.sleep(3 * HOUR)
    chain.mine()

    settler_key = funded_key(0)
    settler = keepers(SettlerKeeper, settler_key)
    settler.start()
    wait_for(lambda: tenant.lease(expiring).settled and tenant.lease(starving).settled)
    settler.stop()

    assert tenant.lease(expiring).close_reason == "EXPIRED"
    assert tenant.lease(starving).close_reason == "INSOLVENT"
    assert tenant.lease(running).status == "ACTIVE"
    assert tenant.balance_of(tenant.payment_token, settler_key.address) == 2 * params["settleBounty"]
    assert settler.metrics.value("settlements_total", {"action": "close_lease"}) == 2


def test_a_batch_with_a_lease_another_settler_closed_first_still_closes_the_rest(
    funded_key, client_for, keepers, matcher_key, accounts
):
    provider = client_for(funded_key(100_000 * USD))
    offer_id = provider_with_offer(provider, region="eu-west", units=4, price=2 * USD)
    tenant = client_for(funded_key())
    params = tenant.params()
    leases = [request(tenant, duration=HOUR) for _ in range(3)]
    matcher = client_for(matcher_key())
    matcher.send(matcher.contracts.market.match_requests([(r, offer_id) for r in leases]))
    chain.sleep(2 * HOUR)
    chain.mine()
    w3 = tenant.w3
    rival, first = accounts[8], leases[1]
    settler_key = funded_key(0)
    settler = keepers(SettlerKeeper, settler_key)

    w3.provider.make_request("evm_setAutomine", [False])
    try:
        # The rival's close waits in the pool ahead of the settler's batch (a higher tip), so the
        # settler reads all three as due at the head and its batch lands after the rival's close.
        w3.eth.send_transaction(
            {
                "from": rival.address,
                "to": tenant.market.address,
                "gas": 500_000,
                "data": tenant.market.encode_abi("closeLease", [first]),
                "maxFeePerGas": 10**12,
                "maxPriorityFeePerGas": 10**12,
            }
        )
        settler.start()
        wait_for(lambda: w3.eth.get_transaction_count(settler_key.address, "pending") == 1)
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    wait_for(lambda: all(tenant.lease(r).settled for r in leases))
    wait_for(lambda: settler.metrics.value("settlements_total", {"action": "close_lease"}) == 2)
    settler.stop()

    closed = {
        e["args"]["leaseId"]: e
        for e in tenant.market.events.LeaseClosed().get_logs(from_block=0)
        if e["args"]["leaseId"] in leases
    }
    assert closed[first]["args"]["caller"] == rival.address
    batch = closed[leases[0]]["transactionHash"]
    assert closed[leases[2]]["transactionHash"] == batch and closed[leases[0]]["args"]["caller"] == settler_key.address
    skipped = tenant.market.events.CloseSkipped().process_receipt(w3.eth.get_transaction_receipt(batch))
    assert [(e["args"]["leaseId"], e["args"]["reason"]) for e in skipped] == [(first, 2)]  # LEASE_SETTLED
    assert w3.eth.get_transaction_count(settler_key.address) == 1
    assert tenant.balance_of(tenant.payment_token, settler_key.address) == 2 * params["settleBounty"]
    assert settler.metrics.value("races_lost_total", {"action": "close_lease"}) == 1


# ---------------------------------------------------------------------------------------- prober


def test_an_offline_provider_is_challenged_by_the_prober_and_slashed_by_the_settler(
    funded_key, client_for, keepers, matcher_key
):
    provider = client_for(funded_key(100_000 * USD))
    offer_id = provider_with_offer(provider, region="eu-west", endpoint=DEAD_ENDPOINT)
    tenant = client_for(funded_key())
    lease_id = request(tenant, duration=10 * HOUR)
    matcher = client_for(matcher_key())
    matcher.send(matcher.contracts.market.match_requests([(lease_id, offer_id)]))
    params = tenant.params()
    chain.sleep(params["livenessSpacingSeconds"])  # a lease may first be challenged this long after its start
    chain.mine()
    stake_before = provider.provider_info(provider.address)

    prober = keepers(ProberKeeper, funded_key(), {"failures_before_challenge": 2, "probe_timeout_seconds": 0.5})
    prober.start()
    wait_for(lambda: tenant.lease(lease_id).challenge_open)
    prober.stop()
    assert prober.metrics.value("probes_total", {"result": "down"}) >= 2
    assert prober.metrics.value("challenges_total") == 1

    chain.sleep(params["livenessWindowSeconds"] + 1)
    chain.mine()
    settler = keepers(SettlerKeeper, funded_key(0))
    settler.start()
    wait_for(lambda: tenant.lease(lease_id).settled)
    settler.stop()

    lease = tenant.lease(lease_id)
    assert lease.status == "TERMINATED" and lease.close_reason == "LIVENESS_FAILURE"
    after = provider.provider_info(provider.address)
    assert after.slash_count == stake_before.slash_count + 1 and after.liveness_missed == 1
    assert after.total_slashed == lease.collateral * params["livenessSlashBps"] // 10_000


class _AlwaysHealthy(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_healthy_provider_is_left_alone(funded_key, client_for, keepers, matcher_key):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AlwaysHealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = client_for(funded_key(100_000 * USD))
        offer_id = provider_with_offer(provider, region="eu-west", endpoint=f"http://127.0.0.1:{server.server_port}")
        tenant = client_for(funded_key())
        lease_id = request(tenant, duration=10 * HOUR)
        matcher = client_for(matcher_key())
        matcher.send(matcher.contracts.market.match_requests([(lease_id, offer_id)]))
        chain.sleep(tenant.params()["livenessSpacingSeconds"])
        chain.mine()
        prober = keepers(ProberKeeper, funded_key(), {"failures_before_challenge": 1})
        prober.start()
        wait_for(lambda: prober.metrics.value("probes_total", {"result": "up"}) >= 3)
        prober.stop()
    finally:
        server.shutdown()
        server.server_close()
    assert prober.metrics.value("challenges_total") == 0
    assert prober.metrics.value("probes_total", {"result": "down"}) == 0
    assert not tenant.lease(lease_id).challenge_open


# ---------------------------------------------------------------------------------------- restart


def test_a_settler_killed_mid_run_resumes_without_repeating_a_transaction(
    funded_key, client_for, keeper_config, matcher_key, tmp_path
):
    provider = client_for(funded_key(100_000 * USD))
    offer_id = provider_with_offer(provider, region="eu-west", units=12, price=2 * USD)
    tenant = client_for(funded_key())
    leases = [request(tenant, duration=HOUR) for _ in range(12)]
    matcher = client_for(matcher_key())
    matcher.send(matcher.contracts.market.match_requests([(r, offer_id) for r in leases]))
    chain.sleep(2 * HOUR)
    chain.mine()

    settler_key = funded_key(0)
    # Batches of four: three transactions for the twelve leases, so the kill can fall between them.
    data, environ = keeper_config(settler_key, {"close_batch_size": 4})
    config_path = tmp_path / "settler.toml"
    config_path.write_text(_toml(data))
    command = [sys.executable, "-m", "keepers.cli", "keeper", "run", "settler", "--config", str(config_path)]
    env = {**os.environ, **environ}

    first = subprocess.Popen(
        command, env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_for(lambda: sum(tenant.lease(r).settled for r in leases) >= 1)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # mid-run: between a send and its receipt is fair game
        first.wait()
    log_path = tmp_path / "second.log"
    with log_path.open("w") as log:
        second = subprocess.Popen(
            command, env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(lambda: '"keeper_started"' in log_path.read_text())
        wait_for(lambda: all(tenant.lease(r).settled for r in leases))
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0

    # Every lease closed once, every transaction of the settler closed at least one (none repeated
    # a batch already sent), none left pending in the journal.
    journal = Journal(data["transactions"]["state_dir"])
    assert journal.pending(settler_key.address) == []
    journal.close()
    closed = [e for e in tenant.market.events.LeaseClosed().get_logs(from_block=0) if e["args"]["leaseId"] in leases]
    assert sorted(e["args"]["leaseId"] for e in closed) == sorted(leases)
    settler_txs = {e["transactionHash"] for e in closed if e["args"]["caller"] == settler_key.address}
    assert len(settler_txs) == len(closed) // 4 == 3
    assert tenant.w3.eth.get_transaction_count(settler_key.address) == len(settler_txs)


def _toml(data: dict) -> str:
    lines = []
    for section, values in data.items():
        if values:
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    text = "\n".join(lines) + "\n"
    assert tomllib.loads(text) == {k: v for k, v in data.items() if v}
    return text
