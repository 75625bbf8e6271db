"""A blackbox http module's translation into the `http` check's parameters
is made once per (module, target), not validated again on every run."""

from __future__ import annotations

import pytest

from bot.checks import module
from bot.checks.bbconfig import HttpProbe


def test_the_same_module_and_target_reuse_one_translation() -> None:
    probe = HttpProbe.model_validate({"valid_status_codes": [200, 204], "method": "HEAD"})
    first = module.translated(probe, "https://example.com/health")
    assert module.translated(probe, "https://example.com/health") is first
    assert first.method == "HEAD"
    assert first.expect_status == [(200, 200), (204, 204)]
    assert first.max_redirects == module.MAX_REDIRECTS


def test_another_target_or_module_is_translated_anew() -> None:
    probe = HttpProbe.model_validate({})
    other = HttpProbe.model_validate({"fail_if_not_ssl": True})
    one = module.translated(probe, "example.com")
    assert str(one.url).startswith("http://example.com")
    assert module.translated(probe, "example.org") is not one
    assert module.translated(other, "example.com") is not one


def test_a_bad_target_is_refused_every_time() -> None:
    probe = HttpProbe.model_validate({})
    for _ in range(2):
        with pytest.raises(module.BadTarget):
            module.translated(probe, "http://")
