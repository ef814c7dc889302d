"""The built wheel carries the ontology, data and queries, and an installed `kg` works from any directory."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import kg

ROOT = Path(__file__).resolve().parents[1]


#: Left out of the copy of the project the wheel is built from: the build then neither leaves build/ in the working
#: tree nor packs a file that a previous build left there.
NOT_BUILT_FROM = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__")


def _backend_installed() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for (the test extra brings it)."""
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    for requirement in map(Requirement, requires):
        try:
            if importlib.metadata.version(requirement.name) not in requirement.specifier:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built by pip, once for the module. With the backend installed here, without an isolated build
    environment: that one downloads the backend and takes three times as long."""
    source = tmp_path_factory.mktemp("build") / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT_FROM)
    out = tmp_path_factory.mktemp("wheel")
    isolation = ["--no-build-isolation"] if _backend_installed() else []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--quiet", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("neuropathy_kg-*.whl")
    return built


def test_wheel_carries_ontology_data_and_queries(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "kg/packaged/ontology/neuropathy-kg.ttl",
        "kg/packaged/ontology/shapes.ttl",
        "kg/packaged/data/claims.ttl",
        "kg/packaged/data/source/peripheral-neuropathy-and-vitamin-b12.txt",
        "kg/packaged/queries/symptoms.rq",
        "kg/py.typed",
    ):
        assert expected in names


def test_installed_wheel_runs_kg_from_a_temporary_directory(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv gets the wheel installed by pip without dependencies; those are borrowed from this
    environment through a .pth line (which, unlike a site directory, runs no editable-install hooks)."""
    venv = tmp_path / "venv"
    # No pip inside the venv (ensurepip costs seconds): this environment's pip installs into it with --python.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    install = ["install", "--quiet", "--no-deps", "--no-index", "--no-compile", str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *install],
        check=True,
        capture_output=True,
    )
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = subprocess.run(
        [str(venv / "bin" / "kg"), "query", "neuropathy-types", "--format", "csv"],
        cwd=work,
        capture_output=True,
        text=True,
        # The session's store: the installed package ships the same files, so it has the same snapshot key.
        env={"KG_CACHE_DIR": os.environ["KG_CACHE_DIR"], "HOME": str(tmp_path)},
    )
    assert run.returncode == 0, run.stderr
    assert "carpal tunnel syndrome" in run.stdout
    where = subprocess.run(
        [str(python), "-c", "import kg; print(kg.__file__, kg.__version__)"], cwd=work, capture_output=True, text=True
    ).stdout
    assert where.startswith(site)
    assert kg.__version__ in where
