"""The JSON API under /api/v1 (OpenAPI documented)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Registers the API's blueprints and error handlers on the app."""
