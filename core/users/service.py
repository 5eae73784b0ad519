"""Account use cases: create, authenticate, register a new company with its admin."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.companies import service as company_service
from core.errors import AuthenticationFailed, Conflict, NotFound
from core.security import burn_password_check, hash_password, verify_password
from core.users.schemas import UserCreate
from core.validation import parse
from db.enums import Role
from db.models import Company, User
from db.types import utcnow

WRONG_CREDENTIALS = "Wrong username or password."


def create(session: Session, company: Company, data: UserCreate | Mapping[str, Any]) -> User:
    """A new account in `company`; the password is stored only as a bcrypt hash."""
    data = parse(UserCreate, data)
    taken = session.scalar(
        select(User).where(or_(func.lower(User.username) == data.username.lower(), User.email == data.email))
    )
    if taken is not None:
        field = "username" if taken.username.lower() == data.username.lower() else "email"
        raise Conflict(f"That {field} is already registered.", details={"field": field})
    user = User(
        company_id=company.id,
        username=data.username,
        email=data.email,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        role=data.role.value,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, actor: Actor, data: UserCreate | Mapping[str, Any]) -> User:
    """An admin adds a colleague to their own company."""
    actor.require_admin()
    return create(session, company_service.get(session, actor), data)


def register(session: Session, *, username: str, email: str, password: str, company: str) -> User:
    """Sign-up: a new company with this person as its admin."""
    data = parse(UserCreate, {"username": username, "email": email, "password": password, "role": Role.ADMIN})
    new_company = company_service.create(session, company)
    return create(session, new_company, data)


def authenticate(session: Session, login: str, password: str) -> User:
    """The active user whose username or e-mail is `login` and whose password matches.

    Every failure says the same thing, and costs the same time, so it reveals nothing.
    """
    login = (login or "").strip()
    user = session.scalar(
        select(User).where(or_(func.lower(User.username) == login.lower(), User.email == login.lower()))
    )
    if user is None:
        burn_password_check(password or "")
        raise AuthenticationFailed(WRONG_CREDENTIALS)
    if not verify_password(password or "", user.password_hash) or not user.is_active:
        raise AuthenticationFailed(WRONG_CREDENTIALS)
    user.last_login = utcnow()
    return user


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"No active user #{user_id}.")
    return user


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None or not user.is_active:
        raise NotFound(f"No active user {username!r}.")
    return user


def get_all(session: Session, actor: Actor) -> list[User]:
    return list(
        session.scalars(select(User).where(User.company_id == actor.company_id).order_by(User.username))
    )


@dataclass(frozen=True, slots=True)
class LoginAccount:
    """What a login screen needs to check a password itself: never shown, never sent anywhere."""

    username: str
    full_name: str
    email: str
    role: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class Profile:
    """The person signed in: who they act as, and how they are introduced on screen."""

    actor: Actor
    username: str
    full_name: str
    email: str
    company_name: str

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


def login_accounts(session: Session) -> list[LoginAccount]:
    """Every active account with its bcrypt hash; inactive accounts cannot log in."""
    rows = session.execute(
        select(User.username, User.full_name, User.email, User.role, User.password_hash)
        .where(User.is_active.is_(True))
        .order_by(User.username)
    )
    return [LoginAccount(*row) for row in rows]


def record_login(session: Session, username: str) -> None:
    get_by_username(session, username).last_login = utcnow()


def profile(session: Session, username: str) -> Profile:
    """The active user `username` and their company; NotFound once the account is deactivated."""
    user = get_by_username(session, username)
    return Profile(
        actor=Actor.for_user(user),
        username=user.username,
        full_name=user.full_name,
        email=user.email,
        company_name=user.company.name,
    )
