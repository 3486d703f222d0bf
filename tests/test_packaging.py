"""`pip install .` (not editable) must give a working tool, migrations and the venue table
included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from conftest import run_cli

from snn_feed.store.migrate import head_revision

REPO = Path(__file__).resolve().parents[1]


def _not_built(folder: str, names: list[str]) -> set[str]:
    """What a checkout holds that no build reads: the environment, git, and the top-level
    `data/` of a local run (but `snn_feed/data/`, the venue table, is package data)."""
    top = Path(folder) == REPO
    return {
        n for n in names
        if n in {".venv", ".git"} or n.endswith(".egg-info") or (top and n == "data")
    }  # fmt: skip


def test_the_wheel_ships_the_migrations_and_migrates_a_new_database(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=_not_built)
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
    assert "snn_feed/data/venues.toml" in names
    site = {"snn_feed/site/static/site.js", "snn_feed/site/static/site.css",
            "snn_feed/site/templates/base.html", "snn_feed/site/templates/month.html"}  # fmt: skip
    assert site <= set(names)  # `snn-feed site` needs its templates and static files
    assert "snn_feed/data/github-actions.yml" in names  # the workflow `init` writes

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
    tagged = subprocess.run(
        [sys.executable, "-c", "from snn_feed.pipeline.venues import venue_of; "
         "print(venue_of('Accepted at NeurIPS 2025 (oral)', None).label())"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert tagged == "NeurIPS 2025 (oral)\n"


def test_the_sdist_ships_the_venue_table(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=_not_built)
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path / "dist")],
        cwd=source, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (sdist,) = (tmp_path / "dist").glob("snn_feed-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert "snn_feed/data/venues.toml" in members
