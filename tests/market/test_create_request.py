"""createRequest / createRequestWithPermit: every check, the stored record, the pull, the event."""

import brownie
import pytest
from eth_account import Account

from keepers.signed_requests import permit_signature

from helpers import ZERO_ADDRESS, event_args, reverts_with, reverts_with_args
from market.support import (
    DEPOSIT,
    DURATION,
    H100,
    JOB,
    JOB_TERMS,
    MATCH_FEE,
    MAX_PRICE,
    R_OPEN,
    SETTLE_BOUNTY,
    UNITS,
    ZERO32,
    now,
    order,
    spec,
)

MINIMUM = MATCH_FEE + SETTLE_BOUNTY + -(-MAX_PRICE * UNITS * 3600 // 3600)


def test_when_valid_then_stores_pulls_and_emits(market, token, funded, offer_id):
    tenant = funded
    before, held, expected_id = token.balanceOf(tenant), token.balanceOf(market), market.nextRequestId()
    s = spec()
    tx = market.createRequest(s, DEPOSIT, {"from": tenant})
    assert tx.return_value == expected_id
    assert market.nextRequestId() == expected_id + 1
    record = order(market, expected_id)
    assert record["tenant"] == tenant
    assert record["status"] == R_OPEN
    assert record["escrow"] == DEPOSIT
    assert record["pricePerUnitHour"] == MAX_PRICE
    assert record["units"] == UNITS
    assert record["durationSeconds"] == DURATION
    assert record["gpuModel"] == H100
    assert record["matchDeadline"] == s[8]
    assert token.balanceOf(tenant) == before - DEPOSIT
    assert token.balanceOf(market) == held + DEPOSIT
    args = event_args(tx, "RequestCreated")
    assert args["requestId"] == expected_id and args["tenant"] == tenant and args["deposit"] == DEPOSIT
    assert tuple(args["spec"]) == s
    assert market.requestStatusOf(expected_id) == R_OPEN


def test_when_second_request_then_ids_increase(market, funded, request_id):
    tx = market.createRequest(spec(), DEPOSIT, {"from": funded})
    assert tx.return_value == request_id + 1


def test_when_deposit_is_exactly_the_minimum_then_accepted(market, funded):
    tx = market.createRequest(spec(maxDurationSeconds=3600), MINIMUM, {"from": funded})
    assert order(market, tx.return_value)["escrow"] == MINIMUM


def test_when_minimum_rounds_up_then_one_unit_less_is_refused(market, funded):
    # minLeaseSeconds is one hour, so the streaming part is exactly price × units: the smallest
    # price and one unit leave no slack, and one token unit less is refused.
    market.createRequest(spec(maxPricePerUnitHour=1, units=1), MATCH_FEE + SETTLE_BOUNTY + 1, {"from": funded})
    with reverts_with("LeaseMarket_DepositTooSmall"):
        market.createRequest(spec(maxPricePerUnitHour=1, units=1), MATCH_FEE + SETTLE_BOUNTY, {"from": funded})


def test_revert_when_deposit_below_minimum(market, funded):
    with reverts_with_args("LeaseMarket_DepositTooSmall", MINIMUM - 1, MINIMUM):
        market.createRequest(spec(), MINIMUM - 1, {"from": funded})


def test_revert_when_paused(market, config, governance, funded):
    config.pause({"from": governance})
    with reverts_with("Leasehold_Paused"):
        market.createRequest(spec(), DEPOSIT, {"from": funded})


@pytest.mark.parametrize("units", [0, 1025])
def test_revert_when_units_out_of_range(market, funded, units):
    with reverts_with_args("LeaseMarket_InvalidUnits", units, 1024):
        market.createRequest(spec(units=units), DEPOSIT, {"from": funded})


def test_when_units_is_the_maximum_then_accepted(market, funded):
    deposit = MATCH_FEE + SETTLE_BOUNTY + MAX_PRICE * 1024
    tx = market.createRequest(spec(units=1024), deposit, {"from": funded})
    assert order(market, tx.return_value)["units"] == 1024


def test_revert_when_price_zero(market, funded):
    with reverts_with("LeaseMarket_ZeroPrice"):
        market.createRequest(spec(maxPricePerUnitHour=0), DEPOSIT, {"from": funded})


def test_revert_when_duration_below_min_lease(market, funded):
    with reverts_with_args("LeaseMarket_DurationTooShort", 3599, 3600):
        market.createRequest(spec(maxDurationSeconds=3599), DEPOSIT, {"from": funded})


def test_revert_when_match_deadline_not_in_future(market, funded):
    with reverts_with("LeaseMarket_MatchDeadlineNotInFuture"):
        market.createRequest(spec(matchDeadline=now()), DEPOSIT, {"from": funded})


def test_revert_when_tier_above_max(market, funded):
    with reverts_with_args("LeaseMarket_InvalidTier", 5, 4):
        market.createRequest(spec(minTier=5), DEPOSIT, {"from": funded})


def test_revert_when_reputation_above_max(market, funded):
    with reverts_with_args("LeaseMarket_InvalidReputation", 10_001, 10_000):
        market.createRequest(spec(minReputation=10_001), DEPOSIT, {"from": funded})


def test_when_rental_carries_manifest_hash_then_stored_as_its_commitment(market, funded):
    tx = market.createRequest(spec(jobTermsHash=JOB_TERMS), DEPOSIT, {"from": funded})
    assert order(market, tx.return_value)["jobTermsHash"] == JOB_TERMS
    assert market.jobTermsHashOf(tx.return_value) == JOB_TERMS


def test_revert_when_job_lacks_job_terms(market, funded):
    with reverts_with("LeaseMarket_JobTermsMismatch"):
        market.createRequest(spec(kind=JOB), DEPOSIT, {"from": funded})


def test_when_job_with_terms_and_any_model_and_region_then_accepted(market, funded):
    region = "0x" + b"eu-west".ljust(32, b"\0").hex()
    tx = market.createRequest(
        spec(kind=JOB, jobTermsHash=JOB_TERMS, gpuModel=ZERO32, minVramGB=40, region=region), DEPOSIT, {"from": funded}
    )
    record = order(market, tx.return_value)
    assert record["kind"] == JOB and record["jobTermsHash"] == JOB_TERMS
    assert record["gpuModel"] == ZERO32 and record["minVramGB"] == 40 and record["region"] == region


def test_revert_when_token_delivers_less(
    LeaseMarket, lease_liveness, FeeOnTransferToken, config, registry, matcher_bonds, governance, tenant
):
    fot = FeeOnTransferToken.deploy({"from": governance})
    fot_market = LeaseMarket.deploy(config, registry, fot, matcher_bonds, {"from": governance})
    fot.mint(tenant, DEPOSIT, {"from": tenant})
    fot.approve(fot_market, DEPOSIT, {"from": tenant})
    with reverts_with("Leasehold_TransferAmountMismatch"):
        fot_market.createRequest(spec(), DEPOSIT, {"from": tenant})


def test_revert_when_constructed_with_zero_address(
    LeaseMarket, lease_liveness, config, registry, token, matcher_bonds, governance
):
    with reverts_with("Leasehold_ZeroAddress"):
        LeaseMarket.deploy(config, ZERO_ADDRESS, token, matcher_bonds, {"from": governance})
    with reverts_with("Leasehold_ZeroAddress"):
        LeaseMarket.deploy(config, registry, token, ZERO_ADDRESS, {"from": governance})


# ---------------------------------------------------------------- permit


@pytest.fixture(scope="module")
def signer(token, offer_id):
    account = Account.create()
    token.mint(account.address, 10 * DEPOSIT, {"from": brownie.accounts[0]})
    brownie.accounts[0].transfer(account.address, 10**18)
    return account


def _permit(token, market, owner, value, deadline):
    """ERC-2612 (v, r, s) signed by `owner` for `market`, as the keepers sign it."""
    _, v, r, s = permit_signature(
        owner.key,
        token.name(),
        brownie.chain.id,
        token.address,
        market.address,
        value,
        token.nonces(owner.address),
        deadline,
    )
    return v, "0x" + r.hex(), "0x" + s.hex()


def test_with_permit_when_signature_valid_then_creates(market, token, signer):
    local = brownie.accounts.add(signer.key.hex())
    v, r, s = _permit(token, market, signer, DEPOSIT, now() + 3600)
    before = token.balanceOf(market)
    tx = market.createRequestWithPermit(spec(), DEPOSIT, now() + 3600, v, r, s, {"from": local})
    assert order(market, tx.return_value)["tenant"] == signer.address
    assert token.balanceOf(market) == before + DEPOSIT
    assert token.allowance(signer.address, market) == 0


def test_with_permit_when_front_run_then_still_creates(market, token, signer, stranger):
    local = brownie.accounts.add(signer.key.hex())
    deadline = now() + 3600
    v, r, s = _permit(token, market, signer, DEPOSIT, deadline)
    token.permit(signer.address, market, DEPOSIT, deadline, v, r, s, {"from": stranger})
    before = token.balanceOf(market)
    tx = market.createRequestWithPermit(spec(), DEPOSIT, deadline, v, r, s, {"from": local})
    assert order(market, tx.return_value)["tenant"] == signer.address
    assert token.balanceOf(market) == before + DEPOSIT


def test_with_permit_when_permit_invalid_and_no_allowance_then_reverts(market, token, signer):
    local = brownie.accounts.add(signer.key.hex())
    v, r, s = _permit(token, market, signer, DEPOSIT - 1, now() + 3600)
    with reverts_with("ERC20InsufficientAllowance"):
        market.createRequestWithPermit(spec(), DEPOSIT, now() + 3600, v, r, s, {"from": local})
