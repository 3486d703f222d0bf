"""The log as a static web site, built from the database (`snn-feed site`, `[site] dir`)."""
