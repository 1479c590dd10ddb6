"""Libraries a Databricks run installs (``azureml.core.databricks``): jars, eggs, PyPI, Maven
and CRAN packages, each as one entry of the Jobs API's ``libraries`` field."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mlpipelines.errors import UserErrorException


def _text(owner: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UserErrorException(f"{owner}: {name} must be a non-empty string, got {value!r}")
    return value


@dataclass(frozen=True)
class JarLibrary:
    """A jar on DBFS, a volume or cloud storage (``dbfs:/libraries/lib.jar``)."""

    library: str
    argument: ClassVar[str] = "jar_libraries"

    def __post_init__(self) -> None:
        _text("JarLibrary", "library", self.library)

    def to_jobs_api(self) -> dict[str, Any]:
        return {"jar": self.library}


@dataclass(frozen=True)
class EggLibrary:
    """A Python egg on DBFS or cloud storage (``dbfs:/libraries/lib.egg``)."""

    library: str
    argument: ClassVar[str] = "egg_libraries"

    def __post_init__(self) -> None:
        _text("EggLibrary", "library", self.library)

    def to_jobs_api(self) -> dict[str, Any]:
        return {"egg": self.library}


@dataclass(frozen=True)
class PyPiLibrary:
    """A PyPI package (``"scikit-learn==1.5.2"``), from ``repo`` when given (an index URL)."""

    package: str
    repo: str | None = None
    argument: ClassVar[str] = "pypi_libraries"

    def __post_init__(self) -> None:
        _text("PyPiLibrary", "package", self.package)

    def to_jobs_api(self) -> dict[str, Any]:
        spec = {"package": self.package}
        if self.repo:
            spec["repo"] = self.repo
        return {"pypi": spec}


@dataclass(frozen=True)
class MavenLibrary:
    """A Maven artifact (``"org.jsoup:jsoup:1.7.1"``) without the ``exclusions`` given."""

    coordinates: str
    repo: str | None = None
    exclusions: list[str] = field(default_factory=list)
    argument: ClassVar[str] = "maven_libraries"

    def __post_init__(self) -> None:
        _text("MavenLibrary", "coordinates", self.coordinates)
        if isinstance(self.exclusions, str) or not all(
            isinstance(e, str) for e in self.exclusions or []
        ):
            raise UserErrorException(
                f"MavenLibrary: exclusions must be a list of strings, got {self.exclusions!r}"
            )

    def to_jobs_api(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"coordinates": self.coordinates}
        if self.repo:
            spec["repo"] = self.repo
        if self.exclusions:
            spec["exclusions"] = list(self.exclusions)
        return {"maven": spec}


@dataclass(frozen=True)
class RCranLibrary:
    """A CRAN package (``"ada"``), from the mirror ``repo`` when given."""

    package: str
    repo: str | None = None
    argument: ClassVar[str] = "rcran_libraries"

    def __post_init__(self) -> None:
        _text("RCranLibrary", "package", self.package)

    def to_jobs_api(self) -> dict[str, Any]:
        spec = {"package": self.package}
        if self.repo:
            spec["repo"] = self.repo
        return {"cran": spec}


LIBRARY_TYPES = (JarLibrary, EggLibrary, PyPiLibrary, MavenLibrary, RCranLibrary)


def jobs_api_libraries(
    step: str, given: dict[str, Iterable[Any] | None]
) -> tuple[dict[str, Any], ...]:
    """The Jobs API ``libraries`` entries of a step's ``*_libraries=`` arguments, in the order
    given; a library of the wrong type for its argument is a clear error naming both."""
    kinds = {cls.argument: cls for cls in LIBRARY_TYPES}
    entries: list[dict[str, Any]] = []
    for argument, libraries in given.items():
        if libraries is None:
            continue
        if isinstance(libraries, (str, bytes)) or not isinstance(libraries, Iterable):
            raise UserErrorException(
                f"DatabricksStep '{step}': {argument} must be a list of "
                f"{kinds[argument].__name__}, got {libraries!r}"
            )
        for library in libraries:
            if not isinstance(library, kinds[argument]):
                raise UserErrorException(
                    f"DatabricksStep '{step}': {argument} holds {library!r}; it takes "
                    f"{kinds[argument].__name__} objects only"
                )
            entries.append(library.to_jobs_api())
    return tuple(entries)
