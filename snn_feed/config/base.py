"""What every section shares: no unknown keys, no value of the wrong type (`"200"` is not a
number, `0` is not `false`), no infinite, undefined or absurdly large number, and the checks
several sections use."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

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


LARGEST = 10_000_000
"""The largest number any key takes (seconds, minutes, hours, a rate): 115 days in seconds.
`1e300` or `inf` seconds would hang a run or overflow a timer instead of meaning anything."""


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False
    )

    @field_validator("*", mode="after")
    @classmethod
    def _not_absurd(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > LARGEST:
            raise ValueError(f"out of range (at most {LARGEST:,})")
        return value


HttpUrl = Annotated[str, AfterValidator(http_url)]
"""An http(s) URL."""
TimeZone = Annotated[str, AfterValidator(_check_zone)]
"""An IANA time zone name, such as America/New_York."""
