"""`snn-feed`, and `python -m snn_feed`: the collector paused before anything is imported
(`startup.py`), then the command line."""

from snn_feed.startup import pause_gc


def run() -> None:
    pause_gc()
    from snn_feed.cli import main

    main()


if __name__ == "__main__":
    run()
