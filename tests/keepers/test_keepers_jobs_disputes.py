"""Disputes played only by keepers: a cheating provider caught by an honest verifier (on-chain
step proof), a lazy verifier refused (it holds no trace, so it cannot attest) while the honest
one catches the cheater, and a dispute over an arbiter-mode workload decided by the arbiters'
votes. Every result is drawn for verification here (`sample_every_job`)."""

import pytest

from keepers.roles.arbiter import ArbiterKeeper
from keepers.roles.provider import ProviderAgent
from keepers.roles.settler import SettlerKeeper
from keepers.roles.verifier import VerifierKeeper

from job_setup import ESCROW_DEPOSIT, advance, open_job, provider_role, sample_every_job, wait_for
from protocol_setup import USD

FUNDS = 100_000 * USD
CHALLENGER_WON = 1


@pytest.fixture(autouse=True)
def every_job_drawn(protocol, accounts):
    sample_every_job(protocol[0], accounts[0])


def grant(deployment, role_name, address, governance):
    deployment.config.setRole(getattr(deployment.config, role_name)(), address, True, {"from": governance})


def resolved(reader, job_id):
    (event,) = [
        e for e in reader.job_market.events.DisputeResolved().get_logs(from_block=0) if e["args"]["jobId"] == job_id
    ]
    return event["args"]


def test_cheating_provider_is_caught_by_the_verifier(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    provider_key, verifier_key = funded_key(7_000 * USD), funded_key()
    grant(deployment, "VERIFIER_ROLE", verifier_key.address, accounts[0])
    cheat = make_keeper(ProviderAgent, provider_key, provider_role(fault_from_step=5))
    verifier = make_keeper(VerifierKeeper, verifier_key)
    tenant = client_for(funded_key())
    reader = client_for(verifier_key)
    job_id, _ = open_job(deployment.market, matcher_account, provider_key.address, tenant, "hashchain", 16)

    wait_for(lambda: reader.job(job_id).status == "SLASHED", what="the dispute to end")
    job, dispute = reader.job(job_id), reader.dispute(job_id)
    assert (job.attestation, dispute.challenger, dispute.lo, dispute.hi) == ("INVALID", verifier_key.address, 4, 5)
    (proven,) = reader.job_market.events.StepProven().get_logs(from_block=0)
    assert (proven["args"]["stepIndex"], proven["args"]["solverCorrect"]) == (4, False)
    outcome = resolved(reader, job_id)
    assert (outcome["result"], outcome["slashed"]) == (CHALLENGER_WON, job.collateral)
    # ⌈log2 16⌉ = 4 reveals from the solver and as many answers from the verifier. A keeper
    # counts a move once its own receipt comes back, which can trail the chain's status.
    moves = {(cheat, "reveal"): 4, (cheat, "prove_step"): 1, (verifier, "respond"): 4}
    wait_for(
        lambda: all(k.metrics.value("dispute_moves_total", {"action": a}) >= n for (k, a), n in moves.items()),
        what="each keeper to count its moves",
    )
    assert cheat.metrics.value("dispute_moves_total", {"action": "reveal"}) == 4
    assert cheat.metrics.value("dispute_moves_total", {"action": "prove_step"}) == 1
    assert verifier.metrics.value("dispute_moves_total", {"action": "respond"}) == 4
    params = reader.params()
    # No finder's share of a job slash (issue 12, property 5): the challenger gets its bond back,
    # and the settle bounty when it made the move that ended the game.
    # Its claim's bond back with its challenge bond: flagging is not paid (property 5).
    assert reader.balance_of(reader.payment_token, verifier_key.address) == FUNDS + _bounties(reader, verifier_key)
    compensation = job.collateral * params["tenantCompensationBps"] // 10_000
    assert tenant.balance_of(tenant.payment_token) == FUNDS - ESCROW_DEPOSIT + job.escrow + compensation
    assert reader.provider_info(provider_key.address).disputes_lost == 1


def test_lazy_verifier_is_refused_and_the_honest_one_catches_the_cheater(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    """Issue 12, property 3: without the trace a lazy verifier has no claim and no spot proof, so
    its attestation is refused and it earns nothing; the honest verifier re-executes and disputes."""
    deployment = protocol[0]
    provider_key, lazy_key, honest_key = funded_key(7_000 * USD), funded_key(), funded_key()
    grant(deployment, "VERIFIER_ROLE", lazy_key.address, accounts[0])
    grant(deployment, "VERIFIER_ROLE", honest_key.address, accounts[0])
    make_keeper(ProviderAgent, provider_key, provider_role(fault_from_step=3, fault_workloads=["matvec"]))
    lazy = make_keeper(VerifierKeeper, lazy_key, {"lazy": True})
    make_keeper(VerifierKeeper, honest_key)
    tenant = client_for(funded_key())
    reader = client_for(honest_key)
    job_id, _ = open_job(deployment.market, matcher_account, provider_key.address, tenant, "matvec", 8)

    wait_for(lambda: reader.job(job_id).status == "SLASHED", what="the honest verifier's dispute to end")
    job = reader.job(job_id)
    assert (job.attestation, job.verifier) == ("INVALID", honest_key.address)
    assert lazy.metrics.value("attestations_total", {"valid": "true"}) == 0
    assert not [
        e
        for e in reader.job_market.events.Attested().get_logs(from_block=0)
        if e["args"]["verifier"] == lazy_key.address
    ]
    assert reader.balance_of(reader.payment_token, lazy_key.address) == FUNDS  # it earned nothing, lost nothing
    assert resolved(reader, job_id)["slashed"] == job.collateral


def test_arbiters_decide_a_dispute_over_an_arbiter_mode_workload(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    provider_key, verifier_key = funded_key(7_000 * USD), funded_key()
    arbiter_keys = [funded_key(), funded_key()]  # each vote posts the arbiter bond
    grant(deployment, "VERIFIER_ROLE", verifier_key.address, accounts[0])
    for key in arbiter_keys:
        grant(deployment, "ARBITER_ROLE", key.address, accounts[0])
    make_keeper(ProviderAgent, provider_key, provider_role(fault_from_step=2))
    make_keeper(VerifierKeeper, verifier_key)
    arbiters = [make_keeper(ArbiterKeeper, key) for key in arbiter_keys]
    settler = make_keeper(SettlerKeeper, funded_key(0))
    tenant = client_for(funded_key())
    reader = client_for(verifier_key)
    job_id, _ = open_job(deployment.market, matcher_account, provider_key.address, tenant, "matvec-256", 4)

    wait_for(lambda: all(reader.has_voted(job_id, key.address) for key in arbiter_keys), what="the arbiters' votes")
    # An arbiter counts its vote once its own receipt comes back, which can trail the chain's view.
    wait_for(
        lambda: all(a.metrics.value("arbiter_votes_total", {"solver_correct": "false"}) >= 1 for a in arbiters),
        what="each arbiter to count its vote",
    )
    dispute = reader.dispute(job_id)
    assert (dispute.phase, dispute.lo, dispute.hi) == ("VOTE", 1, 2)
    assert (dispute.votes_for_solver, dispute.votes_for_challenger) == (0, 2)
    assert [a.metrics.value("arbiter_votes_total", {"solver_correct": "false"}) for a in arbiters] == [1, 1]
    assert reader.job(job_id).status == "DISPUTED"

    advance(reader.params()["arbiterVoteWindowSeconds"] + 1)
    wait_for(lambda: reader.job(job_id).status == "SLASHED", what="the settler to resolve the vote")
    assert resolved(reader, job_id)["result"] == CHALLENGER_WON
    # A keeper counts a move once its own receipt comes back, which can trail the chain's status.
    wait_for(
        lambda: settler.metrics.value("settlements_total", {"action": "resolve_vote"}) >= 1,
        what="the settler to count its resolution",
    )
    assert settler.metrics.value("settlements_total", {"action": "resolve_vote"}) == 1
    # Both voted with the majority: each claims its bond and half the fee.
    fee = dispute.arbiter_fee
    wait_for(
        lambda: all(reader.balance_of(reader.payment_token, key.address) == FUNDS + fee // 2 for key in arbiter_keys),
        what="the arbiters to claim their pay",
    )


def test_verifier_defends_a_result_it_attested_valid_when_the_solver_abandons_it(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    """Issue 12, attack 2: the solver's second account challenges and the solver never moves."""
    deployment = protocol[0]
    provider_key, verifier_key = funded_key(7_000 * USD), funded_key()
    grant(deployment, "VERIFIER_ROLE", verifier_key.address, accounts[0])
    solver = make_keeper(ProviderAgent, provider_key, provider_role())
    verifier = make_keeper(VerifierKeeper, verifier_key)
    reader = client_for(verifier_key)
    second_account = client_for(funded_key())
    job_id, terms = open_job(
        deployment.market, matcher_account, provider_key.address, client_for(funded_key()), "hashchain", 4
    )

    wait_for(lambda: reader.job(job_id).attestation == "VALID", what="the verifier's attestation")
    solver.stop()
    second_account.challenge(job_id, terms)
    move = reader.next_move(job_id)
    assert move.phase == "REVEAL"
    advance(reader.dispute(job_id).move_timeout_seconds // 2 + 1)  # the solver let half its time pass
    wait_for(lambda: reader.next_move(job_id).phase == "RESPOND", what="the verifier's reveal")
    assert reader.dispute(job_id).verifier_defends
    advance(reader.next_move(job_id).deadline - reader.now() + 1)  # the second account gives up
    second_account.claim_timeout(job_id)
    (forfeited,) = [
        e
        for e in reader.job_market.events.ChallengerBondForfeited().get_logs(from_block=0)
        if e["args"]["jobId"] == job_id
    ]
    assert forfeited["args"]["defender"] == verifier_key.address
    assert reader.job(job_id).status == "SUBMITTED"
    wait_for(
        lambda: verifier.metrics.value("defence_moves_total", {"action": "reveal"}) == 1,
        what="the verifier to count its reveal",
    )


def test_verifier_claims_the_timeout_of_a_solver_that_stops_moving(
    protocol, accounts, matcher_account, funded_key, client_for, make_keeper
):
    deployment = protocol[0]
    provider_key, verifier_key = funded_key(7_000 * USD), funded_key()
    grant(deployment, "VERIFIER_ROLE", verifier_key.address, accounts[0])
    cheat = make_keeper(ProviderAgent, provider_key, provider_role(fault_from_step=9))
    verifier = make_keeper(VerifierKeeper, verifier_key)
    reader = client_for(verifier_key)
    job_id, _ = open_job(
        deployment.market, matcher_account, provider_key.address, client_for(funded_key()), "hashchain", 16
    )

    wait_for(lambda: reader.job(job_id).status == "DISPUTED", what="the verifier's dispute")
    cheat.stop()  # the solver's agent goes away mid-game
    wait_for(lambda: reader.next_move(job_id).mover == provider_key.address, what="the solver's turn")
    move = reader.next_move(job_id)
    assert move.phase in ("REVEAL", "PROVE")

    advance(move.deadline - reader.now() + 1)
    wait_for(lambda: reader.job(job_id).status == "SLASHED", what="the verifier to claim the timeout")
    # The keeper counts its move once its own receipt comes back, which can trail the chain's status.
    wait_for(
        lambda: verifier.metrics.value("dispute_moves_total", {"action": "claim_timeout"}) >= 1,
        what="the verifier to count its claim",
    )
    assert verifier.metrics.value("dispute_moves_total", {"action": "claim_timeout"}) == 1
    assert resolved(reader, job_id)["result"] == CHALLENGER_WON


def _bounties(reader, key) -> int:
    """Settle bounties the job market paid `key` for ending a job or a game (issue 12, property 10)."""
    logs = reader.job_market.events.SettleBountyPaid().get_logs(from_block=0)
    return sum(log["args"]["bounty"] for log in logs if log["args"]["recipient"] == key.address)
