"""Published pipelines and pipeline endpoints as records, and Azure-ML-style run requests:
shared by the client (which writes them) and the Airflow plugin (which serves them)."""
