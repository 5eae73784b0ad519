"""The login gate: streamlit-authenticator over the users table, a signed cookie, and logout.

The authenticator checks passwords against the bcrypt hashes of the active accounts and keeps a
cookie signed with ADFLOW_SECRET_KEY, so a reload does not ask again. Every page passes the gate
first (Streamlit can run a file of pages/ without app.py, so app.py cannot be the only guard),
and the gate looks the user up on every run, so a deactivated account is out at its next click.
"""

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from core.auth.throttle import LoginThrottle
from core.config import get_settings
from core.database import session_scope
from core.errors import AuthenticationFailed, NotFound, TooManyAttempts
from core.users import service as users
from core.users.service import WRONG_CREDENTIALS, Profile

# The session keys streamlit-authenticator keeps the login in.
LOGIN_KEYS = ("name", "username", "authentication_status", "email", "roles")
_COOKIE_TO_SET = "login_cookie_to_set"
_COOKIE_TO_DELETE = "login_cookie_to_delete"


def is_signed_in() -> bool:
    return bool(st.session_state.get("authentication_status"))


def signed_in() -> Profile:
    """The signed-in user's profile; otherwise the login screen, and the run stops here."""
    authenticator = _authenticator(with_accounts=not is_signed_in())
    if st.session_state.pop(_COOKIE_TO_DELETE, False):
        authenticator.cookie_controller.delete_cookie()
    if not is_signed_in():
        try:
            authenticator.login(location="unrendered")  # the cookie of an earlier visit
        except LoginError:  # a cookie of an account that is gone or deactivated
            authenticator.cookie_controller.delete_cookie()
    if not is_signed_in():
        if _login_form(authenticator):
            # Again from the top, so the navigation shows; the cookie is set on that run.
            st.session_state[_COOKIE_TO_SET] = True
            st.rerun()
        st.stop()
    if st.session_state.pop(_COOKIE_TO_SET, False):
        authenticator.cookie_controller.set_cookie()
    try:
        with session_scope() as session:
            profile = users.profile(session, st.session_state["username"])
    except NotFound:
        _forget_login()
        authenticator.cookie_controller.delete_cookie()
        st.warning("Your account is no longer active. Ask an admin of your company.")
        st.stop()
    _sidebar_identity(profile)
    return profile


def _authenticator(*, with_accounts: bool) -> stauth.Authenticate:
    """The accounts are loaded only while nobody is signed in: afterwards the per-run profile
    lookup is what keeps the session honest."""
    settings = get_settings()
    accounts = {}
    if with_accounts:
        with session_scope() as session:
            accounts = {
                account.username.lower(): {
                    "name": account.full_name or account.username,
                    "email": account.email,
                    "password": account.password_hash,
                    "roles": [account.role],
                }
                for account in users.login_accounts(session)
            }
    return stauth.Authenticate(
        {"usernames": accounts},
        cookie_name=settings.login_cookie_name,
        cookie_key=settings.secret_key.get_secret_value(),
        cookie_expiry_days=settings.login_cookie_days,
        auto_hash=False,
        # The cookie is read from the request, not from a component: there is nothing to wait for.
        login_sleep_time=0,
    )


def _login_form(authenticator: stauth.Authenticate) -> bool:
    """The login screen; True once the password was right."""
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("AdFlowAI")
        st.caption("Every campaign on every platform, in one place.")
        with st.form("login_form", border=True):
            username = st.text_input("Username", key="login_username", autocomplete="username")
            password = st.text_input(
                "Password", type="password", key="login_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("Log in", type="primary", width="stretch")
        if not submitted:
            return False

        def check_password() -> None:
            if not authenticator.authentication_controller.login(username, password, callback=_record_login):
                raise AuthenticationFailed(WRONG_CREDENTIALS)

        try:
            _login_throttle().attempt(username, check_password)
        except (AuthenticationFailed, TooManyAttempts) as refusal:
            st.error(refusal.message)
            return False
        return True


@st.cache_resource
def _login_throttle() -> LoginThrottle:
    """Failed log-ins counted for the whole app process (in Redis when configured: with the API)."""
    return LoginThrottle.from_settings(get_settings())


def _sidebar_identity(profile: Profile) -> None:
    """Who is signed in, for which company and with what rights, and the way out."""
    with st.sidebar:
        st.markdown(f"**{profile.display_name}**  \n{profile.company_name}")
        access = "can make changes" if profile.actor.can_write else "view only"
        st.caption(f"{profile.actor.role.capitalize()} · {access}")
        if st.button("Log out", key="log_out", icon=":material/logout:", width="stretch"):
            _forget_login()
            st.session_state[_COOKIE_TO_DELETE] = True
            st.rerun()  # from the top: the navigation hides, the cookie goes, the login form shows


def _forget_login() -> None:
    for key in LOGIN_KEYS:
        st.session_state[key] = None
    st.session_state["logout"] = True  # streamlit-authenticator: no signing in from the cookie again


def _record_login(event: dict) -> None:
    with session_scope() as session:
        users.record_login(session, event["username"])
