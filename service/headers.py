"""Response headers every answer carries, and how a stored file goes out.

- Every response: ``X-Content-Type-Options: nosniff`` (a browser takes the declared type, never
  guesses HTML out of a text file), ``X-Frame-Options: DENY`` and ``frame-ancestors 'none'`` (no
  other site frames a page to trick a click), ``Referrer-Policy: same-origin``.
- Pages get a content security policy: scripts and styles only from this site (the vendored
  bpmn-js, ECharts and Swagger UI included); inline ``style`` attributes stay allowed (the
  templates and bpmn-js set widths and positions), inline scripts and event handlers do not.
  A view that sets its own policy (an attachment, the API docs) keeps it.
- Attachments go out as downloads in a sandbox of their own (``attachment_response``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from flask import Flask, Response, send_file

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# A downloaded file runs nothing and loads nothing, even if a browser were to render it.
ATTACHMENT_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"
# JSON and other data: nothing to load at all.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"


def install(app: Flask) -> None:
    """Adds the headers above to every response of ``app``."""
    app.after_request(_secure)


def _secure(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if "Content-Security-Policy" not in headers:
        html = (response.mimetype or "").startswith("text/html")
        headers["Content-Security-Policy"] = PAGE_POLICY if html else DATA_POLICY
    return response


class StoredFile(Protocol):
    @property
    def filename(self) -> str: ...

    @property
    def content_type(self) -> str: ...


def attachment_response(view: StoredFile, path: Path) -> Response:
    """A stored attachment as a download: its exact stored type (with its charset once), never
    sniffed, never framed, never rendered with script."""
    response = send_file(path, mimetype=view.content_type, as_attachment=True, download_name=view.filename)
    # send_file appends "; charset=utf-8" to any text/* type, even one that names it already.
    response.headers["Content-Type"] = view.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ATTACHMENT_POLICY
    return response
