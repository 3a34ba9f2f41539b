"""The indexer's own log decoder gives exactly what web3's `process_log` gives, for every protocol event kind
a market produces: indexed and plain values, addresses, enums, structs, bytes and strings."""

from web3 import HTTPProvider, Web3

from keepers.client import JobTerms
from keepers.deployment import load_deployment
from keepers.ids import to_bytes32
from keepers.indexer import CheckpointStore, EventIndexer
from keepers.observability import make_logger
from keepers.workloads import keccak256
from scripts.deploy import bond_matcher

from protocol_setup import H100, HOUR, USD, rental_spec

CONTRACTS = ("ProtocolConfig", "ProviderRegistry", "LeaseMarket", "JobMarket")


def test_decoded_args_equal_web3_process_log_for_every_event(
    protocol, funded_key, client_for, accounts, anvil, tmp_path
):
    deployment, deployment_path = protocol
    deployment.config.setRole(deployment.config.MATCHER_ROLE(), accounts[5], True, {"from": accounts[0]})
    bond_matcher(deployment.matcher_bonds, deployment.payment_token, accounts[5], payer=accounts[0])
    provider, tenant = client_for(funded_key()), client_for(funded_key())
    provider.register_provider("eu-west", "https://provider.example/metadata.json")
    provider.stake(3 * 3_000 * USD)
    offer_id = provider.offer_id_of(provider.add_offer(H100, 2, 2 * USD, 24 * HOUR))
    matched = tenant.request_id_of(tenant.create_request(rental_spec(tenant, max_price=3 * USD), 20 * USD))
    too_cheap = tenant.request_id_of(tenant.create_request(rental_spec(tenant, max_price=USD), 20 * USD))
    deployment.market.matchRequests([(matched, offer_id), (too_cheap, offer_id)], {"from": accounts[5]})
    job_input = b"\x33" * 32
    terms = JobTerms(to_bytes32("hashchain"), keccak256(job_input), b"\x22" * 32, 8, HOUR, 600)
    tenant.publish_job_terms(terms, job_input)

    w3 = Web3(HTTPProvider(anvil.url))
    contracts = [load_deployment(deployment_path, w3).contract(w3, name) for name in CONTRACTS]
    delivered = []
    indexer = EventIndexer(
        w3,
        contracts,
        CheckpointStore(tmp_path),
        name="decoding",
        start_block=deployment.block_number,
        chunk_blocks=1_000,
        confirmations=0,
        lookback=16,
        on_event=delivered.append,
        on_rollback=lambda block: None,
        logger=make_logger("test", "indexer", "CRITICAL"),
    )
    indexer.poll()

    names = {event.name for event in delivered}
    assert {
        "ProviderRegistered",
        "OfferAdded",
        "RequestCreated",
        "LeaseStarted",
        "MatchSkipped",
        "JobTermsPublished",
    } <= names
    by_address = {contract.address: contract for contract in contracts}
    for event in delivered:
        (log,) = [
            log for log in w3.eth.get_transaction_receipt(event.tx_hash)["logs"] if log["logIndex"] == event.log_index
        ]
        expected = getattr(by_address[event.address].events, event.name)().process_log(log)
        assert event.args == dict(expected["args"]), event.name
