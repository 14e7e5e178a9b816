"""Default settings; ``GUICHET_*`` environment variables and the test config override them."""

from __future__ import annotations

import datetime as dt


class Defaults:
    #: The key that signs sessions and links: long, random, the same for every process of
    #: one deployment, and secret (none: the embedded default generates one into VAR_FOLDER).
    SECRET_KEY = None
    #: The database (the embedded default: SQLite in ./var).
    DATABASE_URL = "sqlite:///var/guichet.db"
    #: The site config and the folder of procedures published at start (the examples).
    SITE = None
    PROCEDURES = None
    #: What the embedded default keeps locally (the generated secret key). Relative paths
    #: (here and in UPLOAD_FOLDER, SITE, PROCEDURES, a SQLite DATABASE_URL) are made absolute
    #: at start, against the folder Guichet starts in.
    VAR_FOLDER = "var"
    #: Where uploaded files are kept: outside the web root, never served inline.
    UPLOAD_FOLDER = "var/uploads"
    #: ``local``: attachments are files of UPLOAD_FOLDER (one machine); ``s3``: objects of
    #: S3_BUCKET in an S3-compatible object store, shared by every machine.
    STORAGE = "local"
    #: The object store: its address (none: AWS), bucket, region, a prefix for the keys, and
    #: the credentials (none: boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
    #: Path-style addresses by default (``virtual``: bucket.host).
    S3_ENDPOINT_URL = None
    S3_BUCKET = None
    S3_REGION = None
    S3_PREFIX = ""
    S3_ACCESS_KEY_ID = None
    S3_SECRET_ACCESS_KEY = None
    S3_ADDRESSING_STYLE = "path"
    #: The largest request accepted (bytes): a form's files together.
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    #: Files one file field may hold; files and bytes one draft may hold.
    MAX_FILES_PER_FIELD = 10
    MAX_FILES_PER_DRAFT = 50
    MAX_BYTES_PER_DRAFT = 200_000_000
    #: Anonymous drafts idle for longer are deleted with their files (by the worker, and
    #: by ``guichet drafts purge``).
    DRAFT_RETENTION_DAYS = 30
    #: How often the worker recomputes the dashboards' statistics (seconds; at most one
    #: worker at a time), so that they are never more than a minute behind the cases.
    ROLLUP_EVERY_SECONDS = 60
    #: The largest procedure source the console checks (bytes); a larger one is refused.
    CONSOLE_MAX_SOURCE_BYTES = 1024 * 1024
    #: Run the worker as a thread of the application. ``guichet serve`` (the embedded
    #: default) turns it on; web processes started otherwise (``gunicorn factory.wsgi:app``)
    #: leave it off and ``guichet worker`` processes deliver.
    WORKER_THREAD = False
    #: Bring the database to the newest schema when the application starts. Set
    #: GUICHET_MIGRATE=false for web processes, and run ``guichet db upgrade`` once per deploy.
    MIGRATE = True
    #: ``json``: one JSON line per request (method, URL rule, status, duration, request id)
    #: and every log line as JSON; ``text``: the usual lines, no request log.
    LOG_FORMAT = "text"
    #: Who may read ``/metrics``: a scraper showing ``Authorization: Bearer METRICS_TOKEN``
    #: (none by default), or any request from these networks (addresses or CIDR blocks,
    #: separated by spaces or commas in the environment). Anyone else gets a 404.
    METRICS_TOKEN = None
    METRICS_ALLOWED_NETWORKS = ("127.0.0.0/8", "::1/128")
    #: Create demo accounts at start (citizen, agent, supervisor, administrator).
    DEMO_ACCOUNTS = False
    #: The language of pages when none is chosen, and the languages offered.
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGES = ("fr", "en")
    #: The session cookie: never read by scripts, not sent by other sites' forms.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: Guichet is reached over HTTPS (TLS ends at the reverse proxy): cookies are sent only
    #: over HTTPS, external links are https://, and browsers are told to stay on HTTPS (HSTS).
    HTTPS = False
    #: How many reverse proxies stand in front of the web processes and set the
    #: X-Forwarded-For, -Proto, -Host, -Port and -Prefix headers (werkzeug's ProxyFix): the
    #: address of origin (rate limits, /metrics) is the one the nearest trusted proxy saw.
    #: 0: the headers are ignored, as a client could forge them.
    TRUSTED_PROXIES = 0
    SESSION_COOKIE_SECURE = False  # HTTPS turns it on
    #: How long a signed-in session lasts at most (seconds in the environment).
    PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=8)
    #: Staff sessions end after this long without activity (seconds in the environment).
    STAFF_IDLE_TIMEOUT = dt.timedelta(minutes=30)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    #: Where the rate limits count (Flask-Limiter): ``memory://`` counts in each process;
    #: several web processes share a ``redis://HOST:6379`` so that a limit holds for all.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: Sign-in (and the forgotten-password form): per remote address, and per address tried.
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute;30 per hour"
    #: Sign-ups, per remote address (each one mails the address given).
    SIGNUP_RATE_LIMIT = "10 per hour;30 per day"
    #: Forms that mail a link (forgotten password, "save and finish later"), per remote address.
    MAIL_RATE_LIMIT = "5 per hour;20 per day"
    #: Mails sent from the forms to one address, whoever asks for them.
    MAIL_RECIPIENT_RATE_LIMIT = "5 per hour;20 per day"
    #: Citizens' messages about a request (personal space and tracking link), per remote address.
    MESSAGE_RATE_LIMIT = "10 per hour;50 per day"
    #: New drafts, per remote address.
    DRAFT_RATE_LIMIT = "20 per minute;200 per day"
    #: Reminders a citizen sends about one request.
    REMINDER_RATE_LIMIT = "1 per day"
    #: Lookups in prefill sources (and address searches), per browser session: at most
    #: this many in this many seconds; past it, the citizen types the values.
    PREFILL_LOOKUPS = 100
    PREFILL_LOOKUP_WINDOW_SECONDS = 600
    #: The address search of address fields, per remote address.
    ADDRESS_SEARCH_RATE_LIMIT = "60 per minute;1000 per day"

    #: The REST API: requests per client (per token), how long an event waits before the
    #: feed serves it (so that rows committed out of id order are never skipped), and the
    #: origins a browser may call it from (none: CORS off).
    API_RATE_LIMIT = "600 per minute;20000 per day"
    API_EVENTS_SETTLE_SECONDS = 5.0
    API_CORS_ORIGINS: tuple[str, ...] = ()


def from_environment() -> dict:
    """The settings as ``create_app()`` reads them (the defaults, then ``GUICHET_*``
    variables), for the commands that run without the web application (``guichet worker``)."""
    import os

    from flask import Config

    config = Config(os.getcwd())
    config.from_object(Defaults)
    config.from_prefixed_env("GUICHET")
    return dict(config)


def documented_settings() -> list[tuple[str, object, str]]:
    """Every setting of :class:`Defaults`, in order: (name, default, the ``#:`` comment
    above it, or the trailing one), read from this module's source."""
    import inspect
    import re

    assignment = re.compile(r"^    ([A-Z][A-Z0-9_]*)(?:: [^=]+)? = (.*?)(?:\s+#\s*(.*))?$")
    found: list[tuple[str, object, str]] = []
    comment: list[str] = []
    said = False  # the comment was said of the setting above already
    for line in inspect.getsource(Defaults).splitlines()[1:]:
        stripped = line.strip()
        if stripped.startswith("#:"):
            if said:
                comment, said = [], False
            comment.append(stripped[2:].strip())
            continue
        match = assignment.match(line)
        if not match:  # a blank line ends what a comment is said of
            comment, said = [], False
            continue
        name, _value, trailing = match.groups()
        if trailing:
            text = trailing
        elif said and comment:
            text = "(with the setting above)"
        else:
            text = " ".join(comment)
        found.append((name, getattr(Defaults, name), text))
        said = True
    return found


def environment_table() -> str:
    """The environment variables as a Markdown table (``docs/deployment.md`` holds it;
    ``guichet config env`` prints it)."""
    rows = [
        "| variable | default | what it sets |",
        "| --- | --- | --- |",
    ]
    for name, default, text in documented_settings():
        shown = "" if default is None else _shown(default)
        rows.append(f"| `GUICHET_{name}` | {shown} | {text.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def _shown(default) -> str:
    import datetime as dt

    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if isinstance(default, dt.timedelta):
        return f"`{int(default.total_seconds())}` (seconds)"
    if isinstance(default, tuple | list):
        import json

        return f"`{json.dumps(list(default))}`"
    if default == "":
        return '`""`'
    return f"`{default}`"
