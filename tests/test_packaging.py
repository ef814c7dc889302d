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


#: pyproject.toml's [build-system]: the backend that builds the wheel and what it requires.
BUILD_SYSTEM = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]


def _backend_installed() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for (the test extra brings it)."""
    for requirement in map(Requirement, BUILD_SYSTEM["requires"]):
        try:
            if importlib.metadata.version(requirement.name) not in requirement.specifier:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    return True


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built once for the module by the build backend pyproject.toml names, called as a PEP 517
    frontend calls it (pip or `build` do no more than this here, and cost three more Python processes: 3.2 s of CPU
    against 1.0). Without that backend installed here, pip builds it in an isolated environment."""
    source = tmp_path_factory.mktemp("build") / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT_FROM)
    out = tmp_path_factory.mktemp("wheel")
    if _backend_installed():
        module, _, attribute = BUILD_SYSTEM["build-backend"].partition(":")  # PEP 517: "module" or "module:object"
        hooks = f"importlib.import_module('{module}')" + "".join(f".{name}" for name in attribute.split(".") if name)
        build = f"import importlib, sys; {hooks}.build_wheel(sys.argv[1])"
        subprocess.run([sys.executable, "-c", build, str(out)], cwd=source, check=True, capture_output=True)
    else:
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)]
        subprocess.run(pip, check=True, capture_output=True)
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
