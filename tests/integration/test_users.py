import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.companies import service as companies
from core.errors import AuthenticationFailed, Conflict, PermissionDenied, ValidationError
from core.users import service as users
from db.models import Company, User
from tests.conftest import Tenant


def test_a_password_is_stored_only_as_a_bcrypt_hash(session: Session, tenant: Tenant) -> None:
    user = session.get(User, tenant.admin.user_id)
    assert user.password_hash.startswith("$2b$")
    assert "correct horse" not in user.password_hash


def test_login_by_username_or_email_and_nothing_else(session: Session, tenant: Tenant) -> None:
    assert users.authenticate(session, "acme-admin", "correct horse").id == tenant.admin.user_id
    assert users.authenticate(session, "ADMIN@acme.test", "correct horse").id == tenant.admin.user_id
    assert session.get(User, tenant.admin.user_id).last_login is not None
    for login, password in [
        ("acme-admin", "wrong"),
        ("nobody", "correct horse"),
        ("", ""),
        ("acme-admin", "x" * 100),
    ]:
        with pytest.raises(AuthenticationFailed, match="Wrong username or password"):
            users.authenticate(session, login, password)


def test_a_deactivated_user_cannot_log_in(session: Session, tenant: Tenant) -> None:
    session.get(User, tenant.marketer.user_id).is_active = False
    with pytest.raises(AuthenticationFailed):
        users.authenticate(session, "acme-marketer", "correct horse")


def test_usernames_and_emails_are_unique(session: Session, tenant: Tenant) -> None:
    with pytest.raises(Conflict, match="username"):
        users.create(
            session,
            tenant.company,
            {"username": "ACME-admin", "email": "new@acme.test", "password": "long enough"},
        )
    with pytest.raises(Conflict, match="email"):
        users.create(
            session,
            tenant.company,
            {"username": "fresh", "email": "admin@acme.test", "password": "long enough"},
        )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "é" * 40}, "password"),
        ({"role": "owner"}, "role"),
    ],
)
def test_bad_account_data_is_refused_and_nothing_is_saved(
    session: Session, tenant: Tenant, data: dict, field: str
) -> None:
    before = session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    with pytest.raises(ValidationError) as caught:
        users.create(
            session,
            tenant.company,
            {"username": "newbie", "email": "n@acme.test", "password": "long enough", **data},
        )
    assert field in caught.value.errors
    assert session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before


def test_register_creates_a_company_with_its_admin(session: Session) -> None:
    user = users.register(
        session, username="founder", email="f@startup.test", password="long enough", company="Startup Inc"
    )
    assert user.role == "admin"
    assert session.get(Company, user.company_id).name == "Startup Inc"
    with pytest.raises(Conflict):
        users.register(
            session, username="other", email="o@startup.test", password="long enough", company="Startup Inc"
        )


def test_only_an_admin_adds_members_and_only_to_their_company(
    session: Session, tenant: Tenant, other_tenant: Tenant
) -> None:
    member = users.add_member(
        session,
        tenant.admin,
        {"username": "newbie", "email": "nb@acme.test", "password": "long enough", "role": "viewer"},
    )
    assert member.company_id == tenant.company.id
    with pytest.raises(PermissionDenied):
        users.add_member(
            session, tenant.marketer, {"username": "x-y-z", "email": "x@acme.test", "password": "long enough"}
        )
    assert {u.username for u in users.get_all(session, other_tenant.admin)}.isdisjoint(
        {u.username for u in users.get_all(session, tenant.admin)}
    )


def test_company_names_are_checked(session: Session) -> None:
    with pytest.raises(ValidationError):
        companies.create(session, "  ")
    with pytest.raises(ValidationError):
        companies.create(session, "x" * 201)
