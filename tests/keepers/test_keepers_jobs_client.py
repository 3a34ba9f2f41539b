"""The JobMarket wrappers of LeaseholdClient, the job book rebuilt from events, the trace
cache, and the job roles' configuration checks."""

import pytest

from keepers.config import KeeperConfig
from keepers.errors import ConfigError
from keepers.jobs import JobBook, PublishedTerms, TraceCache, compute_trace
from keepers.roles.provider import ProviderAgent
from keepers.roles.verifier import VerifierKeeper
from keepers.roles.whistleblower import WhistleblowerKeeper
from keepers.sender import Refused
from keepers.workloads import get_workload, keccak256

from job_setup import ESCROW_DEPOSIT, make_terms, open_job, provider_role
from protocol_setup import USD


def test_published_terms_and_the_job_read_back(protocol, matcher_account, funded_key, client_for, make_keeper):
    deployment = protocol[0]
    provider_key = funded_key(7_000 * USD)
    make_keeper(ProviderAgent, provider_key, provider_role())
    tenant = client_for(funded_key())
    job_id, terms = open_job(deployment.market, matcher_account, provider_key.address, tenant, "matvec", 8, salt=3)

    job = tenant.job(job_id)
    assert (job.tenant, job.provider, job.units) == (tenant.address, provider_key.address, 1)
    assert job.terms_hash == tenant.job_market.functions.hashTerms(terms.as_tuple()).call()
    params = tenant.params()
    # The job's escrow is its price: the deposit less the match fee and the settle bounty it reserves.
    assert job.escrow == ESCROW_DEPOSIT - params["matchFee"] - params["settleBounty"]
    assert tenant.next_move(job_id).phase == "NONE"
    assert tenant.dispute(job_id).number == 0


def test_job_book_holds_terms_input_and_job_facts(protocol, matcher_account, funded_key, client_for, make_keeper):
    deployment = protocol[0]
    provider_key = funded_key(7_000 * USD)
    agent = make_keeper(ProviderAgent, provider_key, provider_role())
    tenant = client_for(funded_key())
    job_id, terms = open_job(deployment.market, matcher_account, provider_key.address, tenant, "hashchain", 8)

    book = JobBook(agent, name="test-book")
    book.refresh()
    (facts,) = book.jobs()
    assert (facts.job_id, facts.tenant, facts.provider) == (job_id, tenant.address, provider_key.address)
    published = book.terms(facts.terms_hash)
    assert published.terms == terms
    assert keccak256(published.input) == terms.input_hash
    book.rollback(0)  # a re-org below everything: the book empties and rescans
    assert book.jobs() == [] and book.terms(facts.terms_hash) is None


def test_trace_cache_computes_once_per_terms_and_fault():
    terms, input = make_terms("hashchain", 8)
    published = PublishedTerms(b"\1" * 32, terms, input)
    cache = TraceCache(size=1)
    honest = cache.get(published)
    assert cache.get(published) is honest
    assert honest.states == get_workload("hashchain").run(input, terms.seed, 8)
    faulty = cache.get(published, 3)
    assert faulty.hashes[:3] == honest.hashes[:3] and faulty.hashes[3] != honest.hashes[3]
    assert cache.get(published) is not honest  # size 1: the honest trace was dropped
    assert compute_trace(terms, input, 99).hashes[:8] == honest.hashes[:8]  # a fault past N cheats at N


def test_refused_job_call_names_the_custom_error(protocol, funded_key, client_for):
    client = client_for(funded_key())
    with pytest.raises(Refused) as refused:
        client.finalize_job(77)
    assert refused.value.error_name == "JobMarket_UnexpectedStatus"


@pytest.mark.parametrize(
    "cls, role, message",
    [
        (VerifierKeeper, {"workloads": ["sha-1000"]}, "role.workloads: value error, unknown workload"),
        (VerifierKeeper, {"lazy": "sometimes"}, "role.lazy: input should be a valid boolean"),
        (WhistleblowerKeeper, {"colour": "red"}, "role.colour: extra inputs are not permitted"),
        (
            ProviderAgent,
            provider_role(fault_from_step=0),
            "role.fault_from_step: input should be greater than or equal to 1",
        ),
        (ProviderAgent, provider_role(fault_workloads=["nope"]), "role.fault_workloads: value error, unknown workload"),
    ],
)
def test_bad_job_role_config_is_one_line(funded_key, keeper_config, cls, role, message):
    data, environ = keeper_config(funded_key(), role)
    with pytest.raises(ConfigError) as raised:
        cls(KeeperConfig.model_validate(data), environ=environ)
    assert str(raised.value).startswith(f"config error: {message}")
