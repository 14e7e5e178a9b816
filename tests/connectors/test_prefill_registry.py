"""The prefill source registry: types from the ``guichet.prefill`` entry points."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from connectors.prefill.base import LookupFailed
from connectors.prefill.registry import GROUP, RegistryError, descriptions, load_types
from connectors.prefill.testing import StaticPrefillSource


def test_the_test_double_is_registered_from_its_entry_point():
    types = load_types()
    assert types["static"] is StaticPrefillSource
    assert descriptions()["static"]["keys"]["name"] == "string"


def test_two_types_with_one_name_are_refused_naming_both():
    entry = "connectors.prefill.testing:StaticPrefillSource"
    found = [EntryPoint("a", entry, GROUP), EntryPoint("b", entry, GROUP)]
    with pytest.raises(RegistryError, match="two prefill source types are named 'static'"):
        load_types(found)


def test_a_class_that_is_not_a_source_is_refused():
    with pytest.raises(RegistryError, match="is not a PrefillSource"):
        load_types([EntryPoint("x", "connectors.base:Connector", GROUP)])


def test_the_double_answers_records_and_fails_on_demand():
    source = StaticPrefillSource("t", {"answers": {"123": {"name": "Les Amis"}}})
    assert source.lookup("123", {}) == {"name": "Les Amis"}
    assert source.lookup("999", {}) is None
    assert source.lookups == ["123", "999"]
    with pytest.raises(LookupFailed):
        StaticPrefillSource("t", {"fail": True}).lookup("123", {})
