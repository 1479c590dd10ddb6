"""Sensors: the reuse sensor that opens every pipeline run."""
