"""``azureml.core.webservice``: Azure ML's web services, refused on use (see docs/migration.md,
Azure-only services); their deployment configurations may be built."""

from mlpipelines.errors import WebserviceException
from mlpipelines.model.azure_only_names import (
    AciWebservice,
    AksWebservice,
    LocalWebservice,
    Webservice,
)

__all__ = ["AciWebservice", "AksWebservice", "LocalWebservice", "Webservice", "WebserviceException"]
