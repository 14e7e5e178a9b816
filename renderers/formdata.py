"""Posted form data made safe for WTForms."""

from __future__ import annotations


def named_only(formdata):
    """The posted data without its nameless parts: a malformed multipart body (a part whose
    name breaks its header) gives them a ``None`` key, on which WTForms' lists fail."""
    keys = list(formdata.keys()) if hasattr(formdata, "keys") else []
    if all(isinstance(key, str) for key in keys):
        return formdata
    if hasattr(formdata, "getlist"):
        return NamedOnly(formdata, [key for key in keys if isinstance(key, str)])
    return {key: value for key, value in formdata.items() if isinstance(key, str)}


class NamedOnly:
    """A multi-valued form data (``getlist``), reduced to some of its keys."""

    def __init__(self, formdata, keys: list[str]):
        self._formdata = formdata
        self._keys = keys

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and key in self._formdata

    def keys(self) -> list[str]:
        return list(self._keys)

    def getlist(self, key) -> list:
        return self._formdata.getlist(key) if key in self else []

    def get(self, key, default=None):
        return self._formdata.get(key, default) if key in self else default
