"""Who and what exists: units, users, logging in, and importing plans."""
