"""Workspace bundle file names: which compression a bundle file's name asks for.

The server writes and reads plain and gzipped tar (``docs/bundles.md``); a Zstandard bundle
(``.tar.zst``) is refused here, before a byte moves, with what is missing, since no zstandard
codec ships with amlite.
"""

from __future__ import annotations

from amlite.sdk.errors import ValidationException


def compression_of(file_name: str) -> str:
    """``""`` for ``.tar``, ``"gz"`` for ``.tar.gz``/``.tgz``; anything else is refused."""
    lower = file_name.lower()
    if lower.endswith(".tar"):
        return ""
    if lower.endswith((".tar.gz", ".tgz")):
        return "gz"
    if lower.endswith((".zst", ".tzst")):
        raise ValidationException(
            f"'{file_name}': Zstandard bundles are not supported: amlite has no zstandard codec installed "
            "(it would need the 'zstandard' Python package). Use .tar or .tar.gz.",
            code="BundleCompressionNotSupported")
    raise ValidationException(f"'{file_name}' is not a bundle file name: use .tar or .tar.gz (or .tgz).",
                              code="InvalidBundleName")
