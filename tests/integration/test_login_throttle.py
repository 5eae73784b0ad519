"""The failed-log-in throttle over the real Redis: every process that shares it shares the count."""

import uuid

import pytest

from core.auth.throttle import LoginThrottle
from core.errors import AuthenticationFailed, TooManyAttempts

REDIS_URL = "redis://127.0.0.1:6379/0"


def wrong() -> None:
    raise AuthenticationFailed("Wrong username or password.")


def test_two_processes_sharing_redis_share_the_count() -> None:
    prefix = f"adflow-test:{uuid.uuid4().hex}:logins"
    api, app = (LoginThrottle(3, 60, redis_url=REDIS_URL, key_prefix=prefix) for _ in range(2))
    for throttle in (api, app, api):
        with pytest.raises(AuthenticationFailed):
            throttle.attempt("dana", wrong)

    with pytest.raises(TooManyAttempts) as refused:
        app.attempt("dana", lambda: "signed in")
    assert 1 <= refused.value.retry_after <= 60
    assert api.attempt("someone-else", lambda: "signed in") == "signed in"


def test_with_redis_down_the_count_falls_back_to_the_process() -> None:
    throttle = LoginThrottle(2, 60, redis_url="redis://127.0.0.1:1/0")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            throttle.attempt("dana", wrong)
    with pytest.raises(TooManyAttempts):
        throttle.attempt("dana", lambda: "signed in")
