"""The manifest and its off-chain handshake on a real chain: a deploy is launched only when the
manifest's hash is the lease's commitment and the signer is the lease's tenant; every bad input
is refused with one line, nothing is left running, the lease is unaffected and the tenant can
deploy again."""

import socket
import sys

import psutil
import pytest

from keepers.client import RequestSpec
from keepers.delivery import messages
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manifest import ManifestError, load_manifest, parse_manifest

from delivery_setup import GPU_XML, H100, HOUR, USD, get, h100_offer, service_manifest

# ---------------------------------------------------------------- the manifest


def test_manifest_hash_is_over_canonical_json_so_key_order_and_defaults_do_not_matter(tmp_path):
    one = parse_manifest({"command": ["serve"], "ports": [{"name": "http"}]})
    two = parse_manifest({"ports": [{"protocol": "http", "name": "http", "port": 0}], "units": 1, "command": ["serve"]})
    (tmp_path / "m.toml").write_text('command = ["serve"]\n[[ports]]\nname = "http"\n')
    assert one.hash == two.hash == load_manifest(tmp_path / "m.toml").hash
    assert one.hash != parse_manifest({"command": ["serve", "--verbose"], "ports": [{"name": "http"}]}).hash


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "manifest error: give a command (process backend) or an image (docker backend)"),
        ({"command": ["x"], "units": 0}, "manifest error: units: Input should be greater than or equal to 1"),
        (
            {"command": ["x"], "env": {"CUDA_VISIBLE_DEVICES": "0"}},
            "manifest error: env: CUDA_VISIBLE_DEVICES is set by the agent",
        ),
        ({"command": ["x"], "secrets": ["A"], "env": {"A": "1"}}, "manifest error: secrets: A also set in env"),
        (
            {"command": ["x"], "ports": [{"name": "Web"}]},
            "manifest error: ports.0.name: 'Web' must be 1 to 32 of a-z, 0-9 and '-', starting with a letter",
        ),
        ({"command": ["x"], "shell": True}, "manifest error: shell: Extra inputs are not permitted"),
    ],
)
def test_revert_when_manifest_is_invalid_then_one_line(data, message):
    with pytest.raises(ManifestError) as refused:
        parse_manifest(data)
    assert str(refused.value) == message


def test_request_spec_carries_the_manifest_hash_only_for_a_rental():
    with pytest.raises(ValueError):
        RequestSpec(
            units=1,
            max_price_per_unit_hour=1,
            max_duration_seconds=HOUR,
            match_deadline=1,
            kind="JOB",
            job_terms_hash=b"\1" * 32,
            manifest_hash=b"\2" * 32,
        )
    spec = RequestSpec(
        units=1, max_price_per_unit_hour=1, max_duration_seconds=HOUR, match_deadline=1, manifest_hash=b"\2" * 32
    )
    # The manifest commitment travels in the spec's jobTermsHash field; the last field is `rematch`.
    assert spec.as_tuple()[-2:] == (b"\2" * 32, False)


# ---------------------------------------------------------------- the handshake


def test_tenant_deploys_and_reaches_its_workload_with_the_credential(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    assert bytes(client.market.functions.jobTermsHashOf(lease_id).call()) == manifest.hash

    answer = delivery.deploy(lease_id, manifest)

    assert answer["status"] == "serving" and answer["backend"] == "process"
    url = answer["endpoints"]["http"]
    reply = get(url, answer["credential"])
    assert reply.status_code == 200
    assert reply.json() == {"lease_id": str(lease_id), "devices": "", "greeting": "hello", "secret_set": False}
    assert get(url).status_code == 401  # the workload checks the per-lease credential
    assert get(url, "not-the-credential").status_code == 401
    assert agent.metrics.value("workloads_launched_total") == 1
    # A second deploy of the same manifest is idempotent: same endpoint, same credential.
    assert delivery.deploy(lease_id, manifest) == answer


def test_secrets_are_sealed_to_the_provider_key_and_reach_the_workload(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest(secrets=["API_TOKEN"])
    lease_id = lease(agent, client, manifest)
    answer = delivery.deploy(lease_id, manifest, {"API_TOKEN": "s3cr3t"})
    assert get(answer["endpoints"]["http"], answer["credential"]).json()["secret_set"] is True
    record = (agent.delivery.records_dir / f"lease-{lease_id}.json").read_text()
    assert "s3cr3t" not in record  # kept sealed at rest


def test_workload_gets_the_device_indices_of_its_units(make_provider, tenant, lease):
    agent = make_provider(offers=[h100_offer(2)], delivery={"gpu_inventory": str(GPU_XML)})
    client, delivery = tenant
    two = service_manifest(units=2)
    one = service_manifest(units=1)
    first = lease(agent, client, one)
    answer = delivery.deploy(first, one)
    assert get(answer["endpoints"]["http"], answer["credential"]).json()["devices"] == "0"
    client.close_lease(first)
    agent.tick()  # the ended lease's devices are free again
    second = lease(agent, client, two, units=2)
    answer = delivery.deploy(second, two)
    assert get(answer["endpoints"]["http"], answer["credential"]).json()["devices"] == "0,1"


def _assert_nothing_left(agent, lease_id, client):
    assert lease_id not in agent.delivery.records
    assert not agent.delivery.backend.lease_dir(lease_id).exists()
    assert client.lease(lease_id).status == "ACTIVE"


def _refused(call, message, status):
    with pytest.raises(DeliveryRefused) as refused:
        call()
    assert str(refused.value) == message
    assert "\n" not in str(refused.value)
    assert refused.value.status == status


def test_revert_when_manifest_hash_differs_from_the_commitment_then_nothing_runs(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    committed = service_manifest()
    lease_id = lease(agent, client, committed)
    other = service_manifest(env={"GREETING": "changed"})
    # The tenant's client checks first; a provider checks again whatever a client sends.
    body = {"manifest": other.model_dump(mode="json"), "sealed_secrets": {}, "issued_at": client.now()}
    body["signature"] = messages.sign_deploy(
        delivery.account, delivery.chain_id, client.market.address, lease_id, other.hash, {}, body["issued_at"]
    )
    _refused(
        lambda: delivery._post(lease_id, "deploy", body),
        f"manifest hash 0x{other.hash.hex()} does not match lease {lease_id}'s commitment 0x{committed.hash.hex()}",
        409,
    )
    _assert_nothing_left(agent, lease_id, client)
    assert agent.metrics.value("deliveries_refused_total", {"action": "deploy"}) == 1
    assert delivery.deploy(lease_id, committed)["status"] == "serving"  # the tenant can deploy again


def test_revert_when_signer_is_not_the_tenant(make_provider, tenant, lease, funded_key, client_for):
    agent = make_provider()
    client, _delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    stranger = funded_key()
    from keepers.delivery.tenant import TenantDelivery

    impostor = TenantDelivery(client_for(stranger), stranger)
    _refused(
        lambda: impostor.deploy(lease_id, manifest),
        f"signer {stranger.address} is not the tenant of lease {lease_id}",
        403,
    )
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_lease_committed_to_no_manifest(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    lease_id = lease(agent, client, None)
    manifest = service_manifest()
    body = {"manifest": manifest.model_dump(mode="json"), "sealed_secrets": {}, "issued_at": client.now()}
    body["signature"] = messages.sign_deploy(
        delivery.account, delivery.chain_id, client.market.address, lease_id, manifest.hash, {}, body["issued_at"]
    )
    _refused(
        lambda: delivery._post(lease_id, "deploy", body),
        f"lease {lease_id} committed to no manifest: request with --manifest to deploy",
        409,
    )
    with pytest.raises(DeliveryRefused, match="committed to no manifest"):
        delivery.deploy(lease_id, manifest)  # the tenant's client says so before sending anything
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_manifest_asks_more_units_than_leased(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest(units=2)
    lease_id = lease(agent, client, manifest, units=1)
    _refused(lambda: delivery.deploy(lease_id, manifest), f"manifest asks for 2 units; lease {lease_id} has 1", 422)
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_command_is_not_found_then_tenant_can_deploy_again(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest(command=["no-such-program-anywhere"])
    lease_id = lease(agent, client, manifest)
    _refused(
        lambda: delivery.deploy(lease_id, manifest),
        f"lease {lease_id}: command 'no-such-program-anywhere' not found on this provider",
        422,
    )
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_workload_exits_at_start_then_its_last_line_is_told(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest(command=["sh", "-c", "echo cannot open the model file; exit 3"])
    lease_id = lease(agent, client, manifest)
    _refused(
        lambda: delivery.deploy(lease_id, manifest),
        f"lease {lease_id}: the workload exited at start (code 3): cannot open the model file",
        422,
    )
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_port_is_taken_then_the_bind_error_is_told(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        binder = f"import socket; socket.socket().bind(('127.0.0.1', {port}))"
        manifest = service_manifest(command=[sys.executable, "-c", binder])
        lease_id = lease(agent, client, manifest)
        with pytest.raises(DeliveryRefused) as refused:
            delivery.deploy(lease_id, manifest)
    assert str(refused.value) == (
        f"lease {lease_id}: the workload exited at start (code 1): OSError: [Errno 98] Address already in use"
    )
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_workload_never_listens_then_it_is_stopped(make_provider, tenant, lease):
    agent = make_provider(delivery={"start_timeout_seconds": 1})
    client, delivery = tenant
    manifest = service_manifest(command=["sh", "-c", "echo busy elsewhere; exec sleep 30"])
    lease_id = lease(agent, client, manifest)
    with pytest.raises(DeliveryRefused) as refused:
        delivery.deploy(lease_id, manifest)
    assert str(refused.value).startswith(f"lease {lease_id}: the workload did not listen on port http (")
    assert str(refused.value).endswith(") within 1 s")
    _assert_nothing_left(agent, lease_id, client)
    assert not any("sleep 30" in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))


def test_revert_when_signature_is_stale(make_provider, tenant, lease):
    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest()
    lease_id = lease(agent, client, manifest)
    issued_at = client.now() - 301
    body = {
        "manifest": manifest.model_dump(mode="json"),
        "sealed_secrets": {},
        "issued_at": issued_at,
        "signature": messages.sign_deploy(
            delivery.account, delivery.chain_id, client.market.address, lease_id, manifest.hash, {}, issued_at
        ),
    }
    with pytest.raises(DeliveryRefused) as refused:
        delivery._post(lease_id, "deploy", body)
    assert refused.value.status == 401 and "sign again" in str(refused.value)
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_secret_is_sealed_to_another_key(make_provider, tenant, lease):
    from nacl.public import PrivateKey

    from keepers.delivery.sealing import public_key_text, seal

    agent = make_provider()
    client, delivery = tenant
    manifest = service_manifest(secrets=["API_TOKEN"])
    lease_id = lease(agent, client, manifest)
    sealed = {"API_TOKEN": seal(public_key_text(PrivateKey.generate()), "s3cr3t")}
    issued_at = client.now()
    body = {
        "manifest": manifest.model_dump(mode="json"),
        "sealed_secrets": sealed,
        "issued_at": issued_at,
        "signature": messages.sign_deploy(
            delivery.account, delivery.chain_id, client.market.address, lease_id, manifest.hash, sealed, issued_at
        ),
    }
    _refused(
        lambda: delivery._post(lease_id, "deploy", body),
        "secret API_TOKEN: cannot be opened with this provider's key; seal it to the key at GET /delivery/key",
        400,
    )
    _assert_nothing_left(agent, lease_id, client)


def test_revert_when_body_is_not_json(make_provider, tenant, lease):
    agent = make_provider()
    client, _ = tenant
    lease_id = lease(agent, client, service_manifest())
    import requests

    answer = requests.post(f"{agent.access.url}/leases/{lease_id}/deploy", data=b"{not json", timeout=10)
    assert (answer.status_code, answer.json()) == (400, {"error": "delivery error: the body is not JSON"})


# ---------------------------------------------------------------- GPU inventory at setup


def test_agent_refuses_an_offer_for_more_units_than_its_gpus(make_provider):
    from keepers.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        make_provider(offers=[h100_offer(units=3)], delivery={"gpu_inventory": str(GPU_XML)})
    assert str(refused.value) == f"config error: role.offers: {H100}: 3 units offered, 2 present"


def test_agent_refuses_an_offer_of_a_model_it_does_not_have(make_provider):
    from keepers.errors import ConfigError

    offer = {
        "gpu_model": "nvidia-a100-80gb",
        "units": 1,
        "price_per_unit_hour": 2 * USD,
        "max_duration_seconds": 24 * HOUR,
    }
    with pytest.raises(ConfigError) as refused:
        make_provider(offers=[offer], delivery={"gpu_inventory": str(GPU_XML)})
    assert str(refused.value) == (
        "config error: role.offers: nvidia-a100-80gb: no such GPU on this machine "
        "(present: 2x NVIDIA H100 80GB HBM3, 1x NVIDIA GeForce RTX 4090)"
    )
