"""The provider's GPUs: read through NVML (`nvidia-ml-py`) or `nvidia-smi -q -x`, named by the
catalogue's ids, and handed to leases as device indices.

`role.delivery.gpu_inventory` says where the list comes from: `none` (no GPU checks; workloads
see no device), `nvml`, `nvidia-smi`, or the path of a recorded `nvidia-smi -q -x` file (what
the tests feed the parser on machines without a GPU). A device's catalogue id is found from
its product name and memory (`NVIDIA H100 80GB HBM3`, 81559 MiB -> `nvidia-h100-80gb`), or
from `role.delivery.gpu_models` (product name -> id) where the rule does not fit.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from keepers.delivery.errors import DeliveryRefused
from keepers.errors import ConfigError

_MEMORY = re.compile(r"^\s*(\d+)\s*MiB\s*$")
_CATALOGUE_ID = re.compile(r"^nvidia-(.+)-(\d+)gb$")


@dataclass(frozen=True)
class Device:
    index: int  # what CUDA_VISIBLE_DEVICES and `--gpus device=` take
    product: str
    memory_mib: int
    uuid: str


def parse_nvidia_smi_xml(text: str) -> list[Device]:
    """The devices of an `nvidia-smi -q -x` document."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise ConfigError(f"config error: role.delivery.gpu_inventory: not nvidia-smi XML: {error}") from None
    devices = []
    for position, gpu in enumerate(root.findall("gpu")):
        memory = _MEMORY.match(gpu.findtext("fb_memory_usage/total", ""))
        minor = gpu.findtext("minor_number", "")
        devices.append(
            Device(
                index=int(minor) if minor.isdigit() else position,
                product=gpu.findtext("product_name", "").strip(),
                memory_mib=int(memory.group(1)) if memory else 0,
                uuid=gpu.findtext("uuid", "").strip(),
            )
        )
    return devices


def read_nvml() -> list[Device]:
    import pynvml  # nvidia-ml-py; imported here so machines without the driver never load it

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as error:
        raise ConfigError(f"config error: role.delivery.gpu_inventory: NVML unavailable: {error}") from None
    try:
        devices = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            devices.append(
                Device(
                    index=index,
                    product=name.decode() if isinstance(name, bytes) else name,
                    memory_mib=pynvml.nvmlDeviceGetMemoryInfo(handle).total // (1024 * 1024),
                    uuid=str(pynvml.nvmlDeviceGetUUID(handle)),
                )
            )
        return devices
    finally:
        pynvml.nvmlShutdown()


def read_nvidia_smi() -> list[Device]:
    try:
        done = subprocess.run(["nvidia-smi", "-q", "-x"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise ConfigError(f"config error: role.delivery.gpu_inventory: nvidia-smi failed: {error}") from None
    return parse_nvidia_smi_xml(done.stdout)


def catalogue_id(device: Device, catalogue: Iterable[str], overrides: Mapping[str, str]) -> str | None:
    """The catalogue id of `device`: its override, else the one id whose name parts all appear in the
    product name and whose vRAM is within 10% of the device's memory; None when none fits."""
    if device.product in overrides:
        return overrides[device.product]
    words = set(re.split(r"[^a-z0-9]+", device.product.lower()))
    memory_gb = device.memory_mib / 1024
    fits = []
    for model in catalogue:
        match = _CATALOGUE_ID.match(model)
        if match is None:
            continue
        parts, vram = match.group(1).split("-"), int(match.group(2))
        if all(part in words for part in parts) and abs(memory_gb - vram) <= 0.1 * vram:
            fits.append(model)
    return fits[0] if len(fits) == 1 else None


class Inventory:
    """Devices by catalogue id, and which lease holds which."""

    def __init__(self, devices: list[Device] | None, catalogue: Iterable[str], overrides: Mapping[str, str]) -> None:
        self.checked = devices is not None  # False: `none`, no GPU checks
        self.devices = list(devices or [])
        self.by_model: dict[str, list[int]] = {}
        for device in devices or []:
            model = catalogue_id(device, list(catalogue), overrides)
            if model is not None:
                self.by_model.setdefault(model, []).append(device.index)
        self._held: dict[int, list[int]] = {}  # lease -> device indices

    def check_offer(self, gpu_model: str, units: int) -> None:
        """Refuses an offer of a model this machine lacks or of more units than it has."""
        if not self.checked:
            return
        have = len(self.by_model.get(gpu_model, []))
        if have == 0:
            products = [device.product for device in self.devices]
            present = ", ".join(f"{products.count(name)}x {name}" for name in dict.fromkeys(products)) or "none"
            raise ConfigError(
                f"config error: role.offers: {gpu_model}: no such GPU on this machine (present: {present})"
            )
        if units > have:
            raise ConfigError(f"config error: role.offers: {gpu_model}: {units} units offered, {have} present")

    def hold(self, lease_id: int, gpu_model: str, units: int, devices: list[int] | None = None) -> list[int]:
        """Device indices for the lease's units (the ones it held before, when adopted); [] when unchecked."""
        if not self.checked:
            return []
        if devices is not None:
            self._held[lease_id] = list(devices)
            return list(devices)
        taken = {index for held in self._held.values() for index in held}
        free = [index for index in self.by_model.get(gpu_model, []) if index not in taken]
        if len(free) < units:
            raise DeliveryRefused(
                f"lease {lease_id}: {units} {gpu_model} units wanted, {len(free)} free on this provider", 409
            )
        self._held[lease_id] = free[:units]
        return free[:units]

    def release(self, lease_id: int) -> None:
        self._held.pop(lease_id, None)


def load_inventory(source: str, catalogue: Iterable[str], overrides: Mapping[str, str]) -> Inventory:
    if source == "none":
        return Inventory(None, catalogue, overrides)
    if source == "nvml":
        return Inventory(read_nvml(), catalogue, overrides)
    if source == "nvidia-smi":
        return Inventory(read_nvidia_smi(), catalogue, overrides)
    path = Path(source)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"config error: role.delivery.gpu_inventory: cannot read {path}: {error.strerror}") from None
    return Inventory(parse_nvidia_smi_xml(text), catalogue, overrides)
