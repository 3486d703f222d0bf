"""`pip install .` (not editable) must give a working tool, migrations included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import run_cli

from snn_feed.store.migrate import head_revision

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_migrations_and_migrates_a_new_database(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "data", "*.egg-info")
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("snn_feed-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "snn_feed/migrations/env.py" in names
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("snn_feed/migrations/versions/")}
    assert shipped == {p.name for p in (REPO / "migrations" / "versions").glob("*.py")}

    # Install it alone (its dependencies come from this environment) and use it from a folder
    # where the checkout cannot be imported by accident.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.toml").write_text('[database]\nurl = "sqlite:///state/db.sqlite3"\n')
    result = run_cli(
        "db", "upgrade", cwd=work,
        env={"PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"database at revision {head_revision()}" in result.stdout
    assert (work / "state" / "db.sqlite3").exists()
    where = subprocess.run(
        [sys.executable, "-c", "import snn_feed; print(snn_feed.__file__)"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(target)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert where.startswith(str(target))
