"""What the renderer tests share: the procedure they read, posted data as a
browser sends it, and a small DOM to read the HTML the macros write."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict

#: The procedure every renderer test reads (``every-field``): its pages hold the types of field.
PROCEDURE = """
procedure: every-field
version: 1
title: Tous les champs
department: accueil
form:
  pages:
    - id: one
      title: Page un
      fields:
        - {id: nom, type: text, label: Nom, required: true, hint: Votre nom de naissance.,
           autocomplete: family-name, max_length: 50}
        - {id: code, type: text, label: Code, pattern: "[A-Z]{3}",
           pattern_message: Trois lettres capitales.}
        - {id: message, type: textarea, label: Message, max_length: 20}
        - {id: courriel, type: email, label: Courriel, required: true}
        - {id: telephone, type: phone, label: Téléphone}
        - {id: nombre, type: integer, label: Nombre, min: 1, max: 3, unit: exemplaire(s)}
        - {id: montant, type: decimal, label: Montant, min: 0, unit: €}
        - {id: naissance, type: date, label: Date de naissance, max: today-18y,
           autocomplete: bday}
        - {id: lien, type: choice, label: Vous êtes, required: true,
           options: {titulaire: Le titulaire, parent: Un parent, autre: Autre}}
        - {id: usage, type: choice, label: Usage, widget: select,
           options: {a: Usage A, b: Usage B}}
        - {id: precision, type: text, label: Précisez, required: true,
           visible_if: "lien == 'autre'"}
        - {id: activites, type: multichoice, label: Activités,
           options: {matin: Matin, midi: Midi, soir: Soir}, max_items: 2}
        - {id: accord, type: boolean, label: J'accepte les conditions, required: true}
        - {id: piece, type: file, label: Pièce justificative, accept: [application/pdf],
           max_size: 2KB}
        - {id: photos, type: file, label: Photos, accept: [image/png, image/jpeg],
           multiple: true}
        - {id: adresse, type: address, label: Adresse, required: true}
        - {id: siret, type: siret, label: SIRET}
        - {id: iban, type: iban, label: IBAN}
        - {id: position, type: location, label: Position,
           bounds: {south: 47.55, west: 1.25, north: 47.64, east: 1.40}}
        - id: enfants
          type: group
          label: Enfants
          item_label: Enfant
          min_items: 1
          max_items: 3
          fields:
            - {id: prenom_enfant, type: text, label: Prénom, required: true}
            - {id: allergie, type: boolean, label: Allergie}
            - {id: detail_allergie, type: textarea, label: Précisez l'allergie,
               required: true, visible_if: allergie}
        - {id: info_fin, type: info, text: "Merci de votre demande.\\n\\nÀ bientôt."}
    - id: two
      title: Page deux
      fields:
        - {id: nom_parent, type: text, label: Nom du parent, required: true,
           visible_if: "lien == 'parent'"}
        - {id: majeur, type: text, label: Majeur, visible_if: "age(naissance) >= 18"}
        - {id: commentaire, type: textarea, label: Commentaire}
workflow:
  initial: recue
  states:
    - {id: recue, label: Reçue}
    - {id: close, label: Close, final: true}
  transitions:
    - id: clore
      from: recue
      to: close
      by: citizen
      label: Clore
      form:
        - {id: motif, type: choice, label: Motif, required: true,
           options: {fini: Fini, autre: Autre}}
        - {id: detail, type: textarea, label: Détail, required: true,
           visible_if: "motif == 'autre'"}
"""


def formdata(values: dict) -> MultiDict:
    items = []
    for key, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            items.append((key, one))
    return MultiDict(items)


VOID = {"input", "br", "img", "meta", "link", "hr", "area", "base", "col", "source", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    @property
    def text(self) -> str:
        parts = []
        for child in self.children:
            parts.append(child.text if isinstance(child, Node) else child)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def to_json(self):
        return {
            "tag": self.tag,
            "attrs": self.attrs,
            "children": [c.to_json() if isinstance(c, Node) else c for c in self.children],
        }


class Document(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, [(k, "" if v is None else v) for k, v in attrs], self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)

    def all(self, tag=None, **attrs):
        return [
            n
            for n in self.root.iter()
            if (tag is None or n.tag == tag)
            and all(n.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, id_):
        found = [n for n in self.root.iter() if n.get("id") == id_]
        assert len(found) == 1, f"{len(found)} elements have the id {id_!r}"
        return found[0]

    def label_for(self, id_):
        labels = self.all("label", for_=id_)
        assert len(labels) == 1, f"{len(labels)} labels for {id_!r}"
        return labels[0]
