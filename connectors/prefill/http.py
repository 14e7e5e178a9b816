"""What the built-in prefill sources share: one HTTP GET with a short timeout, whose
failures (refused, rate-limited, down, slow, malformed) become :class:`LookupFailed`
with a message that names no personal data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from .base import LookupFailed, PrefillSource

#: Seconds a lookup may take by default: the citizen is waiting for the page.
DEFAULT_TIMEOUT = 3.0

URL_SETTING = {"type": "string", "pattern": "^https?://"}
TIMEOUT_SETTING = {"type": "number", "exclusiveMinimum": 0, "maximum": 30}


class NotFound(Exception):
    """The source answered that it knows nothing of this key."""


class HttpSource(PrefillSource):
    """A source behind an HTTP API; ``settings``: ``url`` (the API's base URL) and
    ``timeout`` (seconds, 3 by default)."""

    #: Statuses that mean "nothing found" rather than "cannot answer".
    not_found_statuses: ClassVar[frozenset[int]] = frozenset({404})

    def __init__(self, name: str, settings: dict[str, Any], *, transport=None):
        super().__init__(name, settings)
        self.timeout = float(settings.get("timeout", DEFAULT_TIMEOUT))
        self.client = httpx.Client(
            base_url=settings["url"].rstrip("/") + "/",
            timeout=self.timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "Guichet"},
            follow_redirects=False,
        )

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, headers=None) -> Any:
        """The JSON body of ``GET path``; raises :class:`NotFound` or :class:`LookupFailed`."""
        try:
            response = self.client.get(path.lstrip("/"), params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise LookupFailed(f"no answer within {self.timeout:g} s") from error
        except httpx.HTTPError as error:
            raise LookupFailed(f"cannot reach the source ({type(error).__name__})") from error
        status = response.status_code
        if status in self.not_found_statuses:
            raise NotFound()
        if status in (401, 403):
            raise LookupFailed(f"the source refused the request (HTTP {status}): check the token")
        if status == 429:
            retry = response.headers.get("Retry-After")
            raise LookupFailed(
                "the source limits the rate of requests (HTTP 429"
                + (f", retry after {retry} s)" if retry and retry.isdigit() else ")")
            )
        if status >= 400:
            raise LookupFailed(f"the source answered HTTP {status}")
        try:
            return response.json()
        except ValueError as error:
            raise LookupFailed("the source's answer is not JSON") from error

    def close(self) -> None:
        self.client.close()


def text(value: Any) -> str:
    """A value of an answer as text ("" for nothing)."""
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def malformed(what: str) -> LookupFailed:
    return LookupFailed(f"the source's answer has no {what}")
