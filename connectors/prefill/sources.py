"""The site's prefill source instances, ready to look up: each lookup is cached briefly
per draft, and logged without personal data (the source, the outcome, the time taken)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .base import LookupFailed, PrefillSource

log = logging.getLogger(__name__)

#: How long a lookup's answer is kept for the same draft, in seconds.
CACHE_SECONDS = 300
#: At most this many answers are kept in memory.
CACHE_SIZE = 2048


class PrefillSources:
    """The named instances of a site's ``prefill_sources``."""

    def __init__(
        self,
        instances: Mapping[str, PrefillSource],
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.instances = dict(instances)
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[tuple, tuple[float, Mapping[str, Any] | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_site(cls, site, types: Mapping[str, type[PrefillSource]]) -> PrefillSources:
        instances = {}
        for name, config in (site.prefill_sources if site else {}).items():
            settings = {k: v for k, v in config.resolved().items() if k != "type"}
            if config.type in types:
                instances[name] = types[config.type](name, settings)
        return cls(instances)

    def __contains__(self, name: str) -> bool:
        return name in self.instances

    def get(self, name: str) -> PrefillSource | None:
        return self.instances.get(name)

    def lookup(
        self, name: str, key: Any, identity: Mapping[str, Any], *, scope: Any = None
    ) -> Mapping[str, Any] | None:
        """The answer of source ``name`` for ``key`` (or the ``identity``), from the cache
        of ``scope`` (a draft's id) when it was asked for lately. Raises
        :class:`LookupFailed` when the source is unknown or cannot answer."""
        source = self.instances.get(name)
        if source is None:
            raise LookupFailed(f"no prefill source {name!r} in the site config")
        cache_key = (scope, name, _hashable(key), _hashable(identity) if key is None else None)
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached is not None and now - cached[0] < self.cache_seconds:
                log.info("prefill %s: answered from the cache", name)
                return cached[1]
        started = time.perf_counter()
        try:
            answer = source.lookup(key, identity)
        except LookupFailed as error:
            log.warning(
                "prefill %s (%s): failed after %.0f ms: %s",
                name,
                source.type,
                (time.perf_counter() - started) * 1000,
                error,
            )
            raise
        log.info(
            "prefill %s (%s): %s in %.0f ms",
            name,
            source.type,
            "found" if answer else "nothing found",
            (time.perf_counter() - started) * 1000,
        )
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._expire(now)
            self._cache[cache_key] = (now, answer)
        return answer

    def _expire(self, now: float) -> None:
        for item in [k for k, (at, _) in self._cache.items() if now - at >= self.cache_seconds]:
            del self._cache[item]
        while len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))

    def close(self) -> None:
        for source in self.instances.values():
            source.close()


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value
