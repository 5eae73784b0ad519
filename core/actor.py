"""Who is acting: every service call is scoped to the actor's company and checked against its role."""

from dataclasses import dataclass

from core.errors import PermissionDenied
from db.enums import Role
from db.models import User

SCHEDULER = "scheduler"


@dataclass(frozen=True, slots=True)
class Actor:
    company_id: int
    role: Role
    name: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: User) -> "Actor":
        return cls(company_id=user.company_id, role=Role(user.role), name=user.username, user_id=user.id)

    @classmethod
    def scheduler(cls, company_id: int) -> "Actor":
        """The scheduler process acting on a company's behalf (autopilot, syncs)."""
        return cls(company_id=company_id, role=Role.ADMIN, name=SCHEDULER)

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.MARKETER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def require_write(self) -> None:
        if not self.can_write:
            raise PermissionDenied(
                "Viewers can look but not change anything; ask an admin for the marketer role."
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("Only an admin of the company can do this.")
