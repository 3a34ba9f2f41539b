"""GPU inventory without a GPU: recorded `nvidia-smi -q -x` output through the same parser the agent
uses, catalogue ids from product names and memory, and lease units mapped to device indices."""

import pytest

from keepers.delivery.errors import DeliveryRefused
from keepers.delivery.gpu import Device, Inventory, catalogue_id, load_inventory, parse_nvidia_smi_xml, read_nvml
from keepers.errors import ConfigError

from delivery_setup import GPU_XML

CATALOGUE = [
    "nvidia-t4-16gb",
    "nvidia-rtx-4090-24gb",
    "nvidia-rtx-a6000-48gb",
    "nvidia-l40s-48gb",
    "nvidia-a100-80gb",
    "nvidia-h100-80gb",
]


def test_recorded_xml_is_parsed_into_devices():
    devices = parse_nvidia_smi_xml(GPU_XML.read_text())
    assert [(d.index, d.product, d.memory_mib) for d in devices] == [
        (0, "NVIDIA H100 80GB HBM3", 81559),
        (1, "NVIDIA H100 80GB HBM3", 81559),
        (2, "NVIDIA GeForce RTX 4090", 24564),
    ]
    assert devices[0].uuid == "GPU-5c1a7f3e-92b4-4d0e-8a51-3f7c2d9e6b10"


@pytest.mark.parametrize(
    "product, memory_mib, expected",
    [
        ("NVIDIA H100 80GB HBM3", 81559, "nvidia-h100-80gb"),
        ("NVIDIA A100-SXM4-80GB", 81920, "nvidia-a100-80gb"),
        ("NVIDIA GeForce RTX 4090", 24564, "nvidia-rtx-4090-24gb"),
        ("NVIDIA RTX A6000", 49140, "nvidia-rtx-a6000-48gb"),
        ("NVIDIA L40S", 46068, "nvidia-l40s-48gb"),
        ("Tesla T4", 15360, "nvidia-t4-16gb"),
        ("NVIDIA A100-PCIE-40GB", 40960, None),  # the 40 GB card is not in the catalogue
    ],
)
def test_product_names_map_to_catalogue_ids(product, memory_mib, expected):
    assert catalogue_id(Device(0, product, memory_mib, ""), CATALOGUE, {}) == expected


def test_an_override_names_a_product_the_rule_misses():
    device = Device(0, "NVIDIA A100-PCIE-40GB", 40960, "")
    assert catalogue_id(device, CATALOGUE, {"NVIDIA A100-PCIE-40GB": "nvidia-a100-80gb"}) == "nvidia-a100-80gb"


def test_units_are_held_per_lease_and_released():
    inventory = load_inventory(str(GPU_XML), CATALOGUE, {})
    assert inventory.by_model == {"nvidia-h100-80gb": [0, 1], "nvidia-rtx-4090-24gb": [2]}
    assert inventory.hold(7, "nvidia-h100-80gb", 1) == [0]
    assert inventory.hold(8, "nvidia-h100-80gb", 1) == [1]
    with pytest.raises(DeliveryRefused) as refused:
        inventory.hold(9, "nvidia-h100-80gb", 1)
    assert str(refused.value) == "lease 9: 1 nvidia-h100-80gb units wanted, 0 free on this provider"
    inventory.release(7)
    assert inventory.hold(9, "nvidia-h100-80gb", 1) == [0]


def test_offers_are_checked_against_the_devices():
    inventory = load_inventory(str(GPU_XML), CATALOGUE, {})
    inventory.check_offer("nvidia-h100-80gb", 2)
    with pytest.raises(ConfigError, match="3 units offered, 2 present"):
        inventory.check_offer("nvidia-h100-80gb", 3)
    with pytest.raises(ConfigError, match="nvidia-l40s-48gb: no such GPU on this machine"):
        inventory.check_offer("nvidia-l40s-48gb", 1)


def test_without_an_inventory_nothing_is_checked_and_no_device_is_given():
    inventory = Inventory(None, CATALOGUE, {})
    inventory.check_offer("nvidia-h100-80gb", 64)
    assert inventory.hold(1, "nvidia-h100-80gb", 8) == []


@pytest.mark.parametrize("text", ["", "<nvidia_smi_log><gpu>", "not xml"])
def test_revert_when_xml_is_garbled_then_one_line(text):
    with pytest.raises(ConfigError) as refused:
        parse_nvidia_smi_xml(text)
    assert str(refused.value).startswith("config error: role.delivery.gpu_inventory: not nvidia-smi XML: ")


def test_nvml_without_a_driver_is_one_config_line():
    with pytest.raises(ConfigError) as refused:
        read_nvml()
    assert str(refused.value).startswith("config error: role.delivery.gpu_inventory: NVML unavailable: ")


def test_unreadable_inventory_file_is_one_config_line(tmp_path):
    with pytest.raises(ConfigError) as refused:
        load_inventory(str(tmp_path / "missing.xml"), CATALOGUE, {})
    assert str(refused.value) == (
        f"config error: role.delivery.gpu_inventory: cannot read {tmp_path / 'missing.xml'}: No such file or directory"
    )
