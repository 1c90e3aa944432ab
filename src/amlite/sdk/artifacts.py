"""Uploading and downloading file trees as content-addressed artifact blobs.

A tree is described by its *manifest*: one :class:`ManifestEntry` (POSIX relative path, sha256,
size) per file, sorted by path. Upload sends each distinct blob once, and only if the server does
not have it already (``HEAD`` first); download restores the exact tree, byte for byte, checking
every digest. Both stream in fixed-size chunks, so file size does not matter to memory.

    >>> from amlite.sdk.artifacts import upload_tree, download_tree
    >>> manifest = upload_tree(ml_client, workspace_id, "./model")          # doctest: +SKIP
    >>> download_tree(ml_client, workspace_id, manifest, "./restored")      # doctest: +SKIP

Paths never leave their root: :func:`manifest_of` refuses a path that climbs out with ``..``, an
absolute path outside ``root``, and a symlink that points outside; :func:`download_tree` refuses
manifest paths that would write outside ``dest_dir``. Only files are recorded, so empty
directories are not restored.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from amlite.sdk._constants import ML_API_VERSION
from amlite.sdk._pipeline import HttpPipeline
from amlite.sdk.errors import HttpResponseError, ValidationException

__all__ = ["ManifestEntry", "download_tree", "manifest_of", "upload_tree", "checked_relative_path"]

CHUNK_SIZE = 1 << 20
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ManifestEntry:
    """One file of a tree: its path relative to the tree's root (POSIX separators), the sha256 of
    its bytes and their count."""

    path: str
    sha256: str
    size: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ManifestEntry:
        return cls(str(body["path"]), str(body["sha256"]), int(body["size"]))


def _escape(message: str) -> ValidationException:
    return ValidationException(message, code="PathEscapesRoot")


def checked_relative_path(path: str) -> PurePosixPath:
    r"""A manifest path as a safe relative path, or ``ValidationException(code="PathEscapesRoot")``
    when it is empty, absolute (``/x``, ``C:/x``, ``\\server\x``) or has a ``..`` segment (``/``
    and ``\`` both count as separators here, so Windows-style paths cannot sneak one in)."""
    text = str(path)
    if not text or "\x00" in text:
        raise _escape(f"'{path}' is not a usable relative path.")
    split = text.replace("\\", "/")
    if split.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise _escape(f"'{path}' is an absolute path; artifact paths are relative to their root.")
    if any(part == ".." for part in split.split("/")):
        raise _escape(f"'{path}' climbs out of its root with '..'.")
    parts = [p for p in PurePosixPath(text).parts if p != "."]
    if not parts:
        raise _escape(f"'{path}' names the root itself, not a file under it.")
    return PurePosixPath(*parts)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


# -- manifests -------------------------------------------------------------------------------------


def manifest_of(local_path: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None) -> list[ManifestEntry]:
    """The manifest of a file (one entry named after it) or a folder (its files, relative to it).

    With ``root``, ``local_path`` (relative paths are taken from ``root``) must lie inside it, as a
    model's path must lie inside the project it is uploaded from. Symlinks inside the tree are
    followed only when they resolve inside it; one pointing outside is refused, as are special
    files (sockets, devices, pipes).
    """
    return [entry for entry, _ in _scan(local_path, root)]


def _scan(local_path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> list[tuple[ManifestEntry, Path]]:
    """The manifest, each entry with the real path of the file it describes."""
    top = _source(local_path, root)
    if top.is_file():
        return [(_entry(top, Path(local_path).name or top.name), top)]
    return sorted(((_entry(path, rel), path) for path, rel in _walk(top)), key=lambda pair: pair[0].path)


def _source(local_path: str | os.PathLike[str], root: str | os.PathLike[str] | None) -> Path:
    given = Path(local_path)
    if root is not None:
        base = Path(root).resolve()
        if given.is_absolute() and not _inside(Path(os.path.normpath(given)), base):
            raise _escape(f"'{local_path}' is an absolute path outside {base}.")
        if not given.is_absolute():
            if not _inside(Path(os.path.normpath(base / given)), base):
                raise _escape(f"'{local_path}' climbs out of {base} with '..'.")
            given = base / given
        if given.exists() and not _inside(given.resolve(), base):
            raise _escape(f"'{local_path}' leads outside {base} through a symlink.")
    if not given.exists():
        raise ValidationException(f"The path '{local_path}' does not exist.", code="PathNotFound")
    return given.resolve()


def _walk(top: Path) -> Iterator[tuple[Path, str]]:
    """(real path, POSIX path relative to ``top``) of every file under ``top``. A symlinked folder
    is walked again under its own name unless it is one of its own ancestors (a loop)."""
    stack: list[tuple[Path, PurePosixPath, frozenset[Path]]] = [(top, PurePosixPath(), frozenset({top}))]
    while stack:
        directory, rel_dir, ancestors = stack.pop()
        with os.scandir(directory) as it:
            items = sorted(it, key=lambda d: d.name)
        for item in items:
            rel = rel_dir / item.name
            real = Path(item.path).resolve()
            if item.is_symlink() and not _inside(real, top):
                raise _escape(f"'{rel}' is a symlink to {real}, outside the upload root {top}.")
            if real.is_dir():
                if real not in ancestors:
                    stack.append((real, rel, ancestors | {real}))
            elif real.is_file():
                yield real, str(rel)
            else:
                raise ValidationException(f"'{rel}' is not a regular file or folder.", code="UnsupportedFileType")


def _entry(path: Path, rel: str) -> ManifestEntry:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
    return ManifestEntry(str(checked_relative_path(rel)), digest.hexdigest(), size)


# -- transfer ----------------------------------------------------------------------------------------


def _pipeline(pipeline_or_client: Any) -> HttpPipeline:
    if isinstance(pipeline_or_client, HttpPipeline):
        return pipeline_or_client
    found = getattr(pipeline_or_client, "_pipeline", None)
    if isinstance(found, HttpPipeline):
        return found
    raise TypeError("expected an MLClient or an HttpPipeline")


def _blob_url(workspace_scope: str, sha256: str) -> str:
    return f"{workspace_scope.rstrip('/')}/artifacts/blobs/{sha256}"


def upload_tree(pipeline_or_client: Any, workspace_scope: str, local_path: str | os.PathLike[str], *,
                root: str | os.PathLike[str] | None = None, on_progress: Progress | None = None) -> list[ManifestEntry]:
    """Upload a file or folder to the workspace (its ARM id) and return the tree's manifest.

    Blobs the server has already are skipped (one ``HEAD`` each); the others are streamed in
    chunks of 1 MiB. ``on_progress(bytes_done, bytes_total)`` is called as bytes go out (skipped
    blobs count as done at once), e.g. to drive a progress bar. A file that changes between
    hashing and upload is refused by the server (``BlobHashMismatch``) and nothing is stored.
    """
    pipeline = _pipeline(pipeline_or_client)
    scanned = _scan(local_path, root)
    manifest = [entry for entry, _ in scanned]
    files = {entry.path: path for entry, path in scanned}
    total = sum(e.size for e in manifest)
    done = 0
    report = on_progress or (lambda _done, _total: None)
    report(0, total)
    sent: set[str] = set()
    for entry in manifest:
        url = _blob_url(workspace_scope, entry.sha256)
        if entry.sha256 in sent or _exists(pipeline, url):
            done += entry.size
            report(done, total)
            continue

        def chunks(path: Path = files[entry.path]) -> Iterator[bytes]:
            nonlocal done
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    done += len(chunk)
                    yield chunk
                    report(done, total)

        pipeline.send("PUT", url, api_version=ML_API_VERSION, content=chunks(),
                      headers={"Content-Type": "application/octet-stream", "Content-Length": str(entry.size)})
        sent.add(entry.sha256)
    return manifest


def _exists(pipeline: HttpPipeline, url: str) -> bool:
    response = pipeline.send_raw("HEAD", url, api_version=ML_API_VERSION)
    if response.status_code == 404:
        return False
    if response.status_code >= 400:
        with pipeline.stream("GET", url, api_version=ML_API_VERSION):  # HEAD has no body: GET says what went wrong
            pass
    return True


def download_tree(pipeline_or_client: Any, workspace_scope: str, manifest: list[ManifestEntry],
                  dest_dir: str | os.PathLike[str], *, on_progress: Progress | None = None,
                  params: dict[str, Any] | None = None, served_regions: set[str] | None = None) -> list[Path]:
    """Restore the tree ``manifest`` describes under ``dest_dir`` and return the files written.

    Each file is streamed into a temporary file beside its destination, its size and sha256 are
    checked, and only then is it renamed into place, so an interrupted download never leaves a
    truncated file under a final name. Manifest paths that would land outside ``dest_dir`` (``..``,
    absolute paths, or through a symlink already in ``dest_dir``) are refused before anything
    is written. Files with the same digest are downloaded once and copied locally. ``params`` go
    on every blob request (a registry read's ``callerRegion``); the regions that served the blobs
    (``x-ms-served-region``) are added to ``served_regions``.
    """
    pipeline = _pipeline(pipeline_or_client)
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    base = dest.resolve()
    targets = [(entry, base.joinpath(*checked_relative_path(entry.path).parts)) for entry in manifest]
    for entry, target in targets:
        if not _inside(target.parent.resolve(), base):
            raise _escape(f"'{entry.path}' would be written outside {base} through a symlink.")
    total = sum(e.size for e in manifest)
    done = 0
    report = on_progress or (lambda _done, _total: None)
    report(0, total)
    written: dict[str, Path] = {}
    for entry, target in targets:
        _make_parents(target.parent, base)
        if entry.sha256 in written:
            _atomic_copy(written[entry.sha256], target)
            done += entry.size
        else:
            with pipeline.stream("GET", _blob_url(workspace_scope, entry.sha256), api_version=ML_API_VERSION,
                                 params=params) as response:
                if served_regions is not None and response.headers.get("x-ms-served-region"):
                    served_regions.add(response.headers["x-ms-served-region"])
                def progress(n: int) -> None:
                    nonlocal done
                    done += n
                    report(done, total)

                _atomic_write(response.iter_bytes(), target, entry, progress)
            written[entry.sha256] = target
        report(done, total)
    return [target for _, target in targets]


def _make_parents(directory: Path, base: Path) -> None:
    """Create the folders one by one, checking each is a real folder inside ``base`` (a symlink
    created meanwhile cannot redirect the write)."""
    current = base
    for part in directory.relative_to(base).parts:
        current = current / part
        if current.is_symlink() and not _inside(current.resolve(), base):
            raise _escape(f"'{current}' is a symlink outside {base}.")
        current.mkdir(exist_ok=True)


def _atomic_write(chunks: Iterator[bytes], target: Path, entry: ManifestEntry, progress: Callable[[int], None]) -> None:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle, _HashingWriter(handle) as sink:
            for chunk in chunks:
                sink.write(chunk)
                progress(len(chunk))
            digest = sink.finish()
        if digest != entry.sha256 or sink.size != entry.size:
            raise HttpResponseError(
                f"The download of '{entry.path}' has sha256 {digest} and {sink.size} bytes, "
                f"not {entry.sha256} and {entry.size}; the file was not written."
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class _HashingWriter:
    """Hashes and writes on a helper thread while the caller reads the network, so the three
    overlap (each releases the GIL); a bounded queue keeps memory at a few MiB."""

    def __init__(self, handle: Any, depth: int = 64) -> None:
        self._handle = handle
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._digest = hashlib.sha256()
        self._error: BaseException | None = None
        self.size = 0
        self._thread = threading.Thread(target=self._run, name="artifact-write", daemon=True)

    def __enter__(self) -> _HashingWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._digest.update(chunk)
                    self._handle.write(chunk)
                except BaseException as exc:  # noqa: BLE001 - raised on the caller's thread
                    self._error = exc

    def write(self, chunk: bytes) -> None:
        if self._error is not None:
            raise self._error
        self.size += len(chunk)
        self._queue.put(chunk)

    def finish(self) -> str:
        self._stop()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def __exit__(self, *exc: object) -> None:
        self._stop()


def _atomic_copy(source: Path, target: Path) -> None:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        shutil.copyfile(source, tmp)
        os.chmod(tmp, stat.S_IMODE(source.stat().st_mode))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)

