"""Environment image names and their isolation (``domain/images``, ``services/images``) on the
in-memory store: Azure's naming, a project's namespace of its hub's registry, and the refusal of
another namespace's image."""

from __future__ import annotations

import pytest

from amlite.domain import images
from amlite.domain.errors import AuthorizationFailed
from amlite.services.images import check_image_reference, image_for, registry_server
from tests.unit.test_hubs import World


def test_names_follow_azures_form_and_the_hash_covers_only_what_is_built() -> None:
    digest = images.build_hash("3.12.1", ["pyyaml", "numpy==2.0", "pyyaml"])
    assert digest == images.build_hash("3.12.1", ["numpy==2.0", "pyyaml"]) and len(digest) == 32
    assert digest != images.build_hash("3.12.2", ["numpy==2.0", "pyyaml"])
    assert digest != images.build_hash("3.12.1", ["numpy==2.0"])
    assert images.image_name("cr1.azurecr.io", "azureml", digest) == f"cr1.azurecr.io/azureml/azureml_{digest}"
    assert images.repository("guid-1", digest) == f"guid-1/azureml_{digest}"


@pytest.mark.parametrize(("image", "namespace"), [
    ("cr1.azurecr.io/ns/azureml_x", "ns"),
    ("CR1.azurecr.io/ns/azureml_x:latest", "ns"),
    ("cr1.azurecr.io/ns/deeper/repo@sha256:00", "ns"),
    ("cr1.azurecr.io/repo:1", ""),  # a repository outside any namespace
    ("cr1.azurecr.io/", ""),
    ("cr2.azurecr.io/ns/azureml_x", None),
    ("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04", None),
    ("ubuntu:22.04", None),
])
def test_the_namespace_an_image_names_in_a_registry(image: str, namespace: str | None) -> None:
    assert images.namespace_in(image, "cr1.azurecr.io") == namespace


def test_a_project_builds_under_its_guid_of_its_hubs_registry_and_names_only_its_own() -> None:
    world = World()
    world.put("hub1", kind="Hub")
    world.put("proj1", kind="Project", properties={"hubResourceId": world.hub_id("hub1")})
    world.put("proj2", kind="Project", properties={"hubResourceId": world.hub_id("hub1")})
    world.put("plain1")
    hub, one, two, plain = (world.row(n) for n in ("hub1", "proj1", "proj2", "plain1"))
    with world.deps.uow() as uow:
        server = registry_server(uow, hub)
        assert registry_server(uow, one) == registry_server(uow, two) == server != registry_server(uow, plain)
        mine, theirs = image_for(uow, one, "3.12.1", []), image_for(uow, two, "3.12.1", [])
        digest = images.build_hash("3.12.1", [])
        assert mine == f"{server}/{one.workspace_id}/azureml_{digest}"
        assert theirs == f"{server}/{two.workspace_id}/azureml_{digest}"
        assert image_for(uow, hub, "3.12.1", []) == f"{server}/azureml/azureml_{digest}"
        check_image_reference(uow, one, mine + ":latest", "image")
        check_image_reference(uow, one, "mcr.microsoft.com/azureml/base:1", "image")
        check_image_reference(uow, plain, theirs, "image")  # another workspace's registry: not plain's concern
        for refused, who in ((theirs, one), (image_for(uow, hub, "3.12.1", []), one), (mine, hub)):
            with pytest.raises(AuthorizationFailed) as caught:
                check_image_reference(uow, who, refused, "properties.image")
            assert caught.value.code == "ProjectImageIsolation" and images.namespace_of(who) in caught.value.message
