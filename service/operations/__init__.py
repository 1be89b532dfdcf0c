"""Domain verbs. Each takes a ``Work`` (session, now, runtime) and an ``Actor``, flushes when it
needs ids, and never commits: the edge that opened the work commits or rolls back."""
