"""The catalogue of virtual machine sizes a compute may have, with Azure's names and figures.

Azure ML's ``locations/{loc}/vmSizes`` lists, per size, its family (the unit of vCPU quota), its
vCPUs, memory and GPUs. The figures below are Azure's published ones for the sizes Azure ML users
pick most (general purpose, memory and compute optimised, and the GPU families); a size outside
the catalogue is refused by name, never guessed. Every region serves the same catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What Azure answers for the OS disk of every size (1 TiB less 1 MiB).
OS_VHD_SIZE_MB = 1047552


@dataclass(frozen=True)
class VmSize:
    name: str
    family: str
    vcpus: int
    memory_gb: float
    gpus: int = 0
    max_resource_volume_mb: int = 0
    premium_io: bool = True
    low_priority_capable: bool = True
    #: Compute types the size serves (Azure ML names).
    compute_types: tuple[str, ...] = ("AmlCompute", "ComputeInstance")


def _s(name: str, family: str, vcpus: int, memory_gb: float, gpus: int = 0, volume_mb: int = 0,
       premium_io: bool = True) -> VmSize:
    return VmSize(name, family, vcpus, memory_gb, gpus, volume_mb or vcpus * 8192, premium_io)


VM_SIZES: tuple[VmSize, ...] = (
    # General purpose: Dv2 / DSv2
    _s("Standard_D1_v2", "standardDv2Family", 1, 3.5, volume_mb=51200, premium_io=False),
    _s("Standard_D2_v2", "standardDv2Family", 2, 7, volume_mb=102400, premium_io=False),
    _s("Standard_D3_v2", "standardDv2Family", 4, 14, volume_mb=204800, premium_io=False),
    _s("Standard_D4_v2", "standardDv2Family", 8, 28, volume_mb=409600, premium_io=False),
    _s("Standard_D11_v2", "standardDv2Family", 2, 14, volume_mb=102400, premium_io=False),
    _s("Standard_D12_v2", "standardDv2Family", 4, 28, volume_mb=204800, premium_io=False),
    _s("Standard_D13_v2", "standardDv2Family", 8, 56, volume_mb=409600, premium_io=False),
    _s("Standard_DS1_v2", "standardDSv2Family", 1, 3.5, volume_mb=7168),
    _s("Standard_DS2_v2", "standardDSv2Family", 2, 7, volume_mb=14336),
    _s("Standard_DS3_v2", "standardDSv2Family", 4, 14, volume_mb=28672),
    _s("Standard_DS4_v2", "standardDSv2Family", 8, 28, volume_mb=57344),
    _s("Standard_DS5_v2", "standardDSv2Family", 16, 56, volume_mb=114688),
    _s("Standard_DS11_v2", "standardDSv2Family", 2, 14, volume_mb=28672),
    _s("Standard_DS12_v2", "standardDSv2Family", 4, 28, volume_mb=57344),
    _s("Standard_DS13_v2", "standardDSv2Family", 8, 56, volume_mb=114688),
    _s("Standard_DS14_v2", "standardDSv2Family", 16, 112, volume_mb=229376),
    # General purpose: Dv3 / DSv3
    _s("Standard_D2_v3", "standardDv3Family", 2, 8, volume_mb=51200, premium_io=False),
    _s("Standard_D4_v3", "standardDv3Family", 4, 16, volume_mb=102400, premium_io=False),
    _s("Standard_D8_v3", "standardDv3Family", 8, 32, volume_mb=204800, premium_io=False),
    _s("Standard_D16_v3", "standardDv3Family", 16, 64, volume_mb=409600, premium_io=False),
    _s("Standard_D2s_v3", "standardDSv3Family", 2, 8, volume_mb=16384),
    _s("Standard_D4s_v3", "standardDSv3Family", 4, 16, volume_mb=32768),
    _s("Standard_D8s_v3", "standardDSv3Family", 8, 32, volume_mb=65536),
    _s("Standard_D16s_v3", "standardDSv3Family", 16, 64, volume_mb=131072),
    _s("Standard_D32s_v3", "standardDSv3Family", 32, 128, volume_mb=262144),
    # Memory optimised: ESv3
    _s("Standard_E4s_v3", "standardESv3Family", 4, 32, volume_mb=65536),
    _s("Standard_E8s_v3", "standardESv3Family", 8, 64, volume_mb=131072),
    _s("Standard_E16s_v3", "standardESv3Family", 16, 128, volume_mb=262144),
    _s("Standard_E32s_v3", "standardESv3Family", 32, 256, volume_mb=524288),
    # Compute optimised: FSv2
    _s("Standard_F2s_v2", "standardFSv2Family", 2, 4, volume_mb=16384),
    _s("Standard_F4s_v2", "standardFSv2Family", 4, 8, volume_mb=32768),
    _s("Standard_F8s_v2", "standardFSv2Family", 8, 16, volume_mb=65536),
    _s("Standard_F16s_v2", "standardFSv2Family", 16, 32, volume_mb=131072),
    _s("Standard_F32s_v2", "standardFSv2Family", 32, 64, volume_mb=262144),
    # GPU: NCv3 (V100), NCasT4_v3 (T4), NC A100 v4, NDv2 (8 x V100), ND A100 v4
    _s("Standard_NC6s_v3", "standardNCSv3Family", 6, 112, 1, volume_mb=344064),
    _s("Standard_NC12s_v3", "standardNCSv3Family", 12, 224, 2, volume_mb=688128),
    _s("Standard_NC24s_v3", "standardNCSv3Family", 24, 448, 4, volume_mb=1376256),
    _s("Standard_NC4as_T4_v3", "standardNCASv3_T4Family", 4, 28, 1, volume_mb=180224),
    _s("Standard_NC8as_T4_v3", "standardNCASv3_T4Family", 8, 56, 1, volume_mb=360448),
    _s("Standard_NC16as_T4_v3", "standardNCASv3_T4Family", 16, 110, 1, volume_mb=360448),
    _s("Standard_NC64as_T4_v3", "standardNCASv3_T4Family", 64, 440, 4, volume_mb=2879488),
    _s("Standard_NC24ads_A100_v4", "standardNCADSA100v4Family", 24, 220, 1, volume_mb=65536),
    _s("Standard_NC48ads_A100_v4", "standardNCADSA100v4Family", 48, 440, 2, volume_mb=131072),
    _s("Standard_NC96ads_A100_v4", "standardNCADSA100v4Family", 96, 880, 4, volume_mb=262144),
    _s("Standard_ND40rs_v2", "standardNDSv2Family", 40, 672, 8, volume_mb=2969600),
    _s("Standard_ND96asr_v4", "standardNDASv4_A100Family", 96, 900, 8, volume_mb=6553600),
)

_BY_NAME = {size.name.lower(): size for size in VM_SIZES}


def find_vm_size(name: str) -> VmSize | None:
    """The size named, in any case (Azure ML echoes ``STANDARD_DS3_V2`` as readily as its own spelling)."""
    return _BY_NAME.get(name.lower())


def families() -> list[str]:
    """Every family of the catalogue, in catalogue order."""
    return list(dict.fromkeys(size.family for size in VM_SIZES))


def family_display_name(family: str) -> str:
    """Azure's localized name of a family's quota (``standardDSv2Family`` -> ``Standard DSv2 Family vCPUs``)."""
    stem = family[len("standard"):] if family.lower().startswith("standard") else family
    stem = stem[: -len("Family")] if stem.endswith("Family") else stem
    return f"Standard {stem} Family vCPUs"


def family_named(name: str) -> str | None:
    """The catalogue's family a quota entry names, in any case: the family itself
    (``standardDSv2Family``) or Azure's workspace-quota spelling of it
    (``Standard_DSv2_Family_Cluster_Dedicated_vCPUs``); None for no family of the catalogue."""
    squashed = name.replace("_", "").lower()
    for suffix in ("clusterdedicatedvcpus", "vcpus"):
        squashed = squashed.removesuffix(suffix)
    return next((f for f in families() if f.replace("_", "").lower() == squashed), None)
