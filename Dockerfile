# triage: the bot and its runbooks in one image.
#
#   docker build -t triage .
#   docker run --rm -e TRIAGE_CONFIG=/etc/triage/site.yaml \
#     -v "$PWD/site.yaml:/etc/triage/site.yaml:ro" triage          # `triage serve`
#   docker run --rm -v "$PWD/runbooks:/app/runbooks:ro" triage lint  # your own runbooks
#
# Two stages: building the wheel needs pip's build environment; the image
# that runs needs only the installed packages.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# Runtime dependencies only: the `test` extra (pytest, moto, mypy, ...) stays out.
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TRIAGE_RUNBOOKS=/app/runbooks \
    TRIAGE_DB=/var/lib/triage/triage.db
# The incident store is the only thing the bot writes: its folder is the one
# the unprivileged user owns (mount a volume there to keep it across restarts).
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin triage \
    && install -d -o triage -g triage /var/lib/triage
COPY --from=build /install /usr/local
# Baked in so the image works alone; mount a folder over /app/runbooks (or
# point TRIAGE_RUNBOOKS elsewhere) to carry your own. Owned by root: the bot
# only reads them.
COPY runbooks /app/runbooks
WORKDIR /app
USER triage
# Works in both Slack modes (Socket Mode has no HTTP port to ask): proves
# the installed command starts and the runbooks it serves still load. An
# HTTP-mode deployment can also point its load balancer at /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["triage", "lint"]
ENTRYPOINT ["triage"]
# `triage serve` (the Slack bot) comes with the Slack front end's issue.
CMD ["serve"]
