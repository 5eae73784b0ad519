"""The login gate: streamlit-authenticator over the users table, a signed cookie, and logout.

The authenticator checks passwords against the bcrypt hashes of the active accounts and keeps a
cookie signed with ADFLOW_SECRET_KEY, so a reload does not ask again. Each run then looks the
user up again, so a deactivated account is signed out at its next click.
"""

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import LoginError

from core.config import get_settings
from core.database import session_scope
from core.errors import NotFound
from core.users import service as users
from core.users.service import WRONG_CREDENTIALS, Profile

PROFILE_KEY = "profile"
_LOGOUT_REQUESTED = "logout_requested"


def require_login() -> Profile:
    """The signed-in user's profile; otherwise show the login screen and stop the run here."""
    signed_in = bool(st.session_state.get("authentication_status"))
    authenticator = _authenticator(with_accounts=not signed_in)
    if signed_in and st.session_state.pop(_LOGOUT_REQUESTED, False):
        _sign_out(authenticator)
    if not st.session_state.get("authentication_status"):
        try:
            authenticator.login(location="unrendered")  # the cookie of an earlier visit
        except LoginError:  # a cookie for an account that is gone or deactivated
            _sign_out(authenticator)
    if not st.session_state.get("authentication_status") and not _login_form(authenticator):
        st.stop()
    try:
        with session_scope() as session:
            profile = users.profile(session, st.session_state["username"])
    except NotFound:
        _sign_out(authenticator)
        st.warning("Your account is no longer active. Ask an admin of your company.")
        st.stop()
    st.session_state[PROFILE_KEY] = profile
    return profile


def sidebar_identity(profile: Profile) -> None:
    """Who is signed in, for which company and with what rights, and the way out."""
    with st.sidebar:
        st.markdown(f"**{profile.display_name}**  \n{profile.company_name}")
        access = "can make changes" if profile.actor.can_write else "view only"
        st.caption(f"{profile.actor.role.capitalize()} · {access}")
        st.button(
            "Log out",
            key="logout",
            icon=":material/logout:",
            on_click=_request_logout,
            width="stretch",
        )


def _authenticator(*, with_accounts: bool) -> stauth.Authenticate:
    """The accounts are only loaded while someone is signing in; afterwards the cookie and the
    per-run profile lookup are all that is needed."""
    settings = get_settings()
    accounts = {}
    if with_accounts:
        with session_scope() as session:
            accounts = {
                a.username.lower(): {
                    "name": a.full_name or a.username,
                    "email": a.email,
                    "password": a.password_hash,
                    "roles": [a.role],
                }
                for a in users.login_accounts(session)
            }
    return stauth.Authenticate(
        {"usernames": accounts},
        cookie_name=settings.login_cookie_name,
        cookie_key=settings.secret_key.get_secret_value(),
        cookie_expiry_days=settings.login_cookie_days,
        auto_hash=False,
        # The cookie is read from the request, not from a component, so there is nothing to wait for.
        login_sleep_time=0,
    )


def _login_form(authenticator: stauth.Authenticate) -> bool:
    """The login screen; True once the password was right (the cookie is then set)."""
    screen = st.empty()
    with screen.container():
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
            signed_in = submitted and authenticator.authentication_controller.login(
                username, password, callback=_record_login
            )
            if submitted and not signed_in:
                st.error(WRONG_CREDENTIALS)
    if signed_in:
        screen.empty()
        authenticator.cookie_controller.set_cookie()
    return bool(signed_in)


def _request_logout() -> None:
    st.session_state[_LOGOUT_REQUESTED] = True


def _record_login(event: dict) -> None:
    with session_scope() as session:
        users.record_login(session, event["username"])


def _sign_out(authenticator: stauth.Authenticate) -> None:
    st.session_state.pop(PROFILE_KEY, None)
    if st.session_state.get("authentication_status"):
        authenticator.logout(location="unrendered")  # forgets the session and deletes the cookie
    else:
        authenticator.cookie_controller.delete_cookie()
