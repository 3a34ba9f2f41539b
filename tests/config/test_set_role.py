"""ProtocolConfig.setRole and hasRole."""

import pytest

from helpers import ZERO_ADDRESS, b32, reverts_with, reverts_with_args

ROLES = ["MARKET_ROLE", "MATCHER_ROLE", "VERIFIER_ROLE", "ARBITER_ROLE"]


@pytest.mark.parametrize("role_name", ROLES)
def test_when_owner_grants_role_then_account_has_it(config, governance, matcher, role_name):
    role = getattr(config, role_name)()
    tx = config.setRole(role, matcher, True, {"from": governance})
    assert config.hasRole(role, matcher) is True
    assert tx.events["RoleSet"] == {"role": role, "account": matcher, "granted": True}


@pytest.mark.parametrize("role_name", ROLES)
def test_when_owner_revokes_role_then_account_loses_it(config, governance, matcher, role_name):
    role = getattr(config, role_name)()
    config.setRole(role, matcher, True, {"from": governance})
    tx = config.setRole(role, matcher, False, {"from": governance})
    assert config.hasRole(role, matcher) is False
    assert tx.events["RoleSet"] == {"role": role, "account": matcher, "granted": False}


def test_when_role_granted_then_other_roles_unaffected(config, governance, matcher):
    config.setRole(config.MATCHER_ROLE(), matcher, True, {"from": governance})
    assert config.hasRole(config.MARKET_ROLE(), matcher) is False


def test_revert_when_role_unknown(config, governance, matcher):
    with reverts_with("ProtocolConfig_UnknownRole"):
        config.setRole(b32("ADMIN_ROLE"), matcher, True, {"from": governance})


def test_revert_when_account_zero(config, governance):
    with reverts_with("Leasehold_ZeroAddress"):
        config.setRole(config.MARKET_ROLE(), ZERO_ADDRESS, True, {"from": governance})


def test_revert_when_caller_not_owner(config, stranger):
    with reverts_with_args("OwnableUnauthorizedAccount", stranger.address):
        config.setRole(config.MARKET_ROLE(), stranger, True, {"from": stranger})
