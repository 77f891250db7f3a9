"""The installed package holds every subpackage: an install (not editable) into a fresh folder
imports each module of ``sim`` from there, so a package the build leaves out fails here, not on a
user's machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_layers import modules


def test_every_module_imports_from_an_installed_copy(tmp_path: Path) -> None:
    target = tmp_path / "site"
    # Build from a clean copy of the project's own files: a build/ folder left in the tree would
    # otherwise hand setuptools modules its package list no longer finds.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "sim", source / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    names = sorted(modules(ROOT / "sim"))
    names = [n for n in names if not n.endswith("__main__")]
    check = (
        "import importlib, pathlib, sys\n"
        f"site = pathlib.Path({str(target)!r}).resolve()\n"
        f"for name in {names!r}:\n"
        "    m = importlib.import_module(name)\n"
        "    assert site in pathlib.Path(m.__file__).resolve().parents, (name, m.__file__)\n"
        "print(len(sys.modules))\n"
    )
    # Run away from the source tree, with only the installed copy on the path.
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n" + check],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (target / "sim" / "py.typed").exists()
