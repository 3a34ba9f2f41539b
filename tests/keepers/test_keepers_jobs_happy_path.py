"""A job driven only by keepers: the provider agent runs and submits it, a verifier attests it
valid, the settler finalizes it once the window closes; and the settler expires a job whose
solver never answered."""

from keepers.roles.provider import ProviderAgent
from keepers.roles.settler import SettlerKeeper
from keepers.roles.verifier import VerifierKeeper

from helpers import ANY_JOB
from job_setup import ESCROW_DEPOSIT, MINUTE, advance, open_job, provider_role, sample_every_job, wait_for
from protocol_setup import HOUR, USD


def test_job_is_run_attested_and_finalized_by_keepers(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    provider_key, verifier_key, settler_key = funded_key(7_000 * USD), funded_key(), funded_key(0)
    deployment.config.setRole(deployment.config.VERIFIER_ROLE(), verifier_key.address, True, {"from": accounts[0]})
    sample_every_job(deployment, accounts[0])  # the verifier keeper claims drawn jobs only
    provider = make_keeper(ProviderAgent, provider_key, provider_role())
    verifier = make_keeper(VerifierKeeper, verifier_key)
    make_keeper(SettlerKeeper, settler_key)
    tenant = client_for(funded_key())
    reader = client_for(settler_key)
    job_id, _terms = open_job(deployment.market, matcher_account, provider_key.address, tenant, "hashchain", 16)

    wait_for(lambda: reader.job(job_id).attestation == "VALID", what="result and attestation")
    # The keeper counts its attestation once its receipt is back, which can trail the chain's view.
    wait_for(lambda: verifier.metrics.value("attestations_total", {"valid": "true"}) == 1, what="the count")
    wait_for(lambda: provider.metrics.value("results_submitted_total") >= 1, what="the provider's count")
    job = reader.job(job_id)
    assert (job.status, job.verifier) == ("SUBMITTED", verifier_key.address)
    assert provider.metrics.value("results_submitted_total") == 1
    assert verifier.metrics.value("attestations_total", {"valid": "true"}) == 1

    advance(10 * MINUTE)
    wait_for(lambda: reader.job(job_id).status == "FINALIZED", what="the settler to finalize")
    params = reader.params()
    # The job's price: the deposit less the match fee and the settle bounty reserved beside it.
    bounty = params["settleBounty"]
    escrow = ESCROW_DEPOSIT - params["matchFee"] - bounty
    protocol_fee = escrow * params["protocolFeeBps"] // 10_000
    verifier_fee = escrow * params["verifierFeeBps"] // 10_000  # the levy; every job sampled: all of it paid
    # Whoever finalized (the settler, or the provider first) was paid the job's settle bounty.
    provider_extra = reader.balance_of(reader.payment_token, provider_key.address) - (
        escrow - protocol_fee - verifier_fee
    )
    settler_paid = reader.balance_of(reader.payment_token, settler_key.address)
    assert sorted((provider_extra, settler_paid)) == [0, bounty]
    # The verifier's bond went in with its claim (claimAndAttest, one call); its pay and its bond
    # are credited in the job market: its standing balance, which its next claim's bond comes from.
    bond = reader.job(job_id).verifier_bond
    credit = reader.contracts.job_market.credit_of(verifier_key.address)
    assert credit == verifier_fee + bond
    assert reader.balance_of(reader.payment_token, verifier_key.address) == 100_000 * USD - bond
    assert reader.provider_info(provider_key.address).jobs_finalized == 1
    # The protocol fee waits in the job market for a sweep, beside the verifier's credit; nothing else stays there.
    assert reader.accrued_fees()["JobMarket"] == protocol_fee
    assert reader.balance_of(reader.payment_token, reader.job_market.address) == protocol_fee + credit


def test_settler_expires_a_job_whose_solver_never_answers(
    protocol, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    silent = client_for(funded_key(7_000 * USD))  # a provider without an agent
    silent.register_provider("eu-west", "http://silent.example")
    silent.stake(7_000 * USD)
    silent.set_offer_job_policy(
        silent.offer_id_of(silent.add_offer("nvidia-h100-80gb", 1, 2 * USD, 24 * HOUR)), *ANY_JOB
    )
    settler_key = funded_key(0)
    settler = make_keeper(SettlerKeeper, settler_key)
    tenant = client_for(funded_key())
    job_id, _ = open_job(deployment.market, matcher_account, silent.address, tenant, "hashchain", 4)
    tenant_before = tenant.balance_of(tenant.payment_token)

    advance(HOUR + 1)
    wait_for(lambda: silent.job(job_id).status == "EXPIRED", what="the settler to expire")
    escrow = ESCROW_DEPOSIT - silent.params()["matchFee"] - silent.params()["settleBounty"]
    (expired,) = silent.job_market.events.JobExpired().get_logs(from_block=0)
    assert (expired["args"]["jobId"], expired["args"]["caller"], expired["args"]["refunded"]) == (
        job_id,
        settler_key.address,
        escrow,
    )
    slashed = expired["args"]["slashed"]
    assert slashed > 0 and silent.provider_info(silent.address).total_slashed == slashed
    assert tenant.balance_of(tenant.payment_token) > tenant_before + escrow  # refund plus compensation
    assert settler.metrics.value("settlements_total", {"action": "expire_job"}) == 1


def test_provider_skips_a_job_it_cannot_execute_and_runs_the_next(
    protocol, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    provider_key = funded_key(7_000 * USD)
    agent = make_keeper(ProviderAgent, provider_key, provider_role())
    tenant = client_for(funded_key())
    # matvec-256 has no on-chain verifier, so publication accepts an input its executor refuses.
    bad_id, _ = open_job(
        deployment.market, matcher_account, provider_key.address, tenant, "matvec-256", 4, input=b"\x01" * 10
    )
    good_id, _ = open_job(deployment.market, matcher_account, provider_key.address, tenant, "hashchain", 4)

    wait_for(lambda: tenant.job(good_id).status == "SUBMITTED", what="the executable job's result")
    # The agent counts a submission once its receipt is back, which can trail the chain's view.
    wait_for(lambda: agent.metrics.value("results_submitted_total") >= 1, what="the count")
    assert bad_id in agent.unexecutable
    assert tenant.job(bad_id).status == "MATCHED"
    assert agent.metrics.value("results_submitted_total") == 1
