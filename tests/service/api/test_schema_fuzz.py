"""A bounded schemathesis run inside the suite (the longer one is tests/service/api/run_schemathesis.sh in
.ci/run): the `st` command against the live server, as the supervisor, on a world with a running
cycle. No 500, and every response keeps to the document (status, content type, body)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_api_keeps_to_its_document(live_server, http_login, world, start, tmp_path):
    start("2024-Q2")
    token = http_login(world.supervisor).headers["Authorization"]
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            f"{live_server}/api/v1/openapi.json",
            "-H",
            f"Authorization: {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            "5",
            "--max-time",
            "25",
            "--seed",
            "20240401",
            "--phases",
            "examples,coverage,fuzzing",
            # Revoking the token or logging out would only turn the rest of the run into 401s.
            "--exclude-path-regex",
            "/auth/(token|tokens/.*|logout)$",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,  # schemathesis keeps a cache in its working directory
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
