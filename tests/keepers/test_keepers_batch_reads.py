"""The batched reads (keepers/contracts/reads.py) decode return data laid out in place word by word, not
through eth_abi: the same values web3's own call gives, for every struct the matcher reads."""

from job_setup import make_terms
from protocol_setup import USD, provider_with_offer, request


def test_batched_struct_reads_equal_web3s_decoding(funded_key, client_for):
    provider = client_for(funded_key(100_000 * USD))
    offer_id = provider_with_offer(provider, region="eu-west", units=2)
    tenant = client_for(funded_key())
    request_ids = [request(tenant, region="eu-west"), request(tenant, units=2, max_price=5 * USD)]
    terms, input = make_terms("hashchain", 16)
    terms_hash = tenant.terms_hash_of(tenant.publish_job_terms(terms, input))
    contracts = tenant.contracts
    block = tenant.w3.eth.block_number

    def web3(wrapper, function, key):
        return getattr(wrapper.contract.functions, function)(key).call(block_identifier=block)

    reads = [
        (contracts.market, "getRequest", request_ids),
        (contracts.registry, "offer", [offer_id]),
        (contracts.registry, "provider", [provider.address, tenant.address]),  # and an account that is none
        (contracts.registry, "reputationOf", [provider.address]),
        (contracts.job_market, "termsRecord", [terms_hash, b"\1" * 32]),  # and unpublished terms (all zero)
    ]
    for wrapper, function, keys in reads:
        batched = wrapper._batch(function, keys, block=block)
        assert batched == [web3(wrapper, function, key) for key in keys], function
