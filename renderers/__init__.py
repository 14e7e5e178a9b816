"""Renderers: a procedure's pages and transitions as WTForms forms and accessible HTML.

No Flask and no engine here (a test checks it): the app gives what a request knows.

Forms
-----
``page_form(procedure, page, *, language="fr", today=None, registry=None)``
    The form class of one page (a ``Page`` or its id), built once per procedure version,
    page and language, then cached. ``language`` picks the definition's texts (labels,
    hints, options). With ``today``, a subclass whose instances default to it.
``transition_form(procedure, transition, *, language="fr", today=None, registry=None)``
    The same for a transition's ``form`` (agents' and citizens' transitions alike).

Instantiate per request; every argument but ``formdata`` is a keyword::

    form = PageForm(
        formdata,            # None to show the page; on POST the request's form AND files
                             # (werkzeug: CombinedMultiDict([request.form, request.files]))
        answers=draft,       # the answers so far: refill the page (GET), and what the
                             # conditions read (earlier pages); for a transition form, the
                             # case's answers
        today=today,         # required: relative date bounds (today-18y), conditions
        now=None, case=None, # optional, for conditions reading now / case.*
        context=None,        # transition forms: more names for conditions
        translations=t,      # gettext/ngettext object (Flask-Babel's get_translations(),
                             # or renderers.i18n.load_translations("fr")); English if None
        prefix="",           # e.g. "refuse-" when several transition forms share a page
        data=None,           # WTForms data, instead of deriving it from answers
        meta=None,           # WTForms meta, e.g. {"csrf": True, "csrf_class": …}
    )

Then, on POST::

    if form.group_action:                 # "add"/"remove" of a group's item (no JS):
        render the page again, save nothing  # form.group_action.applied says if it was done
    elif form.validate():
        new = answers_from(form)          # this page's visible answers, normalised
        draft = {k: v for k, v in draft.items() if k not in form.field_ids} | new
    else:
        render the page again (error summary + inline errors)

- ``form[field_id]`` is a field (fields are not attributes: ids may be any word).
- ``form.visible(field_id)`` judges a ``visible_if`` on the posted values and ``answers``
  (definitions.answers.expression_context); hidden fields are neither validated nor
  returned. A condition that cannot be evaluated (``age()`` of an empty date) is false.
- ``answers_from(form)``: phone E.164, IBAN and SIRET compact, email lower case, dates
  ISO text, integers int, decimals float, address ``{street, postcode, city, country}``,
  location ``{lat, lon}``, group a list of dicts, multichoice a list, boolean a bool.
  Empty fields are left out. **Files**: the uploaded FileStorage-like objects, as they
  are (a list with ``multiple``): the app stores them and puts attachment ids in the
  draft; ``form[id].detected`` holds the content type read from each one. When no file
  is sent again, the stored id(s) from ``answers`` are returned unchanged.
- ``form_data_from(form_or_class, answers)``: WTForms ``data`` for stored answers (the
  forms do it themselves from ``answers=``).
- ``form.field_ids``: the ids this form stores; ``form.error_items()``: every error, in
  order, as ``ErrorItem(anchor, label, message)``; ``form.title``: page title or
  transition label; ``form.gettext(msgid, **values)``, ``form.ngettext(...)``.
- Group buttons are ``<button name="action" value="add:<group>">`` and
  ``value="remove:<group>:<index>"`` (``renderers.ACTION``); do not name a field or
  another button ``action``. A submit without ``action`` is the ordinary "continue".

Templates (``renderers/templates``, Jinja2; add a ``PackageLoader("renderers",
"templates")`` or a ``ChoiceLoader`` entry to the app's environment)
-----------------------------------------------------------------------------------
``renderers/form.html``:
    ``error_summary(form, title_id="guichet-error-summary-title")``: the summary for the
    top of the page (role="alert", "Il y a N erreurs", a link to each faulty input);
    ``render_fields(form)``: every field, in order (and the CSRF field when turned on);
    ``render_field(view)``: one field.
``renderers/fields.html``:
    one macro per rendering, each ``(f, render=none)`` where ``f`` is a
    :class:`renderers.views.FieldView`: ``input``, ``textarea``, ``radios``, ``select``,
    ``checkboxes``, ``checkbox``, ``file``, ``address``, ``location``, ``group``, ``info``.
The macros use no global: texts are translated through the form's ``translations``.
They escape values whatever the environment's autoescape. The page around them should
use ``<form method="post" enctype="multipart/form-data" novalidate>`` and prefix its
``<title>`` with "Erreur : " when ``form.error_items()`` is not empty.

Static files (``renderers/static/renderers/``; serve them, e.g. a blueprint with
``static_folder``, and load them with ``defer``; no inline script, CSP-friendly)
-------------------------------------------------------------------------------
``conditions.js`` (shows and hides fields whose ``visible_if`` the browser can evaluate:
see :mod:`renderers.conditions`), ``error-summary.js`` (moves focus to the error summary
on load), ``fields.css`` (the few rules the markup needs, ``guichet-`` classes).

Translations
------------
Every message is an English msgid translated at run time by the form's translations.
``renderers/translations/fr/LC_MESSAGES/messages.po`` is the French gettext catalogue
(country names included), compiled to ``messages.mo`` beside it and extracted with the
application's command (README.md, "Translations"); ``renderers.i18n.load_translations("fr")``
reads it, ``renderers.i18n.catalog_path("fr")`` is the ``.po``. A msgid kept in data (a
class attribute, a dict) is marked with ``renderers.i18n.N_``. Msgids are stable; a test
checks that each one has its French text.

Field types
-----------
``registry`` holds a widget class per type of the format (renderers/fields/, one module per
family), under the names of :data:`definitions.fieldtypes.registry`; a plug-in type's
widget is the one its definition class names (``widget``). ``default_registry()`` makes a
fresh one; ``Registry.register(cls)`` adds a :class:`renderers.fields.FieldType` subclass
(a duplicate name raises :class:`DuplicateFieldType` naming both classes);
``Registry.load_entry_points()`` loads the ``guichet.field_types`` group into the
definitions registry. Pass ``registry=`` to ``page_form``.

Package data: ``templates/renderers/*.html``, ``static/renderers/*``,
``translations/**/*.po``/``*.mo`` must be listed under ``[tool.setuptools.package-data]``.
"""

from pathlib import Path as _Path

from .conditions import to_client
from .errors import DuplicateFieldType, RendererError, UnknownFieldType
from .form_classes import page_form, transition_form
from .forms import (
    DefinitionForm,
    GroupAction,
    PageForm,
    TransitionForm,
    answers_from,
    form_data_from,
)
from .i18n import catalog_path, load_translations
from .registry import Registry, default_registry, registry
from .views import ACTION

#: Where the templates and the static files are, for apps that do not use PackageLoader.
TEMPLATES_FOLDER = _Path(__file__).parent / "templates"
STATIC_FOLDER = _Path(__file__).parent / "static"

__all__ = [
    "ACTION",
    "STATIC_FOLDER",
    "TEMPLATES_FOLDER",
    "DefinitionForm",
    "DuplicateFieldType",
    "GroupAction",
    "PageForm",
    "Registry",
    "RendererError",
    "TransitionForm",
    "UnknownFieldType",
    "answers_from",
    "catalog_path",
    "default_registry",
    "form_data_from",
    "load_translations",
    "page_form",
    "registry",
    "to_client",
    "transition_form",
]
