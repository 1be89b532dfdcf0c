"""The scheduler process: APScheduler, its leader lock, and the jobs, each of which opens its own unit of work."""
