"""Accounts: password hashing (argon2), the signed-in user, tokens sent by e-mail."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from engine.models import Account, Membership
from engine.workflow import Actor

hasher = PasswordHasher()
DEMO_PASSWORD = "guichet-demo"  # noqa: S105 - the demo accounts' documented password
MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(account: Account, password: str) -> bool:
    if not account.password_hash:
        hasher.hash(password)  # the same work whether or not the account has a password
        return False
    try:
        return hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass
class User:
    """The signed-in person, as Flask-Login sees them."""

    id: int
    email: str
    name: str
    kind: str
    departments: frozenset[str]
    is_active: bool = True
    is_authenticated: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def actor(self) -> Actor:
        return Actor(self.kind, self.id, self.departments)

    @property
    def is_staff(self) -> bool:
        return self.kind in ("agent", "supervisor", "administrator")

    @classmethod
    def of(cls, account: Account) -> User:
        return cls(
            account.id,
            account.email,
            account.name,
            account.kind,
            account.departments,
            is_active=account.active,
        )


def find_account(session: Session, email: str) -> Account | None:
    return session.scalars(sa.select(Account).where(Account.email == email.strip().lower())).first()


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"guichet-{purpose}")


def make_token(purpose: str, account: Account) -> str:
    """A signed token for a link sent by e-mail; a reset token dies once the password changes."""
    return _serializer(purpose).dumps({"id": account.id, "h": (account.password_hash or "")[-12:]})


def read_token(session: Session, purpose: str, token: str, max_age: int) -> Account | None:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    account = session.get(Account, data.get("id"))
    if account is None or (account.password_hash or "")[-12:] != data.get("h"):
        return None
    return account


def create_account(
    session: Session,
    email: str,
    password: str | None,
    *,
    kind: str = "citizen",
    name: str = "",
    departments: tuple[str, ...] = (),
    confirmed: bool = False,
    now=None,
) -> Account:
    account = Account(
        email=email.strip().lower(),
        name=name,
        kind=kind,
        password_hash=hash_password(password) if password else None,
        email_confirmed_at=now if confirmed else None,
    )
    account.memberships = [Membership(department=d) for d in departments]
    session.add(account)
    session.flush()
    return account


def create_demo_accounts(session: Session, site) -> list[tuple[str, str]]:
    """Demo accounts for each kind of actor (only when DEMO_ACCOUNTS is on)."""
    import datetime as dt

    departments = tuple(site.departments) if site else ("etat-civil",)
    wanted = [
        ("citoyen@demo.guichet.fr", "citizen", "Camille Citoyenne", ()),
        ("agent@demo.guichet.fr", "agent", "Alex Agent", departments),
        ("responsable@demo.guichet.fr", "supervisor", "Dominique Responsable", departments),
        ("admin@demo.guichet.fr", "administrator", "Sacha Administratrice", ()),
    ]
    now = dt.datetime.now(dt.UTC)
    for email, kind, name, memberships in wanted:
        if find_account(session, email) is None:
            create_account(
                session,
                email,
                DEMO_PASSWORD,
                kind=kind,
                name=name,
                departments=memberships,
                confirmed=True,
                now=now,
            )
    return [(email, kind) for email, kind, _, _ in wanted]
