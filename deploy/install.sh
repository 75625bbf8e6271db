#!/bin/sh
# The image's install, in one place: the Dockerfile runs it, and
# tests/deploy/test_image.py replays it in a fresh venv (no container engine
# in CI), so the two cannot drift.
#
#   sh deploy/install.sh deps VENV   # the runtime lock, every file checked against its hash
#   sh deploy/install.sh app  VENV   # our own wheel, built with the locked setuptools, no deps
#
# Run from the source folder (pyproject.toml, requirements/, bot/). The
# python that runs this builds; VENV (created if missing) is what ships.
set -eu

step=$1
venv=$2
python=${PYTHON:-python3}

[ -x "$venv/bin/python" ] || "$python" -m venv --without-pip "$venv"

case "$step" in
deps)
    # --python: pip runs from the builder, installs into VENV, so the image
    # carries no pip of its own.
    "$python" -m pip --python "$venv/bin/python" install --require-hashes --no-deps \
        --only-binary :all: -r requirements/runtime.txt
    ;;
app)
    wheels=$(mktemp -d)
    "$python" -m pip install --require-hashes --no-deps -r requirements/build.txt
    "$python" -m pip wheel --no-build-isolation --no-deps --wheel-dir "$wheels" .
    # From the wheel's folder: in the source folder, the triage.egg-info the
    # build leaves would pass for an installed triage ("already satisfied").
    (cd "$wheels" && "$python" -m pip --python "$venv/bin/python" install --no-deps ./triage-*.whl)
    rm -rf "$wheels"
    ;;
*)
    echo "usage: install.sh deps|app VENV" >&2
    exit 2
    ;;
esac
