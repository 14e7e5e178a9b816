"""OpenID Connect, as FranceConnect and ProConnect speak it: the authorization code flow
with PKCE (S256), ``state`` and ``nonce``, the ID token's signature and claims, userinfo as
JSON or as a signed JWT, and RP-initiated logout.

No Flask here: the views keep the pending sign-in in the session and call these functions
with the site config's :class:`~definitions.site.IdentityProvider`, an ``httpx.Client`` and
the application's clock, so that an expired token is expired by Guichet's time.

The requests are plain ``httpx`` calls and the JWTs are read with joserfc, on which Authlib
1.9 builds; PKCE and the ID token's claims (``CodeIDToken``: nonce, ``at_hash``, ``azp``) are
Authlib's. (Authlib's own httpx client warns that its httpx support is deprecated.)

Errors::

    SignInError                 every failure: ``reason`` is a key the views word in French
    ├── ProviderUnavailable     the provider did not answer, or answered an HTTP error
    └── Refused                 an answer that must not be trusted (state, signature, claims…)
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.claims import JWTClaims
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from definitions.site import IdentityProvider, secure_issuer

#: The assurance level asked of FranceConnect (``acr_values``), and those that satisfy it.
ACR_ASKED = "eidas1"
ACR_ACCEPTED = ("eidas1", "eidas2", "eidas3")
#: Signatures accepted on ID tokens and userinfo JWTs: asymmetric only (never ``none``).
ALGORITHMS = ("RS256", "PS256", "ES256")
#: Clock skew allowed between Guichet and the provider, in seconds.
LEEWAY = 60
#: How long a sign-in started at the provider may take before its callback is refused.
PENDING_LIFETIME = dt.timedelta(minutes=10)
TIMEOUT = httpx.Timeout(10.0)


class SignInError(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class ProviderUnavailable(SignInError):
    pass


class Refused(SignInError):
    pass


@dataclass(frozen=True, slots=True)
class Pending:
    """What the browser's session keeps between the redirection and the callback."""

    provider: str
    state: str
    nonce: str
    verifier: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "started_at": self.started_at,
        }

    @classmethod
    def of(cls, data: Any) -> Pending | None:
        try:
            return cls(
                str(data["provider"]),
                str(data["state"]),
                str(data["nonce"]),
                str(data["verifier"]),
                float(data["started_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in: the ID token's claims and userinfo's."""

    provider: str
    sub: str
    id_token: str
    claims: dict[str, Any]  # userinfo (the pivot identity, or the agent's identity)
    acr: str | None


def client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def _get(http: httpx.Client, url: str, **kwargs) -> httpx.Response:
    try:
        response = http.get(url, **kwargs)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise ProviderUnavailable("unavailable", f"{url}: {error}") from error
    return response


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as error:
        raise ProviderUnavailable("unavailable", f"{response.url}: not JSON") from error
    if not isinstance(data, dict):
        raise ProviderUnavailable("unavailable", f"{response.url}: not a JSON object")
    return data


def discover(provider: IdentityProvider, http: httpx.Client) -> dict[str, Any]:
    """The provider's metadata (``/.well-known/openid-configuration``), checked: it names
    the configured issuer, and every endpoint is https (or http on a loopback address)."""
    metadata = _json(_get(http, provider.issuer + "/.well-known/openid-configuration"))
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        raise Refused("metadata", f"issuer {metadata.get('issuer')!r} != {provider.issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise Refused("metadata", f"no {key}")
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "end_session_endpoint",
    ):
        if key in metadata and not secure_issuer(str(metadata[key])):
            raise Refused("metadata", f"{key} is not https")
    return metadata


def start(
    provider: IdentityProvider, metadata: dict[str, Any], redirect_uri: str, now: dt.datetime
) -> tuple[str, Pending]:
    """The provider's authorization URL to redirect to, and what to keep until the callback."""
    pending = Pending(
        provider.name,
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(48),
        now.timestamp(),
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": pending.state,
        "nonce": pending.nonce,
        "code_challenge": create_s256_code_challenge(pending.verifier),
        "code_challenge_method": "S256",
        "acr_values": ACR_ASKED,
    }
    separator = "&" if "?" in metadata["authorization_endpoint"] else "?"
    return metadata["authorization_endpoint"] + separator + urlencode(query), pending


def finish(
    provider: IdentityProvider,
    metadata: dict[str, Any],
    pending: Pending | None,
    arguments: dict[str, str],
    redirect_uri: str,
    http: httpx.Client,
    now: dt.datetime,
) -> Identity:
    """The callback: the state is the one this browser was sent with (the caller has
    already removed it from the session, so a replayed callback finds none), the code is
    exchanged at once, the ID token and userinfo are checked."""
    if pending is None or pending.provider != provider.name:
        raise Refused("state", "no sign-in pending")
    if not secrets.compare_digest(arguments.get("state", ""), pending.state):
        raise Refused("state", "state differs")
    if now.timestamp() - pending.started_at > PENDING_LIFETIME.total_seconds():
        raise Refused("late", "the sign-in took too long")
    if "iss" in arguments and arguments["iss"] != metadata["issuer"]:
        raise Refused("state", "the answer names another issuer")  # RFC 9207: mix-up
    if arguments.get("error"):
        raise Refused("denied", arguments["error"])
    code = arguments.get("code", "")
    if not code:
        raise Refused("state", "no code")
    token = exchange(provider, metadata, code, pending.verifier, redirect_uri, http)
    keys = key_set(metadata, http)
    claims = id_token_claims(provider, metadata, token, pending.nonce, keys, now)
    # access tokens may live 60 seconds: userinfo is read right after the exchange
    info = userinfo(provider, metadata, token["access_token"], keys, now, http)
    if info.get("sub") != claims["sub"]:
        raise Refused("userinfo", "userinfo is about someone else")
    return Identity(provider.name, claims["sub"], token["id_token"], info, claims.get("acr"))


def exchange(
    provider: IdentityProvider,
    metadata: dict[str, Any],
    code: str,
    verifier: str,
    redirect_uri: str,
    http: httpx.Client,
) -> dict[str, Any]:
    """The authorization code for tokens, with the PKCE verifier and the client's secret
    (in the body when the provider takes it so, as FranceConnect and ProConnect do)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": provider.client_id,
    }
    methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    auth = None
    if "client_secret_post" in methods:
        form["client_secret"] = provider.secret()
    else:
        auth = httpx.BasicAuth(provider.client_id, provider.secret())
    try:
        response = http.post(metadata["token_endpoint"], data=form, auth=auth)
    except httpx.HTTPError as error:
        raise ProviderUnavailable("unavailable", f"token endpoint: {error}") from error
    if response.status_code >= 500:
        raise ProviderUnavailable("unavailable", f"token endpoint: {response.status_code}")
    token = _json(response)
    if response.status_code != 200 or "error" in token:
        raise Refused("token", f"token endpoint: {token.get('error', response.status_code)}")
    for key in ("access_token", "id_token"):
        if not isinstance(token.get(key), str):
            raise Refused("token", f"no {key}")
    if str(token.get("token_type", "")).lower() != "bearer":
        raise Refused("token", "not a bearer token")
    return token


def key_set(metadata: dict[str, Any], http: httpx.Client) -> KeySet:
    try:
        return KeySet.import_key_set(_json(_get(http, metadata["jwks_uri"])))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise Refused("signature", f"jwks: {error}") from error


def _algorithms(metadata: dict[str, Any], key: str) -> list[str]:
    offered = metadata.get(key) or list(ALGORITHMS)
    return [a for a in ALGORITHMS if a in offered] or list(ALGORITHMS)


def _decode(value: str, keys: KeySet, algorithms: list[str]):
    try:
        return jwt.decode(value, keys, registry=JWSRegistry(algorithms=algorithms))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise Refused("signature", f"{type(error).__name__}: {error}") from error


def id_token_claims(
    provider: IdentityProvider,
    metadata: dict[str, Any],
    token: dict[str, Any],
    nonce: str,
    keys: KeySet,
    now: dt.datetime,
) -> CodeIDToken:
    """The ID token's claims, once its signature, ``iss``, ``aud``, ``exp``, ``iat``,
    ``nonce``, ``azp``, ``at_hash`` and ``acr`` are checked."""
    decoded = _decode(
        token["id_token"], keys, _algorithms(metadata, "id_token_signing_alg_values_supported")
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": provider.client_id},
            "sub": {"essential": True},
        },
        {"nonce": nonce, "client_id": provider.client_id, "access_token": token["access_token"]},
    )
    try:
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
    except ExpiredTokenError as error:
        raise Refused("expired", str(error)) from error
    except JoseError as error:
        name = getattr(error, "claim", "") or ""
        reason = "nonce" if "nonce" in str(error) or name == "nonce" else "claims"
        raise Refused(reason, f"{type(error).__name__}: {error}") from error
    if claims.get("acr") not in ACR_ACCEPTED:
        raise Refused("acr", f"acr {claims.get('acr')!r}")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("claims", "no sub")
    return claims


def userinfo(
    provider: IdentityProvider,
    metadata: dict[str, Any],
    access_token: str,
    keys: KeySet,
    now: dt.datetime,
    http: httpx.Client,
) -> dict[str, Any]:
    """The userinfo endpoint's claims: JSON, or a JWT signed by the provider (FranceConnect
    v2), whose signature, ``iss`` and ``aud`` are then checked."""
    if not isinstance(metadata.get("userinfo_endpoint"), str):
        raise Refused("metadata", "no userinfo_endpoint")
    response = _get(
        http, metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
    )
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind != "application/jwt":
        return _json(response)
    decoded = _decode(
        response.text.strip(), keys, _algorithms(metadata, "userinfo_signing_alg_values_supported")
    )
    claims = JWTClaims(
        decoded.claims,
        decoded.header,
        {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": provider.client_id},
        },
    )
    try:
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY)
    except JoseError as error:
        raise Refused("userinfo", f"{type(error).__name__}: {error}") from error
    return dict(decoded.claims)


def logout_url(
    metadata: dict[str, Any], id_token: str, state: str, post_logout_redirect_uri: str
) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout),
    or None when the provider has no ``end_session_endpoint``."""
    endpoint = metadata.get("end_session_endpoint")
    if not isinstance(endpoint, str):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return endpoint + ("&" if "?" in endpoint else "?") + query
