"""Regions: configured, each with its Azure pair and its own storage root.

A region is accepted by its name (``eastus``) or its display name (``East US``), in any case, since
both spellings occur in YAML files and scripts in the wild.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from amlite.domain.errors import invalid


@dataclass(frozen=True)
class Region:
    name: str
    display_name: str
    paired_region: str | None
    geography: str = "US"

    @property
    def regional_display_name(self) -> str:
        return f"({self.geography}) {self.display_name}"


# Azure's names, display names and pairs for the default configuration.
DEFAULT_REGIONS: tuple[Region, ...] = (
    Region("eastus", "East US", "westus"),
    Region("eastus2", "East US 2", "centralus"),
    Region("westus", "West US", "eastus"),
    Region("centralus", "Central US", "eastus2"),
    Region("westus2", "West US 2", "westcentralus"),
    Region("westcentralus", "West Central US", "westus2"),
    Region("northeurope", "North Europe", "westeurope", "Europe"),
    Region("westeurope", "West Europe", "northeurope", "Europe"),
)


class RegionCatalog:
    """The configured regions, looked up by name or display name."""

    def __init__(self, regions: tuple[Region, ...] | list[Region]) -> None:
        self._regions = tuple(regions)
        self._by_key: dict[str, Region] = {}
        for region in self._regions:
            self._by_key[_key(region.name)] = region
            self._by_key[_key(region.display_name)] = region

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions)

    def names(self) -> list[str]:
        return [r.name for r in self._regions]

    def find(self, name: str) -> Region | None:
        return self._by_key.get(_key(name))

    def resolve(self, name: object, target: str = "location") -> Region:
        """The region called ``name``, or a 400 ``InvalidLocation`` that lists the configured ones."""
        if not isinstance(name, str) or not name.strip():
            raise invalid("LocationRequired", "The location property is required for this definition.", target)
        region = self.find(name)
        if region is None:
            raise invalid(
                "InvalidLocation",
                f"The provided location '{name}' is not available. "
                f"List of available regions is '{','.join(self.names())}'.",
                target,
            )
        return region


def _key(name: str) -> str:
    return name.replace(" ", "").lower()
