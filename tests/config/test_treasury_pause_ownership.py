"""ProtocolConfig.setTreasury, pause/unpause and the two-step ownership transfer."""

from helpers import ZERO_ADDRESS, reverts_with, reverts_with_args


def test_when_owner_sets_treasury_then_it_is_stored_and_emitted(config, governance, stranger):
    tx = config.setTreasury(stranger, {"from": governance})
    assert config.treasury() == stranger
    assert tx.events["TreasurySet"] == {"treasury": stranger}


def test_revert_when_treasury_zero(config, governance):
    with reverts_with("Leasehold_ZeroAddress"):
        config.setTreasury(ZERO_ADDRESS, {"from": governance})


def test_revert_when_non_owner_sets_treasury(config, stranger):
    with reverts_with("OwnableUnauthorizedAccount"):
        config.setTreasury(stranger, {"from": stranger})


def test_when_owner_pauses_then_paused_and_emitted(config, governance):
    tx = config.pause({"from": governance})
    assert config.paused() is True
    assert tx.events["Paused"] == {"account": governance}


def test_when_owner_unpauses_then_unpaused_and_emitted(config, governance):
    config.pause({"from": governance})
    tx = config.unpause({"from": governance})
    assert config.paused() is False
    assert tx.events["Unpaused"] == {"account": governance}


def test_revert_when_non_owner_pauses(config, stranger):
    with reverts_with_args("OwnableUnauthorizedAccount", stranger.address):
        config.pause({"from": stranger})


def test_revert_when_non_owner_unpauses(config, governance, stranger):
    config.pause({"from": governance})
    with reverts_with_args("OwnableUnauthorizedAccount", stranger.address):
        config.unpause({"from": stranger})


def test_revert_when_paused_twice(config, governance):
    config.pause({"from": governance})
    with reverts_with("EnforcedPause"):
        config.pause({"from": governance})


def test_revert_when_unpaused_while_not_paused(config, governance):
    with reverts_with("ExpectedPause"):
        config.unpause({"from": governance})


def test_when_new_owner_accepts_then_ownership_moves(config, governance, stranger):
    tx = config.transferOwnership(stranger, {"from": governance})
    assert tx.events["OwnershipTransferStarted"] == {"previousOwner": governance, "newOwner": stranger}
    assert config.owner() == governance
    config.acceptOwnership({"from": stranger})
    assert config.owner() == stranger
    with reverts_with("OwnableUnauthorizedAccount"):
        config.setTreasury(stranger, {"from": governance})


def test_revert_when_someone_else_accepts_ownership(config, governance, stranger, matcher):
    config.transferOwnership(stranger, {"from": governance})
    with reverts_with_args("OwnableUnauthorizedAccount", matcher.address):
        config.acceptOwnership({"from": matcher})
