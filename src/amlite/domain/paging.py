"""Pages of listings: ARM lists answer a page at a time with a ``nextLink`` to the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing; ``more`` says whether a further page exists."""

    items: list[T]
    more: bool
