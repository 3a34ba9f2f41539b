"""The tenant's side of delivery: deploy a manifest to the lease's provider, get its access, read logs.

Every message is signed with the tenant's key over the chain's current time; the provider's
answer is returned as data, a refusal raised as `DeliveryRefused` with the provider's one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import requests

from keepers.client import LeaseholdClient
from keepers.delivery import messages
from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.manifest import Manifest
from keepers.delivery.sealing import seal
from keepers.ids import ZERO_BYTES32

TIMEOUT_SECONDS = 60.0  # a deploy waits for the workload to listen


class TenantDelivery:
    def __init__(self, client: LeaseholdClient, account, *, http: requests.Session | None = None) -> None:
        self.client = client
        self.account = account
        self.http = http or requests.Session()
        self.chain_id = client.w3.eth.chain_id

    def endpoint(self, lease_id: int) -> str:
        lease = self.client.lease(lease_id)
        uri = self.client.provider_info(lease.provider).metadata_uri.rstrip("/")
        if not uri.startswith(("http://", "https://")):
            raise DeliveryRefused(f"lease {lease_id}: provider {lease.provider} advertises no http endpoint ({uri!r})")
        return uri

    def provider_key(self, lease_id: int) -> str:
        answer = self._get(f"{self.endpoint(lease_id)}/delivery/key")
        return answer["public_key"]

    def deploy(self, lease_id: int, manifest: Manifest, secret_values: dict[str, str] | None = None) -> dict:
        secret_values = secret_values or {}
        missing = sorted(set(manifest.secrets) - set(secret_values))
        extra = sorted(set(secret_values) - set(manifest.secrets))
        if missing or extra:
            raise DeliveryRefused(
                f"secrets: give exactly the manifest's ({', '.join(manifest.secrets) or 'none'}); "
                f"missing {missing or 'none'}, not in the manifest {extra or 'none'}"
            )
        commitment = self.client.contracts.market.terms_hash_of(lease_id)
        if commitment == ZERO_BYTES32:
            raise DeliveryRefused(f"lease {lease_id} committed to no manifest: request with --manifest to deploy")
        if manifest.hash != commitment:
            raise DeliveryRefused(
                f"manifest hash 0x{manifest.hash.hex()} does not match lease {lease_id}'s "
                f"commitment 0x{commitment.hex()}"
            )
        sealed = {}
        if secret_values:
            key = self.provider_key(lease_id)
            sealed = {name: seal(key, value) for name, value in secret_values.items()}
        issued_at = self.client.now()
        signature = messages.sign_deploy(
            self.account, self.chain_id, self.client.market.address, lease_id, manifest.hash, sealed, issued_at
        )
        body = {
            "manifest": manifest.model_dump(mode="json"),
            "sealed_secrets": sealed,
            "issued_at": issued_at,
            "signature": signature,
        }
        return self._post(lease_id, "deploy", body)

    def access(self, lease_id: int) -> dict:
        return self._post(lease_id, "access", self._signed(lease_id, "access"))

    def logs(self, lease_id: int, *, follow: bool = False) -> Iterator[bytes]:
        body = {**self._signed(lease_id, "logs"), "follow": follow}
        answer = self._request(lease_id, "logs", body, stream=True)
        return answer.iter_content(chunk_size=None)

    def _signed(self, lease_id: int, action: str) -> dict:
        issued_at = self.client.now()
        signature = messages.sign_request(
            self.account, self.chain_id, self.client.market.address, lease_id, action, issued_at
        )
        return {"issued_at": issued_at, "signature": signature}

    def _post(self, lease_id: int, action: str, body: dict) -> dict:
        return self._request(lease_id, action, body).json()

    def _request(self, lease_id: int, action: str, body: dict, *, stream: bool = False) -> requests.Response:
        url = f"{self.endpoint(lease_id)}/leases/{lease_id}/{action}"
        try:
            answer = self.http.post(url, data=json.dumps(body), timeout=TIMEOUT_SECONDS, stream=stream)
        except requests.RequestException as error:
            raise DeliveryRefused(f"delivery error: cannot reach {url}: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise DeliveryRefused(_error_line(answer), answer.status_code)
        return answer

    def _get(self, url: str) -> dict:
        try:
            answer = self.http.get(url, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            raise DeliveryRefused(f"delivery error: cannot reach {url}: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise DeliveryRefused(_error_line(answer), answer.status_code)
        return answer.json()


def _error_line(answer: requests.Response) -> str:
    try:
        return str(answer.json()["error"])
    except (ValueError, KeyError, TypeError):
        return f"delivery error: the provider answered HTTP {answer.status_code}"
