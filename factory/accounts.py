"""Accounts: password hashing (argon2) and the password policy, e-mail addresses, the
signed-in user, server-side sessions, single-use tokens sent by e-mail."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import email_validator
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engine.models import STAFF_KINDS, Account, AccountSession, AccountToken, Membership
from engine.workflow import Actor

hasher = PasswordHasher()
DEMO_PASSWORD = "guichet-demo"  # noqa: S105 - the demo accounts' documented password
MIN_PASSWORD_LENGTH = 12
#: zxcvbn's score (0 to 4) a new password must reach: 3 is "safely unguessable"
MIN_PASSWORD_SCORE = 3
_dummy_hash: list[str] = []


class InvalidEmail(ValueError):
    """An address the sign-in form would refuse."""


def normalise_email(address: str) -> str:
    """The address as accounts store it (trimmed, lower case), or ``InvalidEmail``: the one
    check of the sign-up, sign-in and reset forms and of ``guichet users create``."""
    address = (address or "").strip()
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    return address.lower()


def password_problem(password: str, *, email: str = "", name: str = ""):
    """Why a new password is refused (a lazy translated text), or None.

    Too short, the demo password, too easy to guess (zxcvbn: common passwords, words,
    repeated characters, sequences, keyboard rows, dates), or containing the e-mail address
    or the name.
    """
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD_LENGTH:
        return _l(
            "The password must have at least %(number)d characters.", number=MIN_PASSWORD_LENGTH
        )
    lowered = password.lower()
    local = (email or "").strip().lower().partition("@")[0]
    personal = [local, *(local.replace("-", ".").replace("_", ".").split("."))]
    personal += (name or "").lower().split()
    if any(len(part) >= 3 and part in lowered for part in personal):
        return _l("The password must not contain your e-mail address or your name.")
    if lowered == DEMO_PASSWORD:
        return _weak()
    hints = [p for p in personal if p] + ["guichet", "demo", "mairie", "commune"]
    # zxcvbn measures at most 72 characters (it refuses longer ones): a long passphrase is
    # judged by its beginning, which is at least as strong as any 72 characters of it
    if zxcvbn(password[:72], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        return _weak()
    return None


def _weak():
    return _l(
        "Choose a longer passphrase, for example four words that go together only for you: "
        "this password is too common or too easy to guess (repeated characters, sequences, "
        "common words)."
    )


def hash_password(password: str) -> str:
    return hasher.hash(password)


def dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the same parameters as the real ones."""
    if not _dummy_hash:
        _dummy_hash.append(hasher.hash(secrets.token_hex(16)))
    return _dummy_hash[0]


def check_password(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the account's. Without an account (or a password) a dummy hash
    is verified: signing in takes as long whether or not the address has an account."""
    known = account is not None and account.active and bool(account.password_hash)
    try:
        return hasher.verify(account.password_hash if known else dummy_hash(), password) and known
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
        return self.kind in STAFF_KINDS

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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- single-use tokens sent by e-mail ---------------------------------------------------------


def make_token(
    session: Session, purpose: str, account: Account, lifetime: dt.timedelta, now: dt.datetime
) -> str:
    """A random token for a link sent by e-mail; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            token_hash=_digest(token),
            account_id=account.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def read_token(session: Session, purpose: str, token: str, now: dt.datetime) -> Account | None:
    """The account of a token not used yet and not expired, or None."""
    row = _token_row(session, purpose, token)
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    account = session.get(Account, row.account_id)
    return account if account is not None and account.active else None


def use_token(session: Session, purpose: str, token: str, now: dt.datetime) -> None:
    """Spend a token, and every other token of the account for the same purpose."""
    row = _token_row(session, purpose, token)
    if row is None:
        return
    session.execute(
        sa.update(AccountToken)
        .where(
            AccountToken.account_id == row.account_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


def _token_row(session: Session, purpose: str, token: str) -> AccountToken | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        sa.select(AccountToken).where(
            AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose
        )
    ).first()


# -- server-side sessions -----------------------------------------------------------------------

#: the key of the Flask session that holds the server session's random id
SESSION_KEY = "sid"
#: how often a session's ``last_seen_at`` is written
SEEN_EVERY = dt.timedelta(minutes=1)


def start_session(
    session: Session, account: Account, now: dt.datetime, lifetime: dt.timedelta, user_agent=""
) -> str:
    """A new server session for a sign-in; the account's dead sessions are dropped."""
    session.execute(
        sa.delete(AccountSession).where(
            AccountSession.account_id == account.id,
            sa.or_(
                AccountSession.revoked_at.is_not(None),
                AccountSession.last_seen_at < now - lifetime,
            ),
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountSession(
            token_hash=_digest(token),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
            user_agent_hash=_digest(user_agent) if user_agent else None,
        )
    )
    session.flush()
    return token


def live_session(
    session: Session, token: str | None, account_id: int, now: dt.datetime, lifetime: dt.timedelta
) -> AccountSession | None:
    """The server session of a Flask session, if it is the account's, not revoked, and began
    less than ``lifetime`` ago."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    row = session.scalars(
        sa.select(AccountSession).where(AccountSession.token_hash == _digest(token))
    ).first()
    if (
        row is None
        or row.account_id != account_id
        or row.revoked_at is not None
        or row.created_at <= now - lifetime
    ):
        return None
    return row


def end_session(session: Session, token: str | None) -> None:
    if token and isinstance(token, str):
        digest = _digest(token)
        session.execute(sa.delete(AccountSession).where(AccountSession.token_hash == digest))


def revoke_sessions(
    session: Session, account_id: int, now: dt.datetime, keep: str | None = None
) -> int:
    """End every session of an account, but the one whose id is ``keep``; how many ended."""
    condition = [AccountSession.account_id == account_id, AccountSession.revoked_at.is_(None)]
    if keep:
        condition.append(AccountSession.token_hash != _digest(keep))
    result = session.execute(sa.update(AccountSession).where(*condition).values(revoked_at=now))
    return result.rowcount


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
