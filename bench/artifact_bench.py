"""One large artifact up and down through amlite's HTTP API, beside ``cp`` of the same file on the
same disk, in rounds that alternate the two, so that each ratio is of figures taken moments apart.

Run ``.venv/bin/python bench/artifact_bench.py [--mb 256] [--rounds 3]`` (``make bench`` runs it
too). Each round times:

- ``cp`` of the file, then fsync of the copy (the issue's baseline), and ``cp`` alone;
- the upload (``PUT .../artifacts/blobs/{sha256}``, the body streamed from the file 4 MiB per
  call by the standard library's ``http.client``; httpx, which ``registry_bench.py`` uses for
  its many small requests, costs more CPU per byte on the same two cores); the server answers once the blob
  is hashed, fsynced and published, so the baseline with fsync is the fair one. The stored blob
  is removed from the store's directory after each round, so every round writes its bytes;
- the download (``GET``), written to a file by the same client, and by ``curl -o /dev/null``.

Before the rounds, the client alone: the same upload into a trivial sink (a socket that reads
and discards the body) and the same download from a trivial source (``sendfile`` of the file),
so the client's own ceiling is printed beside the server's figures. Loopback only; the server
is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from registry_bench import HOST, IO, ML, Amlite, big_file, client_download, client_upload, plain_copy

class TrivialServer:
    """A one-connection-at-a-time HTTP/1.1 server that discards a PUT's body and answers a GET with
    the file's bytes by ``sendfile``: the cheapest server the bench client can talk to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.create_server((HOST, 0))
        self.base = f"http://{HOST}:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._connection(conn)

    def _connection(self, conn: socket.socket) -> None:
        buffer = bytearray(IO)
        view = memoryview(buffer)
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            head, _, pending = pending.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ")[0]
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            if method == "PUT":
                left = int(headers.get("content-length", "0")) - len(pending)
                pending = b""
                while left > 0:
                    got = conn.recv_into(view, min(IO, left))
                    if not got:
                        return
                    left -= got
                conn.sendall(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}")
            else:
                size = self.path.stat().st_size
                conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n"
                             "content-type: application/octet-stream\r\n\r\n".encode())
                with open(self.path, "rb") as handle:
                    offset = 0
                    while offset < size:
                        offset += os.sendfile(conn.fileno(), handle.fileno(), offset, size - offset)

    def close(self) -> None:
        self.sock.close()


def curl_download(url: str, headers: dict[str, str]) -> float:
    args = ["curl", "-sS", "-f", "-o", "/dev/null", url]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    t0 = time.perf_counter()
    subprocess.run(args, check=True)
    return time.perf_counter() - t0


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amlite", default=str(Path(sys.executable).parent / "amlite"))
    parser.add_argument("--mb", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="amlite's database URL (default: SQLite in its data directory)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amlite-artifact-bench-"))
    system = None
    try:
        src = workdir / "big.bin"
        sha = big_file(src, args.mb * 2**20)
        os.sync()
        mb = args.mb

        trivial = TrivialServer(src)
        try:
            sink_up = statistics.median(client_upload(trivial.base, "/sink", src, {}) for _ in range(3))
            sink_down = statistics.median(client_download(trivial.base, "/src", workdir / "d.bin", {})
                                          for _ in range(3))
            sink_curl = statistics.median(curl_download(f"{trivial.base}/src", {}) for _ in range(3))
        finally:
            trivial.close()
        print(f"the bench client alone (load {load()}): upload into a sink {mb / sink_up:.0f} MiB/s, "
              f"download from sendfile {mb / sink_down:.0f} MiB/s (curl -o /dev/null {mb / sink_curl:.0f})")

        system = Amlite(workdir, args.amlite, args.db, 1, True)
        url = f"{system.ws}/artifacts/blobs/{sha}?{ML}"
        print(f"{'round':>5} {'load':>5} {'cp MiB/s':>9} {'cp+fsync':>9} {'up MiB/s':>9} {'share':>6}"
              f" {'down':>7} {'share':>6} {'curl down':>10} {'share':>6}")
        ups, downs, curls = [], [], []
        for n in range(args.rounds):
            cp_cache, cp_sync = plain_copy(src, workdir / "plain-copy.bin", mb)
            up = mb / client_upload(system.base, url, src, system.headers)
            down = mb / client_download(system.base, url, workdir / "down.bin", system.headers)
            curl = mb / curl_download(f"{system.base}{url}", system.headers)
            for blob in (workdir / "amlite-data").glob(f"**/{sha}"):
                blob.unlink()  # the next round writes the bytes again
            os.sync()
            ups.append(up / cp_sync)
            downs.append(down / cp_sync)
            curls.append(curl / cp_sync)
            print(f"{n + 1:5d} {load():>5} {cp_cache:9.0f} {cp_sync:9.0f} {up:9.0f} {up / cp_sync:6.2f}"
                  f" {down:7.0f} {down / cp_sync:6.2f} {curl:10.0f} {curl / cp_sync:6.2f}")
        print(f"median share of cp with fsync: upload {statistics.median(ups):.2f}, download "
              f"{statistics.median(downs):.2f} (curl {statistics.median(curls):.2f}); target >= 0.5")
    finally:
        if system is not None:
            system.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
