"""Fixtures for resolver tests: a small registry built fast, with dependencies declared directly.

Versions share one artifact and their Dependency rows are written as given, without resolving, so a
test can set up states that publishing would refuse (cycles, archived versions, conflicts).
"""

import json
from pathlib import Path

import pytest

from packages_app.models import ArchiveStatus, Artifact, Dependency, Package, Version
from packages_app.resolution import Requirement
from tests.factories import PackageFactory
from tests.node_packages import install_pinned, node_or_skip

SHA = "0" * 64


class RegistryBuilder:
    def __init__(self, project):
        self.project = project
        self.packages: dict[str, Package] = {}
        self.artifact, _ = Artifact.objects.get_or_create(
            sha256=SHA, defaults={"md5": "0" * 32, "size": 0, "file": "sha256/none"}
        )

    def package(self, name: str) -> Package:
        if name not in self.packages:
            self.packages[name] = PackageFactory(project=self.project, name=name)
        return self.packages[name]

    def version(self, name: str, version: str, deps: dict[str, str] | None = None, *, archived=False) -> Version:
        """``name@version`` depending on ``deps`` (package name in this project -> range)."""
        major, minor, patch = (int(part) for part in version.split("."))
        row = Version.objects.create(
            package=self.package(name),
            version=version,
            major=major,
            minor=minor,
            patch=patch,
            artifact=self.artifact,
            archive_status=ArchiveStatus.ARCHIVE if archived else ArchiveStatus.UNARCHIVE,
        )
        for dep_name, text in (deps or {}).items():
            Dependency.objects.create(version=row, package=self.package(dep_name), reference=dep_name, range=text)
        return row

    def requirements(self, deps: dict[str, str]) -> list[Requirement]:
        return [Requirement(package=self.package(name), reference=name, range=text) for name, text in deps.items()]


@pytest.fixture
def registry(project):
    return RegistryBuilder(project)


NODE_DIR = Path(__file__).parent / "node"


@pytest.fixture(scope="session")
def node_semver() -> list[str]:
    """The command that runs node-semver (npm's own range implementation) over JSON on stdin.

    On first use ``npm ci`` installs the version package-lock.json pins from the npm registry into the
    git-ignored tests/resolver/node/node_modules; a file lock keeps parallel workers from installing twice.
    Skipped only when the machine has no Node.js or npm.
    """
    node = node_or_skip("node-semver, the reference for npm ranges,")
    pinned = json.loads((NODE_DIR / "package-lock.json").read_text())["packages"]["node_modules/semver"]["version"]
    installed = NODE_DIR / "node_modules" / "semver" / "package.json"
    install_pinned(
        NODE_DIR, installed=lambda: installed.exists() and json.loads(installed.read_text())["version"] == pinned
    )
    return [node, str(NODE_DIR / "oracle.js")]
