"""``azureml.train``: Azure-only training services, importable and refused on use."""
