"""Storage: SQLAlchemy models, repositories, migrations and sessions."""
