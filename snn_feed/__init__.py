"""snn-feed: keeps a spiking-neural-network arXiv reading log up to date."""

import sys

__version__ = "0.1.0"

# `import httpx` also imports its command-line client when rich and pygments are installed
# (they are: the backfill's progress bar), 40 ms of every sync's start-up for a program snn-feed
# never runs. httpx catches the ImportError this causes and leaves its CLI out.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
