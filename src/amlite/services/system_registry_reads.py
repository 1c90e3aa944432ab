"""REST reads of the ``azureml`` system registry: its curated environments' containers and
versions, as the same views a tenant registry's assets give (``services.assets``), so they
render alike. Every signed-in principal may read them (``services.system_registry``)."""

from __future__ import annotations

from amlite.domain.assets import AssetKind, ListViewType
from amlite.domain.errors import NotFound
from amlite.domain.paging import Page
from amlite.domain.system_registry import SYSTEM_REGISTRY_NAME, CuratedEnvironment, resolve_label
from amlite.services.assets import ContainerView, VersionView
from amlite.services.system_registry import SYSTEM_OWNER, curated_catalog


def _not_found(kind: AssetKind, name: str, version: str | None = None) -> NotFound:
    if kind is not AssetKind.ENVIRONMENTS:
        return NotFound("ResourceNotFound",
                        f"The registry '{SYSTEM_REGISTRY_NAME}' holds Azure ML's curated environments only; "
                        f"{kind.value} are not part of it.")
    if version is None:
        return NotFound("ResourceNotFound",
                        f"The curated environment '{name}' does not exist in registry '{SYSTEM_REGISTRY_NAME}'.")
    return NotFound("ResourceNotFound",
                    f"The curated environment '{name}' has no version '{version}' in registry '{SYSTEM_REGISTRY_NAME}'.")


def _environment(kind: AssetKind, name: str) -> CuratedEnvironment:
    found = curated_catalog().get(name) if kind is AssetKind.ENVIRONMENTS else None
    if found is None:
        raise _not_found(kind, name)
    return found


def container_view(kind: AssetKind, name: str) -> ContainerView:
    env = _environment(kind, name)
    return ContainerView(SYSTEM_OWNER, env.container, env.latest.version)


def list_containers(kind: AssetKind, view: ListViewType, offset: int, limit: int) -> Page[ContainerView]:
    """Curated environments are never archived: an archived-only list is empty, and so is the list
    of any other kind."""
    if kind is not AssetKind.ENVIRONMENTS or view is ListViewType.ARCHIVED_ONLY:
        return Page([], False)
    catalog = curated_catalog()
    names = catalog.names()
    items = []
    for name in names[offset:offset + limit]:
        env = catalog.get(name)
        assert env is not None, "names() lists only names the catalog holds"
        items.append(ContainerView(SYSTEM_OWNER, env.container, env.latest.version))
    return Page(items, offset + limit < len(names))


def version_view(kind: AssetKind, name: str, version: str) -> VersionView:
    env = _environment(kind, name)
    if version.startswith("@"):  # a managed label, as for any asset (``AssetService.version_in``)
        resolve_label(version[1:], kind, "version", f"{name}{version}")
        return VersionView(SYSTEM_OWNER, env.container, env.latest)
    found = env.version(version)
    if found is None:
        raise _not_found(kind, name, version)
    return VersionView(SYSTEM_OWNER, env.container, found)


def list_versions(kind: AssetKind, name: str, view: ListViewType, offset: int, limit: int) -> Page[VersionView]:
    """Newest first, as Azure ML lists versions."""
    env = _environment(kind, name)
    if view is ListViewType.ARCHIVED_ONLY:
        return Page([], False)
    ordered = list(reversed(env.versions))
    return Page([VersionView(SYSTEM_OWNER, env.container, v) for v in ordered[offset:offset + limit]],
                offset + limit < len(ordered))
