"""The ``mlpipelines`` command line."""
