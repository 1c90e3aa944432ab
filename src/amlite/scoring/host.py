"""The scoring host: one process per online deployment, as Azure ML's inference server runs one
container per instance.

    python -m amlite.scoring.host --code DIR --script score.py --ready-file F

It imports the scoring script from the code folder (the folder first on ``sys.path``, as Azure ML
does), calls ``init()`` once, binds a free loopback port and only then writes the port to the
ready file, so the server knows a deployment is up exactly when ``init()`` has returned. A failing
``init()`` prints its traceback (the deployment's log is this process's stdout and stderr) and
exits with status 3. Each ``POST /score`` calls ``run(raw_data)`` with the request body as text
and answers its result as JSON (a string result is sent as a JSON string, as Azure ML does); an
exception in ``run`` is logged and answered ``500``. Requests must carry the secret the server
handed over in ``AMLITE_SCORING_SECRET``: the port is on loopback, and only amlite, which has
checked the caller's key or token, may call it. ``GET /`` is the liveness probe.

Standard library only: the scoring script's own dependencies are its business.
"""

from __future__ import annotations

import argparse
import hmac
import importlib.util
import json
import os
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

SECRET_HEADER = "x-amlite-scoring-secret"
INIT_FAILED = 3


def load_script(code_dir: Path, script: str) -> ModuleType:
    path = (code_dir / script).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"The scoring script '{script}' is not in the code folder.")
    sys.path.insert(0, str(code_dir.resolve()))
    spec = importlib.util.spec_from_file_location("score", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"The scoring script '{script}' cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules["score"] = module
    spec.loader.exec_module(module)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise AttributeError(f"The scoring script '{script}' defines no {name}() function.")
    return module


def make_handler(module: ModuleType, secret: str) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()  # run() is called one request at a time, as one worker of Azure's server does

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            sys.stdout.write(f"{self.address_string()} {format % args}\n")
            sys.stdout.flush()

        def _allowed(self) -> bool:
            given = self.headers.get(SECRET_HEADER, "")
            if hmac.compare_digest(given.encode(), secret.encode()):
                return True
            self._answer(401, b'{"message": "Requests must come through amlite."}')
            return False

        def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self._allowed():
                self._answer(200, b"Healthy", "text/plain")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self._allowed():
                return
            if self.path.split("?")[0].rstrip("/") != "/score":
                self._answer(404, b'{"message": "Not found."}')
                return
            try:
                with lock:
                    result = module.run(raw.decode("utf-8", errors="replace"))
            except Exception:  # the user's run() failed: logged for get-logs, answered 500
                traceback.print_exc()
                sys.stdout.flush()
                self._answer(500, b'{"message": "An unexpected error occurred in scoring script. Check the logs for more info."}')
                return
            if isinstance(result, (bytes, bytearray)):
                self._answer(200, bytes(result), "application/octet-stream")
                return
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                print(f"run() returned a value that is not JSON: {exc}", flush=True)
                self._answer(500, b'{"message": "The scoring script returned a value that is not JSON."}')
                return
            self._answer(200, body)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amlite.scoring.host")
    parser.add_argument("--code", required=True, type=Path)
    parser.add_argument("--script", required=True)
    parser.add_argument("--ready-file", required=True, type=Path)
    args = parser.parse_args(argv)
    secret = os.environ.pop("AMLITE_SCORING_SECRET", "")
    os.chdir(args.code)
    print(f"Loading the scoring script '{args.script}'; AZUREML_MODEL_DIR={os.environ.get('AZUREML_MODEL_DIR')}",
          flush=True)
    try:
        module = load_script(args.code, args.script)
        module.init()
    except BaseException:  # whatever init() raised (SystemExit too) fails the deployment, with its traceback
        traceback.print_exc()
        print("init() failed: the deployment cannot serve.", flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        return INIT_FAILED
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(module, secret))
    server.daemon_threads = True
    port = server.server_address[1]
    tmp = args.ready_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"port": port, "pid": os.getpid()}))
    os.replace(tmp, args.ready_file)
    print(f"init() done; listening on 127.0.0.1:{port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
