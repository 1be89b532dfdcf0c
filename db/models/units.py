"""Units (单位), their groups and aliases, and the people who log in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.vocabulary import Role, UnitKind

from .base import Base, str_enum


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, "unit_kind", 20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class UnitAlias(Base):
    """Another name a plan may use for a unit (区发改局 for 区发展改革和经济信息化局)."""

    __tablename__ = "unit_aliases"

    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)


class UnitGroup(Base):
    """A group word of plans (各镇街, 区直各部门) and the units it stands for."""

    __tablename__ = "unit_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    members: Mapped[list[UnitGroupMember]] = relationship(
        cascade="all, delete-orphan", order_by="UnitGroupMember.position"
    )


class UnitGroupMember(Base):
    __tablename__ = "unit_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("unit_groups.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("username"), Index("ix_users_unit_role", "unit_id", "role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role", 20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    email: Mapped[str | None] = mapped_column(String(255))
    # A mainland mobile number (1[3-9] and nine digits), for an SMS gateway later.
    mobile: Mapped[str | None] = mapped_column(String(11))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # Bumped when the password changes or the account is disabled: web sessions carry it and die with it.
    session_epoch: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship()
