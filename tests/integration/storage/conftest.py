"""The storage servers' fixtures come from tests/conftest.py (one server of each per session)."""
