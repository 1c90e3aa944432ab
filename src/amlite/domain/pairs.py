"""Paired workspaces (issue 15, SPEC section 7): a primary workspace and a secondary in another
region, with a mode per kind of resource, as the seed's "hot/hot, hot/warm, hot/cold".

- ``hot-hot`` and ``hot-warm``: the primary's asset versions of that kind (models, environments,
  components, data: the version and its bytes) are copied to the secondary continuously;
- ``hot-cold``: nothing is copied until a failover (the secondary keeps its own infrastructure
  and data only). What is not copied yet, per kind, is the pair's recovery point (RPO), read by
  ``services/pairs.PairService.not_copied``.

``jobs`` may be given a mode too (the seed's example "hot/cold for experiments"): in a hot mode
each job submitted in the primary has its files copied ahead into the secondary, so a failover
can resubmit it while the primary's storage is down (domain/failover.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from amlite.domain.assets import AssetKind
from amlite.domain.errors import invalid


class PairMode(str, Enum):
    HOT_HOT = "hot-hot"
    HOT_WARM = "hot-warm"
    HOT_COLD = "hot-cold"

    @property
    def copies(self) -> bool:
        return self is not PairMode.HOT_COLD


#: The asset kinds a pair copies, by the names ``--per-kind`` takes.
ASSET_KINDS: dict[str, AssetKind] = {
    "models": AssetKind.MODELS, "environments": AssetKind.ENVIRONMENTS,
    "components": AssetKind.COMPONENTS, "data": AssetKind.DATA,
}
#: Every kind a mode may be given for (``endpoints``: the online endpoints' standby definitions,
#: domain/warm_endpoints.py).
KINDS = (*ASSET_KINDS, "jobs", "endpoints")

#: The task kind of one version's copy into a pair's secondary (the one task engine).
PAIR_COPY = "pair.copy"

NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,62}$")
WORKSPACE_ID = re.compile(
    r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/([^/]+)/?$",
    re.IGNORECASE)


@dataclass(frozen=True)
class WorkspacePair:
    key: str
    tenant_id: str
    name: str
    primary_key: str
    secondary_key: str
    mode: PairMode
    per_kind: dict[str, PairMode] = field(default_factory=dict)
    created_at: datetime | None = None
    created_by: str = ""  # the principal id the copies are written as
    #: Whether the secondary is the active side (domain/failover.py); the primary otherwise.
    failed_over: bool = False
    #: Fail over by itself once the primary's region has been failed this long (services/failover.py).
    auto_failover: bool = False
    failover_after_seconds: int = 300
    #: The reports of the pair's failovers and failbacks, oldest first.
    history: tuple[dict[str, Any], ...] = ()

    @property
    def active_key(self) -> str:
        return self.secondary_key if self.failed_over else self.primary_key

    @property
    def passive_key(self) -> str:
        return self.primary_key if self.failed_over else self.secondary_key

    def mode_of(self, kind: str) -> PairMode:
        return self.per_kind.get(kind, self.mode)

    def copied_kinds(self) -> list[AssetKind]:
        """The asset kinds copied continuously (their mode is hot)."""
        return [k for name, k in ASSET_KINDS.items() if self.mode_of(name).copies]


def parse_mode(value: object, target: str = "mode") -> PairMode:
    try:
        return PairMode(str(value).lower())
    except ValueError:
        raise invalid("InvalidPairMode", f"The mode '{value}' is not one of "
                      f"{', '.join(m.value for m in PairMode)}.", target) from None


def parse_per_kind(values: dict[str, str] | None) -> dict[str, PairMode]:
    out: dict[str, PairMode] = {}
    for kind, mode in (values or {}).items():
        if kind.lower() not in KINDS:
            raise invalid("InvalidPairKind", f"The kind '{kind}' is not one of {', '.join(KINDS)}.", "perKind")
        out[kind.lower()] = parse_mode(mode, f"perKind.{kind}")
    return out


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise invalid("InvalidPairName", f"The pair name '{name}' must be 3-63 letters, digits, '-' or '_', "
                      "starting with a letter or digit.", "name")
    return name


def parse_workspace_id(value: object, target: str) -> tuple[str, str, str]:
    match = WORKSPACE_ID.match(str(value or ""))
    if match is None:
        raise invalid("InvalidWorkspaceId", f"'{value}' is not a workspace id "
                      "(/subscriptions/.../resourceGroups/.../providers/Microsoft.MachineLearningServices/workspaces/...).",
                      target)
    return match.group(1), match.group(2), match.group(3)


def copy_key(pair_key: str, version_key: str) -> str:
    """The dedupe key of one version's copy into a pair's secondary."""
    return f"{PAIR_COPY}:{pair_key}:{version_key}"


@dataclass(frozen=True)
class KindLag:
    """What a pair's secondary lacks of one kind: the versions not copied and the oldest's age."""

    kind: str
    mode: PairMode
    pending: int
    oldest_created_at: datetime | None
