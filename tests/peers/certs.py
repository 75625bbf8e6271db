"""Certificates for loopback peers: one test CA and leaf certificates that are
valid, expired, for the wrong name, or self-signed.

Every leaf names `localhost` (its CN) and `127.0.0.1` except `cert_wrong_name`. The
CA is reachable as a PEM file (`ca_file`) so that checks verify against it
and nothing touches the system trust store.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = ("localhost", "127.0.0.1")
VALID_DAYS = 90


def server_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    """A server-side context presenting `leaf`."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(ctx)
    return ctx


def issue(ca: trustme.CA, *names: str, days: int = VALID_DAYS) -> trustme.LeafCert:
    """A leaf from `ca`; negative `days` gives one that expired that long ago."""
    now = datetime.now(UTC)
    start = now - timedelta(days=30) + min(timedelta(days=days), timedelta(0))
    # An hour of slack so that `days_left` is exactly `days - 1` ... `days`.
    end = now + timedelta(days=days, hours=1)
    return ca.issue_cert(*names, common_name=names[0], not_before=start, not_after=end)


def self_signed(*names: str, days: int = VALID_DAYS) -> trustme.LeafCert:
    """A leaf that is its own issuer: chained to nothing a client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days, hours=1))
        .add_extension(x509.SubjectAlternativeName(_general_names(names)), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return trustme.LeafCert(key_pem, cert.public_bytes(serialization.Encoding.PEM), [])


def _general_names(names: tuple[str, ...]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def cert_valid(ca: trustme.CA) -> trustme.LeafCert:
    return issue(ca, *LOOPBACK)


@pytest.fixture(scope="session")
def cert_expired(ca: trustme.CA) -> trustme.LeafCert:
    return issue(ca, *LOOPBACK, days=-2)


@pytest.fixture(scope="session")
def cert_wrong_name(ca: trustme.CA) -> trustme.LeafCert:
    return issue(ca, "wrong.example")


@pytest.fixture(scope="session")
def cert_self_signed() -> trustme.LeafCert:
    return self_signed(*LOOPBACK)
