"""The Prometheus text-format reader."""

from __future__ import annotations

import math

import pytest

from bot.checks.promtext import ExpositionError, Sample, first, parse

TEXT = """\
# HELP probe_success Displays whether or not the probe was a success
# TYPE probe_success gauge
probe_success 1
probe_http_duration_seconds{phase="connect"} 0.0012
probe_tls_version_info{version="TLS 1.3", note="a \\"quoted\\" \\\\ value"} 1 1700000000000
probe_ssl_earliest_cert_expiry 1.7e+09
odd NaN
"""


def test_samples_with_labels_escapes_and_timestamps_are_read() -> None:
    samples = parse(TEXT)

    assert samples[0] == Sample("probe_success", 1.0)
    assert samples[1] == Sample("probe_http_duration_seconds", 0.0012, {"phase": "connect"})
    assert samples[2].labels == {"version": "TLS 1.3", "note": 'a "quoted" \\ value'}
    assert samples[2].value == 1.0
    assert first(samples, "probe_ssl_earliest_cert_expiry") == 1.7e9
    assert math.isnan(samples[4].value)
    assert first(samples, "missing") is None


@pytest.mark.parametrize(
    "text",
    ["<html><body>502 Bad Gateway</body></html>", "probe_success", 'x{a="1} 2', "x one"],
)
def test_anything_else_is_refused_naming_the_line(text: str) -> None:
    with pytest.raises(ExpositionError, match="line 1"):
        parse(text)
