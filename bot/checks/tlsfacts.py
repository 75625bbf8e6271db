"""Facts about a finished TLS handshake, shared by tls, starttls and http.

The certificate is parsed from its DER bytes with `cryptography`, so the
facts are there even when verification was deliberately skipped (the
upstream IMAP probe dials a private name the certificate does not carry).
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # cryptography is imported where a certificate is read: `triage lint`
    # loads the checks that use this without it (issue 19).
    from cryptography import x509


def handshake_facts(
    tls: ssl.SSLObject | ssl.SSLSocket, *, now: datetime | None = None
) -> dict[str, Any]:
    """Protocol, cipher and leaf-certificate facts as plain JSON values."""
    cipher = tls.cipher()
    facts: dict[str, Any] = {
        "protocol": tls.version(),
        "cipher": cipher[0] if cipher else None,
    }
    der = tls.getpeercert(binary_form=True)
    if der:
        from cryptography import x509  # noqa: PLC0415

        facts.update(certificate_facts(x509.load_der_x509_certificate(der), now=now))
    return facts


def certificate_facts(cert: x509.Certificate, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    not_after = cert.not_valid_after_utc
    return {
        "subject": _common_name(cert.subject) or cert.subject.rfc4514_string(),
        "issuer": _common_name(cert.issuer) or cert.issuer.rfc4514_string(),
        "san": _dns_names(cert),
        "not_after": not_after.isoformat(),
        # Whole days left, rounded down: 0 means it expires within a day.
        "days_left": (not_after - now).days,
    }


def _common_name(name: x509.Name) -> str | None:
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None


def _dns_names(cert: x509.Certificate) -> list[str]:
    from cryptography import x509  # noqa: PLC0415

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in ext.value.get_values_for_type(x509.DNSName)] + [
        str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)
    ]


@lru_cache(maxsize=16)
def client_context(*, verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    """A client context on the system trust store (which honours SSL_CERT_FILE)
    unless a CA file is named. Shared per (verify, ca_file): loading a trust
    store costs more than a loopback handshake, and nobody changes a context
    after this. (A CA file edited in place is read again after a restart.)"""
    ctx = ssl.create_default_context(cafile=ca_file)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
