"""A fee-on-transfer token delivers less than it is asked for: every deposit into the protocol
(request deposit, stake) is refused by TokenTransfers.pullExact with
Leasehold_TransferAmountMismatch, and nothing is recorded or moved."""

import pytest

from helpers import reverts_with_args
from security.token_support import DEPOSIT, EU_WEST, MAX_UINT, STAKE, protocol, rental_spec


@pytest.fixture(scope="module")
def fot_payment(FeeOnTransferToken, TestStablecoin, accounts):
    """Fee-on-transfer as payment token; a normal stake token so a provider can list an offer."""
    return protocol(
        FeeOnTransferToken.deploy({"from": accounts[0]}),
        accounts,
        stake_token=TestStablecoin.deploy({"from": accounts[0]}),
        bond=False,  # nothing is matched here; a fee-on-transfer bond would arrive short
    )


@pytest.fixture(scope="module")
def fot_stake(FeeOnTransferToken, TestStablecoin, accounts):
    """A normal payment token; fee-on-transfer as stake token."""
    return protocol(
        TestStablecoin.deploy({"from": accounts[0]}),
        accounts,
        stake_token=FeeOnTransferToken.deploy({"from": accounts[0]}),
        eoa_provider=False,
    )


def test_revert_when_request_deposit_arrives_short(fot_payment):
    p = fot_payment
    before = p.token.balanceOf(p.tenant)
    received = DEPOSIT - DEPOSIT * 100 // 10_000
    with reverts_with_args("Leasehold_TransferAmountMismatch", p.token.address, DEPOSIT, received):
        p.market.createRequest(rental_spec(), DEPOSIT, {"from": p.tenant})
    assert p.market.nextRequestId() == 1
    assert p.token.balanceOf(p.tenant) == before
    assert p.token.balanceOf(p.market) == 0


def test_revert_when_stake_arrives_short(fot_stake):
    p = fot_stake
    p.registry.registerProvider(EU_WEST, "https://gpu.example.org/p.json", {"from": p.provider})
    p.stake_token.mint(p.provider, STAKE, {"from": p.provider})
    p.stake_token.approve(p.registry, MAX_UINT, {"from": p.provider})
    received = STAKE - STAKE * 100 // 10_000
    with reverts_with_args("Leasehold_TransferAmountMismatch", p.stake_token.address, STAKE, received):
        p.registry.stake(STAKE, {"from": p.provider})
    assert p.registry.provider(p.provider)["freeStake"] == 0
    assert p.registry.totalStake() == 0
    assert p.stake_token.balanceOf(p.provider) == STAKE
