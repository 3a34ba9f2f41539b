"""Who gains and who loses, in tokens, at the end of each kind of dispute (default parameters:
collateral 2,000 USD, escrow 100 USD, challenge bond 50, verifier bond 20, whistleblower 50%,
tenant compensation 30%, settle bounty 0.25). A job's slash pays no finder's share (issue 12, property 5):
the tenant's compensation, the rest to the treasury. Whoever ends the game (here the solver, proving the
last step) is paid the settle bounty. Stake and payment token are the same TestStablecoin here."""

from helpers import event_args
from jobs.support import (
    CHALLENGE_BOND,
    COLLATERAL,
    DISPUTE_LOST,
    ESCROW,
    PROTOCOL_FEE_BPS,
    SETTLE_BOUNTY,
    TENANT_COMP_BPS,
    VERIFIER_BOND,
    VERIFIER_FEE_BPS,
    WHISTLEBLOWER_BPS,
)

SLASH_TO_TENANT = COLLATERAL * TENANT_COMP_BPS // 10_000
SLASH_TO_TREASURY = COLLATERAL - SLASH_TO_TENANT
BOND_TO_SOLVER = CHALLENGE_BOND * WHISTLEBLOWER_BPS // 10_000
PROVIDER_PAY = ESCROW - ESCROW * PROTOCOL_FEE_BPS // 10_000 - ESCROW * VERIFIER_FEE_BPS // 10_000


def _balances(ctx, *accounts):
    return {a: ctx.token.balanceOf(a) for a in accounts}


def _deltas(ctx, before):
    return {a: ctx.token.balanceOf(a) - v for a, v in before.items()}


def _stake(ctx, account):
    p = ctx.registry.provider(account)
    return p["freeStake"] + p["lockedStake"] + p["unbondingStake"]


def test_given_a_cheating_solver_the_tenant_and_treasury_share_the_slash(ctx, driver):
    job = driver.open_submitted(fault_from_step=4)
    before = _balances(ctx, ctx.challenger, ctx.tenant, ctx.treasury, ctx.provider)
    stake_before = _stake(ctx, ctx.provider)
    driver.challenge(job)
    driver.bisect(job)
    tx = driver.prove(job)
    slashed = event_args(tx, "ProviderSlashed")
    assert slashed["reason"] == DISPUTE_LOST and slashed["slashed"] == COLLATERAL
    assert _deltas(ctx, before) == {
        ctx.challenger: 0,  # its bond back; no finder's share
        ctx.tenant: ESCROW + SLASH_TO_TENANT,
        ctx.treasury: SLASH_TO_TREASURY,
        ctx.provider: SETTLE_BOUNTY,  # it settled the game by proving the step
    }
    assert stake_before - _stake(ctx, ctx.provider) == COLLATERAL
    assert event_args(tx, "DisputeResolved")["slashed"] == COLLATERAL


def test_given_a_colluding_verifier_its_bond_goes_to_the_challenger_and_the_treasury(ctx, driver):
    """It holds the solver's wrong trace, so it can show the spot proof: the whistleblower catches it."""
    job = driver.open_drawn(fault_from_step=8)
    driver.attest_valid(job)
    before = _balances(ctx, ctx.challenger, ctx.verifier, ctx.treasury)
    driver.challenge(job)
    driver.bisect(job)
    tx = driver.prove(job)
    to_challenger = VERIFIER_BOND * WHISTLEBLOWER_BPS // 10_000
    assert event_args(tx, "VerifierBondForfeited") == {
        "jobId": job.id,
        "verifier": ctx.verifier,
        "toChallenger": to_challenger,
        "toTreasury": VERIFIER_BOND - to_challenger,
    }
    assert _deltas(ctx, before) == {
        ctx.challenger: to_challenger,
        ctx.verifier: 0,  # its bond was already posted: lost for good
        ctx.treasury: SLASH_TO_TREASURY,  # the registry pays the slash's share at once
    }
    assert ctx.job_market.accruedFees() == VERIFIER_BOND - to_challenger  # the bond's share waits for a sweep


def test_given_an_honest_solver_a_false_whistleblower_loses_its_bond(ctx, driver):
    job = driver.open_submitted()
    before = _balances(ctx, ctx.challenger, ctx.provider, ctx.treasury)
    driver.challenge(job)
    driver.bisect(job, agree=False)
    tx = driver.prove(job)
    assert event_args(tx, "ChallengerBondForfeited") == {
        "jobId": job.id,
        "challenger": ctx.challenger,
        "defender": ctx.provider,
        "toDefender": BOND_TO_SOLVER,
        "toTreasury": CHALLENGE_BOND - BOND_TO_SOLVER - SETTLE_BOUNTY,
    }
    assert event_args(tx, "SettleBountyPaid")["bounty"] == SETTLE_BOUNTY  # from the treasury's half
    assert _deltas(ctx, before) == {
        ctx.challenger: -CHALLENGE_BOND,
        ctx.provider: BOND_TO_SOLVER + SETTLE_BOUNTY,
        ctx.treasury: 0,
    }
    assert ctx.job_market.accruedFees() == CHALLENGE_BOND - BOND_TO_SOLVER - SETTLE_BOUNTY


def test_given_a_verifier_attested_invalid_and_lost_it_is_the_losing_challenger(ctx, driver):
    job = driver.open_submitted()
    before = _balances(ctx, ctx.verifier, ctx.tenant)
    driver.attest_invalid(job)
    driver.bisect(job, agree=False)
    driver.prove(job)
    pool = ctx.job_market.verifierPool()
    tx = driver.finalize_after_window(job)
    levy = ESCROW * VERIFIER_FEE_BPS // 10_000
    assert event_args(tx, "JobFinalized")["toVerifier"] == 0
    assert ctx.job_market.verifierPool() - pool == levy  # the levy nobody earned funds the pool
    assert _deltas(ctx, before) == {ctx.verifier: -CHALLENGE_BOND, ctx.tenant: 0}


def test_self_challenge_of_an_honest_result_never_pays(ctx, driver, accounts):
    """The provider challenges its own honest result from another address and loses on purpose."""
    alt = accounts.add()
    ctx.token.mint(alt, CHALLENGE_BOND, {"from": alt})
    ctx.token.approve(ctx.job_market, CHALLENGE_BOND, {"from": alt})
    job = driver.open_submitted()
    before = _balances(ctx, ctx.provider, alt)
    driver.challenge(job, alt)
    driver.bisect(job, agree=False)
    driver.prove(job)
    driver.finalize_after_window(job)
    delta = _deltas(ctx, before)
    assert delta[ctx.provider] + delta[alt] == PROVIDER_PAY - (CHALLENGE_BOND - BOND_TO_SOLVER - SETTLE_BOUNTY)
    assert delta[ctx.provider] + delta[alt] < PROVIDER_PAY


def test_self_challenge_of_a_cheated_result_never_pays(ctx, driver, accounts):
    """The provider cheats, then reports itself from another address to collect the reward."""
    alt = accounts.add()
    ctx.token.mint(alt, CHALLENGE_BOND, {"from": alt})
    ctx.token.approve(ctx.job_market, CHALLENGE_BOND, {"from": alt})
    job = driver.open_submitted(fault_from_step=2)
    stake_before = _stake(ctx, ctx.provider)
    before = _balances(ctx, ctx.provider, alt)
    driver.challenge(job, alt)
    driver.bisect(job)
    driver.prove(job)
    delta = _deltas(ctx, before)
    lost_stake = stake_before - _stake(ctx, ctx.provider)
    net = delta[ctx.provider] + delta[alt] - lost_stake
    assert net == SETTLE_BOUNTY - COLLATERAL  # the whole collateral; the bounty for proving the step
    assert net < 0
