"""Signing in and out, and the local accounts' pages (sign-up, confirmation, password
reset); identity providers will sit beside them."""

from __future__ import annotations

from . import views

blueprints = (views.bp,)
