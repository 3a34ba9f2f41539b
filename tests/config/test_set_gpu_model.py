"""ProtocolConfig.setGpuModel: the GPU catalogue."""

from helpers import USD, b32, reverts_with, reverts_with_args

A100 = b32("nvidia-a100-40gb")
MAX_COLLATERAL = 1_000_000 * 10**18


def test_when_owner_sets_model_then_it_is_stored_and_emitted(config, governance):
    tx = config.setGpuModel(A100, 40, 3, 800 * USD, True, {"from": governance})
    assert tuple(config.gpuModel(A100)) == (800 * USD, 40, 3, True)
    assert tx.events["GpuModelSet"] == {
        "gpuModel": A100,
        "vramGB": 40,
        "tier": 3,
        "collateralPerUnit": 800 * USD,
        "listed": True,
    }


def test_when_owner_delists_model_then_listed_is_false(config, governance, h100):
    tx = config.setGpuModel(h100, 80, 4, 2000 * USD, False, {"from": governance})
    assert config.gpuModel(h100)["listed"] is False
    assert tx.events["GpuModelSet"]["listed"] is False


def test_when_model_never_set_then_entry_is_zero(config):
    assert tuple(config.gpuModel(b32("unknown"))) == (0, 0, 0, False)


def test_when_collateral_at_max_and_tier_at_max_then_accepted(config, governance):
    config.setGpuModel(A100, 65535, 4, MAX_COLLATERAL, True, {"from": governance})
    assert tuple(config.gpuModel(A100)) == (MAX_COLLATERAL, 65535, 4, True)


def test_revert_when_caller_not_owner(config, stranger):
    with reverts_with("OwnableUnauthorizedAccount"):
        config.setGpuModel(A100, 40, 3, USD, True, {"from": stranger})


def test_revert_when_model_id_zero(config, governance):
    with reverts_with("ProtocolConfig_InvalidGpuModel"):
        config.setGpuModel(b32(""), 40, 3, USD, True, {"from": governance})


def test_revert_when_vram_zero(config, governance):
    with reverts_with_args("ProtocolConfig_InvalidVram", 0):
        config.setGpuModel(A100, 0, 3, USD, True, {"from": governance})


def test_revert_when_tier_above_max(config, governance):
    with reverts_with_args("ProtocolConfig_InvalidTier", 5):
        config.setGpuModel(A100, 40, 5, USD, True, {"from": governance})


def test_revert_when_collateral_zero(config, governance):
    with reverts_with_args("ProtocolConfig_CollateralOutOfBounds", 0, MAX_COLLATERAL):
        config.setGpuModel(A100, 40, 3, 0, True, {"from": governance})


def test_revert_when_collateral_above_max(config, governance):
    with reverts_with_args("ProtocolConfig_CollateralOutOfBounds", MAX_COLLATERAL + 1, MAX_COLLATERAL):
        config.setGpuModel(A100, 40, 3, MAX_COLLATERAL + 1, True, {"from": governance})
