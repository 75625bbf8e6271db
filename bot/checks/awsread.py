"""Which AWS operations an `aws` check may call: reads, by construction.

Checks run unattended (auto-triage runs every one when an alert fires), so a
check must not be able to change anything, mint credentials or bring a
secret back into a Slack thread. Changes go through escalation actions, with
confirmation, an allow list and an audit record. The rule, judged against
botocore's own operation model when the runbook loads:

1. A read is an operation whose name starts with a read verb (Describe, List,
   Get, BatchGet, Head, Lookup, Search) and, for REST APIs, whose HTTP method
   is not PUT, DELETE or PATCH. Everything else (Update, Create, Invoke,
   Start, Assume, Decrypt, ...) is refused, whatever the runbook says.
2. Some reads hand out what a thread must never show or have side effects:
   they are refused always (`NEVER`, and SSM parameters read `WithDecryption`).
3. Some names look like reads of secrets (`*_credentials`, `*_token`,
   `*_password`, presigned `*_url`...), and a few verbs are reads under
   another name (dynamodb `query`/`scan`, logs `filter_log_events`): these
   need `allow_operation: <why it is safe>` on the check, which `triage lint`
   lists for review.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel

READ_VERBS = ("Describe", "List", "Get", "BatchGet", "Head", "Lookup", "Search")
# Reads under another verb: allowed only with `allow_operation`.
OPT_IN_VERBS = (
    "Query", "Scan", "Filter", "Select", "Check", "Validate", "Simulate",
    "Estimate", "Preview", "Evaluate", "Count", "Calculate",
)  # fmt: skip
_WRITE_METHODS = frozenset({"PUT", "DELETE", "PATCH"})
_REST = frozenset({"rest-json", "rest-xml"})

# Named like reads, never allowed in a check: why, in a reviewer's words.
NEVER: Mapping[str, str] = {
    "secretsmanager.get_secret_value": "returns a secret in clear text",
    "secretsmanager.batch_get_secret_value": "returns secrets in clear text",
    "sts.get_session_token": "mints temporary credentials",
    "sts.get_federation_token": "mints temporary credentials",
    "sts.get_web_identity_token": "mints a token",
    "sts.get_delegated_access_token": "mints a token",
    "sts.get_scoped_credentials": "mints temporary credentials",
    "sso.get_role_credentials": "mints temporary credentials",
    "cognito-identity.get_credentials_for_identity": "mints temporary credentials",
    "cognito-identity.get_open_id_token": "mints a token",
    "cognito-identity.get_open_id_token_for_developer_identity": "mints a token",
    "ecr.get_authorization_token": "returns a registry password",
    "ecr-public.get_authorization_token": "returns a registry password",
    "codeartifact.get_authorization_token": "returns a repository password",
    "redshift.get_cluster_credentials": "creates a database user and returns its password",
    "redshift.get_cluster_credentials_with_iam": "returns a database password",
    "redshift-serverless.get_credentials": "returns a database password",
    "ec2.get_password_data": "returns an instance's administrator password",
    "lightsail.get_relational_database_master_user_password": "returns a database password",
    "wafv2.get_decrypted_api_key": "returns a decrypted key",
    "s3.get_object": "returns an object's contents: unbounded, and anything may be in it",
}
# SSM reads that decrypt SecureString values when asked to.
_DECRYPTING = frozenset(
    {
        "ssm.get_parameter",
        "ssm.get_parameters",
        "ssm.get_parameters_by_path",
        "ssm.get_parameter_history",
    }
)
# Words in a read's name that say it may hand out something secret.
_SECRET_WORDS = frozenset(
    {
        "credential", "credentials", "token", "tokens", "password", "passwords",
        "decrypted", "secret", "key_pair", "api_key", "stream_key",
        # presigned or embedding URLs carry a signature that grants access
        "embed_url", "download_url", "login_url", "session_url", "log_url",
    }
)  # fmt: skip


def refusal(
    call: str, model: OperationModel, params: Mapping[str, Any], allowed: str | None
) -> str | None:
    """Why `call` may not run as a check (None when it may). `params` are the
    call's parameters as written; `allowed` is the runbook's opt-in reason."""
    never = NEVER.get(call)
    if never:
        return f"{call} {never}; a check may not call it"
    if call in _DECRYPTING and params.get("WithDecryption") not in (None, False):
        return f"{call} with WithDecryption returns secrets in clear text; a check may not"
    method = str(model.http.get("method", "POST")).upper()
    if model.service_model.protocol in _REST and method in _WRITE_METHODS:
        return f"{call} is an HTTP {method}: it changes things; use an escalation action"
    return _by_name(call, model.name, allowed)


def _by_name(call: str, name: str, allowed: str | None) -> str | None:
    if name.startswith(READ_VERBS):
        if allowed or not _looks_secret(call):
            return None
        return (
            f"{call} may return credentials or secrets: if it is safe to show in a thread,"
            " say why with `allow_operation: <reason>`"
        )
    if name.startswith(OPT_IN_VERBS):
        if allowed:
            return None
        return (
            f"{call} is not a Describe/List/Get read: if it changes nothing,"
            " say why with `allow_operation: <reason>`"
        )
    return (
        f"{call} is not a read ({', '.join(READ_VERBS)}): checks are read-only;"
        " changes belong in escalation actions"
    )


def _looks_secret(call: str) -> bool:
    operation = call.partition(".")[2]
    words = operation.split("_")
    pairs = {f"{a}_{b}" for a, b in itertools.pairwise(words)}
    return bool(_SECRET_WORDS & (set(words) | pairs))
