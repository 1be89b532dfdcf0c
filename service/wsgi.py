"""The WSGI entry for production servers: ``gunicorn -w 4 'service.wsgi:app'``.

Creating the app here (rather than with ``service.app:create_app()`` on the command line) lets
each worker set its start-up heap aside once it is ready (``freeze_startup_objects``).
"""

from __future__ import annotations

from .app import create_app, freeze_startup_objects

app = create_app()
freeze_startup_objects()
