"""Environment images in a workspace's container registry: the name a job's build gets, the images
a workspace sees, and the refusal of a reference to another project's images.

The registry is the workspace's associated ``containerRegistry`` (a project's is its hub's, read
through ``services/hubs``). What the registry holds is what jobs built in it: every job that
reached ``Running`` ran on its environment's build, named ``Job.image``. A listing gathers the
images of every workspace sharing the registry, then keeps those under the caller workspace's
namespace, so a project sees its own and no other project's (``domain/images``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from amlite.domain.assets import ListViewType
from amlite.domain.errors import NotFound
from amlite.domain.images import (
    build_hash,
    image_isolation_refused,
    image_name,
    login_server,
    namespace_in,
    namespace_of,
    repository,
)
from amlite.domain.resources import Workspace, WorkspaceKind
from amlite.ports import UnitOfWork
from amlite.services.authz import Authorizer
from amlite.services.context import Caller, Deps
from amlite.services.hubs import effective_of, family
from amlite.services.workspace_scope import require_workspace

_PAGE = 500


@dataclass(frozen=True)
class BuiltImage:
    """An image in a workspace's registry: its full name, where it sits, and the first job that ran on it."""

    name: str
    registry: str       # the registry's login server
    repository: str     # ``<namespace>/azureml_<hash>``
    namespace: str
    environment_id: str
    built_by_job: str
    built_at: datetime | None


def registry_server(uow: UnitOfWork, ws: Workspace) -> str:
    """The login server of the registry ``ws`` builds into: its own, or its hub's for a project."""
    eff, _ = effective_of(uow, ws)
    key = eff.associated.get("containerRegistry")
    found = uow.resources.by_keys([key]) if key else {}
    if key is None or key not in found:
        raise NotFound("ContainerRegistryNotFound", f"Workspace '{ws.name}' has no container registry.")
    return login_server(found[key].name)


def image_for(uow: UnitOfWork, ws: Workspace, python_version: str, requirements: Iterable[str]) -> str:
    """The image a job of ``ws`` runs in: its environment's build under ``ws``'s namespace."""
    return image_name(registry_server(uow, ws), namespace_of(ws), build_hash(python_version, requirements))


def check_image_reference(uow: UnitOfWork, ws: Workspace, image: object, target: str) -> None:
    """A hub or project names images of the hub's registry only under its own namespace
    (``403 ProjectImageIsolation`` otherwise); other registries, and other kinds, are not concerned."""
    if not isinstance(image, str) or ws.kind not in (WorkspaceKind.PROJECT, WorkspaceKind.HUB):
        return
    namespace = namespace_in(image, registry_server(uow, ws))
    if namespace is not None and namespace != namespace_of(ws):
        raise image_isolation_refused(ws, image, target)


class ImageService:
    def __init__(self, deps: Deps, authz: Authorizer) -> None:
        self._deps = deps
        self._authz = authz

    def list_images(self, caller: Caller, sub_id: str, rg_name: str, ws_name: str) -> list[BuiltImage]:
        """The images of the workspace's registry that the workspace sees: those under its own
        namespace, each once (the first job that built it), newest repository first by name."""
        with self._deps.uow() as uow:
            caller = self._authz.admit(uow, caller)
            ws = require_workspace(uow, caller, sub_id, rg_name, ws_name)
            server = registry_server(uow, ws)
            own = namespace_of(ws)
            found: dict[str, BuiltImage] = {}
            for other in family(uow, ws):
                if registry_server(uow, other) != server:
                    continue
                for image in _built_in(uow, other):
                    if namespace_in(image.name, server) != own:
                        continue
                    seen = found.get(image.name)
                    if seen is None or (image.built_at and seen.built_at and image.built_at < seen.built_at):
                        found[image.name] = image
        return sorted(found.values(), key=lambda i: i.name)


def _built_in(uow: UnitOfWork, ws: Workspace) -> Iterable[BuiltImage]:
    """The images the jobs of ``ws`` ran on (a job that reached Running had its build ready)."""
    offset = 0
    while True:
        page = uow.jobs.list(ws.key, ListViewType.ALL, offset, _PAGE)
        for job in page.items:
            if job.image and job.start_time is not None:
                server, _, repo = job.image.partition("/")
                yield BuiltImage(job.image, server, repo, repo.split("/", 1)[0], job.spec.environment_id, job.name,
                                 job.start_time)
        if not page.more:
            return
        offset += _PAGE


__all__ = ["BuiltImage", "ImageService", "check_image_reference", "image_for", "registry_server", "repository"]
