"""snn-feed: keeps a spiking-neural-network arXiv reading log up to date."""

__version__ = "0.1.0"
