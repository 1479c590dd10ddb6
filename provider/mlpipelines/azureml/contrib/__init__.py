"""``azureml.contrib``: the old SDK's contributed packages that have a home here."""
