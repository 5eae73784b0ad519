"""The failed-log-in throttle on its own, counting in the process with a clock the test moves."""

import pytest

from core.auth.throttle import LoginThrottle
from core.errors import AuthenticationFailed, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def wrong() -> None:
    raise AuthenticationFailed("Wrong username or password.")


def right() -> str:
    return "signed in"


def fail(throttle: LoginThrottle, login: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            throttle.attempt(login, wrong)


def test_an_account_is_locked_after_too_many_failures_until_the_period_ends() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 600, clock=clock)
    fail(throttle, "Dana", 3)
    clock.now += 60

    with pytest.raises(TooManyAttempts, match="Try again in 9 minutes") as refused:
        throttle.attempt("dana ", right)  # the right password, typed another way, is refused too
    assert refused.value.retry_after == 540
    assert refused.value.details == {"retry_after": 540}

    clock.now += 540
    assert throttle.attempt("dana", right) == "signed in"


def test_a_success_starts_the_count_again_and_accounts_are_counted_apart() -> None:
    throttle = LoginThrottle(3, 600, clock=Clock())
    fail(throttle, "dana", 2)
    assert throttle.attempt("dana", right) == "signed in"
    fail(throttle, "dana", 2)
    assert throttle.attempt("dana", right) == "signed in"

    fail(throttle, "eve", 3)
    with pytest.raises(TooManyAttempts):
        throttle.attempt("eve", right)
    assert throttle.attempt("dana", right) == "signed in"


def test_a_locked_account_is_not_even_checked() -> None:
    throttle = LoginThrottle(1, 600, clock=Clock())
    fail(throttle, "dana", 1)
    checked = []
    with pytest.raises(TooManyAttempts, match="in 10 minutes"):
        throttle.attempt("dana", lambda: checked.append(True))
    assert checked == []
