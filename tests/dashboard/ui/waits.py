"""The browser tests' waits: a condition on the page polled until it holds, or Dash until it is idle."""

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


def settled(browser: object, *, timeout: float = 30.0) -> None:
    """Wait until Dash has no callback in flight, seen on three polls in a row (a chain may start the next one)."""
    quiet = [0]
    script = (
        "return !document.querySelector('._dash-loading-callback')"
        " && !(window.store && window.store.getState().isLoading)"
    )

    def idle() -> bool:
        quiet[0] = quiet[0] + 1 if browser.execute_script(script) else 0  # type: ignore[attr-defined]
        return quiet[0] >= 3

    wait_for(idle, timeout=timeout, what="Dash's callbacks to finish")
