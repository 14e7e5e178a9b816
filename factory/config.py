"""Default settings; ``GUICHET_*`` environment variables and the test config override them."""

from __future__ import annotations

import datetime as dt


class Defaults:
    #: The database (the embedded default: SQLite in ./var).
    DATABASE_URL = "sqlite:///var/guichet.db"
    #: The site config and the folder of procedures published at start (the examples).
    SITE = None
    PROCEDURES = None
    #: Where uploaded files are kept: outside the web root, never served inline.
    UPLOAD_FOLDER = "var/uploads"
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
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
    LOGIN_RATE_LIMIT = "10 per minute;50 per hour"
    REMINDER_RATE_LIMIT = "1 per day"
