"""``azureml.train.dnn``: framework estimators and distributed settings, built as given and
refused when submitted."""

from mlpipelines.model.azure_only_names import (
    Chainer,
    Gloo,
    Mpi,
    Nccl,
    ParameterServer,
    PyTorch,
    TensorFlow,
)

__all__ = ["Chainer", "Gloo", "Mpi", "Nccl", "ParameterServer", "PyTorch", "TensorFlow"]
