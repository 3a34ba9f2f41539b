"""Front-running and griefing: a move copied from the mempool by another account gains the copier
nothing it did not earn and costs the original nothing but gas; spamming liveness challenges
costs the spammer; reporting, challenging or slashing yourself never pays (PROTOCOL §3-5,
invariant 7), whichever of the cheater's accounts plays which part.

"Wealth" below is what a group of accounts owns in the protocol's token: balances plus stake in
the registry (free, locked and unbonding). Every scenario settles before it is measured, so no
escrow is left open."""

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from scripts.deploy import bond_matcher

from helpers import USD, event_args, respond_liveness
from jobs.support import (
    CHALLENGER_WON,
    DISPUTED,
    FINALIZED,
    H100,
    HASHCHAIN,
    JOB_KIND,
    P_NONE,
    SEED,
    SLASHED,
    SOLVER_WON,
    ZERO32,
    Job,
    Trace,
    dispute_of,
    job_of,
    make_terms,
)
from jobs.support import (
    DEPOSIT as JOB_DEPOSIT,
)
from market.support import (
    ACTIVE,
    CLOSED,
    PRICE_TOO_HIGH,
    REQUEST_NOT_OPEN,
    TERMINATED,
    spec,
)
from security.hostile_support import (
    LEASE_DEPOSIT,
    assert_refused_without_effect,
    assert_succeeds_without_effect,
    at,
    now,
    open_lease,
    params_of,
)

FUNDS = 10_000 * USD
DAY = 86_400


def _funded(w, accounts):
    """A fresh account holding FUNDS, with both markets approved."""
    account = accounts.add()
    w.token.mint(account, FUNDS, {"from": account})
    w.token.approve(w.market, 2**256 - 1, {"from": account})
    w.token.approve(w.job_market, 2**256 - 1, {"from": account})
    return account


def wealth(w, *group) -> int:
    total = 0
    for account in group:
        total += w.token.balanceOf(account)
        p = w.registry.provider(account).dict()
        total += p["freeStake"] + p["lockedStake"] + p["unbondingStake"]
    return total


def _open_job(w, tenant, fault_from_step=None, steps=8, drawn=None):
    """A JOB request of `tenant`, matched with the provider's offer, result submitted by the
    provider (wrong from `fault_from_step` when given)."""
    terms, input = make_terms(HASHCHAIN, steps, SEED, salt=w.next_salt())
    w.job_market.publishJobTerms(terms, input, {"from": tenant})
    terms_hash = w.job_market.hashTerms(terms)
    job_spec = (H100, 0, 1, ZERO32, 0, 0, 3 * USD, DAY, now() + 3600, JOB_KIND, terms_hash, False)
    job_id = w.market.createRequest(job_spec, JOB_DEPOSIT, {"from": tenant}).return_value
    w.market.matchRequests([(job_id, w.offer)], {"from": w.matcher})
    job = Job(job_id, terms, input, steps, HASHCHAIN, Trace.of(HASHCHAIN, input, SEED, steps))
    if drawn is None:
        w.driver.submit(job, fault_from_step)
    else:
        w.driver.submit_drawn(job, fault_from_step, drawn=drawn)
    return job


# --- matching --------------------------------------------------------------------------------


def test_a_match_copied_by_an_account_without_a_matcher_bond_is_refused_and_changes_nothing(anvil, world):
    w = world
    request = w.market.createRequest(spec(), LEASE_DEPOSIT, {"from": w.tenant}).return_value

    assert_refused_without_effect(
        anvil,
        lambda: w.market.matchRequests([(request, w.offer)], {"from": w.stranger}),
        w.stranger,
        "MatcherBonds_NotBonded",
        (w.stranger.address, 0, w.matcher_bonds.params()[0]),
        w.labels,
    )

    fee = params_of(w)["matchFee"]
    before = w.market.creditOf(w.matcher)
    w.market.matchRequests([(request, w.offer)], {"from": w.matcher})
    assert w.market.creditOf(w.matcher) == before + fee


def test_a_batch_front_run_by_a_rival_matcher_is_skipped_whole_and_costs_the_original_nothing(anvil, world, accounts):
    w = world
    rival = accounts.add()
    bond_matcher(w.matcher_bonds, w.token, rival)
    requests = [w.market.createRequest(spec(), LEASE_DEPOSIT, {"from": w.tenant}).return_value for _ in range(2)]
    batch = [(r, w.offer) for r in requests]
    w.market.matchRequests(batch, {"from": rival})
    tx = assert_succeeds_without_effect(
        anvil, lambda: w.market.matchRequests(batch, {"from": w.matcher}), w.matcher, w.labels
    )

    assert [e["reason"] for e in tx.events["MatchSkipped"]] == [REQUEST_NOT_OPEN] * 2
    # The tenant pays the same match fee whoever matched: racing matchers cannot overcharge it.
    p = params_of(w)
    assert all(w.market.balanceOf(r) == LEASE_DEPOSIT - p["matchFee"] - p["settleBounty"] for r in requests)
    assert w.market.creditOf(rival) == 2 * params_of(w)["matchFee"]


def test_a_cancel_landing_before_a_match_skips_only_that_pair(world):
    w = world
    cancelled = w.market.createRequest(spec(), LEASE_DEPOSIT, {"from": w.tenant}).return_value
    kept = w.market.createRequest(spec(), LEASE_DEPOSIT, {"from": w.tenant}).return_value
    w.market.cancelRequest(cancelled, {"from": w.tenant})
    matcher_before = w.market.creditOf(w.matcher)

    tx = w.market.matchRequests([(cancelled, w.offer), (kept, w.offer)], {"from": w.matcher})

    assert event_args(tx, "MatchSkipped") == {"requestId": cancelled, "offerId": w.offer, "reason": REQUEST_NOT_OPEN}
    assert event_args(tx, "LeaseStarted")["leaseId"] == kept
    assert w.market.creditOf(w.matcher) == matcher_before + params_of(w)["matchFee"]


def test_a_provider_raising_its_price_ahead_of_a_match_never_charges_the_tenant_above_its_maximum(world):
    """The offer's price may change between the matcher's read and its transaction: above the
    tenant's maximum the pair is skipped, at or below it the lease runs at the new price."""
    w = world
    too_high = w.market.createRequest(spec(), LEASE_DEPOSIT, {"from": w.tenant}).return_value
    w.registry.updateOffer(w.offer, 8, 3 * USD + 1, 30 * DAY, {"from": w.provider})
    tx = w.market.matchRequests([(too_high, w.offer)], {"from": w.matcher})
    assert event_args(tx, "MatchSkipped")["reason"] == PRICE_TOO_HIGH

    w.registry.updateOffer(w.offer, 8, 3 * USD, 30 * DAY, {"from": w.provider})
    tx = w.market.matchRequests([(too_high, w.offer)], {"from": w.matcher})
    assert event_args(tx, "LeaseStarted")["pricePerUnitHour"] == 3 * USD


# --- challenges copied from the mempool ------------------------------------------------------


def test_a_copied_job_challenge_refuses_the_original_without_loss(anvil, world):
    w = world
    job = _open_job(w, w.tenant, fault_from_step=6)
    w.job_market.challenge(job.id, job.terms, {"from": w.stranger})  # the copy lands first

    assert_refused_without_effect(
        anvil,
        lambda: w.job_market.challenge(job.id, job.terms, {"from": w.challenger}),
        w.challenger,
        "JobMarket_UnexpectedStatus",
        (job.id, DISPUTED),
        w.labels,
    )


@pytest.mark.parametrize("strategy", ["silent", "guessing"])
def test_a_copier_that_cannot_play_the_game_loses_its_bond_and_the_whistleblower_still_wins(world, strategy):
    """The copier posts its own bond and must answer every bisection round from the honest trace.
    Without it (silent, or always disagreeing) it loses the bond; the window reopens for at
    least one move timeout and the whistleblower it copied challenges again and wins."""
    w = world
    job = _open_job(w, w.tenant, fault_from_step=6)
    bond = params_of(w)["challengeBond"]
    copier_before, whistleblower_before = w.token.balanceOf(w.stranger), w.token.balanceOf(w.challenger)

    w.job_market.challenge(job.id, job.terms, {"from": w.stranger})
    if strategy == "silent":
        w.driver.reveal(job)
        at(dispute_of(w.job_market, job.id)["deadline"] + 1)
        tx = w.job_market.claimTimeout(job.id, {"from": w.provider})
    else:
        w.driver.bisect(job, agree=False)
        tx = w.driver.prove(job)
    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    assert w.token.balanceOf(w.stranger) == copier_before - bond

    w.driver.challenge(job, challenger=w.challenger)
    w.driver.bisect(job)
    tx = w.driver.prove(job)
    slashed = event_args(tx, "DisputeResolved")["slashed"]
    assert event_args(tx, "DisputeResolved")["result"] == CHALLENGER_WON and slashed > 0
    # Its bond back: a job's slash pays no finder (docs/verification.md, self-reports).
    assert w.token.balanceOf(w.challenger) == whistleblower_before


def test_a_cheaters_last_second_sock_puppet_challenge_cannot_shut_out_the_whistleblower(world, accounts):
    """The solver's own second account challenges in the window's last second and loses on
    purpose, hoping the window is over. It reopens for a move timeout, the honest whistleblower
    wins, and the cheater's two accounts together are worse off by half the sock's bond plus
    the whole collateral."""
    w = world
    sock = _funded(w, accounts)
    job = _open_job(w, w.tenant, fault_from_step=6)
    group_before = wealth(w, w.provider, sock)
    window_end = job_of(w.job_market, job.id)["windowEndsAt"]

    at(window_end - 1)
    w.job_market.challenge(job.id, job.terms, {"from": sock})
    w.driver.reveal(job)
    at(dispute_of(w.job_market, job.id)["deadline"] + 1)
    tx = w.job_market.claimTimeout(job.id, {"from": w.provider})
    assert job_of(w.job_market, job.id)["windowEndsAt"] == tx.timestamp + params_of(w)["moveTimeoutSeconds"]

    w.driver.challenge(job, challenger=w.challenger)
    w.driver.bisect(job)
    tx = w.driver.prove(job)
    assert w.job_market.statusOf(job.id) == SLASHED
    collateral = event_args(tx, "DisputeResolved")["slashed"]
    bond, bounty = params_of(w)["challengeBond"], params_of(w)["settleBounty"]
    # The provider settled both games (the sock's timeout and its own slash): two settle bounties.
    assert wealth(w, w.provider, sock) - group_before == -(bond - bond * 5000 // 10_000) + 2 * bounty - collateral


def test_a_copied_liveness_challenge_refuses_the_original_without_loss(anvil, world):
    w = world
    lease, start = open_lease(w)
    at(start + params_of(w)["livenessSpacingSeconds"])
    tx = w.market.challengeLiveness(lease, {"from": w.stranger})

    assert_refused_without_effect(
        anvil,
        lambda: w.market.challengeLiveness(lease, {"from": w.tenant}),
        w.tenant,
        "LeaseMarket_ChallengeOpen",
        (lease, w.stranger.address, tx.timestamp),
        w.labels,
    )


# --- copied moves and settlements ------------------------------------------------------------


def test_a_copied_step_proof_decides_the_same_and_pays_the_copier_only_the_settle_bounty(anvil, world):
    w = world
    job = _open_job(w, w.tenant, steps=1)
    w.driver.challenge(job)
    copier_before, provider_before = w.token.balanceOf(w.stranger), w.token.balanceOf(w.provider)

    tx = w.job_market.proveStep(job.id, job.terms, job.input, {"from": w.stranger})

    assert event_args(tx, "DisputeResolved")["result"] == SOLVER_WON
    # Whoever ends a game is paid for settling it, as a copied lease settlement is.
    assert w.token.balanceOf(w.stranger) == copier_before + params_of(w)["settleBounty"]
    assert w.token.balanceOf(w.provider) == provider_before + params_of(w)["challengeBond"] // 2
    assert_refused_without_effect(
        anvil,
        lambda: w.job_market.proveStep(job.id, job.terms, job.input, {"from": w.provider}),
        w.provider,
        "JobMarket_UnexpectedPhase",
        (job.id, P_NONE),
        w.labels,
    )


def test_a_copied_lease_settlement_pays_one_bounty_and_refuses_the_original_cleanly(anvil, world):
    w = world
    lease, start = open_lease(w)
    at(start + DAY)
    bounty = params_of(w)["settleBounty"]
    copier_before = w.token.balanceOf(w.stranger)

    w.market.closeLease(lease, {"from": w.stranger})

    assert w.token.balanceOf(w.stranger) == copier_before + bounty
    assert_refused_without_effect(
        anvil,
        lambda: w.market.closeLease(lease, {"from": w.matcher}),
        w.matcher,
        "LeaseMarket_LeaseSettled",
        (lease, CLOSED),
        w.labels,
    )


def test_a_copied_job_finalization_pays_one_bounty_and_refuses_the_original_cleanly(anvil, world):
    w = world
    job = _open_job(w, w.tenant)
    at(job_of(w.job_market, job.id)["windowEndsAt"])
    copier_before = w.token.balanceOf(w.stranger)

    w.job_market.finalizeJob(job.id, {"from": w.stranger})

    assert w.token.balanceOf(w.stranger) == copier_before + params_of(w)["settleBounty"]
    assert_refused_without_effect(
        anvil,
        lambda: w.job_market.finalizeJob(job.id, {"from": w.matcher}),
        w.matcher,
        "JobMarket_UnexpectedStatus",
        (job.id, FINALIZED),
        w.labels,
    )


def _permit(w, owner, spender, value, deadline):
    domain = {
        "name": "Test USD",
        "version": "1",
        "chainId": w.token.eip712Domain()[3],
        "verifyingContract": w.token.address,
    }
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }
    message = {
        "owner": owner.address,
        "spender": spender.address,
        "value": value,
        "nonce": w.token.nonces(owner),
        "deadline": deadline,
    }
    signed = Account.sign_message(encode_typed_data(domain, types, message), owner.private_key)
    return signed.v, f"0x{signed.r:064x}", f"0x{signed.s:064x}"


def test_a_permit_front_run_from_the_mempool_does_not_block_the_request(world, accounts):
    """Someone submits the tenant's permit to the token first: the nonce is used, the allowance
    set, and the tenant's request goes through with one pull of its deposit."""
    w = world
    tenant = accounts.add()
    w.token.mint(tenant, LEASE_DEPOSIT, {"from": tenant})
    deadline = now() + 3600
    v, r, s = _permit(w, tenant, w.market, LEASE_DEPOSIT, deadline)

    w.token.permit(tenant, w.market, LEASE_DEPOSIT, deadline, v, r, s, {"from": w.stranger})
    tx = w.market.createRequestWithPermit(spec(), LEASE_DEPOSIT, deadline, v, r, s, {"from": tenant})

    assert event_args(tx, "RequestCreated")["tenant"] == tenant
    assert w.token.balanceOf(tenant) == 0
    assert w.token.allowance(tenant, w.market) == 0


# --- griefing with liveness challenges -------------------------------------------------------


@pytest.mark.parametrize("spammer", ["challenger", "tenant"])
def test_liveness_challenge_spam_costs_a_stranger_a_bond_per_answer_and_the_tenant_its_gas(world, spammer):
    """A third party's answered challenge pays its bond to the provider. The lease's own tenant gets
    its bond back (its check is part of the service: issue 12, the timesharer), so its spam costs it
    the challenges' gas, most of what the answers cost the provider (tests/security/test_timesharing.py)."""
    w = world
    lease, start = open_lease(w)
    p = params_of(w)
    who = getattr(w, spammer)
    spammer_before, provider_before = w.token.balanceOf(who), w.token.balanceOf(w.provider)
    answered_before = w.registry.provider(w.provider).dict()["livenessAnswered"]
    challenges = 3

    t = start
    for _ in range(challenges):
        t += p["livenessSpacingSeconds"]
        at(t)
        w.market.challengeLiveness(lease, {"from": who})
        respond_liveness(w.market, lease, w.provider)

    paid = 0 if spammer == "tenant" else challenges * p["livenessBond"]
    assert w.token.balanceOf(who) == spammer_before - paid
    assert w.token.balanceOf(w.provider) == provider_before + paid
    assert w.market.statusOf(lease) == ACTIVE
    assert w.registry.provider(w.provider).dict()["livenessAnswered"] == answered_before + challenges
    # The answered challenges held nothing back: the provider may withdraw all that accrued.
    assert w.market.withdrawableOf(lease) == w.market.accruedOf(lease)


def test_a_spammer_cannot_keep_a_challenge_open_to_freeze_the_providers_earnings(world):
    """An unanswerable challenge does not exist: a second one waits for the answer and the
    spacing, and an answer releases the held-back accrual at once."""
    w = world
    lease, start = open_lease(w)
    p = params_of(w)
    at(start + p["livenessSpacingSeconds"])
    w.market.challengeLiveness(lease, {"from": w.tenant})
    at(start + p["livenessSpacingSeconds"] + 300)
    held = w.market.accruedOf(lease)
    respond_liveness(w.market, lease, w.provider)
    assert w.market.withdrawableOf(lease) > held


def test_challenging_a_correct_result_again_and_again_costs_the_griefer_half_a_bond_each_time(world):
    """A griefer delays an honest solver's payment by challenging and going silent. Each round
    costs it the bond; half goes to the solver for the delay, and the window reopens for at least a
    move timeout, so the solver is finally paid in full."""
    w = world
    job = _open_job(w, w.tenant)
    bond = params_of(w)["challengeBond"]
    griefer_before, provider_before = w.token.balanceOf(w.stranger), w.token.balanceOf(w.provider)
    rounds = 2

    for _ in range(rounds):
        w.job_market.challenge(job.id, job.terms, {"from": w.stranger})
        w.driver.reveal(job)
        at(dispute_of(w.job_market, job.id)["deadline"] + 1)
        w.job_market.claimTimeout(job.id, {"from": w.provider})
    tx = w.driver.finalize_after_window(job)

    # The provider settles each game (a bounty from the forfeited bond), the griefer the job.
    bounty = params_of(w)["settleBounty"]
    assert w.token.balanceOf(w.stranger) == griefer_before - rounds * bond + bounty
    assert w.token.balanceOf(w.provider) == (
        provider_before + rounds * (bond * 5000 // 10_000 + bounty) + event_args(tx, "JobFinalized")["toProvider"]
    )


# --- self-challenge and self-slash -----------------------------------------------------------


@pytest.mark.parametrize("who", ["provider_itself", "sock_challenger", "sock_challenger_and_tenant"])
def test_an_unanswered_self_liveness_challenge_never_pays(world, accounts, who):
    """The provider challenges its own lease (itself or through a second account, which may also
    be the tenant) and lets the window pass. Whatever the split, the group loses at least the
    treasury's share of the slash."""
    w = world
    sock = _funded(w, accounts)
    tenant = sock if who == "sock_challenger_and_tenant" else w.tenant
    challenger = w.provider if who == "provider_itself" else sock
    before = wealth(w, w.provider, sock)

    lease, start = open_lease(w, tenant=tenant)
    p = params_of(w)
    at(start + p["livenessSpacingSeconds"])
    challenged_at = w.market.challengeLiveness(lease, {"from": challenger}).timestamp
    at(challenged_at + p["livenessWindowSeconds"] + 1)
    tx = w.market.resolveLiveness(lease, {"from": challenger})

    assert w.market.statusOf(lease) == TERMINATED
    slash = event_args(tx, "ProviderSlashed")
    closed = event_args(tx, "LeaseClosed")
    if who == "provider_itself":
        # Paid by the outside tenant for the hour served, plus the bounty for resolving; the whole
        # slash leaves, none of it comes back.
        assert slash["toWhistleblower"] == 0
        expected = closed["paid"] + closed["bounty"] - slash["slashed"]
    elif who == "sock_challenger":
        # The sock gets its share and the bounty back; the tenant's and treasury's shares leave.
        expected = closed["paid"] + closed["bounty"] - slash["toTenant"] - slash["toTreasury"]
    else:
        # Everyone but the treasury and the matcher is the cheater.
        expected = -(slash["toTreasury"] + p["matchFee"] + closed["fee"])
    delta = wealth(w, w.provider, sock) - before
    assert delta == expected
    assert delta < 0


@pytest.mark.parametrize("who", ["provider_itself", "sock"])
def test_a_self_answered_liveness_challenge_moves_no_tokens(world, accounts, who):
    w = world
    sock = _funded(w, accounts)
    challenger = w.provider if who == "provider_itself" else sock
    lease, start = open_lease(w)
    before = wealth(w, w.provider, sock)

    at(start + params_of(w)["livenessSpacingSeconds"])
    w.market.challengeLiveness(lease, {"from": challenger})
    respond_liveness(w.market, lease, w.provider)

    assert wealth(w, w.provider, sock) == before


@pytest.mark.parametrize("who", ["provider_itself", "sock", "sock_and_tenant"])
def test_expiring_ones_own_late_job_never_pays(world, accounts, who):
    w = world
    sock = _funded(w, accounts)
    tenant = sock if who == "sock_and_tenant" else w.tenant
    reporter = w.provider if who == "provider_itself" else sock
    group = {w.provider, reporter, tenant} - {w.tenant}
    before = wealth(w, *group)

    terms, input = make_terms(HASHCHAIN, 8, SEED, salt=w.next_salt())
    w.job_market.publishJobTerms(terms, input, {"from": tenant})
    job_spec = (H100, 0, 1, ZERO32, 0, 0, 3 * USD, DAY, now() + 3600, JOB_KIND, w.job_market.hashTerms(terms), False)
    job_id = w.market.createRequest(job_spec, JOB_DEPOSIT, {"from": tenant}).return_value
    w.market.matchRequests([(job_id, w.offer)], {"from": w.matcher})
    at(job_of(w.job_market, job_id)["resultDeadline"] + 1)
    tx = w.job_market.expireJob(job_id, {"from": reporter})

    slash = event_args(tx, "ProviderSlashed")
    expected_loss = slash["toTreasury"] + (slash["toTenant"] if tenant == w.tenant else 0)
    if tenant != w.tenant:
        expected_loss += params_of(w)["matchFee"]
    assert slash["toWhistleblower"] == 0  # no finder's share of a job slash, whoever expires it
    # The reporter is paid the settle bounty, from the tenant's deposit.
    gain = params_of(w)["settleBounty"] if tenant == w.tenant else 0
    assert wealth(w, *group) - before == gain - expected_loss < 0


SETTINGS = {
    "defaults": {},
    # A cheap GPU model: the collateral's treasury share (20% of 10 USD) is below half a verifier bond.
    "cheap_collateral": {"collateral": 10 * USD},
    # Governance's most generous split: the whole slash goes to the reporter and the tenant.
    "no_treasury_share": {"whistleblowerRewardBps": 9000, "tenantCompensationBps": 1000},
}


@pytest.mark.parametrize("setting", sorted(SETTINGS))
@pytest.mark.parametrize("attested", [False, True], ids=["no_verifier", "lazy_verifier_attested_valid"])
def test_losing_a_dispute_to_ones_own_sock_never_pays(world, accounts, attested, setting):
    """A cheater submits a wrong result on purpose and has its sock (also the tenant) win the
    dispute: it gets back the reporter's and the tenant's shares of its own collateral, and a
    share of a lazy verifier's bond when one vouched for the wrong result; that share never
    exceeds what the slash left with the treasury, so the cheater still ends worse off, whatever
    the collateral and the split."""
    w = world
    changes = dict(SETTINGS[setting])
    if "collateral" in changes:
        w.config.setGpuModel(H100, 80, 4, changes.pop("collateral"), True, {"from": w.governance})
    if changes:
        params = params_of(w)
        params.update(changes)
        w.config.setParams(tuple(params.values()), {"from": w.governance})
    sock = _funded(w, accounts)
    before = wealth(w, w.provider, sock)

    job = _open_job(w, sock, fault_from_step=3, drawn=attested)
    if attested:
        w.driver.attest_valid(job)  # a colluding verifier: it holds the solver's trace
    w.driver.challenge(job, challenger=sock)
    w.driver.bisect(job)
    tx = w.driver.prove(job)

    assert w.job_market.statusOf(job.id) == SLASHED
    slash = event_args(tx, "ProviderSlashed")
    from_verifier = event_args(tx, "VerifierBondForfeited")["toChallenger"] if attested else 0
    assert from_verifier <= slash["toTreasury"]
    delta = wealth(w, w.provider, sock) - before
    assert delta == -slash["toTreasury"] - params_of(w)["matchFee"] + from_verifier
    assert delta < 0
