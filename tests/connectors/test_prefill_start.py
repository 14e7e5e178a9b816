"""The prefill source types are loaded when the application starts, like connectors."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from connectors.prefill.registry import GROUP, RegistryError

from ..conftest import EXAMPLES


def _duplicates(group=None):
    entry = "connectors.prefill.testing:StaticPrefillSource"
    if group == GROUP:
        return [EntryPoint("a", entry, GROUP), EntryPoint("b", entry + "Again", GROUP)]
    from importlib.metadata import entry_points

    return entry_points(group=group)


def test_two_source_types_of_one_name_stop_the_start_naming_both(tmp_path, monkeypatch):
    import connectors.prefill.testing as testing
    import connectors.registry as registry
    from factory import create_app

    class StaticPrefillSourceAgain(testing.StaticPrefillSource):
        pass

    monkeypatch.setattr(
        testing, "StaticPrefillSourceAgain", StaticPrefillSourceAgain, raising=False
    )
    monkeypatch.setattr(registry, "entry_points", _duplicates)
    with pytest.raises(RegistryError) as refused:
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            }
        )
    message = str(refused.value)
    assert "two prefill source types are named 'static'" in message
    assert "connectors.prefill.testing:StaticPrefillSource and" in message
    assert "StaticPrefillSourceAgain" in message


def test_the_example_site_sources_are_ready_at_start(tmp_path, example_environ):
    from factory import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
            "SITE": str(EXAMPLES / "guichet.yaml"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    sources = app.extensions["guichet"].prefill
    assert sources.get("entreprises").type == "recherche-entreprises"
    assert sources.get("adresses").type == "ban"
    site = app.extensions["guichet"].runtime.site
    assert site.prefill_sources["entreprises"].keys["name"] == "string"
    assert site.map.tiles.startswith("https://")


def test_a_site_with_a_bad_source_does_not_start(tmp_path):
    from factory import create_app

    site = tmp_path / "guichet.yaml"
    site.write_text(
        "authority: Commune\ndepartments: [{id: finances, name: Finances}]\n"
        "prefill_sources:\n  adresses: {type: ban, url: 'ftp://adresse.example'}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuntimeError, match="prefill source setting"):
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
                "SITE": str(site),
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            }
        )


def test_the_map_tiles_origin_is_admitted_by_the_policy(tmp_path, example_environ):
    from factory import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
            "SITE": str(EXAMPLES / "guichet.yaml"),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy
