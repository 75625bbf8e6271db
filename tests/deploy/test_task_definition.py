"""The ECS task definitions under deploy/ecs/ are valid input for
RegisterTaskDefinition, checked offline against the API's own schema
(botocore's service model: types, required members, unknown keys, enums),
and they run the image as the Dockerfile builds it, with secrets only from
Secrets Manager / SSM."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape
from botocore.validate import ParamValidator

from tests.test_dockerfile import final_stage

ROOT = Path(__file__).parents[2]
DEFINITIONS = sorted((ROOT / "deploy" / "ecs").glob("task-definition*.json"))
SECRET_NAMES = re.compile(r"TOKEN|SECRET|PASSWORD|KEY", re.IGNORECASE)


def register_input() -> Shape:
    model = botocore.session.get_session().get_service_model("ecs")
    shape = model.operation_model("RegisterTaskDefinition").input_shape
    assert shape is not None
    return shape


def violations(document: dict[str, Any]) -> list[str]:
    """Why RegisterTaskDefinition would refuse this (empty: it would not)."""
    shape = register_input()
    report = ParamValidator().validate(document, shape)
    found = [report.generate_report()] if report.has_errors() else []
    return found + list(_enums(document, shape, "task definition"))


def _enums(value: Any, shape: Shape, where: str) -> list[str]:
    """ParamValidator leaves enums to the server; this is the server's check."""
    found: list[str] = []
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        found.append(f"{where}: {value!r} is not one of {sorted(enum)}")
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:  # type: ignore[attr-defined]
                found += _enums(item, shape.members[key], f"{where}.{key}")  # type: ignore[attr-defined]
    elif shape.type_name == "list" and isinstance(value, list):
        for n, item in enumerate(value):
            found += _enums(item, shape.member, f"{where}[{n}]")  # type: ignore[attr-defined]
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            found += _enums(item, shape.value, f"{where}[{key}]")  # type: ignore[attr-defined]
    return found


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def container(document: dict[str, Any]) -> dict[str, Any]:
    (only,) = document["containerDefinitions"]
    return dict(only)


def test_there_is_one_per_slack_mode() -> None:
    commands = {tuple(container(load(p))["command"]) for p in DEFINITIONS}
    assert commands == {("serve", "--port", "3000"), ("serve", "--http", "--port", "3000")}


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.name)
def test_registers_as_written(path: Path) -> None:
    assert violations(load(path)) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            lambda c: c.update(secret=c.pop("secrets")),
            'parameter in containerDefinitions[0]: "secret"',
        ),
        (lambda c: c["portMappings"][0].update(protocol="http"), "'http' is not one of"),
        (lambda c: c["healthCheck"].update(interval="30"), "Invalid type for parameter"),
        (lambda c: c["secrets"][0].pop("valueFrom"), "Missing required parameter"),
    ],
    ids=["misspelt-key", "bad-enum", "wrong-type", "missing-required"],
)
def test_the_check_refuses_what_ecs_refuses(change: Any, complaint: str) -> None:
    document = load(DEFINITIONS[0])
    change(document["containerDefinitions"][0])
    assert complaint in "\n".join(violations(document))


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.name)
def test_secrets_come_from_secrets_manager_or_ssm_never_plain_environment(path: Path) -> None:
    spec = container(load(path))
    plain = [e["name"] for e in spec["environment"] if SECRET_NAMES.search(e["name"])]
    assert plain == []
    sources = [s["valueFrom"] for s in spec["secrets"]]
    assert sources and all(
        re.match(r"arn:aws:(ssm:[^:]+:\d+:parameter/|secretsmanager:[^:]+:\d+:secret:)", s)
        for s in sources
    ), sources
    needed = {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET" if "--http" in spec["command"] else "SLACK_APP_TOKEN",
    }
    assert needed <= {s["name"] for s in spec["secrets"]}


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.name)
def test_runs_the_image_as_the_dockerfile_builds_it(path: Path) -> None:
    spec = container(load(path))
    stage = final_stage()
    exposed = {args for word, args in stage if word == "EXPOSE"}
    assert {str(p["containerPort"]) for p in spec["portMappings"]} == exposed
    (healthcheck,) = (args for word, args in stage if word == "HEALTHCHECK")
    assert json.loads(healthcheck.partition("CMD ")[2]) == spec["healthCheck"]["command"][1:]
    (user,) = [args for word, args in stage if word == "USER"]
    assert spec["user"] == user
    # Read-only root: the store's folder (TRIAGE_DB) and /tmp are the only writable mounts.
    assert spec["readonlyRootFilesystem"] is True
    store = next(e["value"] for e in spec["environment"] if e["name"] == "TRIAGE_DB")
    writable = {m["containerPath"] for m in spec["mountPoints"] if not m.get("readOnly")}
    assert writable == {str(Path(store).parent), "/tmp"}
