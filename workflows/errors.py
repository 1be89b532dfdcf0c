"""What the engine raises. Every error a caller may meet is one of these (no SpiffWorkflow type leaves)."""

from __future__ import annotations


class EngineError(RuntimeError):
    """The engine could not run a diagram (a condition failed, no gateway branch matched, ...)."""

    def __init__(self, message: str, element: str | None = None) -> None:
        super().__init__(message if element is None else f"{message}(元素 {element})")
        self.message = message
        self.element = element


class CycleTooDeep(EngineError):
    """The process went round its loops so often that its task tree is too deep to keep.

    SpiffWorkflow's tree deepens with every loop (a return, a reject) and fails with a
    RecursionError around a thousand levels; the engine refuses a step well before that."""


class UnknownDiagram(LookupError):
    """A state refers to a diagram this engine has not been given; deploy it first."""

    def __init__(self, digest: str) -> None:
        super().__init__(digest)
        self.digest = digest


class StepNotReady(LookupError):
    """The step instance is not waiting for anyone (done, cancelled, or never existed)."""
