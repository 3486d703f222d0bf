"""Deployment files: docker-compose.yml against the Compose Specification's JSON schema, and
the Dockerfile's promises (no Docker engine runs here; .ci/run runs its install step)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import FIXTURES

from snn_feed.config import ScheduleSettings
from snn_feed.config.running import DatabaseSettings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_file_is_valid_against_the_compose_specification(compose: dict) -> None:
    schema = json.loads((FIXTURES / "compose-spec" / "compose-spec.schema.json").read_text())
    validator = jsonschema.Draft201909Validator(schema)  # the draft its $schema names
    errors = sorted(validator.iter_errors(compose), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    # the check has teeth: a typo in a key is refused
    broken = {
        **compose,
        "services": {"snn-feed": {**compose["services"]["snn-feed"], "restrat": 1}},
    }
    assert list(validator.iter_errors(broken))


def test_the_service_runs_serve_with_health_check_volumes_and_restart(compose: dict) -> None:
    service = compose["services"]["snn-feed"]
    assert service["command"][0] == "serve"
    assert service["healthcheck"]["test"] == ["CMD", "snn-feed", "status"]
    assert service["restart"] in ("always", "unless-stopped")
    mounts = {v.split(":")[1] for v in service["volumes"]}
    assert {"/data", "/log"} <= mounts
    env = service["environment"]
    assert env["SNN_FEED_LOG__PATH"].startswith("/log/")
    # the stop grace period outlasts the service's own safe-stop timeout
    grace = int(re.fullmatch(r"(\d+)s", service["stop_grace_period"]).group(1))
    assert grace > ScheduleSettings().stop_timeout_seconds


def test_compose_sets_only_container_paths_and_never_overrides_the_config(compose: dict) -> None:
    # Environment variables win over config.toml: one with a default value here would
    # silently replace the user's engine, key or push setting.
    service = compose["services"]["snn-feed"]
    paths = {"SNN_FEED_CONFIG", "SNN_FEED_SYNC__LOCK_FILE", "SNN_FEED_LOG__PATH"}
    for name, value in service["environment"].items():
        if name.startswith("SNN_FEED_") and name not in paths:
            assert value is None, f"{name} overrides config.toml"
    # it writes the bind-mounted repository as the user who cloned it
    assert re.fullmatch(r"\$\{SNN_UID:-\d+\}:\$\{SNN_GID:-\d+\}", service["user"])
    assert all(not v.split(":")[0].isidentifier() for v in service["volumes"]), "bind mounts"


def test_no_secret_is_baked_in(compose: dict) -> None:
    service = compose["services"]["snn-feed"]
    for name, value in service["environment"].items():
        if name.endswith(("API_KEY", "TOKEN", "PASSWORD")):
            assert value is None or re.fullmatch(r"\$\{\w+\}", str(value)), name
    assert "git-credentials" in service["secrets"]
    dockerfile = (REPO / "Dockerfile").read_text()
    assert not re.search(r"(?i)(api_key|token|password)\s*=", dockerfile)
    ignored = (REPO / ".dockerignore").read_text().split()
    assert "secrets" in ignored and ".git" in ignored


def test_libretranslate_is_optional_behind_a_profile(compose: dict) -> None:
    libre = compose["services"]["libretranslate"]
    assert libre["profiles"] == ["libre"]
    assert "profiles" not in compose["services"]["snn-feed"]


def test_dockerfile_installs_the_package_and_runs_as_a_user() -> None:
    lines = [line.strip() for line in (REPO / "Dockerfile").read_text().splitlines()]
    assert re.match(r"FROM python:3\.1[1-9]-slim", lines[next(i for i, x in enumerate(lines)
                                                           if x.startswith("FROM"))])  # fmt: skip
    assert any(re.match(r"RUN pip install --no-cache-dir \"?\.[[ \"]", x) for x in lines)
    users = [x.split()[1] for x in lines if x.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert 'CMD ["serve"]' in lines and 'ENTRYPOINT ["snn-feed"]' in lines
    assert any("snn-feed" in x and "status" in x for x in lines if x.startswith("HEALTHCHECK"))
    copied = {x.split()[1] for x in lines if x.startswith("COPY ")}
    assert {"snn_feed", "migrations"} <= copied


def test_compose_variables_of_its_own_do_not_look_like_config_overrides() -> None:
    # snn-feed reads every SNN_FEED_* variable as SNN_FEED_<SECTION>__<KEY>: a variable the
    # docs ask users to export for Compose must not break the CLI in the same shell.
    text = (REPO / "docker-compose.yml").read_text()
    for name in re.findall(r"\$\{(\w+)", text):
        assert not name.startswith("SNN_FEED_") or "__" in name, name


def test_the_database_comes_from_config_toml_or_the_shell_never_from_compose_or_the_image(
    compose: dict,
) -> None:
    """A PostgreSQL `[database] url` in config.toml is used as written: neither Compose nor the
    image sets SNN_FEED_DATABASE__URL (it would win); the shell may, and the default relative
    SQLite URL still lands in ./data beside the lock."""
    service = compose["services"]["snn-feed"]
    assert service["environment"]["SNN_FEED_DATABASE__URL"] is None  # passed through if set
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "SNN_FEED_DATABASE__URL" not in dockerfile
    config_dir = str(Path(service["environment"]["SNN_FEED_CONFIG"]).parent)
    default = DatabaseSettings().url.removeprefix("sqlite:///")
    assert not default.startswith("/")
    data = str(Path(config_dir) / Path(default).parent)
    assert f"./data:{data}" in service["volumes"] and "./data:/data" in service["volumes"]


def test_postgresql_runs_behind_a_profile_with_a_health_check(compose: dict) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert re.fullmatch(r"postgres:1[5-9](\.\d+)?", postgres["image"])
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    env = postgres["environment"]
    assert "POSTGRES_PASSWORD" not in env and env["POSTGRES_PASSWORD_FILE"].startswith(
        "/run/secrets/"
    )
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_the_image_installs_the_postgresql_driver_by_default() -> None:
    """The `postgres` extra (psycopg) is what the image's install line installs unless built
    with `--build-arg EXTRAS=`; `.ci/run` runs that line and imports nothing more."""
    text = (REPO / "Dockerfile").read_text()
    (install,) = [x for x in text.splitlines() if x.startswith("RUN pip install")]
    default = re.search(r"^ARG EXTRAS=(\S*)$", text, re.MULTILINE)
    assert default is not None and default.group(1) == "postgres"
    assert '".[${EXTRAS-postgres}]"' in install
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    extra = pyproject["project"]["optional-dependencies"]["postgres"]
    assert any(dep.startswith("psycopg[binary]") for dep in extra)
