"""The Airflow plugin: Azure-ML-style REST endpoints inside Airflow's API server."""
