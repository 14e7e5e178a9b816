"""Filling a procedure over HTTP, as the browser would post it (the renderers' names)."""

from __future__ import annotations

import io
import re

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64


def sample_file(field, name: str):
    """A small file whose content is of a type the field accepts."""
    accept = field.accept or ("application/pdf",)
    for mime, content, suffix in (
        ("application/pdf", PDF, ".pdf"),
        ("image/png", PNG, ".png"),
        ("image/jpeg", JPEG, ".jpg"),
    ):
        if mime in accept or any(a.endswith("/*") and mime.startswith(a[:-1]) for a in accept):
            stem = name.rsplit(".", 1)[0]
            return io.BytesIO(content), stem + suffix
    return io.BytesIO(PDF), name


def csrf(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_data(procedure, page, answers: dict) -> dict:
    """The form data of one page for ``answers`` (files as small PDFs)."""
    data: dict = {}
    for field in page.fields:
        if field.id not in answers or not field.stores_value:
            continue
        _add(data, field, field.id, answers[field.id])
    return data


def _add(data: dict, field, name: str, value) -> None:
    kind = field.type
    if kind == "address":
        for key in ("street", "postcode", "city", "country"):
            if key in value:
                data[f"{name}-{key}"] = str(value[key])
    elif kind == "location":
        data[f"{name}-lat"], data[f"{name}-lon"] = str(value["lat"]), str(value["lon"])
    elif kind == "group":
        for index, item in enumerate(value):
            for sub in field.fields:
                if sub.id in item:
                    _add(data, sub, f"{name}-{index}-{sub.id}", item[sub.id])
    elif kind == "file":
        names = value if isinstance(value, list) else [value]
        data[name] = [sample_file(field, n) for n in names]
    elif kind == "boolean":
        if value:
            data[name] = "y"
    elif kind == "multichoice":
        data[name] = list(value)
    else:
        data[name] = str(value)


def fill(client, procedure, case_id: int, answers: dict) -> str:
    """Fill every page shown, then return the review page's URL."""
    url = client.get(f"/brouillons/{case_id}").headers["Location"]
    for _ in range(len(procedure.form.pages) + 1):
        if url.endswith("/verification"):
            return url
        page_id = url.rsplit("/", 1)[-1]
        page = next(p for p in procedure.form.pages if p.id == page_id)
        token = csrf(client, url)
        response = client.post(
            url,
            data={**post_data(procedure, page, answers), "csrf_token": token, "nav": "next"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, (page_id, errors(response))
        url = response.headers["Location"]
    raise AssertionError("the pages never ended")


def errors(response) -> list[str]:
    return re.findall(r'<a href="#[^"]+">([^<]+)</a>', response.get_data(as_text=True))


def make_app(tmp_path, people: dict[str, tuple[str, tuple[str, ...]]], **config):
    """The example site on SQLite in ``tmp_path``, with ``people``: {email: (kind,
    departments)}, each with the password ``PASSWORD``."""
    from factory import create_app
    from factory.accounts import create_account

    from ..conftest import EXAMPLES

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'g.db'}",
            "SITE": str(EXAMPLES / "guichet.yaml"),
            "PROCEDURES": str(EXAMPLES),
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "RATELIMIT_ENABLED": False,
            "PREFILL_SOURCES": {},  # no public API is called: a test names its own sources
            **config,
        }
    )
    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session, session.begin():
        for email, (kind, departments) in people.items():
            create_account(
                session,
                email,
                PASSWORD,
                kind=kind,
                name=email,
                departments=departments,
                confirmed=True,
                now=state.clock.now(),
            )
    return app


PASSWORD = "un mot de passe solide"

#: The accounts of the ``app`` fixture (tests/factory/conftest.py) unless a module says otherwise.
CITIZENS = {"a@example.org": ("citizen", ()), "b@example.org": ("citizen", ())}
#: The citizens and two agents of different departments: the back office's accounts.
BACK_OFFICE = {
    **CITIZENS,
    "ec@example.org": ("agent", ("etat-civil",)),
    "voirie@example.org": ("agent", ("voirie",)),
}


def sign_in(client, email: str) -> None:
    response = client.post(
        "/connexion",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(client, "/connexion")},
    )
    assert response.status_code == 302


def start(client, slug: str) -> int:
    response = client.post(
        f"/demarches/{slug}/commencer", data={"csrf_token": csrf(client, f"/demarches/{slug}")}
    )
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].split("/")[2])


def submit(client, case_id: int, key: str = "k-1"):
    token = csrf(client, f"/brouillons/{case_id}/verification")
    return client.post(
        f"/brouillons/{case_id}/envoi", data={"csrf_token": token, "submission": key}
    )
