"""The only package that speaks SQL: tables, repositories, engine, embedded PostgreSQL."""
