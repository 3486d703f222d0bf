"""The GitHub Actions workflow `snn-feed init --github-actions` writes into a log's repository.

Its one copy is package data (`snn_feed/data/github-actions.yml`); examples/github-actions/
is rendered from it by `python -m snn_feed.reference`. The workflow installs exactly the
snn-feed that wrote it: the version is filled in here, so a log repository never moves to a
new snn-feed (and a new database schema) by itself.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import PurePosixPath

from snn_feed import __version__

WORKFLOW = PurePosixPath(".github/workflows/snn-feed.yml")
"""Where the workflow goes, relative to the repository's root; its file name is also the
workflow id that its keepalive job enables."""

CONFIG = "snn-feed.toml"
"""The config the workflow reads (`SNN_FEED_CONFIG`), at the repository's root."""

STATE_BRANCH = "snn-feed-state"
"""The branch that holds the database, as an SQL dump, between runs."""

SECRETS = ("SNN_FEED_TRANSLATE__API_KEY", "SNN_FEED_TRANSLATE__API_KEYS", "SNN_FEED_NOTIFY__URLS")
"""The repository secrets the workflow passes on, each as the variable of the same name."""

_VERSION = "@VERSION@"


def workflow_text(version: str = __version__) -> str:
    """The workflow, pinned to snn-feed `version`."""
    template = files("snn_feed").joinpath("data/github-actions.yml").read_text("utf-8")
    return template.replace(_VERSION, version)
