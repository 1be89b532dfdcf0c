"""The ``duban`` command: the group, with every area's commands registered on it.

Each area keeps its commands in its own module here; importing the module registers them.
"""

from . import audit, backup, core, cycles, scheduling, users, year  # noqa: F401  (registers the commands)
from .base import main

__all__ = ["main"]
