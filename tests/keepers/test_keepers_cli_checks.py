"""Issue 15: nothing sent before everything is checked, every refusal one readable line.

Each test is one numbered finding of the issue, on the module's real deployment.
"""

import json
import socket
import urllib.error
import urllib.request

import pytest
from eth_utils import to_checksum_address

from keepers.cli import main
from keepers.config import KeeperConfig
from keepers.errors import KeeperError
from keepers.observability import make_logger
from keepers.roles.matcher import MatcherKeeper
from keepers.roles.provider import ProviderAgent
from scripts.deploy import bond_matcher

from helpers import KEY_ENV
from protocol_setup import H100, H100_COLLATERAL, HOUR, USD, ok_json, toml

UNLISTED = "nvidia-h200"


def failed(result):
    code, out, err = result
    assert (code, out) == (2, ""), (code, out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.rstrip("\n")


def nonce(w3, account):
    return w3.eth.get_transaction_count(account.address, "pending")


def allowance(client, token, owner, spender):
    return token.functions.allowance(owner, spender).call()


def agent(keeper_config, account, role):
    data, environ = keeper_config(account, role)
    return ProviderAgent(
        KeeperConfig.model_validate(data),
        environ=environ,
        name="provider-checks",
        logger=make_logger("provider-checks", "provider", "CRITICAL"),
    )


# ---------------------------------------------------------------- 1: a failed start changes nothing


def test_1_provider_agent_with_an_unlisted_gpu_refuses_before_moving_its_endpoint(
    funded_key, client_for, keeper_config, w3
):
    me = funded_key()
    provider = client_for(me)
    provider.register_provider("eu-west", "http://healthy.example:9100")
    before = nonce(w3, me)
    offers = [{"gpu_model": UNLISTED, "units": 1, "price_per_unit_hour": USD, "max_duration_seconds": HOUR}]
    broken = agent(keeper_config, me, {"region": "eu-west", "endpoint": "http://broken.example:9200", "offers": offers})
    with pytest.raises(KeeperError) as refused:
        broken.start()
    broken.stop()
    assert str(refused.value).startswith(
        f"config error: role.offers[0].gpu_model: '{UNLISTED}' is not in the GPU catalogue (listed: "
    )
    assert H100 in str(refused.value)
    assert provider.provider_info(me.address).metadata_uri == "http://healthy.example:9100"
    assert nonce(w3, me) == before


def test_1_provider_agent_short_of_stake_tokens_refuses_before_registering(funded_key, client_for, keeper_config, w3):
    me = funded_key(10 * USD)
    offers = [{"gpu_model": H100, "units": 1, "price_per_unit_hour": USD, "max_duration_seconds": HOUR}]
    poor = agent(
        keeper_config,
        me,
        {"region": "eu-west", "endpoint": "http://x.example", "stake": H100_COLLATERAL, "offers": offers},
    )
    with pytest.raises(KeeperError, match=r"^stake error: role.stake needs 3000000000 more stake token units"):
        poor.start()
    poor.stop()
    assert not client_for(me).provider_info(me.address).registered
    assert nonce(w3, me) == 0


# ---------------------------------------------------------------- 2: a request that can never match


@pytest.mark.parametrize(
    "flags, reason",
    [
        (["--gpu-model", UNLISTED], f"gpu model '{UNLISTED}' is not in the GPU catalogue (listed: "),
        (["--min-vram", "200"], "200 GB of vRAM asked for, but no listed model has more than 80 GB"),
        (["--gpu-model", "nvidia-t4-16gb", "--min-tier", "3"], "nvidia-t4-16gb is tier 0, below the minimum tier 3"),
        (["--gpu-model", H100, "--units", "2000"], "2000 units asked for, but an offer has at most 1024"),
    ],
)
def test_2_request_that_can_never_match_is_refused_and_locks_nothing(funded_key, cli, client_for, w3, flags, reason):
    me = funded_key(100 * USD)
    err = failed(
        cli(me, "tenant", "request", *flags, "--max-price", "3000000", "--duration", "4h", "--deposit", "20000000")
    )
    assert err.startswith(f"request error: no offer can ever match: {reason}"), err
    assert err.endswith("; nothing was sent")
    assert client_for(me).balance_of(client_for(me).payment_token) == 100 * USD
    assert nonce(w3, me) == 0


# ---------------------------------------------------------------- 3: no approval left behind


def test_3_refused_stake_and_request_leave_no_allowance(funded_key, cli, client_for, w3):
    me = funded_key(5 * USD)
    client = client_for(me)
    client.register_provider("eu-west", "http://gpu.example")
    sent = nonce(w3, me)
    err = failed(cli(me, "provider", "stake", "--amount", str(H100_COLLATERAL)))
    assert err == (
        "stake: refused, the call would revert with "
        f"ERC20InsufficientBalance({me.address}, {5 * USD}, {H100_COLLATERAL})"
    )
    err = failed(
        cli(
            me,
            "tenant",
            "request",
            "--gpu-model",
            H100,
            "--max-price",
            "3000000",
            "--duration",
            "4h",
            "--deposit",
            "20000000",
        )
    )
    assert err.startswith("create_request: refused, the call would revert with ERC20InsufficientBalance(")
    # A deposit the market refuses for another reason: simulated with the allowance in place, then refused.
    err = failed(
        cli(
            me, "tenant", "request", "--gpu-model", H100, "--max-price", "3000000", "--duration", "4h", "--deposit", "1"
        )
    )
    assert err.startswith("create_request: refused, the call would revert with LeaseMarket_DepositTooSmall(1, ")
    for spender in (client.registry.address, client.market.address):
        assert allowance(client, client.payment_token, me.address, spender) == 0
    assert nonce(w3, me) == sent


def test_3_an_approval_is_sent_only_with_the_call_it_serves(funded_key, cli, client_for, w3):
    me = funded_key(100 * USD)
    client = client_for(me)
    posted = ok_json(
        cli(
            me,
            "tenant",
            "request",
            "--gpu-model",
            H100,
            "--max-price",
            "3000000",
            "--duration",
            "4h",
            "--deposit",
            "20000000",
            "--json",
        )
    )
    assert client.request(posted["request_id"]).escrow == 20 * USD
    assert allowance(client, client.payment_token, me.address, client.market.address) == 0  # used up exactly
    assert nonce(w3, me) == 2  # approve, createRequest


# ---------------------------------------------------------------- 4: OpenZeppelin's errors and enums by name


def test_4_token_errors_inside_a_market_call_are_decoded(funded_key, client_for):
    """The market's ABI lacks the token's ERC20InsufficientBalance (0xe450d38c): it was `unknown error`."""
    from keepers.sender import Refused

    from protocol_setup import rental_spec

    me = funded_key(0)
    client = client_for(me)
    client.send(client.contracts.payment_token.approve(client.market.address, 20 * USD))
    with pytest.raises(Refused) as refused:
        client.create_request(rental_spec(client), 20 * USD, approve=False)  # the sender's own simulation
    assert refused.value.error_name == "ERC20InsufficientBalance"
    assert str(refused.value) == (
        f"create_request: refused, the call would revert with ERC20InsufficientBalance({me.address}, 0, {20 * USD})"
    )


def test_4_enum_arguments_are_shown_by_name(funded_key, client_for, matcher_account, protocol, cli):
    from protocol_setup import open_lease

    provider, tenant_key = client_for(funded_key()), funded_key()
    tenant = client_for(tenant_key)
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(H100_COLLATERAL)
    provider.add_offer(H100, 1, 2 * USD, 24 * HOUR)
    lease_id = open_lease(protocol[0].market, matcher_account, provider, tenant)
    ok_json(cli(tenant_key, "tenant", "close", str(lease_id), "--json"))
    err = failed(cli(tenant_key, "tenant", "close", str(lease_id)))
    assert err == f"close_lease: refused, the call would revert with LeaseMarket_LeaseSettled({lease_id}, CLOSED)"


# ---------------------------------------------------------------- 5: one line instead of a traceback


def test_5_metrics_port_in_use_is_one_line_after_the_deployment_check(
    keeper_config, funded_key, matcher_account, tmp_path, monkeypatch, capsys, protocol
):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        data, environ = keeper_config(funded_key())
        data["metrics"]["port"] = port
        path = tmp_path / "settler.toml"
        path.write_text(toml(data))
        monkeypatch.setenv(KEY_ENV, environ[KEY_ENV])
        assert main(["keeper", "run", "settler", "--config", str(path)]) == 2
        assert capsys.readouterr().err == (
            f"metrics error: cannot listen on 127.0.0.1:{port}: Address already in use; "
            "set [metrics] port (0 picks a free one) or stop what holds it\n"
        )
        # The deployment file is checked first: its error is the one reported, not the port's.
        data["chain"]["deployment"] = str(tmp_path / "missing.json")
        path.write_text(toml(data))
        assert main(["keeper", "run", "settler", "--config", str(path)]) == 2
        assert capsys.readouterr().err.startswith(f"deployment error: cannot read {tmp_path / 'missing.json'}")
    finally:
        holder.close()


def test_5_deployment_without_code_is_one_line(funded_key, cli, protocol, tmp_path, keeper_config, monkeypatch, capsys):
    _, deployment_path = protocol
    contents = json.loads(deployment_path.read_text())
    empty = "0x" + "ab" * 20
    contents["contracts"]["LeaseMarket"]["address"] = empty
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(contents))
    me = funded_key()
    data, environ = keeper_config(me)
    data.pop("role")
    data["chain"]["deployment"] = str(stale)
    path = tmp_path / "cli.toml"
    path.write_text(toml(data))
    monkeypatch.setenv(KEY_ENV, environ[KEY_ENV])
    capsys.readouterr()
    assert main(["market", "status", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"deployment error: {stale}: no contract code at {to_checksum_address(empty)} ")
    assert "(LeaseMarket) on chain 31337; was the chain restarted?" in err and err.count("\n") == 1


# ---------------------------------------------------------------- 6: a keeper that cannot do its job


def test_6_matcher_without_its_role_refuses_to_start(keeper_config, funded_key):
    me = funded_key()
    data, environ = keeper_config(me, {})
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="m", logger=make_logger("m", "matcher", "CRITICAL")
    )
    with pytest.raises(KeeperError) as refused:
        matcher.start()
    matcher.stop()
    assert str(refused.value).startswith(f"role error: account {me.address} lacks MATCHER_ROLE in ProtocolConfig ")
    assert matcher.health is None  # refused before serving anything


def test_6_matcher_bonds_itself_at_start_up(keeper_config, funded_key, protocol, accounts):
    deployment, _ = protocol
    bonds = deployment.matcher_bonds
    me = funded_key()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), me.address, True, {"from": accounts[0]})
    assert not bonds.isMatcher(me.address)
    data, environ = keeper_config(me, {})
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="m", logger=make_logger("m", "matcher", "CRITICAL")
    )
    matcher.start()
    matcher.stop()
    assert bonds.isMatcher(me.address) and bonds.bondOf(me.address)[0] == bonds.params()[0]


def test_6_matcher_without_tokens_for_its_bond_refuses_to_start(keeper_config, funded_key, protocol, accounts):
    deployment, _ = protocol
    me = funded_key(tokens=0)
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), me.address, True, {"from": accounts[0]})
    data, environ = keeper_config(me, {})
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="m", logger=make_logger("m", "matcher", "CRITICAL")
    )
    with pytest.raises(KeeperError) as refused:
        matcher.start()
    matcher.stop()
    min_bond = deployment.matcher_bonds.params()[0]
    assert str(refused.value).startswith(
        f"bond error: account {me.address} needs {min_bond} more payment-token units bonded in MatcherBonds "
    )
    assert not deployment.matcher_bonds.isMatcher(me.address)


def test_6_health_turns_503_with_the_reason_when_the_role_is_revoked(keeper_config, funded_key, protocol, accounts):
    deployment, _ = protocol
    me = funded_key()
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), me.address, True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, me.address, payer=accounts[0])
    data, environ = keeper_config(me, {})
    matcher = MatcherKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="m", logger=make_logger("m", "matcher", "CRITICAL")
    )
    matcher.start()
    try:
        with urllib.request.urlopen(f"{matcher.health.url}/health", timeout=10) as answer:
            assert answer.status == 200
        deployment.config.setRole(deployment.config.MATCHER_ROLE(), me.address, False, {"from": accounts[0]})
        with pytest.raises(urllib.error.HTTPError) as unhealthy:
            urllib.request.urlopen(f"{matcher.health.url}/health", timeout=10)
        body = json.loads(unhealthy.value.read())
        assert unhealthy.value.code == 503 and body["status"] == "unfit"
        assert body["reason"].startswith(f"account {me.address} lacks MATCHER_ROLE")
    finally:
        matcher.stop()


# ---------------------------------------------------------------- 8: missing commands


def test_8_unstake_then_withdraw_unstaked(funded_key, cli, client_for):
    from brownie import chain

    me = funded_key()
    client = client_for(me)
    client.register_provider("eu-west", "http://gpu.example")
    client.stake(H100_COLLATERAL)
    err = failed(cli(me, "provider", "withdraw-unstaked"))
    assert err == f"stake error: {me.address} has no stake unbonding (provider unstake starts it)"
    started = ok_json(cli(me, "provider", "unstake", "--amount", str(USD), "--json"))
    assert started["unbonding_stake"] == USD and started["unbonding_ready_at"] > client.now()
    assert failed(cli(me, "provider", "withdraw-unstaked")).startswith("stake error: the unbonding stake is ready ")
    chain.sleep(started["unbonding_ready_at"] - client.now() + 1)
    chain.mine()
    before = client.balance_of(client.stake_token)
    assert ok_json(cli(me, "provider", "withdraw-unstaked", "--json"))["amount"] == USD
    assert client.balance_of(client.stake_token) == before + USD


def test_8_dry_run_sends_nothing_and_lists_what_it_would(funded_key, cli, client_for, w3):
    me = funded_key(100 * USD)
    planned = ok_json(
        cli(
            me,
            "tenant",
            "request",
            "--gpu-model",
            H100,
            "--max-price",
            "3000000",
            "--duration",
            "4h",
            "--deposit",
            "20000000",
            "--dry-run",
            "--json",
        )
    )
    assert [step["label"] for step in planned["transactions"]] == ["approve", "create_request"]
    assert planned["dry_run"] is True and nonce(w3, me) == 0
    registered = ok_json(
        cli(me, "provider", "register", "--region", "eu-west", "--endpoint", "http://x.example", "--dry-run", "--json")
    )
    assert [step["label"] for step in registered["transactions"]] == ["register_provider"]
    assert registered["transactions"][0]["gas_estimate"] > 0 and nonce(w3, me) == 0
    # A dry run is refused like the real thing.
    err = failed(cli(me, "provider", "stake", "--amount", "5", "--dry-run"))
    assert err == f"stake: refused, the call would revert with ProviderRegistry_NotRegistered({me.address})"


def test_8_catalogue_quote_and_version(funded_key, cli, capsys):
    me = funded_key()
    models = {m["gpu_model"]: m for m in ok_json(cli(me, "market", "catalogue", "--json"))["models"]}
    assert models[H100]["vram_gb"] == 80 and models[H100]["collateral_per_unit"] == H100_COLLATERAL
    quote = ok_json(
        cli(me, "tenant", "quote", "--gpu-model", H100, "--max-price", "3000000", "--duration", "4h", "--json")
    )
    assert quote["minimum_deposit"] < quote["full_duration_deposit"]
    assert quote["full_duration_deposit"] == quote["match_fee"] + quote["settle_bounty"] + 12 * USD
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.startswith("leasehold ")


def test_8_config_check_any_role(keeper_config, funded_key, tmp_path, monkeypatch, capsys, matcher_account):
    me = funded_key()
    capsys.readouterr()  # what brownie printed while setting up
    data, environ = keeper_config(me, {"region": "eu-west", "stake": 0})
    path = tmp_path / "provider.toml"
    path.write_text(toml(data))
    monkeypatch.setenv(KEY_ENV, environ[KEY_ENV])
    assert main(["config", "check", str(path), "--role", "provider"]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: ok (")
    assert main(["config", "check", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"config error: {path} has a [role] table; give --role")
    assert main(["config", "check", str(path), "--role", "heartbeat"]) == 2
    assert capsys.readouterr().err.startswith("config error: role.region: extra inputs are not permitted")
    # --connect: the node, the deployment's code, the key and the role (this account is no matcher).
    assert main(["config", "check", str(path), "--role", "matcher", "--connect"]) == 2


# ---------------------------------------------------------------- 9: what a tenant asks


def test_9_tenant_status_answers_time_left_runs_dry_and_refund(funded_key, client_for, matcher_account, protocol, cli):
    from brownie import chain

    from protocol_setup import rental_spec

    provider, tenant_key = client_for(funded_key()), funded_key()
    tenant = client_for(tenant_key)
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(H100_COLLATERAL)
    offer_id = provider.offer_id_of(provider.add_offer(H100, 1, 2 * USD, 24 * HOUR))
    request_id = tenant.request_id_of(tenant.create_request(rental_spec(tenant, duration=10 * HOUR), 20 * USD))
    protocol[0].market.matchRequests([(request_id, offer_id)], {"from": matcher_account})
    lease = tenant.lease(request_id)
    chain.sleep(HOUR)
    chain.mine()
    status = ok_json(cli(tenant_key, "tenant", "status", str(request_id), "--json"))
    shown = status["lease"]
    now = status["time"]
    # The escrow streams 2 tUSD an hour: it runs dry before the 10 hours end.
    runs_dry = lease.start_time + lease.balance * HOUR // (2 * USD)
    assert shown["runs_dry_at"] == runs_dry < lease.end_time
    assert shown["time_left_seconds"] == runs_dry - now
    streamed = 2 * USD * (now - lease.start_time) // HOUR
    assert shown["refund_if_closed_now"] == lease.balance - streamed + lease.settle_bounty
    code, out, _ = cli(tenant_key, "tenant", "status", str(request_id))
    assert code == 0 and "runs dry" in out and "refund if closed now" in out and "Z (in " in out
    closed = ok_json(cli(tenant_key, "tenant", "close", str(request_id), "--json"))
    assert closed["refunded"] + closed["bounty"] == shown["refund_if_closed_now"] - (
        2 * USD * (tenant.now() - now) // HOUR
    )


def test_9_errors_under_json_are_json(funded_key, cli):
    me = funded_key()
    code, out, err = cli(me, "provider", "stake", "--amount", "5", "--json")
    assert (code, out) == (2, "")
    body = json.loads(err)
    assert body["error_name"] == "ProviderRegistry_NotRegistered" and body["kind"] == "Refused"
    assert body["error"] == f"stake: refused, the call would revert with ProviderRegistry_NotRegistered({me.address})"


# ---------------------------------------------------------------- 10: observability as operators expect


def _heartbeat(anvil, **metrics):
    from keepers.config import ChainConfig, MetricsConfig
    from keepers.roles.heartbeat import HeartbeatKeeper

    config = KeeperConfig(
        chain=ChainConfig(rpc_url=anvil.url, chain_id=31337, poll_interval_seconds=60),
        metrics=MetricsConfig(port=0, stale_head_seconds=10**9, **metrics),
    )
    return HeartbeatKeeper(config, name="hb", logger=make_logger("hb", "heartbeat", "CRITICAL"))


def _get(url, method="GET"):
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_10_metrics_stay_off_a_public_listener_and_head_is_answered(anvil):
    keeper = _heartbeat(anvil, host="0.0.0.0")
    keeper.start()
    try:
        public = keeper.health.url.replace("0.0.0.0", "127.0.0.1")
        assert _get(f"{public}/health")[0] == 200
        status, body = _get(f"{public}/metrics")
        assert status == 404 and "private listener" in body
        assert keeper.health.metrics_url.startswith("http://127.0.0.1:") and keeper.health.metrics_url != public
        status, body = _get(f"{keeper.health.metrics_url}/metrics")
        assert status == 200 and "leasehold_head_block" in body
        assert _get(f"{public}/health", "HEAD") == (200, "")
        assert _get(f"{keeper.health.metrics_url}/metrics", "HEAD") == (200, "")
    finally:
        keeper.stop()


def test_10_misspelt_env_section_is_blamed_on_the_variable(tmp_path):
    from keepers.config import load_config
    from keepers.errors import ConfigError

    path = tmp_path / "keeper.toml"
    path.write_text('[chain]\nrpc_url = "http://127.0.0.1:8545"\nchain_id = 31337\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path, {"LEASEHOLD_CHIAN__RPC_URL": "http://other:8545"})
    assert str(refused.value) == "config error: chian: extra inputs are not permitted (env LEASEHOLD_CHIAN__RPC_URL)"


def test_10_wrong_keystore_password_reads_as_such(tmp_path):
    from eth_account import Account

    from keepers.accounts import load_account
    from keepers.config import AccountConfig
    from keepers.errors import AccountError

    keystore, password = tmp_path / "key.json", tmp_path / "password"
    keystore.write_text(json.dumps(Account.encrypt(Account.create().key, "right", kdf="pbkdf2", iterations=1_000)))
    password.write_text("wrong\n")
    with pytest.raises(AccountError) as refused:
        load_account(AccountConfig(keystore=keystore, password_file=password), {})
    assert str(refused.value) == f"account error: cannot decrypt {keystore}: wrong password in {password}"


def test_10_alerts_and_dashboard_name_metrics_the_keepers_export():
    """ops/ is kept honest: a renamed metric breaks this test, not an operator's pager."""
    import re

    import yaml

    from keepers.devchain import REPO_ROOT
    from keepers.observability import Metrics

    exported = {family.name for family in Metrics().registry.collect()}
    roles = "\n".join(path.read_text() for path in (REPO_ROOT / "keepers" / "roles").glob("*.py"))
    alerts = yaml.safe_load((REPO_ROOT / "ops" / "prometheus-alerts.yml").read_text())
    dashboard = json.loads((REPO_ROOT / "ops" / "grafana-dashboard.json").read_text())
    expressions = [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    expressions += [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    named = {name for expr in expressions for name in re.findall(r"leasehold_(\w+)", expr)}
    assert {"out_of_funds", "head_lag_seconds", "races_lost_total", "provider_slash_count"} <= named
    for name in named:
        short = name.removesuffix("_total")
        assert short in exported or f'"{short}"' in roles or f'("{short.removeprefix("provider_")}"' in roles, name


# ---------------------------------------------------------------- 11: for auditors


def test_11_brownies_own_future_warnings_are_filtered_and_the_spec_is_in_the_repository():
    import re
    import tomllib

    from keepers.devchain import REPO_ROOT

    pytest_options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    filters = pytest_options["filterwarnings"]
    message = "rpc.snapshot should not be called directly, use chain.snapshot instead"
    assert any(
        f.startswith("ignore:") and f.endswith(":FutureWarning") and re.match(f.split(":")[1], message) for f in filters
    )
    readme = (REPO_ROOT / "README.md").read_text()
    assert "../shared/" not in readme and "docs/protocol.md" in readme
    protocol = (REPO_ROOT / "docs" / "protocol.md").read_text()
    for linked in re.findall(r"\]\(([\w-]+\.md)\)", protocol):
        assert (REPO_ROOT / "docs" / linked).is_file(), linked


def test_6_an_account_without_ether_is_unhealthy_with_the_reason(keeper_config, funded_key, w3):
    from keepers.roles.settler import SettlerKeeper

    me = funded_key()
    w3.provider.make_request("anvil_setBalance", [me.address, "0x0"])
    data, environ = keeper_config(me, {})
    settler = SettlerKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="s", logger=make_logger("s", "settler", "CRITICAL")
    )
    settler.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as unhealthy:
            urllib.request.urlopen(f"{settler.health.url}/health", timeout=10)
        body = json.loads(unhealthy.value.read())
        assert (unhealthy.value.code, body["status"]) == (503, "unfit")
        assert body["reason"] == f"account {me.address} holds no ether to pay for gas"
        w3.provider.make_request("anvil_setBalance", [me.address, hex(10**18)])
        with urllib.request.urlopen(f"{settler.health.url}/health", timeout=10) as answer:
            assert answer.status == 200
    finally:
        settler.stop()


def test_9_usage_errors_under_json_are_json(capsys):
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "tenant",
                "request",
                "--config",
                "k.toml",
                "--max-price",
                "1",
                "--duration",
                "four hours",
                "--deposit",
                "1",
                "--json",
            ]
        )
    assert exited.value.code == 2
    assert json.loads(capsys.readouterr().err) == {
        "error": "leasehold tenant request: error: argument --duration: 'four hours' is not a duration such as "
        "3600, 90m, 4h or 7d",
        "kind": "usage",
    }


def test_6_a_deployment_gone_from_the_chain_is_unhealthy(keeper_config, funded_key, w3, protocol):
    from keepers.roles.settler import SettlerKeeper

    data, environ = keeper_config(funded_key(), {})
    settler = SettlerKeeper(
        KeeperConfig.model_validate(data), environ=environ, name="s", logger=make_logger("s", "settler", "CRITICAL")
    )
    settler.start()
    config = protocol[0].config.address
    code = w3.eth.get_code(config)
    try:
        w3.provider.make_request("anvil_setCode", [config, "0x"])
        with pytest.raises(urllib.error.HTTPError) as unhealthy:
            urllib.request.urlopen(f"{settler.health.url}/health", timeout=10)
        body = json.loads(unhealthy.value.read())
        assert (unhealthy.value.code, body["status"]) == (503, "unfit")
        assert body["reason"].endswith(f"has no code at {config} (ProtocolConfig) any more: was the chain restarted?")
    finally:
        w3.provider.make_request("anvil_setCode", [config, code.to_0x_hex()])
        settler.stop()
