"""The mlpipelines version, in a module of its own so code that needs only it (the old
``azureml.core.VERSION``) imports nothing else."""

__version__ = "0.1.0"
