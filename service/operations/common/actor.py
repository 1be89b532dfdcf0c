"""Who is acting: a logged-in user, or the system (scheduler, demo loader, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None = None

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            unit_id=user.unit_id,
            unit_name=user.unit.name if user.unit else None,
        )


SYSTEM = Actor(user_id=None, username="system", display_name="系统", role="system", unit_id=None)
