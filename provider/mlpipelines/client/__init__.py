"""Talking to an Airflow deployment over its REST API: experiments, runs, publishing."""
