"""The browser tests' one wait: poll a condition on the page until it holds, failing with what was awaited."""

from __future__ import annotations

from collections.abc import Callable

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.wait import WebDriverWait


def wait_for(check: Callable[[], object], *, timeout: float = 20.0, what: str = "condition") -> object:
    """Poll `check` (a page still rendering may raise) until it is truthy; fail naming `what`."""
    last: list[object] = [None]

    def attempt(_driver: object) -> object:
        try:
            last[0] = check()
        except Exception as exc:  # the page may still be rendering
            last[0] = exc
            return False
        return last[0]

    try:
        return WebDriverWait(None, timeout, poll_frequency=0.2).until(attempt)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what} (last: {last[0]!r})") from None
