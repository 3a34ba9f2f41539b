"""Scenario 5: two keepers of every role racing for the same work.

Each race is forced: the work is on chain, mining is paused, and both keepers start, so
both see the same item before either transaction lands. The first sends; the second's
simulation at the pending block is refused (or, when both simulated first, its
transaction reverts on chain once; a losing matcher's batch lands with the pair skipped
by the chain). Then mining resumes. Exactly one action lands per
item; the loser logs and counts the race (`races_lost_total{action}`) and does not try
again on later ticks. Matchers, probers, settlers, verifiers and whistleblowers race with
separate accounts; provider agents and arbiters race as one account run twice (an
operator's fail-over), since only that account may act.
"""

from eth_abi import encode

from keepers.contracts.types import MAX_ALLOWANCE
from keepers.jobs import compute_trace
from keepers.roles.arbiter import ArbiterKeeper
from keepers.roles.matcher import MatcherKeeper
from keepers.roles.prober import ProberKeeper
from keepers.roles.provider import ProviderAgent
from keepers.roles.settler import SettlerKeeper
from keepers.roles.verifier import VerifierKeeper
from keepers.roles.whistleblower import WhistleblowerKeeper
from keepers.workloads import keccak256
from scripts.deploy import bond_matcher

from job_setup import MINUTE, make_terms, open_job, provider_role, sample_every_job
from keeper_faults import (
    DEAD_ENDPOINT,
    advance,
    books_balance,
    job_endings,
    keeper_pending,
    metric,
    mine_now,
    mining_paused,
    once_each,
    pending_nonce,
    per_id,
    rental_leases,
    wait_for,
)
from protocol_setup import HOUR, USD

LOST_EVENTS = ("action_refused", "action_lost_on_chain", "match_race_lost")
REFUSED_OR_REVERTED = "the loser was refused at simulation or reverted on chain once"


def race(w3, action: str, senders: list[str], start) -> list:
    """Starts the racing keepers (`start()`) with mining paused until both have tried; returns them."""
    with mining_paused(w3):
        before = sum(pending_nonce(w3, address) for address in senders)
        keepers = start()
        wait_for(
            lambda: (
                metric(keepers, "races_lost_total", {"action": action}) >= 1
                or sum(pending_nonce(w3, address) for address in senders) - before >= 2
            ),
            what=f"both keepers to try {action}",
        )
        mine_now(w3)
    return keepers


def settle_down(keepers, job: str, ticks: int = 3) -> None:
    """Waits for every keeper to run `ticks` more times: a loser that retried would send again here."""
    runs = [keeper.metrics.value("job_runs_total", {"job": job}) for keeper in keepers]
    wait_for(
        lambda: all(
            keeper.metrics.value("job_runs_total", {"job": job}) >= runs[i] + ticks for i, keeper in enumerate(keepers)
        ),
        what="more ticks",
    )


def losses_logged(keepers, action: str) -> list[dict]:
    return [
        record
        for keeper in keepers
        for record in keeper.captured.events(*LOST_EVENTS)
        if record.get("action") == action
    ]


def txs(w3, addresses) -> int:
    return sum(w3.eth.get_transaction_count(address) for address in set(addresses))


def judge(
    fault_report,
    case,
    injected,
    *,
    keepers,
    action,
    counts,
    ids,
    books,
    unsettled_ok,
    tx_count,
    successes,
    loser=REFUSED_OR_REVERTED,
    paid_once=True,
):
    """Records the case: one landed action per item, a bounded number of transactions, the loss reported."""
    lost = metric(keepers, "races_lost_total", {"action": action})
    logged = losses_logged(keepers, action)
    on_chain = sum(record["event"] == "action_lost_on_chain" for record in logged)
    checks = dict(
        no_payment_lost=all(books.values()),
        no_payment_twice=once_each(counts, ids)
        and paid_once
        and successes == len(ids)
        and tx_count <= len(ids) + on_chain,
        nothing_left_unsettled=unsettled_ok and all(keeper_pending(keeper) == [] for keeper in keepers),
        fault_in_logs=len(logged) >= 1,
        fault_in_metrics=lost >= 1,
    )
    fault_report.record(
        5,
        case,
        injected,
        f"one {action} landed per item ({len(ids)}); {loser}, logged it and counted it "
        f"(races_lost_total{{action={action}}}); no retry on later ticks",
        **checks,
    )
    assert checks == dict.fromkeys(checks, True), (checks, dict(counts), books, lost, logged, tx_count)


def grant(protocol, accounts, role: str, address: str) -> None:
    config = protocol[0].config
    config.setRole(getattr(config, role)(), address, True, {"from": accounts[0]})
    if role == "MATCHER_ROLE":
        bond_matcher(protocol[0].matcher_bonds, protocol[0].payment_token, address, payer=accounts[0])


# ---------------------------------------------------------------------------------------- leases


def test_two_matchers_race_for_the_same_requests(
    protocol, accounts, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, ids = rental_leases(protocol, matcher_account, client_for, funded_key, count=4, match=False)
    keys = [funded_key(0), funded_key(0)]
    for key in keys:
        grant(protocol, accounts, "MATCHER_ROLE", key.address)
    matchers = race(
        w3, "match_requests", [k.address for k in keys], lambda: [fault_keepers(MatcherKeeper, key) for key in keys]
    )
    wait_for(lambda: all(tenant.request(r).status == "MATCHED" for r in ids), what="every request matched")
    settle_down(matchers, "match")
    for keeper in matchers:
        keeper.stop()

    match_fee = tenant.params()["matchFee"]
    # Bonded matchers are credited their match fees (claimCredit), not sent them.
    earned = sum(tenant.credits_of(key.address)["LeaseMarket"] for key in keys)
    judge(
        fault_report,
        "matchers",
        "two matchers started on four open requests with mining paused",
        keepers=matchers,
        action="match_requests",
        ids=ids,
        books=books_balance(tenant, protocol),
        counts=per_id(tenant, tenant.market, "LeaseStarted", "leaseId", ids),
        unsettled_ok=all(tenant.request(r).status == "MATCHED" for r in ids),
        paid_once=earned == len(ids) * match_fee,
        tx_count=txs(w3, [k.address for k in keys]),
        successes=int(metric(matchers, "matches_total")),
        loser="the loser's batch landed with every pair skipped by the chain (MatchSkipped, REQUEST_NOT_OPEN)",
    )


def test_two_probers_then_two_settlers_race_for_the_same_dark_leases(
    protocol, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    _, tenant, ids = rental_leases(
        protocol, matcher_account, client_for, funded_key, count=2, duration=10 * HOUR, endpoint=DEAD_ENDPOINT
    )
    params = tenant.params()
    advance(params["livenessSpacingSeconds"])
    prober_keys = [funded_key(), funded_key()]
    for key in prober_keys:
        client_for(key).ensure_allowance(tenant.payment_token, tenant.market.address, MAX_ALLOWANCE)
    role = {"failures_before_challenge": 1, "probe_timeout_seconds": 0.3}
    probers = race(
        w3,
        "challenge_liveness",
        [k.address for k in prober_keys],
        lambda: [fault_keepers(ProberKeeper, key, role) for key in prober_keys],
    )
    wait_for(lambda: all(tenant.lease(r).challenge_open for r in ids), what="every lease challenged")
    settle_down(probers, "probe")
    for keeper in probers:
        keeper.stop()
    challenged = per_id(tenant, tenant.market, "LivenessChallenged", "leaseId", ids)

    advance(params["livenessWindowSeconds"] + 1)
    settler_keys = [funded_key(0), funded_key(0)]
    settlers = race(
        w3,
        "resolve_liveness",
        [k.address for k in settler_keys],
        lambda: [fault_keepers(SettlerKeeper, key) for key in settler_keys],
    )
    wait_for(lambda: all(tenant.lease(r).settled for r in ids), what="every challenge resolved")
    settle_down(settlers, "settle")
    for keeper in settlers:
        keeper.stop()

    books = books_balance(tenant, protocol)
    settled = all(tenant.lease(r).settled for r in ids)
    judge(
        fault_report,
        "probers",
        "two probers started on a dark provider's two leases with mining paused",
        keepers=probers,
        action="challenge_liveness",
        ids=ids,
        counts=challenged,
        books=books,
        unsettled_ok=settled,
        tx_count=txs(w3, [k.address for k in prober_keys]) - 2,  # each approved once
        successes=int(metric(probers, "challenges_total")),
    )
    resolved = per_id(tenant, tenant.market, "LivenessResolved", "leaseId", ids)
    closed = per_id(tenant, tenant.market, "LeaseClosed", "leaseId", ids)
    judge(
        fault_report,
        "settlers (leases)",
        "two settlers started on two unanswered liveness challenges with mining paused",
        keepers=settlers,
        action="resolve_liveness",
        ids=ids,
        counts=resolved,
        books=books,
        unsettled_ok=settled and once_each(closed, ids),
        tx_count=txs(w3, [k.address for k in settler_keys]),
        successes=int(metric(settlers, "settlements_total", {"action": "resolve_liveness"})),
    )


# ---------------------------------------------------------------------------------------- jobs


def test_twin_provider_agents_two_verifiers_and_two_settlers_race_for_one_job(
    protocol, accounts, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    provider_key = funded_key(7_000 * USD)
    fault_keepers(ProviderAgent, provider_key, provider_role(), state="provider-setup").stop()  # registers, lists
    tenant = client_for(funded_key())
    # Every result drawn for verification: the sample rate is the job's, fixed at its match.
    sample_every_job(protocol[0], accounts[0])
    job_id, _ = open_job(protocol[0].market, matcher_account, provider_key.address, tenant, "hashchain", 16)
    ids = [job_id]

    agents = race(
        w3,
        "submit_result",
        [provider_key.address],
        lambda: [
            fault_keepers(ProviderAgent, provider_key, provider_role(), state=f"provider-{twin}") for twin in "ab"
        ],
    )
    wait_for(lambda: tenant.job(job_id).status == "SUBMITTED", what="the result")
    settle_down(agents, "tick")
    for keeper in agents:
        keeper.stop()
    submitted = per_id(tenant, tenant.job_market, "ResultSubmitted", "jobId", ids)
    agent_txs = txs(w3, [provider_key.address])

    # The verifiers race for the claim of the drawn job (every result is drawn here); each holds the
    # trace, so it claims and attests with its spot proof in one call (claimAndAttest).
    verifier_keys = [funded_key(), funded_key()]
    for key in verifier_keys:
        grant(protocol, accounts, "VERIFIER_ROLE", key.address)
        client_for(key).ensure_allowance(tenant.payment_token, tenant.job_market.address, MAX_ALLOWANCE)
    verifiers = race(
        w3,
        "claim_and_attest",
        [k.address for k in verifier_keys],
        lambda: [fault_keepers(VerifierKeeper, key) for key in verifier_keys],
    )
    wait_for(lambda: tenant.job(job_id).attestation == "VALID", what="the attestation")
    settle_down(verifiers, "verify")
    for keeper in verifiers:
        keeper.stop()
    attested = per_id(tenant, tenant.job_market, "Attested", "jobId", ids)

    advance(10 * MINUTE)
    settler_keys = [funded_key(0), funded_key(0)]
    settlers = race(
        w3,
        "finalize_job",
        [k.address for k in settler_keys],
        lambda: [fault_keepers(SettlerKeeper, key) for key in settler_keys],
    )
    wait_for(lambda: tenant.job(job_id).status == "FINALIZED", what="the job finalized")
    settle_down(settlers, "settle")
    for keeper in settlers:
        keeper.stop()

    books = books_balance(tenant, protocol)
    ended = job_endings(tenant, ids)
    finalized = once_each(ended, ids) and tenant.job(job_id).status == "FINALIZED"
    # The setup agent's register, approve, stake, add_offer and set_offer_job_policy come before the race.
    judge(
        fault_report,
        "provider agents",
        "one provider account run twice, both started on its matched job with mining paused",
        keepers=agents,
        action="submit_result",
        ids=ids,
        counts=submitted,
        books=books,
        unsettled_ok=finalized,
        tx_count=agent_txs - 5,
        successes=int(metric(agents, "results_submitted_total")),
    )
    judge(
        fault_report,
        "verifiers",
        "two verifiers started on one submitted result with mining paused",
        keepers=verifiers,
        action="claim_and_attest",
        ids=ids,
        counts=attested,  # claimAndAttest emits Attested alone
        books=books,
        unsettled_ok=finalized,
        # Each approved once; the winner's claim carries its attestation.
        tx_count=txs(w3, [k.address for k in verifier_keys]) - 2,
        successes=int(metric(verifiers, "attestations_total", {"valid": "true"})) * once_each(attested, ids),
    )
    judge(
        fault_report,
        "settlers (jobs)",
        "two settlers started on one job past its challenge window with mining paused",
        keepers=settlers,
        action="finalize_job",
        ids=ids,
        books=books,
        unsettled_ok=finalized,
        counts=per_id(tenant, tenant.job_market, "JobFinalized", "jobId", ids),
        tx_count=txs(w3, [k.address for k in settler_keys]),
        successes=int(metric(settlers, "settlements_total", {"action": "finalize_job"})),
    )


def test_two_whistleblowers_race_to_challenge_a_colluding_attestation_of_a_cheat(
    protocol, accounts, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    """A lazy verifier can no longer attest (issue 12, property 3): the wrong result attested valid
    here is a colluder's, which holds the cheating solver's own trace, claims the drawn job and
    attests with the spot proof that trace gives it. Two whistleblowers race to challenge it."""
    provider_key, colluder_key = funded_key(7_000 * USD), funded_key()
    grant(protocol, accounts, "VERIFIER_ROLE", colluder_key.address)
    sample_every_job(protocol[0], accounts[0])
    fault_keepers(ProviderAgent, provider_key, provider_role(fault_from_step=3, fault_workloads=["matvec"]))
    tenant = client_for(funded_key())
    job_id, terms = open_job(protocol[0].market, matcher_account, provider_key.address, tenant, "matvec", 8)
    ids = [job_id]
    wait_for(lambda: tenant.job(job_id).status == "SUBMITTED", what="the cheating result")
    cheat = compute_trace(terms, make_terms("matvec", 8)[1], 3)
    assert cheat.root == tenant.job(job_id).trace_root, "the colluder's copy is the solver's trace"
    colluder = client_for(colluder_key)
    colluder.claim_verification(job_id, terms)
    spot = int.from_bytes(keccak256(encode(["bytes32", "address"], [cheat.root, colluder_key.address])), "big")
    spot %= terms.steps + 1
    colluder.attest(job_id, terms, True, cheat.hashes[spot], cheat.proof(spot))
    assert tenant.job(job_id).attestation == "VALID"

    keys = [funded_key(), funded_key()]
    for key in keys:
        client_for(key).ensure_allowance(tenant.payment_token, tenant.job_market.address, MAX_ALLOWANCE)
    watchers = race(
        w3, "challenge", [k.address for k in keys], lambda: [fault_keepers(WhistleblowerKeeper, key) for key in keys]
    )
    wait_for(lambda: tenant.job(job_id).status == "SLASHED", what="the whistleblower's dispute to end")
    settle_down(watchers, "watch")
    for keeper in watchers:
        keeper.stop()

    opened = per_id(tenant, tenant.job_market, "DisputeOpened", "jobId", ids)
    winner = tenant.dispute(job_id).challenger
    # The winner also made its moves in the bisection game (one transaction each).
    moves = sum(metric(watchers, "dispute_moves_total", {"action": a}) for a in ("respond", "claim_timeout"))
    judge(
        fault_report,
        "whistleblowers",
        "two whistleblowers started on one wrong result a colluder attested valid, with mining paused",
        keepers=watchers,
        action="challenge",
        ids=ids,
        counts=opened,
        books=books_balance(tenant, protocol),
        unsettled_ok=once_each(job_endings(tenant, ids), ids) and winner in [k.address for k in keys],
        tx_count=txs(w3, [k.address for k in keys]) - 2 - int(moves),  # each approved once
        successes=int(metric(watchers, "job_challenges_total")),
    )


def test_one_arbiter_run_twice_votes_once(
    protocol, accounts, matcher_account, client_for, funded_key, fault_keepers, w3, fault_report
):
    provider_key, verifier_key, arbiter_key = funded_key(7_000 * USD), funded_key(), funded_key()
    grant(protocol, accounts, "VERIFIER_ROLE", verifier_key.address)
    grant(protocol, accounts, "ARBITER_ROLE", arbiter_key.address)
    # The verifier keeper works on drawn results only: every result is drawn here.
    sample_every_job(protocol[0], accounts[0])
    fault_keepers(ProviderAgent, provider_key, provider_role(fault_from_step=2))
    fault_keepers(VerifierKeeper, verifier_key)
    tenant = client_for(funded_key())
    job_id, _ = open_job(protocol[0].market, matcher_account, provider_key.address, tenant, "matvec-256", 4)
    ids = [job_id]
    wait_for(lambda: tenant.dispute(job_id).phase == "VOTE", what="the dispute to reach its vote")
    # The arbiter approved the job market for its vote bonds before the race (a keeper does it
    # once, for good).
    client_for(arbiter_key).ensure_allowance(tenant.payment_token, tenant.job_market.address, MAX_ALLOWANCE)

    arbiters = race(
        w3,
        "vote_on_step",
        [arbiter_key.address],
        lambda: [fault_keepers(ArbiterKeeper, arbiter_key, state=f"arbiter-{twin}") for twin in "ab"],
    )
    wait_for(lambda: tenant.has_voted(job_id, arbiter_key.address), what="the vote")
    settle_down(arbiters, "vote")
    for keeper in arbiters:
        keeper.stop()
    votes = per_id(tenant, tenant.job_market, "StepVoted", "jobId", ids)

    advance(tenant.params()["arbiterVoteWindowSeconds"] + 1)
    fault_keepers(SettlerKeeper, funded_key(0))
    wait_for(lambda: tenant.job(job_id).status == "SLASHED", what="the settler to resolve the vote")
    judge(
        fault_report,
        "arbiters",
        "one arbiter account run twice, both started on one dispute's vote with mining paused",
        keepers=arbiters,
        action="vote_on_step",
        ids=ids,
        counts=votes,
        books=books_balance(tenant, protocol),
        unsettled_ok=once_each(job_endings(tenant, ids), ids),
        tx_count=txs(w3, [arbiter_key.address]) - 1,  # approved once
        successes=int(metric(arbiters, "arbiter_votes_total", {"solver_correct": "false"})),
    )
