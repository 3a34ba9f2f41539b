import subprocess
import sys

import pytest
from brownie import chain

from keepers.cli import main

from protocol_setup import H100, H100_COLLATERAL, HOUR, USD, ok_json, rental_spec


def test_provider_register_stake_offer_status_round_trip(funded_key, cli):
    me = funded_key()
    registered = ok_json(
        cli(me, "provider", "register", "--region", "eu-west", "--endpoint", "http://gpu.example", "--json")
    )
    assert (registered["action"], registered["provider"]) == ("registered", me.address)
    assert (
        ok_json(cli(me, "provider", "register", "--region", "eu-west", "--endpoint", "http://gpu.example", "--json"))[
            "action"
        ]
        == "unchanged"
    )
    assert (
        ok_json(cli(me, "provider", "register", "--region", "us-east", "--endpoint", "http://gpu.example", "--json"))[
            "action"
        ]
        == "updated"
    )
    assert (
        ok_json(cli(me, "provider", "stake", "--amount", str(H100_COLLATERAL), "--json"))["free_stake"]
        == H100_COLLATERAL
    )
    offer_id = ok_json(
        cli(
            me,
            "provider",
            "offer",
            "add",
            "--gpu-model",
            H100,
            "--units",
            "2",
            "--price",
            "2000000",
            "--max-duration",
            "24h",
            "--json",
        )
    )["offer_id"]
    ok_json(
        cli(
            me,
            "provider",
            "offer",
            "update",
            str(offer_id),
            "--units",
            "3",
            "--price",
            "1500000",
            "--max-duration",
            "2d",
            "--json",
        )
    )
    assert ok_json(cli(me, "provider", "offer", "pause", str(offer_id), "--json"))["action"] == "paused"

    status = ok_json(cli(me, "provider", "status", "--json"))
    assert (status["address"], status["region"], status["metadata_uri"]) == (
        me.address,
        "us-east",
        "http://gpu.example",
    )
    assert (status["free_stake"], status["registered"], status["leases"]) == (H100_COLLATERAL, True, [])
    (offer,) = status["offers"]
    assert (offer["offer_id"], offer["gpu_model"], offer["units"]) == (offer_id, H100, 3)
    assert (offer["price_per_unit_hour"], offer["max_duration_seconds"], offer["paused"]) == (
        1_500_000,
        2 * 86_400,
        True,
    )

    code, out, _err = cli(me, "provider", "status")
    assert code == 0 and "us-east" in out and "paused" in out and "3,000 tUSD" in out

    assert ok_json(cli(me, "provider", "offer", "resume", str(offer_id), "--json"))["action"] == "resumed"
    assert ok_json(cli(me, "provider", "offer", "remove", str(offer_id), "--json"))["action"] == "removed"
    assert ok_json(cli(me, "provider", "status", "--json"))["offers"][0]["removed"] is True


def test_tenant_request_status_topup_close_round_trip(protocol, matcher_account, funded_key, client_for, cli):
    market = protocol[0].market
    provider = client_for(funded_key())
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(H100_COLLATERAL)
    offer_id = provider.offer_id_of(provider.add_offer(H100, 1, 2 * USD, 24 * HOUR))
    me = funded_key(1_000 * USD)

    posted = ok_json(
        cli(
            me,
            "tenant",
            "request",
            "--gpu-model",
            H100,
            "--region",
            "eu-west",
            "--max-price",
            "3000000",
            "--duration",
            "4h",
            "--match-within",
            "30m",
            "--deposit",
            "20tUSD",  # whole tokens with the symbol; --max-price above is in smallest units
            "--json",
        )
    )
    request_id = posted["request_id"]
    opened = ok_json(cli(me, "tenant", "status", str(request_id), "--json"))
    assert (opened["request"]["status"], opened["request"]["escrow"], opened["lease"]) == ("OPEN", 20 * USD, None)
    assert opened["request"]["match_deadline"] == posted["match_deadline"]
    assert (opened["request"]["duration_seconds"], opened["request"]["region"]) == (4 * HOUR, "eu-west")

    market.matchRequests([(request_id, offer_id)], {"from": matcher_account})
    chain.sleep(HOUR)
    chain.mine()
    lease = ok_json(cli(me, "tenant", "status", str(request_id), "--json"))["lease"]
    assert (lease["status"], lease["provider"], lease["accrued"] >= 2 * USD) == ("ACTIVE", provider.address, True)

    topped = ok_json(cli(me, "tenant", "topup", str(request_id), "--amount", "4.5tusd", "--json"))
    assert topped["balance"] == lease["balance"] + 4_500_000
    mine = ok_json(cli(me, "tenant", "status", "--json"))
    assert [r["request_id"] for r in mine["requests"]] == [request_id]

    closed = ok_json(cli(me, "tenant", "close", str(request_id), "--json"))
    assert closed["paid"] + closed["fee"] >= 2 * USD
    after = provider.lease(request_id)
    assert (after.status, after.close_reason) == ("CLOSED", "TENANT")
    assert (
        provider.balance_of(provider.payment_token, me.address)
        == 1_000 * USD - 24_500_000 + closed["refunded"] + closed["bounty"]
    )


def test_tenant_cancel_refunds_the_deposit(funded_key, cli, client_for):
    me = funded_key(100 * USD)
    request_id = ok_json(
        cli(
            me,
            "tenant",
            "request",
            "--min-vram",
            "40",
            "--max-price",
            "1000000",
            "--duration",
            "2h",
            "--deposit",
            "5000000",
            "--json",
        )
    )["request_id"]
    assert ok_json(cli(me, "tenant", "cancel", str(request_id), "--json"))["refunded"] == 5 * USD
    assert client_for(me).balance_of(client_for(me).payment_token) == 100 * USD


def test_tenant_request_with_rematch_opts_in_and_status_shows_it(funded_key, cli):
    me = funded_key(100 * USD)
    args = ["tenant", "request", "--min-vram", "40", "--max-price", "1000000", "--duration", "2h", "--deposit", "5tUSD"]
    posted = ok_json(cli(me, *args, "--rematch", "--json"))
    assert posted["rematch"] is True
    status = ok_json(cli(me, "tenant", "status", str(posted["request_id"]), "--json"))["request"]
    assert (status["rematches_left"], status["reopened_from"]) == (3, 0)
    code, out, _err = cli(me, *args, "--rematch")
    assert code == 0 and "re-matched up to 3 times if a provider fails it" in out
    plain = ok_json(cli(me, *args, "--json"))
    assert plain["rematch"] is False
    assert ok_json(cli(me, "tenant", "status", str(plain["request_id"]), "--json"))["request"]["rematches_left"] == 0


def test_provider_earnings_lists_and_withdraws(protocol, matcher_account, funded_key, client_for, cli):
    me = funded_key(H100_COLLATERAL)
    provider, tenant = client_for(me), client_for(funded_key())
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(H100_COLLATERAL)
    offer_id = provider.offer_id_of(provider.add_offer(H100, 1, 2 * USD, 24 * HOUR))
    request = tenant.create_request(rental_spec(tenant), 100 * USD)
    protocol[0].market.matchRequests([(tenant.request_id_of(request), offer_id)], {"from": matcher_account})
    chain.sleep(HOUR)
    chain.mine()
    listed = ok_json(cli(me, "provider", "earnings", "--json"))
    assert listed["total_withdrawable"] >= 2 * USD and listed["withdrawn"] == []
    withdrawn = ok_json(cli(me, "provider", "earnings", "--withdraw", "--json"))["withdrawn"]
    assert provider.balance_of(provider.payment_token) == withdrawn[0]["amount"] > 0


def test_market_status_counts_and_lists(protocol, matcher_account, funded_key, client_for, cli):
    provider, tenant = client_for(funded_key()), client_for(funded_key())
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(2 * H100_COLLATERAL)
    offer_id = provider.offer_id_of(provider.add_offer(H100, 2, 2 * USD, 24 * HOUR))
    spec = rental_spec(tenant)
    first = tenant.request_id_of(tenant.create_request(spec, 50 * USD))
    second = tenant.request_id_of(tenant.create_request(spec, 50 * USD))
    protocol[0].market.matchRequests([(first, offer_id)], {"from": matcher_account})

    status = ok_json(cli(funded_key(), "market", "status", "--json"))
    assert status["counts"] == {
        "providers": 1,
        "offers": 1,
        "offers_available": 1,
        "units_offered": 2,
        "units_in_use": 1,
        "requests": 2,
        "requests_open": 1,
        "leases": 1,
        "leases_active": 1,
        "leases_to_settle": 0,
    }
    assert [r["request_id"] for r in status["open_requests"]] == [second]
    assert [lease_info["lease_id"] for lease_info in status["active_leases"]] == [first]
    code, out, _ = cli(funded_key(), "market", "status")
    assert code == 0 and "open requests" in out and "active leases" in out and H100 in out


def test_refusal_is_one_line_with_the_custom_error(funded_key, cli):
    me = funded_key()
    code, out, err = cli(me, "provider", "stake", "--amount", "5")
    assert (code, out) == (2, "")
    assert err == f"stake: refused, the call would revert with ProviderRegistry_NotRegistered({me.address})\n"


def test_human_amounts_are_checked_against_the_token_before_anything_is_sent(funded_key, cli, client_for):
    me = funded_key(1_000 * USD)
    client = client_for(me)
    before = client.balance_of(client.payment_token, me.address)
    wrong_symbol = cli(me, "tenant", "topup", "1", "--amount", "5USDC")
    assert wrong_symbol == (2, "", "input error: '5USDC' is in USDC, but the payment token is tUSD\n")
    too_fine = cli(me, "provider", "stake", "--amount", "1.0000001tUSD")
    assert too_fine == (2, "", "input error: '1.0000001tUSD' has more decimals than tUSD's 6\n")
    with pytest.raises(SystemExit) as refused:  # argparse's own one-line refusal, before any connection
        cli(me, "tenant", "topup", "1", "--amount", "5,5tUSD")
    assert refused.value.code == 2
    assert client.balance_of(client.payment_token, me.address) == before


def test_bad_config_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "keeper.toml"
    path.write_text("[chain]\nchain_id = 31337\n")
    assert main(["market", "status", "--config", str(path)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"config error: chain.rpc_url: field required (file {path})\n")


def test_bad_flag_is_one_line_exit_2_in_a_subprocess(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "keepers.cli",
            "tenant",
            "request",
            "--config",
            str(tmp_path / "k.toml"),
            "--max-price",
            "1",
            "--duration",
            "four hours",
            "--deposit",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "leasehold tenant request: error: argument --duration: "
        "'four hours' is not a duration such as 3600, 90m, 4h or 7d\n"
    )


def test_bad_id_is_one_line_exit_2(funded_key, cli):
    code, _, err = cli(funded_key(), "provider", "register", "--region", "r" * 40, "--endpoint", "http://x")
    assert (code, err) == (2, f"id error: '{'r' * 40}' must be 1 to 32 ASCII characters, not 40\n")
