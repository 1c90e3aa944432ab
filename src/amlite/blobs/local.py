"""The embedded BlobStore: one directory per region, ``{root}/{account}/{container}/...``.

Blobs live at ``{container}/sha256/<aa>/<bb>/<hexdigest>`` (read-only files). A write goes to a
temporary file in the container's ``.partial/`` folder, is hashed on the way, fsynced, checked
against the expected digest, and only then renamed (``os.replace``, atomic on one file system)
to its key, and the key's directory is fsynced: a reader sees the whole blob or none of it, and
a blob whose metadata was committed after the write survives a power cut. The temporary file
cannot sit in the key's own directory because the key is known only once the last byte is
hashed; ``.partial/`` is inside the container, so it is on the same file system, and it goes
with the container when the container is deleted. A crash mid-write leaves a ``.part`` file
there and nothing under any key; ``sweep_partial`` (called at every start) removes them.

A blob copied in from another local store on the same file system arrives as a hard link
(``hard_links=True``): the link is made under ``.partial/``, its bytes are hashed and checked like
a copy's, and it is published by the same rename. Content-addressed files are read-only and never
change, so the two names are as good as two copies for every reader, deleting either leaves the
other whole, and a 512 MB model reaches three regions of one disk without writing 1.5 GB. A store
on another file system (or one that refuses links) gets a streamed copy instead.

Deleting a container first renames it into a trash folder, so a crash mid-delete never leaves a
half-emptied container visible under its name; whatever is left in the trash is removed at the
next delete or start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import logging
import os
import shutil
import stat
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from amlite.blobs._stream import KnownBlobWriter, copy_into, file_chunks, file_chunks_of, hash_file, write_all
from amlite.domain.blobs import (
    CHUNK_SIZE,
    StoredBlob,
    blob_key,
    blob_not_found,
    check_sha256,
    container_not_found,
    hash_mismatch,
    is_digest,
)
from amlite.ports import BlobStore, BlobWriter

log = logging.getLogger(__name__)

_TRASH = ".trash"
_PARTIAL = ".partial"
_PART_SUFFIX = ".part"
#: A write hands its bytes to the disk every this many bytes (see ``_start_writeback``).
WRITEBACK_STEP = 8 << 20
#: link(2) errors that mean "not here, copy instead": another file system, or one without links.
_CANNOT_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP})


class LocalBlobStore:
    def __init__(self, region: str, root: Path, *, durable: bool = True, hard_links: bool = True) -> None:
        """``durable=False`` skips the fsyncs (only for throwaway stores: a power cut could then
        lose a blob whose metadata was committed). ``hard_links=False`` makes every copy from
        another local store write its own bytes."""
        self.region = region
        self.root = Path(root)
        self.durable = durable
        self.hard_links = hard_links
        self.root.mkdir(parents=True, exist_ok=True)

    # -- blobs ---------------------------------------------------------------------------------

    def begin_put(
        self, account: str, container: str, expected_sha256: str | None = None, size_hint: int | None = None,
    ) -> BlobWriter:
        expected = check_sha256(expected_sha256) if expected_sha256 is not None else None
        base = self._existing(account, container)
        if expected is not None and (base / blob_key(expected)).is_file():
            return KnownBlobWriter(expected)
        partial = base / _PARTIAL
        try:
            partial.mkdir(exist_ok=True)
            fd, name = tempfile.mkstemp(dir=partial, suffix=_PART_SUFFIX)
        except FileNotFoundError:
            raise container_not_found(account, container) from None  # deleted meanwhile
        return _PartFileWriter(self, base, fd, Path(name), expected)

    def put_stream(
        self, account: str, container: str, chunks: Iterable[bytes], expected_sha256: str | None = None,
        size_hint: int | None = None,
    ) -> StoredBlob:
        return write_all(self.begin_put(account, container, expected_sha256, size_hint), chunks)

    def _publish(self, base: Path, tmp: Path, digest: str, size: int) -> StoredBlob:
        final = base / blob_key(digest)
        directory = base
        for part in final.relative_to(base).parts[:-1]:  # never recreate a container deleted meanwhile
            directory = directory / part
            try:
                directory.mkdir()
            except FileExistsError:
                pass
            except FileNotFoundError:
                raise container_not_found(base.parent.name, base.name) from None
        if final.is_file():
            return StoredBlob(digest, size, existed=True)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP)  # content-addressed bytes never change
        os.replace(tmp, final)
        if self.durable:
            _fsync_dir(final.parent)
        return StoredBlob(digest, size, existed=False)

    def put_file(self, account: str, container: str, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        size = Path(path).stat().st_size
        return self.put_stream(account, container, file_chunks(Path(path)), expected_sha256, size_hint=size)

    def exists(self, account: str, container: str, sha256: str) -> bool:
        return (self._container(account, container) / blob_key(sha256)).is_file()

    def size(self, account: str, container: str, sha256: str) -> int:
        try:
            return (self._container(account, container) / blob_key(sha256)).stat().st_size
        except FileNotFoundError:
            raise blob_not_found(account, container, sha256) from None

    def open_chunks(self, account: str, container: str, sha256: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        return file_chunks_of(self.open_file(account, container, sha256), chunk_size)

    def open_file(self, account: str, container: str, sha256: str) -> BinaryIO:
        """The blob's file, open for reading (the caller closes it): a server can hand it to the
        kernel (``sendfile``) instead of reading it through Python. Only stores whose blobs are
        local files have this method."""
        try:
            return open(self._container(account, container) / blob_key(sha256), "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise blob_not_found(account, container, sha256) from None

    def delete_blob(self, account: str, container: str, sha256: str) -> None:
        (self._container(account, container) / blob_key(sha256)).unlink(missing_ok=True)

    def copy_blob(
        self, source: BlobStore, src_account: str, src_container: str, dst_account: str, dst_container: str,
        sha256: str,
    ) -> StoredBlob:
        if self.hard_links and isinstance(source, LocalBlobStore):
            linked = self._link_from(source, src_account, src_container, dst_account, dst_container, sha256)
            if linked is not None:
                return linked
        return copy_into(self, source, src_account, src_container, dst_account, dst_container, sha256)

    def _link_from(
        self, source: LocalBlobStore, src_account: str, src_container: str, dst_account: str, dst_container: str,
        sha256: str,
    ) -> StoredBlob | None:
        """Publish the source's file under this store's key as a hard link, after checking that
        the linked bytes hash to the key (a rotted source is refused, as a copy would refuse
        it); None when the two stores cannot share a file, so the caller copies."""
        digest = check_sha256(sha256)
        base = self._existing(dst_account, dst_container)
        final = base / blob_key(digest)
        if final.is_file():
            return StoredBlob(digest, final.stat().st_size, existed=True)
        origin = source._container(src_account, src_container) / blob_key(digest)
        if not origin.is_file():
            raise blob_not_found(src_account, src_container, digest)
        partial = base / _PARTIAL
        tmp = partial / f"{uuid.uuid4().hex}{_PART_SUFFIX}"
        try:
            partial.mkdir(exist_ok=True)
            os.link(origin, tmp)
        except FileNotFoundError:
            if not origin.is_file():
                raise blob_not_found(src_account, src_container, digest) from None  # deleted meanwhile
            raise container_not_found(dst_account, dst_container) from None
        except OSError as exc:
            if exc.errno in _CANNOT_LINK:
                return None
            raise
        try:
            actual, size = _HASHED_FILES.digest(tmp)
            if actual != digest:
                raise hash_mismatch(digest, actual, size)
            return self._publish(base, tmp, digest, size)
        finally:
            tmp.unlink(missing_ok=True)  # published links were renamed away

    def sweep_partial(self) -> int:
        """Remove the temporary files of writes a crash interrupted, and the trash."""
        removed = 0
        for account in self.list_accounts():
            for container in self.list_containers(account):
                partial = self.root / account / container / _PARTIAL
                if not partial.is_dir():
                    continue
                for entry in partial.iterdir():
                    entry.unlink(missing_ok=True)
                    removed += 1
                    log.info("removed the partial upload %s", entry)
        self.empty_trash()
        return removed

    # -- accounts and containers ---------------------------------------------------------------

    def _container(self, account: str, container: str) -> Path:
        for part in (account, container):
            if not part or "/" in part or "\\" in part or part in {".", ".."} or part.startswith("."):
                raise ValueError(f"invalid storage name {part!r}")
        return self.root / account / container

    def _existing(self, account: str, container: str) -> Path:
        path = self._container(account, container)
        if not path.is_dir():
            raise container_not_found(account, container)
        return path

    def ensure_container(self, account: str, container: str) -> None:
        self._container(account, container).mkdir(parents=True, exist_ok=True)

    def delete_container(self, account: str, container: str) -> None:
        path = self._container(account, container)
        if path.exists():
            trash = self.root / _TRASH
            trash.mkdir(exist_ok=True)
            target = trash / f"{account}.{container}.{uuid.uuid4().hex}"
            os.replace(path, target)
        self.empty_trash()

    def delete_account(self, account: str) -> None:
        for container in list(self.list_containers(account)):
            self.delete_container(account, container)
        base = self._account(account)
        if base.is_dir():
            base.rmdir()

    def _account(self, account: str) -> Path:
        if not account or "/" in account or "\\" in account or account.startswith("."):
            raise ValueError(f"invalid storage name {account!r}")
        return self.root / account

    def container_exists(self, account: str, container: str) -> bool:
        return self._container(account, container).is_dir()

    def list_containers(self, account: str) -> Iterator[str]:
        base = self.root / account
        if base.is_dir():
            yield from sorted(p.name for p in base.iterdir() if p.is_dir())

    def list_accounts(self) -> Iterator[str]:
        yield from sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def list_blobs(self, account: str, container: str) -> Iterator[str]:
        base = self._container(account, container) / "sha256"
        if base.is_dir():  # sha256/<aa>/<bb>/<digest>; temporary files live in .partial, not here
            yield from sorted(p.name for p in base.glob("*/*/*") if p.is_file() and is_digest(p.name))

    def empty_trash(self) -> None:
        trash = self.root / _TRASH
        if trash.is_dir():
            for entry in trash.iterdir():
                shutil.rmtree(entry, ignore_errors=True)


class _PartFileWriter:
    """A write into a ``.part`` file of the container's ``.partial/``, published by rename on commit.

    Past the first MiB, the disk writes go to a helper thread so that hashing (in the caller's
    thread) and disk I/O (both release the GIL) overlap: ``write`` returns while its bytes are
    still being written, and the next call waits for them; at most two chunks are in memory."""

    def __init__(self, store: LocalBlobStore, base: Path, fd: int, tmp: Path, expected: str | None) -> None:
        self._store = store
        self._base = base
        self._tmp = tmp
        self._expected = expected
        self._handle: BinaryIO = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self._size = 0
        self._helper: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None
        self._flushed = 0  # bytes whose write-back to the disk has been started
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("write after commit or abort")
        self._size += len(data)
        if self._helper is None and self._size <= CHUNK_SIZE:
            self._handle.write(data)
        else:
            self._helper = self._helper or ThreadPoolExecutor(1, thread_name_prefix="blob-write")
            self._settle()
            self._pending = self._helper.submit(self._write_out, data, self._size)
        self._digest.update(data)

    def _write_out(self, data: bytes, end: int) -> None:
        """Write ``data`` (which ends at offset ``end``) and, on a durable store, start the disk
        write of each completed ``WRITEBACK_STEP``: the fsync at commit then waits for the last
        few MiB instead of the whole file, and the page cache never holds a large upload's dirty
        pages long enough for the kernel to throttle its writer."""
        self._handle.write(data)
        if self._store.durable and end - self._flushed >= WRITEBACK_STEP:
            self._handle.flush()
            _start_writeback(self._handle.fileno(), self._flushed, end - self._flushed)
            self._flushed = end

    def _settle(self) -> None:
        """Wait for the write in flight; its error (a full disk) surfaces here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def commit(self) -> StoredBlob:
        if self._done:
            raise ValueError("commit after commit or abort")
        try:
            self._settle()
            self._handle.flush()
            if self._store.durable:
                os.fsync(self._handle.fileno())
            self._close()
            digest = self._digest.hexdigest()
            if self._expected is not None and digest != self._expected:
                raise hash_mismatch(self._expected, digest, self._size)
            return self._store._publish(self._base, self._tmp, digest, self._size)
        finally:
            self.abort()  # published blobs were renamed away; anything else goes

    def abort(self) -> None:
        self._done = True
        try:
            self._close()
        finally:
            self._tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.shutdown(wait=True)  # lets a write in flight finish before the file closes
        self._pending = None
        self._handle.close()


class _HashedFiles:
    """The sha256 of files hashed in the last few minutes, by (device, inode, size, mtime).

    The regions of one file system link the same inode, so a model shared into a registry and
    replicated to three regions would otherwise be hashed four times over the same bytes within
    seconds. Threads asking for the same inode at once wait for the first one's answer; a file
    rewritten since has a new mtime and is hashed again (git's index trusts the same fields).
    Answers expire after ``max_age`` seconds, so a link made later (a region added a month on)
    reads the bytes again and still refuses a source that rotted."""

    def __init__(self, capacity: int = 1024, max_age: float = 300.0) -> None:
        self._capacity = capacity
        self._max_age = max_age
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[int, int, int, int], tuple[str, float]] = OrderedDict()
        self._hashing: dict[tuple[int, int, int, int], threading.Lock] = {}

    def digest(self, path: Path) -> tuple[str, int]:
        st = path.stat()
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._lock:
            busy = self._hashing.setdefault(key, threading.Lock())
        try:
            with busy:
                with self._lock:
                    known = self._known.get(key)
                if known is not None and time.monotonic() - known[1] < self._max_age:
                    return known[0], st.st_size
                digest, size = hash_file(path)
                if size == st.st_size:  # the file did not change size under us
                    with self._lock:
                        self._known[key] = (digest, time.monotonic())
                        self._known.move_to_end(key)
                        while len(self._known) > self._capacity:
                            self._known.popitem(last=False)
                return digest, size
        finally:
            with self._lock:  # threads already waiting hold the lock object; later ones find the answer
                if self._hashing.get(key) is busy:
                    del self._hashing[key]


_HASHED_FILES = _HashedFiles()


def _libc_sync_file_range() -> object | None:
    """Linux's ``sync_file_range(2)`` (Python has no binding), or None where there is none."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_SYNC_FILE_RANGE = _libc_sync_file_range()
_SYNC_FILE_RANGE_WRITE = 2


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a range of the file's dirty pages to the disk without waiting for it: a hint
    that makes the final fsync shorter. It promises nothing (the fsync at commit does), so where
    the call is missing or fails, nothing is lost but time."""
    if _SYNC_FILE_RANGE is not None:
        _SYNC_FILE_RANGE(fd, offset, length, _SYNC_FILE_RANGE_WRITE)  # type: ignore[operator]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

