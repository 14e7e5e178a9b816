"""Signing in and out: the local accounts' pages (sign-up, confirmation, password reset,
``views``) and the identity providers, FranceConnect for citizens and ProConnect for agents
(``identity``, on the OpenID Connect client of ``oidc``)."""

from __future__ import annotations

from . import identity, views  # noqa: F401 (identity adds its routes to views.bp)

blueprints = (views.bp,)
