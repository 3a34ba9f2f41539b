"""`leasehold market fees | sweep-fees | claim-credit` against a market paid in a token that can
refuse an account (BlocklistPermitToken), so payouts are really credited and fees really accrue."""

import pytest
from brownie import BlocklistPermitToken, chain

from scripts.deploy import deploy, write_deployment

from protocol_setup import H100, H100_COLLATERAL, HOUR, USD, ok_json, open_lease


@pytest.fixture(scope="module")
def protocol(accounts, tmp_path_factory):
    """The keeper tests' protocol, paid and staked in a token whose issuer can blocklist."""
    deployment = deploy(accounts[0], payment_token=BlocklistPermitToken.deploy({"from": accounts[0]}))
    return deployment, write_deployment(deployment, tmp_path_factory.mktemp("deployments"))


@pytest.fixture
def earning_lease(protocol, matcher_account, funded_key, client_for):
    """(provider key, provider client, lease id): an H100 lease that has run an hour."""
    key = funded_key(H100_COLLATERAL)
    provider, tenant = client_for(key), client_for(funded_key())
    provider.register_provider("eu-west", "http://gpu.example")
    provider.stake(H100_COLLATERAL)
    provider.add_offer(H100, 1, 2 * USD, 24 * HOUR)
    lease_id = open_lease(protocol[0].market, matcher_account, provider, tenant)
    chain.sleep(HOUR)
    chain.mine()
    return key, provider, lease_id


def test_fees_accrue_at_a_withdrawal_and_sweep_fees_sends_them_to_the_treasury(
    protocol, earning_lease, funded_key, cli
):
    deployment = protocol[0]
    _, provider, lease_id = earning_lease
    provider.withdraw_earnings(lease_id)
    accrued = deployment.market.accruedFees()
    assert accrued > 0

    shown = ok_json(cli(funded_key(), "market", "fees", "--json"))
    assert shown["treasury"] == deployment.config.treasury()
    assert shown["accrued_fees"] == {"LeaseMarket": accrued, "JobMarket": 0}

    treasury_before = deployment.payment_token.balanceOf(deployment.config.treasury())
    swept = ok_json(cli(funded_key(), "market", "sweep-fees", "--json"))
    assert swept["swept"] == {"LeaseMarket": accrued}  # the job market had nothing and was left alone
    assert deployment.payment_token.balanceOf(deployment.config.treasury()) == treasury_before + accrued
    assert deployment.market.accruedFees() == 0

    assert ok_json(cli(funded_key(), "market", "sweep-fees", "--json"))["swept"] == {}
    code, out, _ = cli(funded_key(), "market", "sweep-fees")
    assert (code, out) == (0, "no market has fees to sweep\n")


def test_claim_credit_collects_a_payout_the_token_refused(protocol, earning_lease, accounts, cli):
    deployment = protocol[0]
    key, provider, lease_id = earning_lease
    token = deployment.payment_token
    token.setBlocked(key.address, True, {"from": accounts[0]})
    provider.withdraw_earnings(lease_id)  # the token refuses the provider: the market credits the pay
    credit = deployment.market.creditOf(key.address)
    assert credit > 0 and token.balanceOf(key.address) == 0

    assert ok_json(cli(key, "market", "fees", "--json"))["credits"] == {"LeaseMarket": credit, "JobMarket": 0}
    token.setBlocked(key.address, False, {"from": accounts[0]})
    claimed = ok_json(cli(key, "market", "claim-credit", "--json"))
    assert claimed == {"account": key.address, "claimed": {"LeaseMarket": credit}}
    assert token.balanceOf(key.address) == credit
    assert deployment.market.creditOf(key.address) == 0

    code, out, _ = cli(key, "market", "claim-credit")
    assert (code, out) == (0, "no market holds a credit for this account\n")
