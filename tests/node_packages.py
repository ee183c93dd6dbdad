"""The npm packages the differential tests run as references (node-semver, the official Malloy parser).

Each lives in a folder of its own under tests/ with a package.json and a package-lock.json; ``npm ci``
installs the pinned versions from the npm registry into its git-ignored node_modules on first use.
"""

import fcntl
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

NPM_CI_TIMEOUT_SECONDS = 600


def node_or_skip(reference: str) -> str:
    """The node executable; the test is skipped on a machine without Node.js and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(f"{reference} needs Node.js and npm, and this machine has no node or npm on PATH")
    return node


def install_pinned(node_dir: Path, *, installed: Callable[[], bool]) -> None:
    """``npm ci`` in ``node_dir`` unless ``installed()``. Parallel workers each ask: a file lock lets one
    install while the others wait (two ``npm ci`` at once delete each other's node_modules)."""
    with open(node_dir / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        done = subprocess.run(
            [shutil.which("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=node_dir,
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {node_dir} failed: {done.stderr[-2000:]}")
