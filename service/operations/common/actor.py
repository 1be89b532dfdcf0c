"""Who is acting: a logged-in user, or the system (scheduler, demo loader, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import User

from ...vocabulary import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    unit_name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.role, Role):  # a role given by its value ("supervisor")
            object.__setattr__(self, "role", Role(self.role))

    @property
    def is_system(self) -> bool:
        return self.role == Role.SYSTEM

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            unit_id=user.unit_id,
            unit_name=user.unit.name if user.unit else None,
        )


SYSTEM = Actor(user_id=None, username=Role.SYSTEM.value, display_name=Role.SYSTEM.label, role=Role.SYSTEM, unit_id=None)
