"""Logging in, shared by DDP `login` and REST `login`, and Meteor's error shape.

Meteor's `accounts-base`/`accounts-password` answer a resume token that is gone with
403 "You've been logged out by the server. Please log in again.", an expired one with
403 "Your session has expired. Please log in again.", and a wrong password with
403 "Incorrect password", which Rocket.Chat rewrites so it does not disclose whether the user
exists (`apps/meteor/app/lib/server/lib/loginErrorMessageOverride.js`: 403 "User not found").
Later versions of that file turn every login error into 401 "User not found" and then into
401 "Incorrect login or password"; pass `login_error` to get those.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .model import JsonDict, User
from .store import Store

LOGGED_OUT = "You've been logged out by the server. Please log in again."
SESSION_EXPIRED = "Your session has expired. Please log in again."
BAD_OPTIONS = "Unrecognized options for login request"


def meteor_error(error: int | str, reason: str | None = None, details: Any = None) -> JsonDict:
    """A `Meteor.Error` as EJSON puts it on the wire (`packages/meteor/errors.js`)."""
    body: JsonDict = {"isClientSafe": True, "error": error}
    if reason is not None:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["message"] = f"{reason} [{error}]" if reason else f"[{error}]"
    body["errorType"] = "Meteor.Error"
    return body


@dataclass(frozen=True)
class Login:
    user: User
    token: str
    kind: str  # "password" or "resume"

    def result(self) -> JsonDict:
        """The `login` method's result (`ee/apps/ddp-streamer/src/configureServer.ts`)."""
        stored = next(t for t in self.user.tokens if t.token == self.token)
        return {
            "id": self.user.id,
            "token": self.token,
            "tokenExpires": {"$date": stored.expires.ms},
            "type": self.kind,
        }


def authenticate(
    store: Store, options: Any, override: tuple[int | str, str] | None
) -> Login | JsonDict:
    """Run Meteor's login handlers on `options`; a dict is the Meteor error to send back."""
    if not isinstance(options, dict):
        return _failure(override, 400, BAD_OPTIONS)
    if "resume" in options:
        found = store.owner_of_token(str(options["resume"]))
        if found is None:
            return _failure(override, 403, LOGGED_OUT)
        owner, token = found
        if token.expires <= store.now():
            return _failure(override, 403, SESSION_EXPIRED)
        return Login(owner, token.token, "resume")
    if "password" in options and "user" in options:
        user = find_login_user(store, options["user"])
        if user is None or not password_matches(user, options["password"]):
            return _failure(override, 403, "User not found")
        return Login(user, store.issue_token(user).token, "password")
    return _failure(override, 400, BAD_OPTIONS)


def _failure(override: tuple[int | str, str] | None, error: int | str, reason: str) -> JsonDict:
    if override is not None:
        error, reason = override
    return meteor_error(error, reason)


def find_login_user(store: Store, selector: Any) -> User | None:
    """Meteor accepts `user` as a username string or as `{username}`, `{email}` or `{id}`."""
    if isinstance(selector, str):
        return store.find_user(selector)
    if not isinstance(selector, dict):
        return None
    if isinstance(selector.get("email"), str):
        email = selector["email"].lower()
        return next((u for u in store.users.values() if u.email.lower() == email), None)
    key = selector.get("username") or selector.get("id")
    return store.find_user(key) if isinstance(key, str) else None


def password_matches(user: User, password: Any) -> bool:
    """A plain password, or `{digest: sha256 hex, algorithm: "sha-256"}` (accounts-password)."""
    if isinstance(password, str):
        return password == user.password
    if isinstance(password, dict) and password.get("algorithm") == "sha-256":
        expected = hashlib.sha256(user.password.encode()).hexdigest()
        return str(password.get("digest", "")).lower() == expected
    return False
