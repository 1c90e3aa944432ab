"""Seed 002's two ``registry.yml`` examples, exactly as the Azure ML docs print them. They live
once, in ``examples/`` (the README's Registries tour uses the first); tests read them from there."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_1 = (EXAMPLES / "registry.yml").read_text()  # DemoRegistry1: three regions
SEED_2 = (EXAMPLES / "registry-storage.yml").read_text()  # DemoRegistry2: with storage_config per region
