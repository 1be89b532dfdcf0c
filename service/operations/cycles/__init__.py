"""Running cycles: diagrams, starting, completing human tasks, diagram timers, the human-task projection,
attachments."""
