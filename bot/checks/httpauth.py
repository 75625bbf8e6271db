"""Credentials of the `http` check: named in the runbook, read at run time.

A runbook names *where* a secret is (`{env: GRAFANA_TOKEN}` or
`{file: /run/secrets/grafana}`), never the secret itself. The value is read
only when the check runs, handed to `bot.redact.learn` before anything else
sees it (so Slack, the logs, the store and the CLI mask it from then on), and
goes nowhere but the request's Authorization header. A dry run, the docs and
a rehearsal show where the secret comes from, never its value.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated

from pydantic import Field

from bot import redact
from bot.checks.params import Params

# A secret file is a token or a password: a bigger one is a mistake (a
# directory of certificates, a log), and must not be read into memory.
MAX_SECRET_FILE = 16 * 1024


class FromEnv(Params):
    env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    """The bot's environment variable holding the secret."""

    def where(self) -> str:
        return f"environment variable {self.env}"


class FromFile(Params):
    file: Annotated[str, Field(pattern=r"^/")]
    """An absolute path on the bot's host (e.g. a mounted secret)."""

    def where(self) -> str:
        return f"file {self.file}"


SecretRef = FromEnv | FromFile


class BasicCredentials(Params):
    user: str = Field(min_length=1)
    password: SecretRef


class Bearer(Params):
    bearer: SecretRef
    """`Authorization: Bearer <secret>`."""

    def shown(self) -> str:
        return f"Bearer <{self.bearer.where()}>"


class Basic(Params):
    basic: BasicCredentials
    """`Authorization: Basic <user:secret>`."""

    def shown(self) -> str:
        return f"Basic <{self.basic.user} : {self.basic.password.where()}>"


Auth = Bearer | Basic


class SecretMissing(Exception):
    """A named secret cannot be read; the message says which and why."""


def read(ref: SecretRef) -> str:
    """The secret's value, without the trailing newline files usually end with."""
    if isinstance(ref, FromEnv):
        value = os.environ.get(ref.env)
        if not value:
            raise SecretMissing(
                f"the {ref.where()} is not set on the bot: set it from the deployment's"
                " secrets (docs/deploy-ecs.md) and run the check again"
            )
        return value
    path = Path(ref.file)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SECRET_FILE + 1)
    except OSError as exc:
        raise SecretMissing(
            f"cannot read the secret {ref.where()}: {exc.strerror or exc}; mount it on the bot"
        ) from None
    if len(raw) > MAX_SECRET_FILE:
        raise SecretMissing(f"the secret {ref.where()} is over {MAX_SECRET_FILE} bytes")
    value = raw.decode("utf-8", errors="replace").strip()
    if not value:
        raise SecretMissing(f"the secret {ref.where()} is empty")
    return value


def authorization(auth: Auth) -> str:
    """The Authorization header's value; every secret in it is masked from now on."""
    if isinstance(auth, Bearer):
        token = read(auth.bearer)
        redact.learn(token)
        return f"Bearer {token}"
    password = read(auth.basic.password)
    encoded = base64.b64encode(f"{auth.basic.user}:{password}".encode()).decode()
    redact.learn(password, encoded)
    return f"Basic {encoded}"
