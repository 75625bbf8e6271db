"""The site config's `alertmanager:` key: the URL judged like a vantage point's."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.runbooks.site import SiteConfig


def test_absent_by_default() -> None:
    assert SiteConfig.model_validate({}).alertmanager is None


def test_url_and_timeout() -> None:
    site = SiteConfig.model_validate(
        {"alertmanager": {"url": "http://alertmanager.internal:9093", "timeout": 2}}
    )
    assert site.alertmanager is not None
    assert (site.alertmanager.url, site.alertmanager.timeout) == (
        "http://alertmanager.internal:9093",
        2.0,
    )


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "ftp://alertmanager:9093", "alertmanager:9093"]
)
def test_metadata_and_non_http_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        SiteConfig.model_validate({"alertmanager": {"url": url}})
