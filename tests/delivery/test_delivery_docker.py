"""The docker backend against a real Docker Engine (Debian's dockerd, started by PID for the session):
a tenant's image launched through the same handshake, reached, its logs read, torn down with its
lease; a missing image and a container that exits at start refused with one line; a restarted
agent removes the containers of ended leases."""

import pytest
import requests

from keepers.delivery.backends.docker import AGENT_LABEL
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manifest import parse_manifest


def httpd_manifest(image, **overrides):
    data = {
        "image": image,
        "command": [
            "/bin/busybox",
            "sh",
            "-c",
            "echo serving lease $LEASEHOLD_LEASE_ID; exec /bin/busybox httpd -f -v -p 127.0.0.1:$PORT -h /www",
        ],
        "ports": [{"name": "http", "port": 8080}],
    }
    return parse_manifest({**data, **overrides})


@pytest.fixture
def docker_provider(make_provider, docker_engine):
    def make(account=None, **delivery):
        return make_provider(
            account,
            delivery={"backend": "docker", "docker_url": docker_engine.url, "docker_network": "host", **delivery},
        )

    return make


def _containers(engine, agent):
    return engine.client().containers.list(all=True, filters={"label": f"{AGENT_LABEL}={agent.delivery.backend.agent}"})


def test_tenant_image_runs_serves_logs_and_is_torn_down_with_its_lease(docker_provider, docker_engine, tenant, lease):
    agent = docker_provider()
    client, delivery = tenant
    manifest = httpd_manifest(docker_engine.image)
    lease_id = lease(agent, client, manifest)

    answer = delivery.deploy(lease_id, manifest)

    assert answer["backend"] == "docker" and answer["status"] == "serving"
    reply = requests.get(answer["endpoints"]["http"] + "/index.html", timeout=10)
    assert reply.status_code == 200 and reply.text == "hello from a leased container\n"
    (container,) = _containers(docker_engine, agent)
    assert container.name == f"leasehold-lease-{lease_id}" and container.labels["leasehold.lease"] == str(lease_id)
    assert f"serving lease {lease_id}" in b"".join(delivery.logs(lease_id)).decode()

    client.close_lease(lease_id)
    agent.tick()
    assert _containers(docker_engine, agent) == []
    assert lease_id not in agent.delivery.records


def test_revert_when_image_is_not_on_the_provider(docker_provider, tenant, lease):
    agent = docker_provider()
    client, delivery = tenant
    manifest = httpd_manifest("registry.example/never-pulled:1")
    lease_id = lease(agent, client, manifest)
    with pytest.raises(DeliveryRefused) as refused:
        delivery.deploy(lease_id, manifest)
    assert str(refused.value) == (
        f"lease {lease_id}: image 'registry.example/never-pulled:1' not found on this provider (images are not pulled)"
    )
    assert lease_id not in agent.delivery.records and client.lease(lease_id).status == "ACTIVE"


def test_revert_when_container_exits_at_start_then_nothing_is_left(docker_provider, docker_engine, tenant, lease):
    agent = docker_provider()
    client, delivery = tenant
    manifest = httpd_manifest(docker_engine.image, command=["/bin/busybox", "sh", "-c", "echo no model; exit 4"])
    lease_id = lease(agent, client, manifest)
    with pytest.raises(DeliveryRefused) as refused:
        delivery.deploy(lease_id, manifest)
    assert str(refused.value) == f"lease {lease_id}: the workload exited at start (code 4): no model"
    assert _containers(docker_engine, agent) == []


def test_restarted_agent_removes_containers_of_ended_leases(docker_provider, docker_engine, funded_key, tenant, lease):
    account = funded_key()
    first = docker_provider(account)
    client, delivery = tenant
    manifest = httpd_manifest(docker_engine.image)
    live, ended = lease(first, client, manifest), lease(first, client, manifest)
    delivery.deploy(live, manifest)
    delivery.deploy(ended, manifest)
    first.stop()
    client.close_lease(ended)

    second = docker_provider(account)

    assert sorted(c.labels["leasehold.lease"] for c in _containers(docker_engine, second)) == [str(live)]
    assert second.delivery.records[live].serving


def test_revert_when_no_engine_answers_then_one_config_line(make_provider, tmp_path):
    from keepers.errors import ConfigError

    with pytest.raises(ConfigError) as refused:
        make_provider(delivery={"backend": "docker", "docker_url": f"unix://{tmp_path}/no-such.sock"})
    assert str(refused.value).startswith("config error: role.delivery.docker_url: no Docker Engine answers: ")
    assert "\n" not in str(refused.value)
