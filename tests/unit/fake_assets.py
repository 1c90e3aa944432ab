"""A small in-memory fake of docs/api.md's Assets, Datastores and Artifacts routes, for SDK and CLI
tests behind ``httpx.MockTransport``. Other routes go to the next handler (the ARM fake).

It checks what a client must get right — auto-increment with ``POST .../versions``, idempotent
identical re-creates and 409 on changed content, every artifact sha256 uploaded before the
version — so the tests catch a client that skips a step. The real server is tested in tests/e2e.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["FakeAssets"]

KINDS = ("models", "environments", "components", "data")


def _err(status: int, code: str, message: str, target: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if target:
        body["target"] = target
    return httpx.Response(status, json={"error": body})


class FakeAssets:
    def __init__(self, fallback: Callable[[httpx.Request], httpx.Response]) -> None:
        self.fallback = fallback
        self.blobs: dict[str, bytes] = {}
        self.versions: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}  # (kind, name) -> {v: body}
        self.archived: set[tuple[str, str]] = set()
        self.datastores: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = [p for p in request.url.path.split("/") if p]
        low = [p.lower() for p in parts]
        if len(low) < 9 or low[6] != "workspaces":
            return self.fallback(request)
        request.read()
        self.requests.append(request)
        ws = "/".join(parts[:8])
        rest, rest_low = parts[8:], low[8:]
        if rest_low[:2] == ["artifacts", "blobs"]:
            return self._blob(request, rest[2])
        if rest_low[0] == "datastores":
            return self._datastore(request, ws, rest[1:])
        if rest_low[0] in KINDS:
            return self._asset(request, ws, rest_low[0], rest[1:])
        return _err(404, "NotFound", request.url.path)

    # -- artifacts ----------------------------------------------------------------------------
    def _blob(self, request: httpx.Request, sha: str) -> httpx.Response:
        if request.method == "PUT":
            data = request.content
            if hashlib.sha256(data).hexdigest() != sha:
                return _err(400, "BlobHashMismatch", "hash mismatch", "sha256")
            existed = sha in self.blobs
            self.blobs[sha] = data
            return httpx.Response(200 if existed else 201, json={"sha256": sha, "size": len(data), "existed": existed})
        if sha not in self.blobs:
            return httpx.Response(404) if request.method == "HEAD" else _err(404, "BlobNotFound", sha)
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Length": str(len(self.blobs[sha]))})
        return httpx.Response(200, content=self.blobs[sha])

    # -- assets -------------------------------------------------------------------------------
    def _version_body(self, ws: str, kind: str, name: str, version: str, props: dict[str, Any]) -> dict[str, Any]:
        out = {**props, "provisioningState": "Succeeded"}
        if props.get("artifacts"):
            out.setdefault({"models": "modelUri", "data": "dataUri"}.get(kind, "artifactUri"),
                           f"azureml://datastores/workspaceblobstore/paths/{kind}/{name}/{version}/")
        return {"id": f"{ws}/{kind}/{name}/versions/{version}", "name": version,
                "type": f"Microsoft.MachineLearningServices/workspaces/{kind}/versions", "properties": out,
                "systemData": {"createdAt": f"2026-01-01T00:00:{len(self.requests):02d}Z"}}

    def _create(self, ws: str, kind: str, name: str, version: str | None, body: dict[str, Any]) -> httpx.Response:
        props = dict(body.get("properties") or {})
        for entry in props.get("artifacts") or []:
            if entry["sha256"] not in self.blobs:
                return _err(400, "ArtifactNotFound", f"artifact {entry['path']} was not uploaded", "artifacts")
        env_ref = (props.get("componentSpec") or {}).get("environment")
        if isinstance(env_ref, str) and env_ref.startswith("azureml:") and ":" in env_ref[8:]:
            env_name, env_version = env_ref[8:].split(":", 1)
            if env_version not in self.versions.get(("environments", env_name), {}):
                return _err(400, "AssetReferenceNotFound", f"{env_ref} not found", "componentSpec.environment")
        versions = self.versions.setdefault((kind, name), {})
        if version is None:
            version = str(1 + max([int(v) for v in versions if v.isdigit()] or [0]))
        existing = versions.get(version)
        if existing is not None:
            if {k: v for k, v in existing["properties"].items() if k not in ("provisioningState", "modelUri", "dataUri", "artifactUri")} != props:
                return _err(409, "AssetVersionConflict", f"{name}:{version} exists with different content")
            return httpx.Response(200, json=existing)
        versions[version] = self._version_body(ws, kind, name, version, props)
        return httpx.Response(201, json=versions[version])

    def _asset(self, request: httpx.Request, ws: str, kind: str, rest: list[str]) -> httpx.Response:
        method = request.method
        if not rest:
            containers = [{"id": f"{ws}/{kind}/{n}", "name": n, "properties": {"latestVersion": max(v, key=lambda x: int(x) if x.isdigit() else 0)}}
                          for (k, n), v in self.versions.items() if k == kind and v]
            return httpx.Response(200, json={"value": containers})
        name = rest[0]
        versions = self.versions.get((kind, name), {})
        if len(rest) == 2 and rest[1] in ("archive", "restore"):
            for body in versions.values():
                body["properties"]["isArchived"] = rest[1] == "archive"
            return httpx.Response(200)
        if len(rest) == 2 and rest[1] == "versions":
            if method == "POST":
                return self._create(ws, kind, name, None, json.loads(request.content))
            view = request.url.params.get("listViewType", "ActiveOnly")
            items = [b for b in reversed(versions.values())
                     if view == "All" or (view == "ArchivedOnly") == bool(b["properties"].get("isArchived"))]
            return httpx.Response(200, json={"value": items})
        version = rest[2]
        if method == "PUT":
            return self._create(ws, kind, name, version, json.loads(request.content))
        if version == "@latest":
            active = [b for b in versions.values() if not b["properties"].get("isArchived")]
            if not active:
                return _err(404, "ResourceNotFound", f"no active version of {name}")
            return httpx.Response(200, json=active[-1])
        body = versions.get(version)
        if body is None:
            return _err(404, "ResourceNotFound", f"{kind} {name}:{version} not found")
        if len(rest) == 4:
            body["properties"]["isArchived"] = rest[3] == "archive"
            return httpx.Response(200)
        if method == "PATCH":
            body["properties"].update(json.loads(request.content).get("properties") or {})
        return httpx.Response(200, json=body)

    # -- datastores ---------------------------------------------------------------------------
    def _datastore(self, request: httpx.Request, ws: str, rest: list[str]) -> httpx.Response:
        if not rest:
            return httpx.Response(200, json={"value": list(self.datastores.values())})
        name = rest[0]
        if request.method == "PUT":
            props = json.loads(request.content)["properties"]
            creds = dict(props.get("credentials") or {})
            self.secrets[name] = creds.pop("secrets", {})
            body = {"id": f"{ws}/datastores/{name}", "name": name,
                    "properties": {**props, "credentials": creds, "isDefault": False}}
            self.datastores[name] = body
            return httpx.Response(201, json=body)
        if name not in self.datastores:
            return _err(404, "ResourceNotFound", f"datastore {name} not found")
        if len(rest) == 2 and rest[1] == "listSecrets":
            return httpx.Response(200, json=self.secrets[name])
        if request.method == "DELETE":
            del self.datastores[name]
            return httpx.Response(200)
        return httpx.Response(200, json=self.datastores[name])
