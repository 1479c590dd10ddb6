"""How the Airflow UI shows each datastore connection type, rendered from the datastore kinds.

Plain data, no Airflow import: the provider info hands it to Airflow's providers manager
(``conn-fields`` and ``ui-field-behaviour``, read without importing the hooks), and the hooks'
``get_ui_field_behaviour`` return the same.
"""

from __future__ import annotations

from typing import Any

from mlpipelines.datastore_kinds import FILE_KINDS, DatastoreKind, kind_of_conn_type

HOOKS_MODULE = "mlpipelines.hooks.datastore"
_WIDGET_SCHEMAS: dict[str, dict[str, Any]] = {
    "text": {"type": ["string", "null"]},
    "secret": {"type": ["string", "null"], "format": "password"},
    "boolean": {"type": ["boolean", "null"]},
}


def connection_types() -> list[dict[str, Any]]:
    """The provider info's ``connection-types`` entries, one per datastore kind."""
    return [connection_type(kind) for kind in FILE_KINDS]


def connection_type(kind: type[DatastoreKind]) -> dict[str, Any]:
    """One kind's ``connection-types`` entry: its hook, its extra fields and field behaviour."""
    conn_fields = {}
    for key, form_field in kind.form.fields.items():
        widget = "secret" if key in kind.secret_fields else form_field.widget
        conn_fields[key] = {
            "label": form_field.label,
            "schema": dict(_WIDGET_SCHEMAS[widget]),
            "description": form_field.description,
        }
    return {
        "connection-type": kind.conn_type,
        "hook-class-name": f"{HOOKS_MODULE}.{kind.hook_class_name}",
        "hook-name": kind.hook_name,
        "conn-fields": conn_fields,
        "ui-field-behaviour": {
            "hidden-fields": kind.hidden_fields(),
            "relabeling": dict(kind.form.relabeling),
            "placeholders": dict(kind.form.placeholders),
        },
    }


def ui_field_behaviour(conn_type: str) -> dict[str, Any]:
    """A hook's ``get_ui_field_behaviour()`` answer for ``conn_type``."""
    kind = kind_of_conn_type(conn_type)
    return {
        "hidden_fields": kind.hidden_fields(),
        "relabeling": dict(kind.form.relabeling),
        "placeholders": dict(kind.form.placeholders),
    }
