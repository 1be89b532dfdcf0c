"""duban's storage: typed SQLAlchemy 2 models, the session factory and Alembic migrations."""
