"""HTTP preconditions on writes: ``If-Match`` and ``If-None-Match``, as ARM honours them."""

from __future__ import annotations

from dataclasses import dataclass

from amlite.domain.errors import PreconditionFailed


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, current_etag: str | None) -> None:
        """Raise ``PreconditionFailed`` unless the resource's state (``None`` = absent) passes."""
        if self.if_match is not None:
            if current_etag is None or not _matches(self.if_match, current_etag):
                raise PreconditionFailed(
                    "PreconditionFailed",
                    "The condition specified using HTTP conditional header(s) is not met: "
                    "the resource's ETag does not match If-Match.",
                )
        if self.if_none_match is not None and current_etag is not None:
            if _matches(self.if_none_match, current_etag):
                raise PreconditionFailed(
                    "PreconditionFailed",
                    "The condition specified using HTTP conditional header(s) is not met: the resource already exists.",
                )


NONE = Preconditions()


def _matches(header: str, etag: str) -> bool:
    """A header may list several tags, weak (``W/``) or strong, or ``*``."""
    wanted = {part.strip().removeprefix("W/").strip('"') for part in header.split(",")}
    return "*" in wanted or etag.strip('"') in wanted
