"""Environment images: the names amlite gives what it builds for an environment, and the isolation
of a hub's projects inside the hub's shared container registry.

amlite runs jobs in virtualenvs rather than containers, so what it builds for an environment is a
virtualenv (``runner/local.py``); it names that build as Azure ML names the image it would build,
``<registry login server>/<namespace>/azureml_<hash>``, in the container registry among the
workspace's associated resources. The namespace is ``azureml`` for a Default workspace or a hub
(Azure's own prefix) and the project's workspace GUID for a project, whose registry is its hub's:
the projects of one hub share a registry and are kept apart by that naming convention, each one
seeing, building and referencing only the images under its own namespace.

The hash covers what the build is made of (the Python version and the sorted pip requirements),
and the build is cached per namespace and hash, so project B never runs on project A's build.

Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from amlite.domain.errors import AuthorizationFailed
from amlite.domain.resources import Workspace, WorkspaceKind

#: Azure's image namespace for a workspace that has a registry of its own.
DEFAULT_NAMESPACE = "azureml"
#: The DNS suffix of an Azure container registry's login server.
LOGIN_SUFFIX = ".azurecr.io"
#: The job property Azure ML sets to the repository of the image a job ran in.
DERIVED_IMAGE_PROPERTY = "AzureML.DerivedImageName"


def namespace_of(ws: Workspace) -> str:
    """Where ``ws``'s built images live in its registry: a project's own workspace GUID (its hub's
    registry is shared), Azure's ``azureml`` for every other workspace."""
    return ws.workspace_id if ws.kind is WorkspaceKind.PROJECT else DEFAULT_NAMESPACE


def login_server(registry_name: str) -> str:
    return f"{registry_name.lower()}{LOGIN_SUFFIX}"


def build_hash(python_version: str, requirements: Iterable[str]) -> str:
    """The 32 hex digits naming a build of ``requirements`` on ``python_version``."""
    reqs = sorted(set(requirements))
    return hashlib.sha256(json.dumps([python_version, reqs]).encode()).hexdigest()[:32]


def repository(namespace: str, digest: str) -> str:
    """The repository of a build inside its registry (what Azure ML's ``AzureML.DerivedImageName`` holds)."""
    return f"{namespace}/azureml_{digest}"


def image_name(server: str, namespace: str, digest: str) -> str:
    return f"{server}/{repository(namespace, digest)}"


def namespace_in(image: str, server: str) -> str | None:
    """The namespace an image reference names in the registry at ``server`` (the first path
    segment after the login server, any tag or digest aside); None when it names another registry."""
    text = image.strip()
    head, sep, rest = text.partition("/")
    if not sep or head.lower() != server.lower():
        return None
    namespace = rest.split("/", 1)[0] if "/" in rest else ""
    return namespace.split(":", 1)[0].split("@", 1)[0]


def image_isolation_refused(ws: Workspace, image: str, target: str) -> AuthorizationFailed:
    """A project naming an image outside its own namespace of its hub's registry."""
    own = namespace_of(ws)
    return AuthorizationFailed(
        "ProjectImageIsolation",
        f"The image '{image}' is not in the namespace of {ws.kind.value.lower()} workspace '{ws.name}' in its hub's "
        f"container registry: a project sees and uses only the images under its own namespace ('{own}/'). "
        "Build the environment in this project instead (create it here and run a job with it).", target)
