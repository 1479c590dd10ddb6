"""Triggers: what the triggerer watches while a deferred step waits (a Databricks run)."""
