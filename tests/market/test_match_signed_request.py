"""matchSignedRequest / cancelSignedRequest / nonceStatus: a tenant with no
gas signs an EIP-712 request and a permit, a matcher posts and matches it in one transaction;
every refusal (expired, replayed, cancelled nonce, bad signature, a pair that does not hold)
has its custom error and leaves the nonce and the tenant's tokens as they were."""

import brownie
import pytest
from eth_account import Account

from keepers.signed_requests import permit_signature, request_tuple, sign_request

from helpers import event_args, reverts_with, reverts_with_args
from market.support import (
    DEPOSIT,
    MATCH_FEE,
    OFFER_UNKNOWN,
    PRICE_TOO_HIGH,
    R_MATCHED,
    SETTLE_BOUNTY,
    now,
    order,
    spec,
)

UNUSED, USED, CANCELLED = range(3)
NO_PERMIT = (0, 0, "0x" + "00" * 32, "0x" + "00" * 32)


@pytest.fixture(scope="module")
def gasless(token, governance):
    """A tenant key holding payment tokens and no ether at all, with no allowance."""
    account = Account.create()
    token.mint(account.address, 10 * DEPOSIT, {"from": governance})
    assert brownie.web3.eth.get_balance(account.address) == 0
    return account


@pytest.fixture(scope="module")
def wallet(OwnedWallet1271, token, governance, gasless, market):
    """An ERC-1271 contract wallet owned by the gasless key, funded and approving the market."""
    contract = OwnedWallet1271.deploy(gasless.address, {"from": governance})
    token.mint(contract, 10 * DEPOSIT, {"from": governance})
    owner = brownie.accounts.add(gasless.key.hex())
    governance.transfer(owner, 10**17)
    contract.approve(token, market, 2**256 - 1, {"from": owner})
    return contract


def _signed(market, key, nonce=1, deadline=None, deposit=DEPOSIT, tenant=None, **spec_overrides):
    """(request tuple, signature) of `key` over a default spec."""
    deadline = now() + 600 if deadline is None else deadline
    fields = spec(**spec_overrides)
    tenant = tenant or Account.from_key(key).address
    signature = sign_request(key, brownie.chain.id, market.address, fields, deposit, nonce, deadline, tenant)
    return request_tuple(tenant, fields, deposit, nonce, deadline), signature


def _permit(token, market, account, value=DEPOSIT):
    deadline, v, r, s = permit_signature(
        account.key,
        token.name(),
        brownie.chain.id,
        token.address,
        market.address,
        value,
        token.nonces(account.address),
        now() + 600,
    )
    return deadline, v, "0x" + r.hex(), "0x" + s.hex()


def test_when_signed_with_permit_then_posts_and_matches_without_tenant_gas(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key)
    tenant_before, matcher_before = token.balanceOf(gasless.address), market.creditOf(matcher)
    expected_id = market.nextRequestId()

    tx = market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})

    assert tx.return_value == expected_id
    assert event_args(tx, "SignedRequestUsed") == {
        "tenant": gasless.address,
        "nonce": 1,
        "requestId": expected_id,
        "matcher": matcher.address,
    }
    assert event_args(tx, "RequestCreated")["tenant"] == gasless.address
    assert event_args(tx, "LeaseStarted")["leaseId"] == expected_id
    record = order(market, expected_id)
    assert record["tenant"] == gasless.address
    assert record["status"] == R_MATCHED
    assert token.balanceOf(gasless.address) == tenant_before - DEPOSIT
    assert market.creditOf(matcher) == matcher_before + MATCH_FEE
    assert market.balanceOf(expected_id) == DEPOSIT - MATCH_FEE - SETTLE_BOUNTY
    assert market.nonceStatus(gasless.address, 1) == USED
    assert brownie.web3.eth.get_balance(gasless.address) == 0


def test_when_allowance_stands_then_a_zero_permit_is_enough(market, token, funded, offer_id, matcher):
    key = Account.create().key
    tenant = Account.from_key(key).address
    token.mint(tenant, DEPOSIT, {"from": funded})
    # The standing allowance of an account that approved earlier (here through a permit sent by anyone).
    deadline, v, r, s = permit_signature(
        key, token.name(), brownie.chain.id, token.address, market.address, DEPOSIT, 0, now() + 600
    )
    token.permit(tenant, market, DEPOSIT, deadline, v, r, s, {"from": funded})
    request, signature = _signed(market, key)
    tx = market.matchSignedRequest(request, NO_PERMIT, signature, offer_id, {"from": matcher})
    assert order(market, tx.return_value)["tenant"] == tenant
    assert token.balanceOf(tenant) == 0


def test_when_permit_front_run_then_still_matches(market, token, gasless, offer_id, matcher, stranger):
    request, signature = _signed(market, gasless.key)
    permit = _permit(token, market, gasless)
    token.permit(gasless.address, market, DEPOSIT, *permit, {"from": stranger})
    tx = market.matchSignedRequest(request, permit, signature, offer_id, {"from": matcher})
    assert "LeaseStarted" in tx.events


def test_when_a_contract_wallet_signs_then_erc1271_accepts(market, token, gasless, wallet, offer_id, matcher):
    request, signature = _signed(market, gasless.key, tenant=wallet.address)
    before = token.balanceOf(wallet)
    tx = market.matchSignedRequest(request, NO_PERMIT, signature, offer_id, {"from": matcher})
    assert order(market, tx.return_value)["tenant"] == wallet.address
    assert token.balanceOf(wallet) == before - DEPOSIT
    assert market.nonceStatus(wallet, 1) == USED


def test_revert_when_contract_wallet_owner_did_not_sign(market, wallet, offer_id, matcher):
    request, signature = _signed(market, Account.create().key, tenant=wallet.address)
    with reverts_with_args("SignedRequests_InvalidSignature", wallet.address):
        market.matchSignedRequest(request, NO_PERMIT, signature, offer_id, {"from": matcher})


def test_revert_when_caller_not_matcher(market, matcher_bonds, token, gasless, offer_id, stranger):
    request, signature = _signed(market, gasless.key)
    with reverts_with_args("MatcherBonds_NotBonded", stranger.address, 0, matcher_bonds.params()[0]):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": stranger})


def test_revert_when_expired(market, token, gasless, offer_id, matcher):
    deadline = now() - 1
    request, signature = _signed(market, gasless.key, deadline=deadline)
    with reverts_with("SignedRequests_Expired"):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})
    assert market.nonceStatus(gasless.address, 1) == UNUSED


def test_revert_when_replayed(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key, deposit=DEPOSIT)
    market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})
    before = token.balanceOf(gasless.address)
    with reverts_with_args("SignedRequests_NonceUsed", gasless.address, 1):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})
    assert token.balanceOf(gasless.address) == before


def test_revert_when_nonce_cancelled(market, token, gasless, offer_id, matcher):
    owner = brownie.accounts.add(gasless.key.hex())
    matcher.transfer(owner, 10**17)
    tx = market.cancelSignedRequest(1, {"from": owner})
    assert event_args(tx, "SignedRequestCancelled") == {"tenant": gasless.address, "nonce": 1}
    assert market.nonceStatus(gasless.address, 1) == CANCELLED
    request, signature = _signed(market, gasless.key)
    with reverts_with_args("SignedRequests_NonceCancelled", gasless.address, 1):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_signed_by_another_key(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, Account.create().key, tenant=gasless.address)
    with reverts_with_args("SignedRequests_InvalidSignature", gasless.address):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_deposit_altered_after_signing(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key)
    altered = (request[0], request[1], request[2] + 1, request[3], request[4])
    with reverts_with_args("SignedRequests_InvalidSignature", gasless.address):
        market.matchSignedRequest(altered, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_signature_malformed(market, token, gasless, offer_id, matcher):
    request, _ = _signed(market, gasless.key)
    with reverts_with_args("SignedRequests_InvalidSignature", gasless.address):
        market.matchSignedRequest(request, _permit(token, market, gasless), b"\x01" * 64, offer_id, {"from": matcher})


def test_revert_when_pair_does_not_hold_then_signature_stays_usable(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key)
    permit = _permit(token, market, gasless)
    with reverts_with_args("LeaseMarket_SignedRequestNotMatched", 999, OFFER_UNKNOWN):
        market.matchSignedRequest(request, permit, signature, 999, {"from": matcher})
    assert market.nonceStatus(gasless.address, 1) == UNUSED
    tx = market.matchSignedRequest(request, permit, signature, offer_id, {"from": matcher})
    assert "LeaseStarted" in tx.events


def test_revert_when_offer_price_above_the_signed_maximum(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key, maxPricePerUnitHour=1)
    with reverts_with_args("LeaseMarket_SignedRequestNotMatched", offer_id, PRICE_TOO_HIGH):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_paused(market, config, token, gasless, offer_id, matcher, governance):
    config.pause({"from": governance})
    request, signature = _signed(market, gasless.key)
    with reverts_with("Leasehold_Paused"):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_spec_invalid(market, token, gasless, offer_id, matcher):
    request, signature = _signed(market, gasless.key, units=0)
    with reverts_with_args("LeaseMarket_InvalidUnits", 0, 1024):
        market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})


def test_revert_when_tenant_lacks_funds(market, token, offer_id, matcher):
    broke = Account.create()
    request, signature = _signed(market, broke.key)
    with reverts_with("ERC20InsufficientBalance"):
        market.matchSignedRequest(request, _permit(token, market, broke), signature, offer_id, {"from": matcher})


def test_cancel_revert_when_already_cancelled_or_used(market, token, gasless, offer_id, matcher):
    owner = brownie.accounts.add(gasless.key.hex())
    matcher.transfer(owner, 10**17)
    market.cancelSignedRequest(5, {"from": owner})
    with reverts_with_args("SignedRequests_NonceCancelled", gasless.address, 5):
        market.cancelSignedRequest(5, {"from": owner})
    request, signature = _signed(market, gasless.key, nonce=6)
    market.matchSignedRequest(request, _permit(token, market, gasless), signature, offer_id, {"from": matcher})
    with reverts_with_args("SignedRequests_NonceUsed", gasless.address, 6):
        market.cancelSignedRequest(6, {"from": owner})
