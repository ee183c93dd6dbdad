"""Client benchmark: ``registry-cli`` pack, publish and download of a large package, client side only.

    python bench/client_transfer.py                 # 200 MB of incompressible data
    python bench/client_transfer.py --size-mb 500

The server is a minimal in-process HTTP sink (it reads and hashes the upload, serves the download with
its sha256 ETag), so the figures are the client's own: throughput of each command and the peak RSS of
the console-script process, which must stay flat as the package grows (everything is streamed). Compare
with ``sha256sum`` on the same file for the disk/CPU baseline. ``bench/upload.py`` measures the server.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MB = 1024 * 1024
CONSOLE_SCRIPT = shutil.which("registry-cli", path=str(Path(sys.executable).parent)) or "registry-cli"


class SinkHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        remaining = int(self.headers["Content-Length"])
        with open(self.server.upload_path, "wb") as out:  # the raw multipart body; hashing is the client's job
            while remaining:
                chunk = self.rfile.read(min(remaining, MB))
                out.write(chunk)
                remaining -= len(chunk)
        body = json.dumps({"name": "bench", "latestVersion": "1.0.0"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.server.download_path
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(path.stat().st_size))
        self.send_header("ETag", f'"{self.server.download_sha256}"')
        self.end_headers()
        with path.open("rb") as source:
            shutil.copyfileobj(source, self.wfile, MB)


def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one console-script run."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(
        prefix="bench-client-", dir=Path(__file__).resolve().parent.parent / "var"
    ) as scratch:
        work = Path(scratch)
        package = work / "bench"
        (package / "data").mkdir(parents=True)
        (package / "publisher.json").write_text(json.dumps({"name": "bench", "version": "1.0.0"}))
        with (package / "data" / "random.bin").open("wb") as out:
            for _ in range(options.size_mb):
                out.write(os.urandom(MB))

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SinkHandler)
        server.upload_path = work / "upload.bin"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {
            **os.environ,
            "REGISTRY_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "REGISTRY_TOKEN": "bench",
            "REGISTRY_CLI_CONFIG": str(work / "config.json"),
        }

        pack_s, pack_rss = run_measured([CONSOLE_SCRIPT, "pack", str(package), "-o", str(work / "p.zip")], env)
        size = (work / "p.zip").stat().st_size
        started = time.perf_counter()
        sha256 = hashlib.file_digest((work / "p.zip").open("rb"), "sha256").hexdigest()
        hash_s = time.perf_counter() - started
        server.download_path, server.download_sha256 = work / "p.zip", sha256

        publish_s, publish_rss = run_measured([CONSOLE_SCRIPT, "publish", str(package), "--to", "acme/bench"], env)
        download_s, download_rss = run_measured(
            [CONSOLE_SCRIPT, "download", "acme/bench/bench@1.0.0", "-o", str(work / "d.zip")], env
        )
        baseline_s, baseline_rss = run_measured([CONSOLE_SCRIPT, "--version"], env)
        server.shutdown()

    mib = size / MB
    print(f"archive: {mib:.0f} MiB ({options.size_mb} MiB of random data)")
    print(f"sha256 of the archive in-process (baseline): {hash_s:.2f} s, {mib / hash_s:.0f} MiB/s")
    print(f"registry-cli --version (startup):  {baseline_s:.2f} s, peak RSS {baseline_rss:.0f} MiB")
    for name, seconds, rss in (
        ("pack (zip + sha256 + md5)", pack_s, pack_rss),
        ("publish (pack + upload)", publish_s, publish_rss),
        ("download (+ sha256 check)", download_s, download_rss),
    ):
        print(f"{name:<34} {seconds:6.2f} s, {mib / seconds:6.0f} MiB/s, peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
