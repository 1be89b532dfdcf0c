"""The supervision office's machinery over running cycles: escalations, extensions, reporting rounds, the
working-day calendar."""
