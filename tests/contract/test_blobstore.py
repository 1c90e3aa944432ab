"""The BlobStore contract, run against every adapter: in memory, a local directory, and Azure Blob
Storage on Azurite. Whatever the adapter, a blob round-trips byte for byte, equal bytes are
stored once, a write whose bytes do not match the digest or whose source fails half-way leaves
nothing visible, reads stream, and blobs copy between stores with their digest verified.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from amlite.blobs.azure import AzureBlobStore
from amlite.blobs.local import LocalBlobStore
from amlite.blobs.memory import MemoryBlobStore
from amlite.domain.blobs import CHUNK_SIZE, blob_key
from amlite.domain.errors import BlobHashMismatch, BlobNotFound, InvalidInput
from amlite.ports import BlobStore

KINDS = ["memory", "local", "azure"]
ACCOUNT = "acct1"
CONTAINER = "azureml-blobstore-0f8fad5b-d9cb-469f-a165-70867728950e"
SMALL_BLOCK = 64 * 1024  # Azure block size in these tests, so a few hundred KiB are many blocks

StoreFactory = Callable[[str], BlobStore]


@pytest.fixture
def make_store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StoreFactory]:
    """Builds a fresh store of a kind; Azure stores get a prefix of their own inside the shared
    Azurite and are emptied afterwards."""
    made: list[BlobStore] = []

    def factory(kind: str) -> BlobStore:
        store: BlobStore
        if kind == "memory":
            store = MemoryBlobStore("eastus")
        elif kind == "local":
            store = LocalBlobStore("eastus", tmp_path / f"local-{len(made)}")
        else:
            connection_string = request.getfixturevalue("azurite")
            store = AzureBlobStore("eastus", connection_string=connection_string,
                                   container_prefix=f"t{uuid.uuid4().hex[:10]}-", block_size=SMALL_BLOCK,
                                   max_concurrency=3)
        made.append(store)
        return store

    yield factory
    for store in made:
        if isinstance(store, AzureBlobStore):
            for account in list(store.list_accounts()):
                store.delete_account(account)


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, make_store: StoreFactory) -> BlobStore:
    s = make_store(request.param)
    s.ensure_container(ACCOUNT, CONTAINER)
    return s


def payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pieces(data: bytes, size: int = 50_000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def read(store: BlobStore, digest: str, chunk_size: int = CHUNK_SIZE) -> bytes:
    return b"".join(store.open_chunks(ACCOUNT, CONTAINER, digest, chunk_size))


def partial_files(store: BlobStore) -> list[str]:
    """Temporary files of the local store, temporary blobs of the Azure store (the memory store
    has nothing partial to show)."""
    if isinstance(store, LocalBlobStore):
        return [str(p) for p in store.root.rglob("*.part")]
    if isinstance(store, AzureBlobStore):
        return [item.name for account in store.list_accounts()
                for item in store._azure_container(account).list_blobs(name_starts_with=".partial/")]
    return []


# -- blobs -------------------------------------------------------------------------------------


def test_round_trip_with_and_without_the_expected_digest(store: BlobStore) -> None:
    data = payload(300_000)
    stored = store.put_stream(ACCOUNT, CONTAINER, pieces(data))
    assert (stored.sha256, stored.size, stored.existed) == (sha(data), len(data), False)
    assert store.exists(ACCOUNT, CONTAINER, sha(data))
    assert store.size(ACCOUNT, CONTAINER, sha(data)) == len(data)
    assert read(store, sha(data)) == data

    other = payload(1000, seed=2)
    again = store.put_stream(ACCOUNT, CONTAINER, pieces(other), expected_sha256=sha(other).upper())
    assert (again.sha256, again.size, again.existed) == (sha(other), 1000, False)
    assert read(store, sha(other)) == other
    assert partial_files(store) == []


def test_empty_blob(store: BlobStore) -> None:
    stored = store.put_stream(ACCOUNT, CONTAINER, iter([]), expected_sha256=sha(b""))
    assert stored.size == 0 and store.exists(ACCOUNT, CONTAINER, sha(b""))
    assert read(store, sha(b"")) == b""


def test_same_bytes_are_stored_once(store: BlobStore) -> None:
    data = payload(200_000, seed=3)
    first = store.put_stream(ACCOUNT, CONTAINER, pieces(data), expected_sha256=sha(data))
    second = store.put_stream(ACCOUNT, CONTAINER, pieces(data, 7_000), expected_sha256=sha(data))
    third = store.put_stream(ACCOUNT, CONTAINER, pieces(data))
    assert (first.existed, second.existed, third.existed) == (False, True, True)
    assert first.sha256 == second.sha256 == third.sha256 and second.size == len(data)
    if isinstance(store, LocalBlobStore):
        files = [p for p in (store.root / ACCOUNT / CONTAINER).rglob("*") if p.is_file()]
        assert files == [store.root / ACCOUNT / CONTAINER / blob_key(sha(data))]


def test_a_hash_mismatch_is_refused_and_stores_nothing(store: BlobStore) -> None:
    data, claimed = payload(150_000, seed=4), sha(b"something else")
    with pytest.raises(BlobHashMismatch) as caught:
        store.put_stream(ACCOUNT, CONTAINER, pieces(data), expected_sha256=claimed)
    assert caught.value.code == "BlobHashMismatch" and sha(data) in caught.value.message
    assert not store.exists(ACCOUNT, CONTAINER, claimed)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert partial_files(store) == []


def test_a_wrong_upload_of_bytes_already_stored_is_still_refused(store: BlobStore) -> None:
    data = payload(10_000, seed=5)
    store.put_stream(ACCOUNT, CONTAINER, pieces(data))
    with pytest.raises(BlobHashMismatch):
        store.put_stream(ACCOUNT, CONTAINER, pieces(b"not the bytes"), expected_sha256=sha(data))
    assert read(store, sha(data)) == data


@pytest.mark.parametrize("with_digest", [True, False])
def test_a_source_that_fails_half_way_leaves_nothing_visible(store: BlobStore, with_digest: bool) -> None:
    data = payload(400_000, seed=6)
    seen_partial: list[bool] = []

    def failing() -> Iterator[bytes]:
        for i, chunk in enumerate(pieces(data, 40_000)):
            if i == 5:
                seen_partial.append(bool(partial_files(store)))
                raise RuntimeError("the source failed")
            yield chunk

    with pytest.raises(RuntimeError, match="the source failed"):
        store.put_stream(ACCOUNT, CONTAINER, failing(), expected_sha256=sha(data) if with_digest else None)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert not store.exists(ACCOUNT, CONTAINER, sha(data[:200_000]))
    assert partial_files(store) == []
    if isinstance(store, LocalBlobStore):
        assert seen_partial == [True], "the write went through a temporary file"
    assert store.sweep_partial() == 0


def test_a_file_larger_than_the_chunk_size_streams_both_ways(store: BlobStore, tmp_path: Path) -> None:
    data = payload(3 * CHUNK_SIZE + 12_345, seed=7)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    stored = store.put_file(ACCOUNT, CONTAINER, source)
    assert (stored.sha256, stored.size) == (sha(data), len(data))
    chunks = list(store.open_chunks(ACCOUNT, CONTAINER, sha(data), chunk_size=256 * 1024))
    assert len(chunks) == 13 and all(len(c) <= 256 * 1024 for c in chunks)
    assert b"".join(chunks) == data
    assert store.put_file(ACCOUNT, CONTAINER, source, expected_sha256=sha(data)).existed


def test_missing_blobs_and_bad_digests(store: BlobStore) -> None:
    missing = sha(b"never stored")
    assert not store.exists(ACCOUNT, CONTAINER, missing)
    with pytest.raises(BlobNotFound) as caught:
        store.size(ACCOUNT, CONTAINER, missing)
    assert caught.value.code == "BlobNotFound"
    with pytest.raises(BlobNotFound):
        store.open_chunks(ACCOUNT, CONTAINER, missing)  # fails when opened, not when read
    with pytest.raises(InvalidInput) as bad:
        store.put_stream(ACCOUNT, CONTAINER, iter([b"x"]), expected_sha256="abc")
    assert bad.value.code == "InvalidBlobDigest"


def test_delete_blob_is_idempotent(store: BlobStore) -> None:
    data = payload(5000, seed=8)
    store.put_stream(ACCOUNT, CONTAINER, pieces(data))
    store.delete_blob(ACCOUNT, CONTAINER, sha(data))
    store.delete_blob(ACCOUNT, CONTAINER, sha(data))
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    with pytest.raises(BlobNotFound):
        read(store, sha(data))
    assert not store.put_stream(ACCOUNT, CONTAINER, pieces(data)).existed  # and it can come back


def test_concurrent_uploads_of_the_same_bytes_both_succeed(store: BlobStore) -> None:
    data = payload(500_000, seed=9)
    results: list[object] = []

    def upload() -> None:
        try:
            results.append(store.put_stream(ACCOUNT, CONTAINER, pieces(data, 30_000), expected_sha256=sha(data)))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(getattr(r, "sha256", None) == sha(data) for r in results), results
    assert read(store, sha(data)) == data


# -- pushed writes (begin_put) -------------------------------------------------------------------


def uncommitted_blocks(store: BlobStore, digest: str) -> list[int]:
    """Sizes of the Azure blob's uncommitted blocks (staged, invisible to readers)."""
    assert isinstance(store, AzureBlobStore)
    blob = store._azure_container(ACCOUNT).get_blob_client(f"{CONTAINER}/{blob_key(digest)}")
    return [block.size for block in blob.get_block_list("uncommitted")[1]]


@pytest.mark.parametrize("with_digest", [True, False])
def test_a_pushed_write_is_invisible_until_commit(store: BlobStore, with_digest: bool) -> None:
    data = payload(300_000, seed=20)
    writer = store.begin_put(ACCOUNT, CONTAINER, sha(data) if with_digest else None, size_hint=len(data))
    for piece in pieces(data, 70_000):
        writer.write(piece)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    if isinstance(store, LocalBlobStore):
        assert [Path(p).stat().st_size for p in partial_files(store)] == [len(data)]
    stored = writer.commit()
    assert (stored.sha256, stored.size, stored.existed) == (sha(data), len(data), False)
    assert read(store, sha(data)) == data
    assert partial_files(store) == []
    writer.abort()  # harmless after commit
    assert read(store, sha(data)) == data

    again = store.begin_put(ACCOUNT, CONTAINER, sha(data))
    again.write(data)
    assert again.commit() == stored.__class__(sha(data), len(data), existed=True)


@pytest.mark.parametrize("with_digest", [True, False])
def test_an_aborted_write_leaves_nothing(store: BlobStore, with_digest: bool) -> None:
    data = payload(200_000, seed=21)
    writer = store.begin_put(ACCOUNT, CONTAINER, sha(data) if with_digest else None)
    writer.write(data[:150_000])
    if isinstance(store, LocalBlobStore):
        assert len(partial_files(store)) == 1, "the bytes went to the partial area"
    writer.abort()
    writer.abort()  # idempotent
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert not store.exists(ACCOUNT, CONTAINER, sha(data[:150_000]))
    assert partial_files(store) == []
    assert store.sweep_partial() == 0
    with pytest.raises(ValueError):
        writer.write(b"more")
    assert not store.exists(ACCOUNT, CONTAINER, sha(data[:150_000]))


def test_a_pushed_write_with_the_wrong_digest_leaves_nothing(store: BlobStore) -> None:
    data, claimed = payload(250_000, seed=22), sha(b"the client claimed these bytes")
    writer = store.begin_put(ACCOUNT, CONTAINER, claimed)
    for piece in pieces(data, 64_000):
        writer.write(piece)
    with pytest.raises(BlobHashMismatch) as caught:
        writer.commit()
    assert caught.value.code == "BlobHashMismatch" and sha(data) in caught.value.message
    writer.abort()
    assert not store.exists(ACCOUNT, CONTAINER, claimed)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert partial_files(store) == []


def test_a_pushed_write_into_a_missing_container_is_refused(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.begin_put(ACCOUNT, "missing-container", sha(b"data"))
    assert caught.value.code == "ContainerNotFound"
    assert not store.container_exists(ACCOUNT, "missing-container")


def test_azure_writes_are_staged_in_whole_blocks_across_write_boundaries(make_store: StoreFactory) -> None:
    """Writes of any size are cut into blocks of exactly the block size (Azure wants equal blocks);
    the blocks stay uncommitted, invisible, until ``commit``."""
    store = make_store("azure")
    store.ensure_container(ACCOUNT, CONTAINER)
    data = payload(5 * SMALL_BLOCK + 1234, seed=23)
    sizes = [1, 50_000, SMALL_BLOCK, 3, 2 * SMALL_BLOCK + 17, 100_000]
    sizes.append(len(data) - sum(sizes))
    writer = store.begin_put(ACCOUNT, CONTAINER, sha(data), size_hint=len(data))
    offset = 0
    for size in sizes:
        writer.write(data[offset : offset + size])
        offset += size
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert set(uncommitted_blocks(store, sha(data))) <= {SMALL_BLOCK}  # the tail is still buffered
    stored = writer.commit()
    assert (stored.size, stored.existed) == (len(data), False)
    blob = store._azure_container(ACCOUNT).get_blob_client(f"{CONTAINER}/{blob_key(sha(data))}")
    committed = [block.size for block in blob.get_block_list("committed")[0]]
    assert committed == [SMALL_BLOCK] * 5 + [1234]
    assert read(store, sha(data)) == data


# -- copies between stores -----------------------------------------------------------------------


@pytest.mark.parametrize("source_kind, target_kind", [
    ("local", "azure"), ("azure", "local"), ("memory", "local"), ("local", "memory"), ("azure", "azure"),
])
def test_copy_blob_between_stores_verifies_the_digest(make_store: StoreFactory, source_kind: str, target_kind: str) -> None:
    source, target = make_store(source_kind), make_store(target_kind)
    source.ensure_container("src", "artifacts")
    target.ensure_container("dst", "replica")
    data = payload(CHUNK_SIZE + 70_000, seed=10)
    source.put_stream("src", "artifacts", pieces(data))
    copied = target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    assert (copied.sha256, copied.size, copied.existed) == (sha(data), len(data), False)
    assert b"".join(target.open_chunks("dst", "replica", sha(data))) == data
    assert target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data)).existed
    with pytest.raises(BlobNotFound):
        target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(b"missing"))


@pytest.mark.parametrize("target_kind", KINDS)
def test_copy_blob_refuses_a_corrupted_source(make_store: StoreFactory, target_kind: str) -> None:
    source = make_store("local")
    assert isinstance(source, LocalBlobStore)
    target = make_store(target_kind)
    source.ensure_container("src", "artifacts")
    target.ensure_container("dst", "replica")
    data = payload(100_000, seed=11)
    source.put_stream("src", "artifacts", pieces(data))
    path = source.root / "src" / "artifacts" / blob_key(sha(data))
    path.chmod(0o600)
    path.write_bytes(data[:-1] + b"\x00")  # bit rot
    with pytest.raises(BlobHashMismatch):
        target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    assert not target.exists("dst", "replica", sha(data))


# -- accounts and containers -------------------------------------------------------------------


def test_container_and_account_operations(store: BlobStore) -> None:
    store.ensure_container(ACCOUNT, CONTAINER)  # idempotent
    store.ensure_container(ACCOUNT, "code-0f8fad5b")
    store.ensure_container("acct2", "other")
    assert store.container_exists(ACCOUNT, CONTAINER)
    assert not store.container_exists(ACCOUNT, "nothere")
    assert list(store.list_containers(ACCOUNT)) == [CONTAINER, "code-0f8fad5b"]
    assert list(store.list_accounts()) == [ACCOUNT, "acct2"]

    data = payload(20_000, seed=12)
    store.put_stream(ACCOUNT, CONTAINER, pieces(data))
    store.put_stream(ACCOUNT, "code-0f8fad5b", pieces(data))
    store.delete_container(ACCOUNT, CONTAINER)
    store.delete_container(ACCOUNT, CONTAINER)  # idempotent
    assert not store.container_exists(ACCOUNT, CONTAINER)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data))
    assert store.exists(ACCOUNT, "code-0f8fad5b", sha(data))
    assert list(store.list_containers(ACCOUNT)) == ["code-0f8fad5b"]
    store.ensure_container(ACCOUNT, CONTAINER)
    assert not store.exists(ACCOUNT, CONTAINER, sha(data)), "a recreated container starts empty"

    store.delete_account("acct2")
    store.delete_account("acct2")  # idempotent
    assert list(store.list_accounts()) == [ACCOUNT]
    assert list(store.list_containers("acct2")) == []


def test_list_blobs_names_every_digest_of_one_container(store: BlobStore) -> None:
    store.ensure_container(ACCOUNT, CONTAINER)
    store.ensure_container(ACCOUNT, "code-0f8fad5b")
    first, second, elsewhere = payload(3000, seed=21), payload(70_000, seed=22), payload(10, seed=23)
    store.put_stream(ACCOUNT, CONTAINER, pieces(first))
    store.put_stream(ACCOUNT, CONTAINER, pieces(second))
    store.put_stream(ACCOUNT, "code-0f8fad5b", pieces(elsewhere))
    assert list(store.list_blobs(ACCOUNT, CONTAINER)) == sorted([sha(first), sha(second)])
    assert list(store.list_blobs(ACCOUNT, "code-0f8fad5b")) == [sha(elsewhere)]
    assert list(store.list_blobs(ACCOUNT, "missing-container")) == []
    store.delete_blob(ACCOUNT, CONTAINER, sha(first))
    assert list(store.list_blobs(ACCOUNT, CONTAINER)) == [sha(second)]


def test_writing_into_a_missing_container_is_refused(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound) as caught:
        store.put_stream(ACCOUNT, "missing-container", iter([b"data"]))
    assert caught.value.code == "ContainerNotFound"
    assert not store.container_exists(ACCOUNT, "missing-container")
    with pytest.raises(BlobNotFound):
        store.put_stream("noaccount", "missing-container", iter([b"data"]))
    assert "noaccount" not in list(store.list_accounts())


# -- what only the local store has -------------------------------------------------------------


def test_local_sweep_removes_what_a_crash_left(tmp_path: Path) -> None:
    store = LocalBlobStore("eastus", tmp_path / "blobs")
    store.ensure_container(ACCOUNT, CONTAINER)
    partial = store.root / ACCOUNT / CONTAINER / ".partial"
    partial.mkdir()
    (partial / "tmpabc.part").write_bytes(b"half an upload")
    (store.root / ".trash" / "x").mkdir(parents=True)
    assert store.sweep_partial() == 1
    assert list(partial.iterdir()) == [] and list((store.root / ".trash").iterdir()) == []
    assert list(store.list_containers(ACCOUNT)) == [CONTAINER]


def test_local_blobs_are_read_only_files(tmp_path: Path) -> None:
    store = LocalBlobStore("eastus", tmp_path / "blobs")
    store.ensure_container(ACCOUNT, CONTAINER)
    stored = store.put_stream(ACCOUNT, CONTAINER, iter([b"immutable"]))
    path = store.root / ACCOUNT / CONTAINER / blob_key(stored.sha256)
    assert path.stat().st_mode & 0o222 == 0


def _two_local_stores(tmp_path: Path, hard_links: bool = True) -> tuple[LocalBlobStore, LocalBlobStore, bytes]:
    source = LocalBlobStore("eastus", tmp_path / "east")
    target = LocalBlobStore("westus", tmp_path / "west", hard_links=hard_links)
    source.ensure_container("src", "artifacts")
    target.ensure_container("dst", "replica")
    data = payload(CHUNK_SIZE + 5_000, seed=13)
    source.put_stream("src", "artifacts", pieces(data))
    return source, target, data


def test_local_copy_on_one_file_system_is_a_verified_hard_link(tmp_path: Path) -> None:
    source, target, data = _two_local_stores(tmp_path)
    copied = target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    assert (copied.sha256, copied.size, copied.existed) == (sha(data), len(data), False)
    original = source.root / "src" / "artifacts" / blob_key(sha(data))
    replica = target.root / "dst" / "replica" / blob_key(sha(data))
    assert replica.stat().st_ino == original.stat().st_ino and replica.stat().st_nlink == 2
    assert replica.stat().st_mode & 0o222 == 0
    assert list((target.root / "dst" / "replica" / ".partial").iterdir()) == []
    assert target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data)).existed
    source.delete_container("src", "artifacts")  # the region that gave the bytes goes away
    assert b"".join(target.open_chunks("dst", "replica", sha(data))) == data


def test_a_local_store_without_hard_links_writes_its_own_bytes(tmp_path: Path) -> None:
    source, target, data = _two_local_stores(tmp_path, hard_links=False)
    target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    original = source.root / "src" / "artifacts" / blob_key(sha(data))
    replica = target.root / "dst" / "replica" / blob_key(sha(data))
    assert replica.stat().st_ino != original.stat().st_ino and original.stat().st_nlink == 1
    assert replica.read_bytes() == data


@pytest.mark.parametrize("refusal", [errno.EXDEV, errno.EPERM])
def test_a_file_system_that_refuses_the_link_gets_a_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         refusal: int) -> None:
    """link(2) answers EXDEV across file systems and EPERM where links are not allowed; both
    cannot be staged on one tmp directory, so the answer is given here."""
    source, target, data = _two_local_stores(tmp_path)

    def refuse(src: object, dst: object) -> None:
        raise OSError(refusal, os.strerror(refusal))

    monkeypatch.setattr(os, "link", refuse)
    copied = target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    assert not copied.existed
    replica = target.root / "dst" / "replica" / blob_key(sha(data))
    assert replica.stat().st_nlink == 1 and replica.read_bytes() == data


def test_a_hard_link_to_a_missing_blob_or_container_is_refused(tmp_path: Path) -> None:
    source, target, data = _two_local_stores(tmp_path)
    with pytest.raises(BlobNotFound) as missing_blob:
        target.copy_blob(source, "src", "artifacts", "dst", "replica", sha(b"missing"))
    assert missing_blob.value.code == "BlobNotFound"
    with pytest.raises(BlobNotFound) as missing_container:
        target.copy_blob(source, "src", "artifacts", "dst", "nothere", sha(data))
    assert missing_container.value.code == "ContainerNotFound"
    assert not target.container_exists("dst", "nothere")


def test_regions_linking_one_file_hash_its_bytes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three regions take the same inode at once: one of them hashes it, the others wait for that
    answer; a file rewritten since (new mtime) is hashed again and refused."""
    import amlite.blobs.local as local_module

    source, _, data = _two_local_stores(tmp_path)
    calls: list[Path] = []
    real_hash_file = local_module.hash_file

    def counting_hash_file(path: Path) -> tuple[str, int]:
        calls.append(path)
        return real_hash_file(path)

    monkeypatch.setattr(local_module, "hash_file", counting_hash_file)
    targets = [LocalBlobStore(region, tmp_path / region) for region in ("r1", "r2", "r3")]
    for target in targets:
        target.ensure_container("dst", "replica")
    threads = [threading.Thread(target=t.copy_blob, args=(source, "src", "artifacts", "dst", "replica", sha(data)))
               for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(t.exists("dst", "replica", sha(data)) for t in targets) and len(calls) == 1

    original = source.root / "src" / "artifacts" / blob_key(sha(data))
    original.chmod(0o600)
    original.write_bytes(data[:-1] + b"\x00")  # rot after the links: every name sees it
    late = LocalBlobStore("r4", tmp_path / "r4")
    late.ensure_container("dst", "replica")
    with pytest.raises(BlobHashMismatch):
        late.copy_blob(source, "src", "artifacts", "dst", "replica", sha(data))
    assert len(calls) == 2 and not late.exists("dst", "replica", sha(data))


def test_a_remembered_hash_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import amlite.blobs.local as local_module

    calls: list[Path] = []
    real_hash_file = local_module.hash_file
    monkeypatch.setattr(local_module, "hash_file", lambda path: calls.append(path) or real_hash_file(path))
    file = tmp_path / "f.bin"
    file.write_bytes(b"bytes")
    fresh, stale = local_module._HashedFiles(max_age=300.0), local_module._HashedFiles(max_age=0.0)
    assert fresh.digest(file) == fresh.digest(file) == (sha(b"bytes"), 5) and len(calls) == 1
    assert stale.digest(file) == stale.digest(file) and len(calls) == 3


def test_remembered_hashes_hold_no_lock_once_answered(tmp_path: Path) -> None:
    import amlite.blobs.local as local_module

    file = tmp_path / "f.bin"
    file.write_bytes(b"bytes")
    hashed = local_module._HashedFiles()
    for _ in range(3):
        hashed.digest(file)
    with pytest.raises(FileNotFoundError):
        hashed.digest(tmp_path / "missing.bin")
    assert hashed._hashing == {}  # one lock per inode only while it is being hashed
