# The step image: what a cluster target with backend="kubernetes" or "docker" runs each
# PythonScriptStep in. It holds the provider, not Airflow's services; the step arrives as a
# JSON envelope in MLPIPELINES_STEP_ENVELOPE.
# Build from the repository root: docker build -f docker/step.Dockerfile -t <registry>/mlpipelines-step:<tag> .
FROM apache/airflow:3.3.2-python3.11

# The official image's default user, named as its docs do (it exists in the base image).
# hadolint ignore=DL3066
USER airflow

COPY --chown=airflow:0 pyproject.toml README.md /opt/mlpipelines/
COPY --chown=airflow:0 provider/ /opt/mlpipelines/provider/

# Naming apache-airflow at the image's own version keeps pip from upgrading or downgrading it.
# /opt/airflow/mlpipelines: where the worker bind-mounts local datastores without a path.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" "/opt/mlpipelines[examples]" \
    && mkdir -p /opt/airflow/mlpipelines

ENTRYPOINT ["python", "-m", "mlpipelines.runtime.container_step"]
