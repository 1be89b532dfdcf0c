"""Diagrams: deploying a version once (by content hash), the one new cycles run, and the diagram
of a stored version, deployed into this process's engine on first sight."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from db.models import (
    DiagramVersion,
)
from workflows import (
    Diagram,
    DiagramError,
)

from ...errors import BadDiagram, NotFound
from ...runtime import Work


def deploy_diagram(work: Work, xml: bytes) -> DiagramVersion:
    """Stores a diagram version once (by content hash) and makes it known to the engine."""
    try:
        diagram = work.runtime.engine.deploy(xml)
    except DiagramError as exc:
        raise BadDiagram(exc.message, element=exc.element, line=exc.line) from None
    version = work.session.scalar(select(DiagramVersion).where(DiagramVersion.digest == diagram.digest))
    if version is None:
        version = DiagramVersion(
            digest=diagram.digest, process_id=diagram.process_id, name=diagram.name, xml=xml, deployed_at=work.now
        )
        try:
            # Two first cycles started at once (two web workers) both get here: one inserts, the
            # other's savepoint rolls back and it reads the winner's row.
            with work.session.begin_nested():
                work.session.add(version)
        except IntegrityError:
            version = work.session.scalars(select(DiagramVersion).where(DiagramVersion.digest == diagram.digest)).one()
    work.runtime.diagram_digests[version.id] = diagram.digest
    return version


def current_diagram(work: Work) -> tuple[int, str]:
    """(version id, digest) of the diagram new reporting cycles run: config.toml [engine] diagram."""
    return diagram_file(work, work.runtime.config.engine.diagram)


def closing_diagram(work: Work) -> tuple[int, str]:
    """(version id, digest) of the diagram a key task's 办结销号 runs: [engine] closing_diagram."""
    return diagram_file(work, work.runtime.config.engine.closing_diagram)


def diagram_file(work: Work, relative: str) -> tuple[int, str]:
    """(version id, digest) of the diagram in a file (relative to the config's folder).

    Read and deployed once per process, and again only when the file changes."""
    path: Path = work.runtime.config.path(relative)
    stat = path.stat()
    signature = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = work.runtime.diagram_files.get(relative)
    if cached is not None and cached[0] == signature:
        return cached[1], cached[2]
    version = deploy_diagram(work, path.read_bytes())
    work.runtime.diagram_files[relative] = (signature, version.id, version.digest)
    return version.id, version.digest


def diagram_for_version(work: Work, version_id: int) -> Diagram:
    """The diagram of a deployed version, deploying it into this process's engine on first sight."""
    engine = work.runtime.engine
    digest = work.runtime.diagram_digests.get(version_id)
    diagram = engine.deployed(digest) if digest else None
    if diagram is None:
        version = work.session.get(DiagramVersion, version_id)
        if version is None:
            raise NotFound(f"流程图版本 {version_id} 不存在")
        diagram = engine.deployed(version.digest) or engine.deploy(version.xml)
        work.runtime.diagram_digests[version_id] = version.digest
    return diagram
