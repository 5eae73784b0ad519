"""Passwords (bcrypt) and API keys (random, stored as SHA-256 only)."""

import hashlib
import secrets
from functools import lru_cache

import bcrypt

from core.config import get_settings

# bcrypt only reads the first 72 bytes; longer passwords are refused rather than silently cut.
MAX_PASSWORD_BYTES = 72
API_KEY_PREFIX_LENGTH = 12


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(get_settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode())
    except ValueError:  # not a bcrypt hash
        return False


@lru_cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Check against a throw-away hash, so a wrong username costs as long as a wrong password."""
    verify_password(password, _dummy_hash())


def new_api_key() -> str:
    """A fresh key: 'afk_' and 43 url-safe characters (256 bits)."""
    return "afk_" + secrets.token_urlsafe(32)


def api_key_prefix(key: str) -> str:
    return key[:API_KEY_PREFIX_LENGTH]


def hash_api_key(key: str) -> str:
    # A key has 256 random bits, so a fast hash is enough: nobody can guess their way to it.
    return hashlib.sha256(key.encode()).hexdigest()
