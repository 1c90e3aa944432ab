"""Fixtures the contract suites share: the Azurite emulator for the BlobStore contract."""

from __future__ import annotations

from tests.azurite import azurite

__all__ = ["azurite"]
