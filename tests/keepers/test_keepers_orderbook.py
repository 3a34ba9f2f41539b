"""The matcher's signed-request order book over HTTP, end to end on a real chain: anyone posts a
signed request, anyone reads it, another matcher's book pulls it, a matcher posts and matches it
in one transaction (the tenant holds no ether), and every bad order is refused with one line."""

import json
import time
import urllib.error
import urllib.request

import brownie
import pytest
from eth_account import Account
from web3 import HTTPProvider, Web3

from keepers.config import KeeperConfig
from keepers.deployment import Deployment
from keepers.observability import make_logger
from keepers.orderbook import CheapestOfferMatcher, OrderBook, OrderBookServer
from keepers.roles.matcher import MatcherKeeper
from keepers.signed_requests import permit_signature, sign_request
from scripts.deploy import bond_matcher

from helpers import b32, register_with_offer
from protocol_setup import USD

H100 = b32("nvidia-h100-80gb")
DEPOSIT = 20 * USD


@pytest.fixture(scope="module")
def world(protocol, accounts):
    deployment, path = protocol
    register_with_offer(
        deployment.registry,
        deployment.payment_token,
        accounts[2],
        region=b32("eu-west"),
        metadata_uri="https://p.example/p.json",
        stake=10_000 * USD,
        gpu_model=H100,
        units=4,
        price=2 * USD,
        max_duration=30 * 86_400,
    )
    matcher = Account.create()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), matcher.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, matcher.address, payer=accounts[0])
    return deployment, path, matcher


@pytest.fixture
def w3(anvil):
    return Web3(HTTPProvider(anvil.url))


@pytest.fixture
def served(world, w3):
    _deployment, path, matcher = world
    w3.provider.make_request("anvil_setBalance", [matcher.address, hex(10**20)])
    book = OrderBook(w3, Deployment.load(path))
    with OrderBookServer(book) as server:
        yield server, CheapestOfferMatcher(w3, Deployment.load(path), book, matcher)


def _tenant(deployment, accounts, funds=DEPOSIT):
    account = Account.create()
    deployment.payment_token.mint(account.address, funds, {"from": accounts[0]})
    return account


def _wire(deployment, tenant, *, nonce=1, deadline=None, chain_id=None, key=None, max_price=3 * USD):
    now = brownie.chain[-1].timestamp
    deadline = now + 600 if deadline is None else deadline
    spec = {
        "gpuModel": H100,
        "minVramGB": 0,
        "units": 1,
        "region": "0x" + "00" * 32,
        "minTier": 0,
        "minReputation": 0,
        "maxPricePerUnitHour": max_price,
        "maxDurationSeconds": 4 * 3600,
        "matchDeadline": now + 3600,
        "kind": 0,
        "jobTermsHash": "0x" + "00" * 32,
        "rematch": False,
    }
    market = deployment.market.address
    signature = sign_request(
        key or tenant.key, brownie.chain.id, market, spec, DEPOSIT, nonce, deadline, tenant.address
    )
    token = deployment.payment_token
    p_deadline, v, r, s = permit_signature(
        tenant.key,
        token.name(),
        brownie.chain.id,
        token.address,
        market,
        DEPOSIT,
        token.nonces(tenant.address),
        deadline,
    )
    return {
        "chainId": chain_id or brownie.chain.id,
        "market": market,
        "request": {
            "tenant": tenant.address,
            "spec": {**spec, "maxPricePerUnitHour": str(max_price)},
            "deposit": str(DEPOSIT),
            "nonce": str(nonce),
            "deadline": str(deadline),
        },
        "signature": "0x" + signature.hex(),
        "permit": {"deadline": str(p_deadline), "v": v, "r": "0x" + r.hex(), "s": "0x" + s.hex()},
    }


def _post(url, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url + "/signed-requests", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _listed(url) -> list:
    with urllib.request.urlopen(url + "/signed-requests", timeout=10) as response:
        return json.loads(response.read())["orders"]


def test_posted_order_is_listed_and_matched_without_tenant_gas(world, served, accounts, w3):
    deployment, _, _ = world
    server, matcher = served
    tenant = _tenant(deployment, accounts)
    status, body = _post(server.url, _wire(deployment, tenant))
    assert status == 201 and body["key"] == f"{tenant.address.lower()}:1"
    assert [o["request"]["tenant"] for o in _listed(server.url)] == [tenant.address]

    matcher.run_once()

    assert _listed(server.url) == []
    assert deployment.market.nonceStatus(tenant.address, 1) == 1
    assert deployment.payment_token.balanceOf(tenant.address) == 0
    assert w3.eth.get_balance(tenant.address) == 0
    status, body = _post(server.url, _wire(deployment, tenant))
    assert status == 400 and body["error"] == f"order book: nonce 1 of {tenant.address} is already used or cancelled"


def test_another_matchers_book_pulls_the_order(world, served, accounts, w3):
    deployment, path, _ = world
    server, _ = served
    tenant = _tenant(deployment, accounts)
    assert _post(server.url, _wire(deployment, tenant))[0] == 201
    other = OrderBook(w3, Deployment.load(path))
    assert other.pull_from(server.url) == 1
    assert other.pull_from(server.url) == 0  # already known
    assert [o.tenant for o in other.open_orders()] == [tenant.address]


@pytest.mark.parametrize(
    "case, error",
    [
        ("wrong_chain", "order book: signed for chain 1, this book serves"),
        ("expired", "order book: the signature expired at"),
        ("bad_signature", "order book: the signature is not"),
        ("replay_in_book", "order book: nonce 1 of"),
        ("not_json", "order book: the body is not JSON"),
        ("bad_number", "order book: deposit is not a number"),
    ],
)
def test_bad_orders_are_refused_with_one_line(world, served, accounts, case, error):
    deployment, _, _ = world
    server, _ = served
    tenant = _tenant(deployment, accounts)
    now = brownie.chain[-1].timestamp
    body = {
        "wrong_chain": lambda: _wire(deployment, tenant, chain_id=1),
        "expired": lambda: _wire(deployment, tenant, deadline=now - 10),
        "bad_signature": lambda: _wire(deployment, tenant, key=Account.create().key),
        "replay_in_book": lambda: _wire(deployment, tenant),
        "not_json": lambda: b"{not json",
        "bad_number": lambda: {
            **_wire(deployment, tenant),
            "request": {**_wire(deployment, tenant)["request"], "deposit": "lots"},
        },
    }[case]()
    if case == "replay_in_book":
        assert _post(server.url, body)[0] == 201
    status, answer = _post(server.url, body)
    assert status == 400
    assert answer["error"].startswith(error), answer["error"]
    assert "\n" not in answer["error"]


def test_the_matcher_keeper_matches_its_own_and_a_peers_signed_requests(world, w3, accounts, keeper_config):
    """A matcher keeper serves a book and reads another matcher's; both books' orders land through
    its assignment, each with one matchSignedRequest, and the tenants send nothing."""
    deployment, path, _ = world
    key = Account.create()
    w3.provider.make_request("anvil_setBalance", [key.address, hex(10**20)])
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), key.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, key.address, payer=accounts[0])
    mine, theirs = _tenant(deployment, accounts), _tenant(deployment, accounts)
    with OrderBookServer(OrderBook(w3, Deployment.load(path))) as peer:
        assert _post(peer.url, _wire(deployment, theirs))[0] == 201
        data, environ = keeper_config(key, {"orderbook_port": 0, "orderbook_peers": [peer.url]})
        keeper = MatcherKeeper(
            KeeperConfig.model_validate(data),
            environ=environ,
            name="matcher-book",
            logger=make_logger("matcher-book", "matcher", "CRITICAL"),
        )
        try:
            keeper.start()
            assert _post(keeper.orderbook.url, _wire(deployment, mine))[0] == 201
            deadline = time.monotonic() + 30
            while not all(deployment.market.nonceStatus(t.address, 1) == 1 for t in (mine, theirs)):
                assert time.monotonic() < deadline, "the keeper did not match both signed requests"
                time.sleep(0.1)  # wall clock: the keeper works in its own threads
            # The book drops an order once the keeper has the match's receipt, which may come a
            # poll after the nonce is spent on chain.
            while _listed(keeper.orderbook.url):
                assert time.monotonic() < deadline, "the keeper's book still lists a matched order"
                time.sleep(0.1)
        finally:
            keeper.stop()
    for tenant in (mine, theirs):
        assert deployment.payment_token.balanceOf(tenant.address) == 0
        assert w3.eth.get_balance(tenant.address) == 0
