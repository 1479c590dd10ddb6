"""The deployment a process belongs to: its Airflow home, its datastores' specs and where
they live, and its client settings, read from the environment or a workspace config file."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlpipelines.errors import UserErrorException
from mlpipelines.records.datastore import CONNECTION_KIND, LOCAL_KIND, DatastoreSpec

if TYPE_CHECKING:
    from mlpipelines.storage.control_store import ControlStore

DEFAULT_DATASTORES = ("workspaceblobstore", "workspacefilestore")
CONFIG_FILE_NAMES = ("config.json", ".azureml/config.json", "mlpipelines.json")
_IGNORED_AZURE_KEYS = ("subscription_id", "resource_group", "workspace_name", "location")


def connection_variable(name: str) -> str:
    """The environment variable Airflow reads the connection ``name`` from."""
    return "AIRFLOW_CONN_" + name.upper()


def default_datastore_spec(name: str) -> DatastoreSpec:
    """Where a default datastore (``workspaceblobstore``, ``workspacefilestore``) lives: a
    local folder under the Airflow home, unless this process's environment defines an Airflow
    connection of that name, as a deployment whose workers share no disk does (workers that
    took it for a folder would each write to their own disk). Only the environment is read:
    DAG files parse without reaching the metadata database or the network."""
    if connection_variable(name) in os.environ:
        return DatastoreSpec(name, CONNECTION_KIND, None)
    return DatastoreSpec(name, LOCAL_KIND, None)


def airflow_home() -> Path:
    """The Airflow home this process belongs to: $AIRFLOW_HOME, else ~/airflow as Airflow does."""
    return Path(os.environ.get("AIRFLOW_HOME") or Path.home() / "airflow").expanduser()


D = TypeVar("D", bound="Deployment")


@dataclass
class Deployment:
    """One Airflow deployment: what every layer needs to know of it (``mlpipelines.model``'s
    ``Workspace`` adds the Azure ML methods on top).

    ``current()`` is the deployment the code runs in (for DAG files and tasks);
    ``from_config()`` reads a JSON file such as the one ``mlpipelines airflow up`` writes.
    """

    name: str = "airflow"
    airflow_url: str | None = None
    username: str | None = None
    password: str | None = None
    token: str | None = None
    home: str | None = None
    default_datastore_name: str = "workspaceblobstore"
    datastore_specs: dict[str, DatastoreSpec] = field(default_factory=dict)
    config_path: str | None = None
    specs_datastore_name: str | None = None
    auth: Any = field(default=None, repr=False)
    # Connections registered by this process (secrets included): memory only, never written.
    registered_connections: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    # A client with only the Airflow URL and a token keeps pipelines and records through the
    # plugin's REST API (set by ``Workspace``); None: on the specs datastore itself.
    remote_control_store: ControlStore | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Every URL the client builds is airflow_url + "/path": one trailing "/" would make
        # them "//path", which Airflow routes elsewhere.
        if self.airflow_url:
            self.airflow_url = self.airflow_url.rstrip("/")
        for name in DEFAULT_DATASTORES:
            self.datastore_specs.setdefault(name, default_datastore_spec(name))

    @classmethod
    def current(cls: type[D]) -> D:
        """The deployment this process runs in; reads only the environment (safe in DAG files)."""
        return cls(
            name=os.environ.get("MLPIPELINES_WORKSPACE", "airflow"),
            default_datastore_name=os.environ.get(
                "MLPIPELINES_DEFAULT_DATASTORE", "workspaceblobstore"
            ),
            specs_datastore_name=os.environ.get("MLPIPELINES_SPECS_DATASTORE") or None,
        )

    @classmethod
    def current_knowing(cls: type[D], stores: Mapping[str, DatastoreSpec] | None) -> D:
        """``current()``, also knowing the local folders a pipeline registered where it was
        defined (a step's datasets name datastores; only registered folders need a path)."""
        deployment = cls.current()
        deployment.datastore_specs.update(stores or {})
        return deployment

    @classmethod
    def from_config(
        cls: type[D],
        path: str | os.PathLike[str] | None = None,
        auth: Any = None,
        _file_name: str | None = None,
    ) -> D:
        """Read a workspace config: the given file or folder, else search upwards from the cwd.

        Values the file leaves out come from the environment (``MLPIPELINES_AIRFLOW_URL``,
        ``MLPIPELINES_AIRFLOW_TOKEN``, ``MLPIPELINES_AIRFLOW_USERNAME``/``_PASSWORD``), so a
        committed config need not hold a secret; ``auth`` (an authentication object) wins.
        """
        found = _find_config(Path(path) if path is not None else None, _file_name)
        try:
            data = json.loads(found.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise UserErrorException(f"cannot read workspace config {found}: {exc}") from exc
        if not isinstance(data, dict):
            raise UserErrorException(f"workspace config {found} must hold a JSON object")
        workspace = cls._from_dict(data, str(found))
        workspace.auth = auth
        return workspace

    @classmethod
    def _from_dict(cls: type[D], data: dict[str, Any], config_path: str | None = None) -> D:
        specs: dict[str, DatastoreSpec] = {}
        for name, spec in (data.get("datastores") or {}).items():
            specs[name] = DatastoreSpec(name, spec.get("kind", LOCAL_KIND), spec.get("path"))
        known = {
            "name",
            "airflow_url",
            "username",
            "password",
            "token",
            "home",
            "default_datastore",
            "specs_datastore",
            "datastores",
            *_IGNORED_AZURE_KEYS,
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise UserErrorException(f"unknown keys in workspace config: {', '.join(unknown)}")
        env = os.environ.get
        return cls(
            name=data.get("name") or data.get("workspace_name") or "airflow",
            airflow_url=data.get("airflow_url") or env("MLPIPELINES_AIRFLOW_URL"),
            username=data.get("username") or env("MLPIPELINES_AIRFLOW_USERNAME"),
            password=data.get("password") or env("MLPIPELINES_AIRFLOW_PASSWORD"),
            token=data.get("token") or env("MLPIPELINES_AIRFLOW_TOKEN"),
            home=data.get("home"),
            default_datastore_name=data.get("default_datastore", "workspaceblobstore"),
            datastore_specs=specs,
            config_path=config_path,
            specs_datastore_name=data.get("specs_datastore"),
        )

    def write_config(
        self, path: str | os.PathLike[str] | None = None, file_name: str | None = None
    ) -> Path:
        """Write this workspace's config as JSON (the old SDK's ``ws.write_config``)."""
        target = Path(path or ".") / (file_name or "config.json")
        target.parent.mkdir(parents=True, exist_ok=True)
        body = {
            "name": self.name,
            "airflow_url": self.airflow_url,
            "username": self.username,
            "password": self.password,
            "token": self.token,
            "home": self.home,
            "default_datastore": self.default_datastore_name,
            "specs_datastore": self.specs_datastore_name,
            "datastores": {n: s.to_dict() for n, s in self.datastore_specs.items() if s.path},
        }
        body = {k: v for k, v in body.items() if v not in (None, {})}
        target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        target.chmod(0o600)
        return target

    @property
    def uses_rest_store(self) -> bool:
        """Whether this process reaches the deployment only over its REST API (a client with
        the Airflow URL and a token, no Airflow home): then pipelines, records and snapshots
        go through the plugin, never to a folder or a datastore directly."""
        return self.home is None and bool(self.airflow_url)

    def datastore_spec(self, name: str) -> DatastoreSpec:
        """The spec of a datastore: a registered one, else one resolved when a task runs from
        the Airflow connection named ``name`` (so DAG files never reach the network)."""
        spec = self.datastore_specs.get(name)
        if spec is not None:
            return spec
        if not isinstance(name, str) or not name:
            raise UserErrorException(f"a datastore name must be a non-empty string, not {name!r}")
        return DatastoreSpec(name, CONNECTION_KIND, None)

    def datastore_root(self, name: str) -> Path:
        """The local folder of a local-folder datastore, as seen from this process."""
        return local_datastore_root(self.datastore_spec(name), self.home)

    def specs_datastore(self) -> str:
        """The datastore holding submitted and published pipelines (the control store):
        ``specs_datastore`` if set, else the default datastore when it is a local folder,
        else ``workspaceblobstore``."""
        name = self.specs_datastore_name or self.default_datastore_name
        if not self.datastore_spec(name).is_local and not self.specs_datastore_name:
            name = DEFAULT_DATASTORES[0]
        return name

    def specs_root(self) -> Path:
        """The folder where submitted and published pipelines are kept (specs, records):
        ``specs_datastore`` if the config names one, else the default datastore when it is a
        local folder, else ``workspaceblobstore``. The loader DAG file reads them while Airflow
        parses it; ``storage.control_store`` is the way to them that also works remotely."""
        return self.datastore_root(self.specs_datastore())


def local_datastore_root(spec: DatastoreSpec, home: str | None = None) -> Path:
    """The folder of a local datastore: its own path, else <Airflow home>/mlpipelines/<name>."""
    if not spec.is_local:
        raise UserErrorException(
            f"datastore '{spec.name}' is a {spec.kind} store, not a local folder"
        )
    if spec.path:
        return Path(spec.path).expanduser()
    base = Path(home).expanduser() if home else airflow_home()
    return base / "mlpipelines" / spec.name


def _find_config(path: Path | None, file_name: str | None) -> Path:
    names = (file_name,) if file_name else CONFIG_FILE_NAMES
    if path is not None:
        if path.is_file():
            return path
        candidates = [path / n for n in names]
    else:
        here = Path.cwd()
        candidates = [folder / n for folder in (here, *here.parents) for n in names]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    where = path if path is not None else Path.cwd()
    raise UserErrorException(
        f"no workspace config found from {where} (looked for {', '.join(names)}); "
        "run `mlpipelines airflow up` to create one"
    )
