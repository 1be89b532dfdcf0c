"""Demo data played through the real operations. Only the CLI and the tests import it."""
