"""Configuration: where it is found, environment overrides, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from snn_feed.config import Settings, load_settings
from snn_feed.errors import ConfigError
from snn_feed.pipeline.venues import Venue

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_toml_is_the_defaults() -> None:
    """The commented config.toml documents the built-in defaults; they must not drift apart."""
    shipped = load_settings(REPO / "config.toml", environ={})
    assert shipped.model_dump() == Settings(base_dir=shipped.base_dir).model_dump()


def test_config_is_found_by_flag_then_environment_then_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, size in (("flag", 11), ("env", 22), ("cwd", 33)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.toml").write_text(f"[arxiv]\npage_size = {size}\n")
    monkeypatch.chdir(tmp_path / "cwd")
    assert load_settings(None, environ={}).arxiv.page_size == 33
    monkeypatch.setenv("SNN_FEED_CONFIG", str(tmp_path / "env" / "config.toml"))
    assert load_settings(None).arxiv.page_size == 22
    assert load_settings(tmp_path / "flag" / "config.toml").arxiv.page_size == 11


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[log]\npath = "logs/README.md"\n')
    settings = load_settings(tmp_path / "config.toml", environ={})
    assert settings.log_path == tmp_path / "logs" / "README.md"
    assert settings.database_url == f"sqlite:///{tmp_path}/data/snn-feed.sqlite3"


def test_a_bad_value_from_the_environment_names_the_variable_not_the_file(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[feed]\nmin_score = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={"SNN_FEED_FEED__MIN_SCORE": "abc"})
    assert str(caught.value).startswith("config: feed.min_score: ")
    assert str(caught.value).endswith("($SNN_FEED_FEED__MIN_SCORE)")
    with pytest.raises(ConfigError) as caught:  # a bad value in the file still names the file
        config.write_text("[feed]\nmin_score = 9\n")
        load_settings(config, environ={})
    assert str(caught.value).endswith(f"({config})")


def test_environment_overrides_any_key_with_typed_values(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[arxiv]\npage_size = 50\n")
    env = {
        "SNN_FEED_ARXIV__PAGE_SIZE": "500",
        "SNN_FEED_ARXIV__DELAY_SECONDS": "4.5",
        "SNN_FEED_GIT__PUSH": "true",
        "SNN_FEED_FEED__CATEGORIES": '["cs.NE", "q-bio.NC"]',
        "SNN_FEED_TRANSLATE__API_KEY": "k-123",
        "SNN_FEED_LOG__TIMEZONE": "Asia/Shanghai",
    }
    settings = load_settings(tmp_path / "config.toml", environ=env)
    assert settings.arxiv.page_size == 500
    assert settings.arxiv.delay_seconds == 4.5
    assert settings.git.push is True
    assert settings.feed.categories == ["cs.NE", "q-bio.NC"]
    assert settings.translate.api_key == "k-123"
    assert settings.log.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("toml", "env", "names"),
    [
        ("[arxiv]\npagesize = 10\n", {}, "arxiv.pagesize"),
        ("[arxviv]\npage_size = 10\n", {}, "arxviv"),
        ('[arxiv]\npage_size = "many"\n', {}, "arxiv.page_size"),
        ("[arxiv]\npage_size = 5000\n", {}, "arxiv.page_size"),
        ("[arxiv]\ndelay_seconds = -1\n", {}, "arxiv.delay_seconds"),
        ('[translate]\nbackend = "babelfish"\n', {}, "translate.backend"),
        ('[log]\ntimezone = "Mars/Olympus"\n', {}, "log.timezone"),
        ('[git]\nmessage = "{when}"\n', {}, "git.message"),
        ("", {"SNN_FEED_ARXIV__RETRIES": "lots"}, "arxiv.retries"),
        ("", {"SNN_FEED_ARXIV__NOPE": "1"}, "arxiv.nope"),
    ],
)
def test_bad_configuration_names_the_key(
    tmp_path: Path, toml: str, env: dict[str, str], names: str
) -> None:
    (tmp_path / "config.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "config.toml", environ=env)
    assert names in str(err.value)
    assert "\n" not in str(err.value)


def test_cli_reports_bad_config_in_one_line_with_status_2(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[translate]\napi_key = 12\n[arxiv]\ntimeout_seconds = "x"\n'
    )
    result = run_cli("sync", "--config", str(tmp_path / "config.toml"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("snn-feed: config:")


def test_a_bad_api_key_value_is_not_echoed(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[translate]\napi_key = 123456789\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "config.toml", environ={})
    assert "translate.api_key" in str(err.value)
    assert "123456789" not in str(err.value)


def test_missing_config_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("sync", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "file not found" in result.stderr


def _wrong_value(annotation: object) -> object:
    """A TOML value of the wrong type for a field."""
    text = str(annotation)
    if annotation is bool:
        return "maybe"
    if "list" in text:
        return 42
    if annotation in (int, float) or "float" in text or "int" in text:
        return "not-a-number"
    if "dict" in text:
        return "not-a-table"
    return [1, 2]  # strings and literals


FIELDS = [
    (section, key, field.annotation)
    for section, model in Settings.model_fields.items()
    if hasattr(model.annotation, "model_fields")
    for key, field in model.annotation.model_fields.items()  # type: ignore[union-attr]
]


@pytest.mark.parametrize(("section", "key", "annotation"), FIELDS,
                         ids=[f"{s}.{k}" for s, k, _ in FIELDS])  # fmt: skip
def test_every_key_with_a_wrong_type_is_named_in_one_line(
    tmp_path: Path, section: str, key: str, annotation: object
) -> None:
    import json

    value = _wrong_value(annotation)
    literal = json.dumps(value) if not isinstance(value, list) else str(value)
    (tmp_path / "config.toml").write_text(f"[{section}]\n{key} = {literal}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "config.toml", environ={})
    message = str(err.value)
    assert f"{section}.{key}" in message and "\n" not in message


def error_of(tmp_path: Path, toml: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(str(path), environ={})
    return str(caught.value)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[arxiv]\npage_size = "200"\n', "arxiv.page_size"),  # a string is not a number
        ("[arxiv]\ndelay_seconds = true\n", "arxiv.delay_seconds"),  # nor is a boolean
        ("[git]\ncommit = 0\n", "git.commit"),  # and a number is not a boolean
        ('[translate]\nconcurrency = "4"\n', "translate.concurrency"),
    ],
)
def test_a_value_of_the_wrong_type_is_not_converted(tmp_path: Path, toml: str, key: str) -> None:
    assert f"config: {key}:" in error_of(tmp_path, toml)


@pytest.mark.parametrize(
    "toml",
    [
        "[arxiv]\ndelay_seconds = inf\n",
        "[arxiv]\ntimeout_seconds = nan\n",
        "[arxiv]\ntimeout_seconds = 1e300\n",
        "[translate]\nrate_per_second = inf\n",
        "[status]\nmax_age_hours = 1e300\n",
        "[schedule]\nretry_minutes = nan\n",
    ],
)
def test_infinite_undefined_and_absurd_numbers_are_refused_at_load(tmp_path: Path, toml: str):
    section, key = toml.split("]")[0][1:], toml.split("\n")[1].split(" =")[0]
    assert f"config: {section}.{key}:" in error_of(tmp_path, toml)


def test_a_remote_that_git_would_read_as_an_option_is_refused(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[git]\nremote = "--upload-pack=touch pwned"\n')
    assert message.startswith("config: git.remote: ")


@pytest.mark.parametrize(
    ("toml", "hint"),
    [("[translate]\nbacknd = 'deepl'\n", "did you mean backend?"),
     ("[arxiv]\npage_sise = 100\n", "did you mean page_size?"),
     ("[transalte]\nbackend = 'deepl'\n", "did you mean translate?")],
)  # fmt: skip
def test_an_unknown_key_suggests_the_nearest_known_one(tmp_path: Path, toml: str, hint: str):
    message = error_of(tmp_path, toml)
    assert message.startswith("config: unknown key ") and hint in message


@pytest.mark.parametrize(
    "message",
    ['"arxiv {date}\\u0000"', '"{count:99999999}"', '"{count:{count}}"', '"  "'],
    ids=["nul-byte", "huge-width", "nested-width", "empty"],
)
def test_a_commit_message_git_cannot_take_is_refused_at_load(tmp_path: Path, message: str):
    assert error_of(tmp_path, f"[git]\nmessage = {message}\n").startswith("config: git.message: ")


def test_venue_bonuses_are_keyed_by_the_tables_names_in_any_case(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[score.venues]\nneurips = 1.0\n"ieee tnnls" = 0.5\n')
    settings = load_settings(config, environ={})
    assert settings.score.venues == {"NeurIPS": 1.0, "IEEE TNNLS": 0.5}
    assert settings.score.weights().venue_bonus(Venue("NeurIPS", 2025, None)) == 1.0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("Neurip = 1.0", "'Neurip' is not a venue of the table (did you mean NeurIPS? "),
        ("Conference = 1.0", "'Conference' is not a venue of the table (docs/venue-list.md)"),
        ("NeurIPS = 1.0\nneurips = 2.0", "NeurIPS is given twice"),
        ("NeurIPS = 6.0", "venue bonuses must be between -5 and 5"),
    ],
)
def test_a_venue_not_in_the_table_is_a_one_line_config_error(
    tmp_path: Path, toml: str, message: str
) -> None:
    (tmp_path / "config.toml").write_text(f"[score.venues]\n{toml}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path / "config.toml", environ={})
    assert str(err.value).startswith("config: score.venues: ")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_watched_authors_with_bonuses_reach_the_score(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[score.authors]\n"Kaushik Roy" = 1.5\n')
    weights = load_settings(config, environ={}).score.weights()
    assert weights.author_bonus(["A. Sengupta", "K. Roy"]) == 1.5
    config.write_text('[score.authors]\n"Kaushik Roy" = -1\n')
    with pytest.raises(ConfigError, match="author bonuses must be between 0 and 5"):
        load_settings(config, environ={})
