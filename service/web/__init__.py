"""The web pages (Chinese), server-rendered."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Registers the web pages' blueprints on the app."""
