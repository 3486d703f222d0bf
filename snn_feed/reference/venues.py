"""docs/venue-list.md: every venue of `snn_feed/data/venues.toml`, by field."""

from __future__ import annotations

from snn_feed.pipeline.venues import table

FIELDS = {
    "ml": "Machine learning and AI",
    "vision": "Computer vision",
    "robotics": "Robotics",
    "speech": "Speech, audio and signal processing",
    "neuro": "Neuromorphic computing and neuroscience",
    "science": "Science journals",
    "circuits": "Circuits, devices and computer architecture",
}
"""Each field of the table, in the order the page gives them, with its heading."""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def venues_markdown() -> str:
    """The page: one table per field, each venue with its kind and the spellings it is found
    by."""
    venues = table()
    out = [
        "# Venues",
        "",
        "<!-- Generated from snn_feed/data/venues.toml by `python -m snn_feed.reference`; "
        "do not edit. -->",
        "",
        f"The {len(venues)} venues a paper can be tagged with ([how](venues.md)). The name "
        "in bold is the tag and the key of `[score.venues]`. Short forms match with their "
        "case; full names in any case, with or without their publisher (IEEE, ACM). A venue "
        'marked "with a cue" is also an ordinary phrase: it is only a venue after "accepted '
        'in", "published in"..., before a year, or at the start of a journal reference.',
    ]
    for field, heading in FIELDS.items():
        out += ["", f"## {heading}", "", "| venue | kind | also found as |", "| --- | --- | --- |"]
        for v in (v for v in venues if v.field == field):
            spellings = ", ".join(f"`{s}`" for s in (*v.names[1:], *v.titles)) or "-"
            kind = v.kind + (", with a cue" if v.cue else "")
            out.append(f"| **{_cell(v.name)}** | {kind} | {_cell(spellings)} |")
    unknown = sorted({v.field for v in venues} - set(FIELDS))
    if unknown:
        raise ValueError(f"venues.toml: fields without a heading: {', '.join(unknown)}")
    return "\n".join(out) + "\n"
