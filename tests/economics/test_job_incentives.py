"""Issue 12 on a real chain: the job attacks that paid now lose money or are refused.

Default parameters (ProtocolConfig): settle bounty 0.25 USD, job collateral 4x the price,
tenant compensation 30%, no finder's share of a job slash. Stake and payment token are the same
TestStablecoin here, so one balance sheet adds up both.
"""

from keepers.contracts.types import SkipReason
from scripts.deploy import bond_matcher

from helpers import USD, event_args, reverts_with
from jobs.support import (
    CHALLENGE_BOND,
    COLLATERAL,
    DEPOSIT,
    ESCROW,
    H100,
    HASHCHAIN,
    HOUR,
    JOB_KIND,
    MATCH_FEE,
    OFFER_UNITS,
    SETTLE_BOUNTY,
    SLASHED,
    STAKE,
    ZERO32,
    job_of,
    make_terms,
    now,
    sleep_past,
)

# An honest H100 offer's job policy: the whole offer computes 1,000 steps a second and needs five
# minutes to fetch the input and start.
STEPS_PER_SECOND = 1_000
SETUP_SECONDS = 300


def _stake(ctx, account):
    p = ctx.registry.provider(account)
    return p["freeStake"] + p["lockedStake"] + p["unbondingStake"]


def _request(ctx, terms, input, *, units=1, deposit=DEPOSIT, tenant=None):
    """Publishes `terms` and posts a JOB request for them; returns the request id."""
    ctx.job_market.publishJobTerms(terms, input, {"from": ctx.stranger})
    spec = (
        H100,
        0,
        units,
        ZERO32,
        0,
        0,
        3 * USD,
        86_400,
        now() + HOUR,
        JOB_KIND,
        ctx.job_market.hashTerms(terms),
        False,
    )
    return ctx.market.createRequest(spec, deposit, {"from": tenant or ctx.tenant}).return_value


def _honest_policy(ctx):
    ctx.registry.setOfferJobPolicy(ctx.offer, STEPS_PER_SECOND, SETUP_SECONDS, {"from": ctx.provider})


def test_attack_1_infeasible_terms_are_refused_and_the_attacker_gains_nothing(ctx):
    """60 s to compute 2**24 steps on all 8 units: no honest provider can, so no policy takes it."""
    _honest_policy(ctx)
    terms, input = make_terms(HASHCHAIN, steps=2**24, result_timeout=60, salt=ctx.next_salt())
    tenant_before, stake_before = ctx.token.balanceOf(ctx.tenant), _stake(ctx, ctx.provider)
    request_id = _request(ctx, terms, input, units=OFFER_UNITS)

    tx = ctx.market.matchRequests([(request_id, ctx.offer)], {"from": ctx.matcher})
    assert event_args(tx, "MatchSkipped")["reason"] == SkipReason.JOB_TERMS_REFUSED
    assert "JobOpened" not in tx.events
    # The view the matcher keeper and the market use says the same.
    assert ctx.job_market.jobSkipReason(ctx.job_market.hashTerms(terms), ctx.offer, DEPOSIT) == (
        SkipReason.JOB_TERMS_REFUSED
    )

    # With nothing matched there is no late result to expire: the tenant's second account cannot
    # collect any share of a slash, and the tenant only gets its own deposit back.
    sleep_past(now() + HOUR)
    ctx.market.cancelRequest(request_id, {"from": ctx.stranger})
    assert ctx.token.balanceOf(ctx.tenant) == tenant_before
    assert _stake(ctx, ctx.provider) == stake_before


def test_an_offer_without_a_job_policy_takes_no_jobs(ctx):
    ctx.registry.setOfferJobPolicy(ctx.offer, 0, 0, {"from": ctx.provider})
    terms, input = make_terms(HASHCHAIN, steps=8, salt=ctx.next_salt())
    request_id = _request(ctx, terms, input)
    tx = ctx.market.matchRequests([(request_id, ctx.offer)], {"from": ctx.matcher})
    assert event_args(tx, "MatchSkipped")["reason"] == SkipReason.JOB_TERMS_REFUSED


def test_an_honest_job_within_the_policy_matches_and_a_later_policy_change_leaves_it_alone(ctx, driver):
    _honest_policy(ctx)
    # 1,024 steps take 2 s at 1,000 steps/s: 302 s needed, 600 s given.
    job = driver.open(steps=1024, result_timeout=600)
    assert job_of(ctx.job_market, job.id)["provider"] == ctx.provider
    # The provider stops taking jobs: the running job keeps its terms and is paid as agreed.
    ctx.registry.setOfferJobPolicy(ctx.offer, 0, 0, {"from": ctx.provider})
    driver.submit(job)
    before = ctx.token.balanceOf(ctx.provider)
    driver.finalize_after_window(job)
    assert ctx.token.balanceOf(ctx.provider) > before


def test_a_job_one_second_short_of_the_policy_is_refused(ctx):
    _honest_policy(ctx)
    terms, input = make_terms(HASHCHAIN, steps=1024, result_timeout=SETUP_SECONDS + 1, salt=ctx.next_salt())
    request_id = _request(ctx, terms, input)
    tx = ctx.market.matchRequests([(request_id, ctx.offer)], {"from": ctx.matcher})
    assert event_args(tx, "MatchSkipped")["reason"] == SkipReason.JOB_TERMS_REFUSED


def test_property_2_a_big_job_locks_collateral_in_proportion_to_its_price(ctx, driver):
    """A 5,000 USD job on one H100 unit (2,000 USD of unit collateral) locks 20,000 USD (4x)."""
    price = 5_000 * USD
    assert ctx.config.jobCollateralBps() == 40_000
    # A matcher matches at most half its bond of value per window (the exposure cap): one bonded for it.
    bond_matcher(ctx.matcher_bonds, ctx.token, ctx.matcher, 2 * price)
    locked_before = ctx.registry.provider(ctx.provider)["lockedStake"]
    job = driver.open(deposit=price + SETTLE_BOUNTY + MATCH_FEE)
    stored = job_of(ctx.job_market, job.id)
    assert stored["escrow"] == price and stored["collateral"] == 4 * price
    assert ctx.registry.provider(ctx.provider)["lockedStake"] - locked_before == 4 * price

    # Caught cheating, it loses four times what the job could have paid it.
    driver.submit(job, fault_from_step=3)
    stake_before = _stake(ctx, ctx.provider)
    driver.challenge(job)
    driver.bisect(job)
    driver.prove(job, sender=ctx.stranger)
    assert ctx.job_market.statusOf(job.id) == SLASHED
    assert stake_before - _stake(ctx, ctx.provider) == 4 * price > price


def test_property_2_a_job_the_stake_cannot_back_is_skipped(ctx):
    # 4 x 15,000 USD is more than the provider's 50,000 USD of stake.
    assert STAKE < 4 * 15_000 * USD
    terms, input = make_terms(HASHCHAIN, steps=8, salt=ctx.next_salt())
    request_id = _request(ctx, terms, input, deposit=15_000 * USD)
    tx = ctx.market.matchRequests([(request_id, ctx.offer)], {"from": ctx.matcher})
    assert event_args(tx, "MatchSkipped")["reason"] == SkipReason.STAKE_INSUFFICIENT
    assert ctx.registry.provider(ctx.provider)["lockedStake"] == 0


def _cheat_and_get_caught(ctx, driver, challenger):
    """A cheated job, challenged by `challenger`, settled by a stranger; returns the cheater's loss
    counted over the provider's stake and wallet and the challenger's wallet."""
    job = driver.open()
    driver.submit(job, fault_from_step=2)
    accounts = (ctx.provider, challenger)
    wallets = {a: ctx.token.balanceOf(a) for a in accounts}
    stake_before = _stake(ctx, ctx.provider)
    driver.challenge(job, challenger)
    driver.bisect(job)
    driver.prove(job, sender=ctx.stranger)
    lost_stake = stake_before - _stake(ctx, ctx.provider)
    gained = {a: ctx.token.balanceOf(a) - wallets[a] for a in accounts}
    return lost_stake, gained


def test_property_5_front_running_ones_own_whistleblower_loses_as_much_as_being_caught(ctx, driver, accounts):
    # Caught by an honest whistleblower: the cheater loses its whole collateral.
    lost, gained = _cheat_and_get_caught(ctx, driver, ctx.challenger)
    loss_when_caught = lost - gained[ctx.provider]
    assert loss_when_caught == COLLATERAL

    # The cheater front-runs the whistleblower from its own second account: bond back, no share.
    alt = accounts.add()
    ctx.token.mint(alt, CHALLENGE_BOND, {"from": alt})
    ctx.token.approve(ctx.job_market, CHALLENGE_BOND, {"from": alt})
    lost, gained = _cheat_and_get_caught(ctx, driver, alt)
    loss_when_self_reported = lost - gained[ctx.provider] - gained[alt]
    assert loss_when_self_reported >= loss_when_caught


def test_property_10_every_job_settlement_pays_a_third_party_settler(ctx, driver):
    settler, jm = ctx.stranger, ctx.job_market
    start = ctx.token.balanceOf(settler)

    # finalizeJob
    done = driver.open_submitted()
    driver.finalize_after_window(done, sender=settler)
    # expireJob
    late = driver.open()
    sleep_past(job_of(jm, late.id)["resultDeadline"])
    jm.expireJob(late.id, {"from": settler})
    # claimTimeout that ends the job: the solver stops revealing
    silent = driver.open_submitted(fault_from_step=1)
    driver.challenge(silent)
    sleep_past(now() + HOUR)
    tx = jm.claimTimeout(silent.id, {"from": settler})
    assert event_args(tx, "SettleBountyPaid") == {"jobId": silent.id, "recipient": settler, "bounty": SETTLE_BOUNTY}
    # claimTimeout that resumes the job: the challenger stops answering; paid from its forfeited bond
    honest = driver.open_submitted()
    driver.challenge(honest)
    driver.reveal(honest)
    sleep_past(now() + HOUR)
    jm.claimTimeout(honest.id, {"from": settler})
    driver.finalize_after_window(honest, sender=settler)

    assert ctx.token.balanceOf(settler) - start == 5 * SETTLE_BOUNTY
    # Conservation: every job is settled, so the job market holds its accrued fees and the verifier
    # pool (the levy of the jobs nobody verified) and nothing else.
    assert ctx.token.balanceOf(jm) == jm.accruedFees() + jm.verifierPool()
    assert ESCROW > 0


def test_property_3_an_honest_verifier_earns_more_than_a_lazy_one_at_a_cheat_rate_of_zero(ctx):
    """Honest solvers only. The honest verifier claims a drawn job, re-executes it (half its price
    off-chain) and attests with its spot proof: paid v/s = 60% of the price from the pool. The lazy
    verifier holds no trace: its attestation is refused, and a claim it cannot prove costs it its bond."""
    driver, lazy = ctx.driver, ctx.challenger
    ctx.config.setRole(ctx.config.VERIFIER_ROLE(), lazy, True, {"from": ctx.governance})
    for _ in range(5):  # unverified jobs: their levy (12 USD each) funds the pool
        driver.finalize_after_window(driver.open_submitted())
    job, claimed_by_lazy = driver.open_drawn(), driver.open_drawn()
    jm = ctx.job_market

    def wealth(account):  # its tokens and its credit in the job market (a sampled verifier's pay is credited)
        return ctx.token.balanceOf(account) + jm.creditOf(account)

    honest_before, lazy_before = wealth(ctx.verifier), wealth(lazy)

    with reverts_with("JobMarket_NotClaimant"):
        ctx.job_market.attest(job.id, job.terms, True, ZERO32, [], {"from": lazy})
    driver.claim(claimed_by_lazy, lazy)
    with reverts_with("JobMarket_InvalidSpotProof"):
        ctx.job_market.attest(claimed_by_lazy.id, claimed_by_lazy.terms, True, ZERO32, [], {"from": lazy})
    driver.attest_valid(job)
    driver.finalize_after_window(claimed_by_lazy)
    driver.finalize_after_window(job)

    reexecution = ESCROW // 2  # k·P: the verifier runs what the solver charges for
    honest = wealth(ctx.verifier) - honest_before - reexecution
    lazy_profit = wealth(lazy) - lazy_before
    assert honest == ESCROW * 1_200 // 2_000 - reexecution == 10 * USD  # (v/s − k)·P
    assert lazy_profit == -ctx.config.params()["verifierBond"]  # its claim's bond, to the pool
    assert honest > 0 > lazy_profit
