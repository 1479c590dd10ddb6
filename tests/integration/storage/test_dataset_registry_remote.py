"""The dataset registry on a remote default datastore (Azurite, moto's S3): versions are
numbered, immutable, and racing registrations of new versions never share a number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mlpipelines import UserErrorException
from mlpipelines.datasets.registry import list_versions, read_version, register_on

pytestmark = pytest.mark.integration


@pytest.fixture(params=["azurite", "moto_s3"])
def store(request):
    return request.getfixturevalue(request.param).location("registry")


def _definition(n: int) -> dict:
    return {"kind": "tabular", "sources": [f"data/part-{n}.csv"]}


def test_versions_on_an_object_store(store):
    first = register_on(store, "sales", _definition(0), "v1", None, False)
    assert first["version"] == 1
    again = register_on(store, "sales", _definition(0), None, None, False)
    assert again["id"] == first["id"], "an unchanged definition reuses its version"
    with pytest.raises(UserErrorException, match="create_new_version=True"):
        register_on(store, "sales", _definition(1), None, None, False)

    with ThreadPoolExecutor(4) as pool:
        made = list(
            pool.map(
                lambda n: register_on(store, "sales", _definition(n), None, None, True),
                range(1, 5),
            )
        )
    assert sorted(r["version"] for r in made) == [2, 3, 4, 5]
    assert list_versions(store, "sales") == [1, 2, 3, 4, 5]
    for record in made:
        assert read_version(store, "sales", record["version"])["id"] == record["id"]
