"""The web app's users: a JSON file of usernames, roles and password hashes (``RNCP_COACH_USERS``).

Passwords are hashed with scrypt (random 16-byte salt, n=2**17, r=8, p=1) and compared in constant
time; the file never holds a password in clear. A candidate account is tied to one candidate id and
sees only that candidate's documents and results (enforced by the web handlers).

File format (written by ``rncp-coach users add``)::

    {"version": 1, "users": [
      {"username": "lea", "role": "candidat", "candidate": "bernard-lea",
       "password": "scrypt$131072$8$1$<salt b64>$<hash b64>"}]}
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.config.files import atomic_write_text
from assistant.domain.errors import ConfigError, UsageError

Role = Literal["candidat", "jury", "formateur", "admin"]
ROLES: tuple[str, ...] = ("candidat", "jury", "formateur", "admin")
ROLE_FR = {"candidat": "candidat", "jury": "jury", "formateur": "formateur", "admin": "administrateur"}

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1  # OWASP guidance; older hashes are upgraded at login
SCRYPT_MAXMEM = 256 * 1024 * 1024
MAX_FAILURES = 5  # then each further failure doubles the wait before the next attempt
ADDRESS_MAX_FAILURES = 20  # per network address (a school's machines may share one): then the same backoff
BACKOFF_SECONDS = 2.0
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_lock = threading.Lock()
log = logging.getLogger(__name__)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str
    role: Role
    candidate: str | None = None
    password: str  # the hash, never the password itself

    def public(self) -> dict:
        return {"username": self.username, "role": self.role, "candidate": self.candidate}


# Hashing --------------------------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         dklen=KEY_BYTES, maxmem=SCRYPT_MAXMEM)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(key_b64)
        key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p),
                             dklen=len(expected), maxmem=SCRYPT_MAXMEM)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(key, expected)


# The file -------------------------------------------------------------------------------------------
def load_users(path: Path) -> dict[str, User]:
    """The users of the file, by username (an absent file holds nobody)."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = [User(**u) for u in data.get("users", [])]
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"Fichier des utilisateurs illisible « {path} » : {exc}. "
            "Recréez-le avec : rncp-coach users add NOM --role R",
            code="users_file_invalid",
        ) from None
    return {u.username: u for u in users}


def _save(path: Path, users: dict[str, User]) -> None:
    data = {"version": 1, "users": [u.model_dump() for u in sorted(users.values(), key=lambda u: u.username)]}
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1), mode=0o600)


def add_user(path: Path, username: str, role: str, password: str, *, candidate: str | None = None) -> User:
    """Add (or replace) a user; returns it. A candidate account needs its candidate id."""
    from assistant.domain.candidates import check_candidate

    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise UsageError(
            f"Nom d'utilisateur invalide « {username} » : 1 à 64 lettres, chiffres, points, tirets, @ ou soulignés.",
            code="bad_username",
        )
    if role not in ROLES:
        raise UsageError(f"Rôle inconnu « {role} » : utilisez {', '.join(ROLES)}.", code="bad_role")
    if role == "candidat":
        if not candidate:
            raise UsageError("Un compte candidat est lié à un candidat : précisez --candidate ID.",
                             code="candidate_required")
        check_candidate(candidate)
    elif candidate:
        raise UsageError("--candidate ne s'utilise qu'avec le rôle candidat.", code="usage")
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(f"Mot de passe trop court : au moins {MIN_PASSWORD} caractères.", code="weak_password")
    user = User(username=username, role=role, candidate=candidate, password=hash_password(password))  # type: ignore[arg-type]
    with _lock:
        users = load_users(Path(path))
        users[username] = user
        _save(Path(path), users)
    return user


class LoginThrottle:
    """Failed logins per account: after ``MAX_FAILURES``, each attempt waits a doubling delay (logged)."""

    def __init__(self, clock=time.monotonic) -> None:  # noqa: ANN001
        self.clock = clock
        self.failures: dict[str, tuple[int, float]] = {}

    @staticmethod
    def limit(key: str) -> int:
        return ADDRESS_MAX_FAILURES if key.startswith("@") else MAX_FAILURES

    def wait(self, key: str) -> float:
        """Seconds before ``key`` (an account, or ``@address``) may try again (0 when it may)."""
        count, last = self.failures.get(key, (0, 0.0))
        if count < self.limit(key):
            return 0.0
        return max(0.0, last + BACKOFF_SECONDS * 2 ** (count - self.limit(key)) - self.clock())

    def failed(self, key: str) -> None:
        count, _ = self.failures.get(key, (0, 0.0))
        self.failures[key] = (count + 1, self.clock())
        if count + 1 >= self.limit(key):
            what = f"l'adresse {key[1:]}" if key.startswith("@") else f"le compte « {key} »"
            log.warning("connexion refusée : %d échecs consécutifs pour %s", count + 1, what)

    def succeeded(self, key: str) -> None:
        self.failures.pop(key, None)


THROTTLE = LoginThrottle()


def authenticate(path: Path, username: str, password: str, *, throttle: LoginThrottle | None = None,
                 address: str | None = None) -> User | None:
    """The user when the username and password match, else None (same work either way). Refused
    without checking while the account, or the network address it comes from, waits after repeated
    failures; an old hash is upgraded."""
    throttle = throttle or THROTTLE
    name = (username or "").strip()
    keys = [name] + ([f"@{address}"] if address else [])
    if throttle.wait(name) > 0:
        raise UsageError(f"Trop d'échecs de connexion pour ce compte : réessayez dans "
                         f"{math.ceil(throttle.wait(name))} s.", code="login_throttled")
    if address and throttle.wait(f"@{address}") > 0:
        raise UsageError(f"Trop d'échecs de connexion depuis cette adresse : réessayez dans "
                         f"{math.ceil(throttle.wait(f'@{address}'))} s.", code="login_throttled")
    user = load_users(Path(path)).get(name)
    if user is None:
        verify_password(password or "", _dummy_hash())  # as slow as a real check: names are not revealed
        for key in keys:
            throttle.failed(key)
        return None
    if not verify_password(password or "", user.password):
        for key in keys:
            throttle.failed(key)
        return None
    for key in keys:
        throttle.succeeded(key)
    if _cost(user.password) < SCRYPT_N:
        upgraded = user.model_copy(update={"password": hash_password(password)})
        with _lock:
            users = load_users(Path(path))
            if name in users and users[name].password == user.password:
                users[name] = upgraded
                _save(Path(path), users)
        user = upgraded
    return user


def _cost(stored: str) -> int:
    try:
        return int(stored.split("$")[1])
    except (IndexError, ValueError):
        return 0


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


def get_user(path: Path, username: str | None) -> User | None:
    if not username:
        return None
    return load_users(Path(path)).get(username)
