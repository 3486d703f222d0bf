"""What every section shares: no unknown keys, and the checks several sections use."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PositiveFloat = Annotated[float, Field(gt=0)]


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {value!r}") from err
    return value


def http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


HttpUrl = Annotated[str, AfterValidator(http_url)]
"""An http(s) URL."""
TimeZone = Annotated[str, AfterValidator(_check_zone)]
"""An IANA time zone name, such as America/New_York."""
