# snn-feed in a container: `snn-feed serve` on its schedule, as a non-root user.
# Build context: this repository (see .dockerignore). Nothing secret is baked in: the API key,
# git identity and push credentials come from the environment and secrets at run time.
FROM python:3.11-slim

# git commits the log; CA certificates for arXiv, the translators and the git remote.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 snn
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY snn_feed ./snn_feed
COPY migrations ./migrations
# EXTRAS: the optional dependencies installed with it; `postgres` (psycopg) unless built with
# `--build-arg EXTRAS=` for an image that only ever uses SQLite.
ARG EXTRAS=postgres
RUN pip install --no-cache-dir ".[${EXTRAS-postgres}]" && snn-feed --help > /dev/null

# /data and /log belong to the image's user (for `docker run -v ...`); Compose runs as yours.
# The database URL is not set here (it would override config.toml's): without a config file,
# the default relative `sqlite:///data/snn-feed.sqlite3` lands in /data through the link.
RUN mkdir -p /data /log && chown snn:snn /data /log && ln -s /data /home/snn/data
USER snn
WORKDIR /home/snn
ENV PYTHONUNBUFFERED=1 \
    SNN_FEED_SYNC__LOCK_FILE=/data/snn-feed.lock \
    SNN_FEED_LOG__PATH=/log/README.md
VOLUME ["/data"]
HEALTHCHECK --interval=5m --timeout=30s --start-period=5m --retries=3 CMD ["snn-feed", "status"]
ENTRYPOINT ["snn-feed"]
CMD ["serve"]
