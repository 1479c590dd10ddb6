"""``mlpipelines gc``: bounded disk growth. Survey what runs, reuse and submissions leave on
the default datastore and this machine (``store_survey``, ``control_survey``,
``machine_survey``, ``airflow_facts``), plan removals by a retention policy (``plan``, pure),
then apply them one item at a time (``apply``)."""
