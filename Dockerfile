# triage: the bot and its runbooks in one image.
#
#   docker build -t triage .
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN \
#     -e TRIAGE_CONFIG=/etc/triage/site.yaml \
#     -v "$PWD/site.yaml:/etc/triage/site.yaml:ro" triage          # `triage serve`
#   docker run --rm -v "$PWD/runbooks:/app/runbooks:ro" triage lint  # your own runbooks
#
# What is installed comes from requirements/runtime.txt (every file checked
# against its hash) through deploy/install.sh, the same script
# tests/deploy/test_image.py replays in CI without a container engine.

# The base image by digest: a tag moves, a digest is one set of bytes. To
# update it (docs/deploy-ecs.md, "Updating the base image"):
#   docker buildx imagetools inspect python:3.11-slim   # the "Digest:" line
# and replace the sha256 below (or pass --build-arg BASE_IMAGE=...).
ARG BASE_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# Two stages: the build stage has pip and setuptools; the image that runs
# has only the venv with the bot and its runtime dependencies.
FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Dependencies first, so a code change does not reinstall them.
COPY deploy/install.sh deploy/install.sh
COPY requirements requirements
RUN sh deploy/install.sh deps /opt/triage
COPY pyproject.toml README.md ./
COPY bot bot
RUN sh deploy/install.sh app /opt/triage

FROM ${BASE_IMAGE}
ENV PATH=/opt/triage/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TRIAGE_RUNBOOKS=/app/runbooks \
    TRIAGE_DB=/var/lib/triage/triage.db
# The incident store is the only thing the bot writes: its folder is the one
# the unprivileged user owns (mount a volume there to keep it across restarts).
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin triage \
    && install -d -o triage -g triage /var/lib/triage
COPY --from=build /opt/triage /opt/triage
# Baked in so the image works alone; mount a folder over /app/runbooks (or
# point TRIAGE_RUNBOOKS elsewhere) to carry your own. Owned by root: the bot
# only reads them.
COPY runbooks /app/runbooks
WORKDIR /app
# By number: the host, ECS and Kubernetes (runAsNonRoot) can tell it is not root.
USER 10001:10001
# `triage serve` listens on port 3000 (--port) in both Slack modes: /healthz,
# /metrics and the alert webhooks, plus /slack/events with --http.
EXPOSE 3000
# Asks the running bot itself, on its default port (change both if you pass
# --port): a dead or wedged server fails, a serving one answers. Python's
# urllib, as slim has no curl: about 80 ms of CPU per probe (`triage lint`
# took 1.3 s and proved only that the YAML parses).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-I", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:3000/healthz', timeout=4)"]
ENTRYPOINT ["triage"]
# Socket Mode when SLACK_APP_TOKEN is set; `serve --http` for Slack's HTTP requests.
CMD ["serve"]
