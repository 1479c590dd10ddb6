"""The Azure ML SDK v1 import paths: ``azureml.X`` code runs as ``mlpipelines.azureml.X``.

These modules only re-export mlpipelines objects under the old paths.
"""
