"""Access for the tenant alone: the endpoints, the per-lease credential and the logs go only to a
request signed by the lease's tenant; anyone else is refused with one line, and the CLI's
`tenant deploy | access | logs` do the same from a manifest file."""

import json
import threading

import pytest
import requests

from keepers.cli import main
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.tenant import TenantDelivery

from delivery_setup import get, service_manifest, wait_for
from helpers import KEY_ENV
from protocol_setup import toml


def test_tenant_gets_access_and_logs_and_a_stranger_gets_neither(make_provider, tenant, lease, funded_key, client_for):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    deployed = delivery.deploy(lease_id, manifest)
    get(deployed["endpoints"]["http"], deployed["credential"])

    assert delivery.access(lease_id) == deployed
    logs = b"".join(delivery.logs(lease_id)).decode()
    assert f"serving lease {lease_id} on port" in logs and "GET / -> 200" in logs

    stranger = funded_key()
    other = TenantDelivery(client_for(stranger), stranger)
    for attempt in (lambda: other.access(lease_id), lambda: b"".join(other.logs(lease_id))):
        with pytest.raises(DeliveryRefused) as refused:
            attempt()
        assert str(refused.value) == f"signer {stranger.address} is not the tenant of lease {lease_id}"
        assert refused.value.status == 403
    assert agent.metrics.value("deliveries_refused_total", {"action": "access"}) == 1
    assert agent.metrics.value("deliveries_refused_total", {"action": "logs"}) == 1


def test_a_signature_for_access_does_not_open_the_logs(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    delivery.deploy(lease_id, manifest)
    signed = delivery._signed(lease_id, "access")  # replayed against another action or lease
    for action, target in (("logs", lease_id), ("access", lease_id + 1000)):
        answer = requests.post(f"{agent.access.url}/leases/{target}/{action}", data=json.dumps(signed), timeout=10)
        assert answer.status_code in (403, 404), answer.text


def test_unsigned_request_is_refused(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    delivery.deploy(lease_id, manifest)
    answer = requests.post(f"{agent.access.url}/leases/{lease_id}/access", data=b"{}", timeout=10)
    assert (answer.status_code, answer.json()) == (
        401,
        {"error": "delivery error: issued_at (int) and signature (0x hex) are required"},
    )
    bad = requests.post(
        f"{agent.access.url}/leases/{lease_id}/access",
        data=json.dumps({"issued_at": client.now(), "signature": "0x1234"}),
        timeout=10,
    )
    assert (bad.status_code, bad.json()) == (401, {"error": "delivery error: the signature is malformed"})


def test_any_origin_may_ask_but_only_a_tenant_signature_gets_an_answer(make_provider, tenant, lease):
    """A web page (the console) calls the access server from the tenant's browser: the preflight and every
    answer allow any origin, and a request without the tenant's signature is still refused."""
    agent = make_provider()
    client, _ = tenant
    lease_id = lease(agent, client, service_manifest())
    origin = {"Origin": "http://console.example"}
    preflight = requests.options(
        f"{agent.access.url}/leases/{lease_id}/access",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"
    refused = requests.post(f"{agent.access.url}/leases/{lease_id}/access", data=b"{}", headers=origin, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    key = requests.get(f"{agent.access.url}/delivery/key", headers=origin, timeout=10)
    assert key.headers["Access-Control-Allow-Origin"] == "*"


def test_access_before_deploy_says_deploy_first(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    lease_id = lease(agent, client, service_manifest())
    with pytest.raises(DeliveryRefused) as refused:
        delivery.access(lease_id)
    assert str(refused.value) == f"lease {lease_id}: nothing deployed; deploy its manifest first"


def test_logs_follow_streams_new_output_until_the_lease_ends(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    deployed = delivery.deploy(lease_id, manifest)
    received = []

    def read():
        for chunk in delivery.logs(lease_id, follow=True):
            received.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_for(lambda: received)  # the stream is open and has sent what was written so far
    get(deployed["endpoints"]["http"], deployed["credential"])
    wait_for(lambda: b"GET / -> 200" in b"".join(received))  # followed: new output arrives as it is written
    client.close_lease(lease_id)
    agent.tick()  # tears the workload down: the stream ends
    reader.join(timeout=10)
    assert not reader.is_alive()
    assert "GET / -> 200" in b"".join(received).decode()


def test_key_endpoint_serves_the_public_key_and_health_answers(make_provider):
    agent = make_provider()
    key = requests.get(f"{agent.access.url}/delivery/key", timeout=10).json()
    assert key["provider"] == agent.account.address and key["backend"] == "process" and len(key["public_key"]) == 44
    assert requests.get(f"{agent.access.url}/health", timeout=10).status_code in (200, 503)
    # The access server is what the provider advertises.
    assert agent.client.provider_info(agent.account.address).metadata_uri == agent.access.url


def test_cli_requests_deploys_and_reads_access_and_logs(
    make_provider, funded_key, lease, keeper_config, tmp_path, monkeypatch, capsys, protocol, matcher_account
):
    agent = make_provider()
    key = funded_key()
    data, environ = keeper_config(key)
    data.pop("role")
    config = tmp_path / "tenant.toml"
    config.write_text(toml(data))
    monkeypatch.setenv(KEY_ENV, environ[KEY_ENV])
    manifest = service_manifest(secrets=["API_TOKEN"])
    manifest_file = tmp_path / "manifest.json"
    manifest_file.write_text(json.dumps(manifest.model_dump(mode="json")))
    capsys.readouterr()

    def run(*argv):
        code = main([*argv, "--config", str(config), "--json"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, ""), err
        return out.splitlines()[-1]  # one JSON document, after whatever brownie printed

    posted = json.loads(
        run(
            "tenant",
            "request",
            "--gpu-model",
            "nvidia-h100-80gb",
            "--max-price",
            "10000000",
            "--duration",
            "4h",
            "--deposit",
            "100000000",
            "--manifest",
            str(manifest_file),
        )
    )
    request_id = posted["request_id"]
    (offer,) = list(agent.client.offers_of(agent.account.address))
    protocol[0].market.matchRequests([(request_id, offer.offer_id)], {"from": matcher_account})
    assert bytes(agent.client.market.functions.jobTermsHashOf(request_id).call()) == manifest.hash

    deployed = json.loads(
        run("tenant", "deploy", str(request_id), "--manifest", str(manifest_file), "--secret", "API_TOKEN=s3cr3t")
    )
    assert get(deployed["endpoints"]["http"], deployed["credential"]).json()["secret_set"] is True
    assert json.loads(run("tenant", "access", str(request_id))) == deployed
    code = main(["tenant", "logs", str(request_id), "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 0 and "GET / -> 200" in out

    # A refusal is one line on stderr and exit code 2.
    code = main(["tenant", "deploy", str(request_id), "--manifest", str(manifest_file), "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 2 and err == (
        "secrets: give exactly the manifest's (API_TOKEN); missing ['API_TOKEN'], not in the manifest none\n"
    )


def test_revert_when_access_server_would_listen_on_every_address_without_an_endpoint(make_provider):
    from keepers.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        make_provider(delivery={"host": "0.0.0.0"})
    assert str(refused.value) == (
        "config error: role.endpoint: required when role.delivery.host is 0.0.0.0 "
        "(the address tenants reach this agent at)"
    )
