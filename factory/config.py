"""Default settings; ``GUICHET_*`` environment variables and the test config override them."""

from __future__ import annotations

import datetime as dt


class Defaults:
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
    #: Run the worker as a thread of the server (the embedded default).
    WORKER_THREAD = True
    #: Create demo accounts at start (citizen, agent, supervisor, administrator).
    DEMO_ACCOUNTS = False
    BABEL_DEFAULT_LOCALE = "fr"
    LANGUAGES = ("fr", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set GUICHET_SESSION_COOKIE_SECURE=true behind HTTPS
    PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=8)
    #: Staff sessions end after this long without activity.
    STAFF_IDLE_TIMEOUT = dt.timedelta(minutes=30)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
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
    REMINDER_RATE_LIMIT = "1 per day"
    #: The REST API: requests per client (per token), how long an event waits before the
    #: feed serves it (so that rows committed out of id order are never skipped), and the
    #: origins a browser may call it from (none: CORS off).
    API_RATE_LIMIT = "600 per minute;20000 per day"
    API_EVENTS_SETTLE_SECONDS = 5.0
    API_CORS_ORIGINS: tuple[str, ...] = ()
