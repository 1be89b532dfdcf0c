"""duban's service: the Flask app (API and web pages), the CLI, the scheduler and the operations."""
