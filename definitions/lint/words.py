"""The words the lint looks for: vague labels, and the fields that ask who the citizen is.

Labels and ids are compared once :func:`normal`: lower case, without accents, apostrophes
straightened, spaces collapsed, and without the punctuation around them (``Nom :`` is
``nom``). The lists are French and English, the languages of the examples.
"""

from __future__ import annotations

import re
import unicodedata

from ..texts import N_, Msgid


def normal(text: str) -> str:
    """``text`` lower case, without accents or the punctuation around it."""
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s+", " ", text)
    return text.strip(" \t:;,.!?*-_()[]\"'«»")


#: Labels that say nothing of the question (after :func:`normal`).
VAGUE_LABELS = frozenset(
    (
        "autre",
        "autres",
        "divers",
        "diverses",
        "champ",
        "texte",
        "zone de texte",
        "cliquez ici",
        "cliquer ici",
        "ici",
        "valeur",
        "information",
        "informations",
        "info",
        "infos",
        "donnee",
        "donnees",
        "question",
        "reponse",
        "libelle",
        "label",
        "sans titre",
        "nouveau champ",
        "a completer",
        "a remplir",
        "saisie",
        "votre saisie",
        "precisez",
        "other",
        "others",
        "misc",
        "miscellaneous",
        "field",
        "text",
        "value",
        "click here",
        "here",
        "untitled",
        "answer",
    )
)
#: ``Champ 1``, ``Question 3``, ``Texte n° 2``, ``Field 4``...
NUMBERED = re.compile(
    r"^(?:champ|texte|question|zone|field|text|option|choix|item)\s*(?:n\s*[o°]?\s*)?\d+$"
)


def is_vague(label: str) -> bool:
    text = normal(label)
    return text in VAGUE_LABELS or bool(NUMBERED.match(text))


#: What an identity field asks for, by its autocomplete token, as a message reads it.
WHAT = {
    "name": Msgid(N_("full name")),
    "family-name": Msgid(N_("family name")),
    "given-name": Msgid(N_("given name")),
    "bday": Msgid(N_("birth date")),
    "email": Msgid(N_("email address")),
    "tel": Msgid(N_("phone number")),
    "postal-code": Msgid(N_("postal code")),
    "address-level2": Msgid(N_("town")),
    "street-address": Msgid(N_("street address")),
    "organization": Msgid(N_("organisation")),
}

#: The token each field id means (after :func:`normal`, ``-`` and spaces read as ``_``).
IDS = {
    **dict.fromkeys(["full_name", "nom_complet", "nom_prenom", "prenom_nom"], "name"),
    **dict.fromkeys(
        [
            "family_name",
            "last_name",
            "surname",
            "nom",
            "nom_famille",
            "nom_de_famille",
            "nom_naissance",
            "nom_de_naissance",
            "nom_usage",
            "nom_d_usage",
        ],
        "family-name",
    ),
    **dict.fromkeys(
        ["given_name", "given_names", "first_name", "first_names", "prenom", "prenoms"],
        "given-name",
    ),
    **dict.fromkeys(
        ["birth_date", "birthdate", "date_of_birth", "date_naissance", "date_de_naissance"],
        "bday",
    ),
    **dict.fromkeys(
        ["email", "e_mail", "mail", "courriel", "adresse_email", "adresse_electronique"],
        "email",
    ),
    **dict.fromkeys(
        [
            "phone",
            "telephone",
            "tel",
            "mobile",
            "portable",
            "phone_number",
            "numero_telephone",
            "numero_de_telephone",
        ],
        "tel",
    ),
    **dict.fromkeys(["postcode", "postal_code", "zip", "zip_code", "code_postal"], "postal-code"),
    **dict.fromkeys(["city", "town", "ville", "commune"], "address-level2"),
    **dict.fromkeys(["street_address", "adresse_postale", "rue"], "street-address"),
    **dict.fromkeys(["organization", "organisation", "raison_sociale"], "organization"),
}

#: The token each label means (after :func:`normal`, without a leading "votre"/"vos"/"your").
LABELS = {
    **dict.fromkeys(
        ["nom et prenom", "nom et prenoms", "prenom et nom", "nom complet", "full name", "name"],
        "name",
    ),
    **dict.fromkeys(
        [
            "nom",
            "nom de famille",
            "nom de naissance",
            "nom d'usage",
            "family name",
            "last name",
            "surname",
        ],
        "family-name",
    ),
    **dict.fromkeys(["prenom", "prenoms", "given name", "first name"], "given-name"),
    **dict.fromkeys(["date de naissance", "date of birth", "birth date"], "bday"),
    **dict.fromkeys(
        [
            "courriel",
            "adresse electronique",
            "adresse e-mail",
            "adresse email",
            "e-mail",
            "email",
            "adresse mail",
            "adresse courriel",
            "email address",
        ],
        "email",
    ),
    **dict.fromkeys(
        [
            "telephone",
            "numero de telephone",
            "telephone portable",
            "telephone mobile",
            "portable",
            "phone",
            "phone number",
        ],
        "tel",
    ),
    **dict.fromkeys(["code postal", "postcode", "postal code"], "postal-code"),
    **dict.fromkeys(["commune", "ville", "city", "town"], "address-level2"),
    **dict.fromkeys(["adresse", "adresse postale", "street address"], "street-address"),
}
_OWN = re.compile(r"^(?:votre|vos|your)\s+")

#: The field types whose answer a browser may fill in from what it knows of its user.
FILLABLE_TYPES = frozenset({"text", "email", "phone", "date"})
#: The token a type's widget gives when the definition names none; the same as
#: ``default_autocomplete`` in :mod:`renderers.fields` (a test keeps them equal).
TYPE_TOKENS = {"email": "email", "phone": "tel"}
#: What ``prefill: identity.KEY`` (or ``profile.KEY``) says a field asks for.
PREFILLS = {
    "family_name": "family-name",
    "given_name": "given-name",
    "birthdate": "bday",
    "email": "email",
    "phone": "tel",
}


def identity_token(field_id, label_texts, prefill) -> str | None:
    """The autocomplete token a field with this id, these labels and this prefill asks
    for, or None if it does not look like a question on who the citizen is."""
    if isinstance(prefill, str) and "." in prefill:
        source, _, key = prefill.partition(".")
        if source in ("identity", "profile") and key in PREFILLS:
            return PREFILLS[key]
    if isinstance(field_id, str):
        token = IDS.get(re.sub(r"[\s-]+", "_", normal(field_id)))
        if token:
            return token
    for label in label_texts:
        token = LABELS.get(_OWN.sub("", normal(label)))
        if token:
            return token
    return None


def satisfied(expected: str, field_type, autocomplete) -> bool:
    """Whether the field's ``autocomplete`` (or its type's default) gives ``expected``.
    Any explicit token counts as a choice: ``off`` for a question about someone else, or
    a token the lint's guess did not foresee."""
    if isinstance(autocomplete, str) and autocomplete.strip():
        return True
    return TYPE_TOKENS.get(field_type) == expected
