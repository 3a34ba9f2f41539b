"""The keepers' one way to reach a node: web3's HTTPProvider with its own retry, and every failure counted.

web3 7 retries a failed request itself (`ExceptionRetryConfiguration`: exponential
backoff, only for methods that are safe to repeat, which includes
`eth_sendRawTransaction`: the same signed bytes twice are one transaction). Its
default error list names the builtin `ConnectionError`, which a dropped
connection in `requests` is not, and any `HTTPError`, including a 4xx that no
retry can fix; so the list here is `requests`' connection errors, timeouts and
HTTP 5xx answers only.

web3 has no hook on a failed attempt, so the requests session under the provider
counts and logs each one (`rpc_errors_total{kind}`) before web3 retries or gives up.
A request that still fails after the last retry raises to the caller, which for a
keeper job means the run is logged as failed and tried again on the next tick.
"""

from __future__ import annotations

import json

import requests
from web3 import HTTPProvider, Web3
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from keepers.config import ChainConfig
from keepers.errors import KeeperError
from keepers.observability import Metrics


class ServerError(requests.HTTPError):
    """The node (or a proxy in front of it) answered HTTP 5xx: worth another try, unlike a 4xx."""


RETRIED_ERRORS = (requests.ConnectionError, requests.Timeout, ServerError)


class ReportingSession(requests.Session):
    """A requests session that counts and logs each failed attempt, and raises `ServerError` on 5xx."""

    def __init__(self, metrics: Metrics | None, logger) -> None:
        super().__init__()
        self.metrics = metrics
        self.log = logger

    def request(self, method, url, *args, **kwargs):
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.Timeout as error:  # before ConnectionError: a connect timeout is both
            self._report("timeout", kwargs.get("data"), error)
            raise
        except requests.ConnectionError as error:
            self._report("connection", kwargs.get("data"), error)
            raise
        if response.status_code >= 500:
            error = ServerError(
                f"{response.status_code} Server Error: {response.reason} for url: {url}", response=response
            )
            self._report(f"http_{response.status_code}", kwargs.get("data"), error)
            response.close()
            raise error
        return response

    def _report(self, kind: str, body, error: Exception) -> None:
        if self.metrics is not None:
            self.metrics.rpc_errors.labels(kind).inc()
        if self.log is not None:
            self.log.warning(
                "rpc request failed",
                extra={"event": "rpc_error", "kind": kind, "method": _method_of(body), "error": str(error)},
            )


def make_web3(
    rpc_url: str,
    *,
    timeout_seconds: float,
    attempts: int,
    backoff_seconds: float,
    metrics: Metrics | None = None,
    logger=None,
) -> Web3:
    """A Web3 on `rpc_url` making up to `attempts` tries per request, the waits doubling from `backoff_seconds`."""
    # One session for all of the keeper's threads (web3 5 shared one per endpoint too): urllib3's
    # connection pool is thread-safe, and every failed try is counted in one place.
    provider = HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout_seconds},
        session=ReportingSession(metrics, logger),
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=RETRIED_ERRORS, retries=attempts, backoff_factor=backoff_seconds
        ),
        # web3 checks every eth_call and estimate against eth_chainId, one more round trip each; a
        # node's chain id never changes (keepers check it against the config), so only that answer
        # is cached. Block numbers and blocks are not: re-org detection needs them fresh.
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    return Web3(provider)


def web3_for(chain: ChainConfig, metrics: Metrics | None = None, logger=None) -> Web3:
    """The Web3 of a keeper or client configured by `[chain]`."""
    return make_web3(
        chain.rpc_url,
        timeout_seconds=chain.rpc_timeout_seconds,
        attempts=chain.rpc_attempts,
        backoff_seconds=chain.rpc_backoff_seconds,
        metrics=metrics,
        logger=logger,
    )


def check_chain_id(w3: Web3, chain: ChainConfig) -> int:
    """The node's chain id; refuses a node of another chain than the configuration names."""
    node_chain_id = w3.eth.chain_id
    if node_chain_id != chain.chain_id:
        raise KeeperError(
            f"chain error: config says chain_id {chain.chain_id} but {chain.rpc_url} reports {node_chain_id}"
        )
    return node_chain_id


def _method_of(body) -> str | None:
    try:
        request = json.loads(body)
    except (TypeError, ValueError):
        return None
    if isinstance(request, list):
        return "batch"
    return request.get("method") if isinstance(request, dict) else None
