"""The app tries the blob upload routes and the workspace asset routes before the other routers'
(``api.app.ROUTERS``), for speed. FastAPI answers with the first route in order whose path
matches (and whose method does, or else the first one whose path does, for the 405), so moving a
router ahead changes no answer as long as none of its routes can match a path that a route of a
router it passed matches. This proves that from the routes' patterns, segment by segment,
without sampling paths."""

from __future__ import annotations

from fastapi.routing import APIRoute

from amlite.api.app import ROUTERS
from amlite.api.routers import artifacts, assets, system_registry

Segments = list[str]


def _spans(route: APIRoute) -> set[str]:
    """The parameters that may span segments (``{x:path}``)."""
    return {name for name, c in route.param_convertors.items() if getattr(c, "regex", "") == ".*"}


def _compatible(a: Segments, b: Segments) -> bool:
    """Segments of two patterns that some one path could match: equal text, or a parameter on
    either side (a segment with a parameter in it is taken as matching anything: conservative)."""
    return all(x == y or "{" in x or "{" in y for x, y in zip(a, b, strict=True))


def may_overlap(simple: APIRoute, other: APIRoute) -> bool:
    """Whether one path could match both; ``simple`` has no spanning parameter. Conservative: a
    pattern it cannot judge counts as overlapping."""
    a, b = simple.path_format.split("/"), other.path_format.split("/")
    spanning = [i for i, s in enumerate(b) if any(s == "{" + name + "}" for name in _spans(other))]
    if len(spanning) != len(_spans(other)) or len(spanning) > 1:
        return True  # several spanning parameters, or one inside a segment: not judged
    if not spanning:
        return len(a) == len(b) and _compatible(a, b)
    k = spanning[0]
    prefix, suffix = b[:k], b[k + 1:]
    # The spanning parameter takes one or more whole segments (possibly empty ones).
    return (len(a) >= len(b) and _compatible(a[:k], prefix)
            and _compatible(a[len(a) - len(suffix):], suffix))


def test_the_checker_sees_overlaps_it_must_see() -> None:
    routes = {r.name: r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)}
    version = routes["get_models_version"]
    assert may_overlap(version, version)
    by_scope = [r for r in routes.values() if _spans(r) and r.path_format.startswith("/{")]
    assert by_scope, "the {scope:path} routes of the authorization router are there to check against"
    # The built-in registry's routes do overlap the registry asset routes: their order matters.
    builtin = next(r for r in routes.values() if r.path_format.endswith("/registries/azureml/models/{name}"))
    registry_container = routes["get_registry_models_container"]
    assert may_overlap(builtin, registry_container)


#: The routers tried first, and the routers their routes may overlap: those they came before
#: already (a registry blob upload to the built-in registry was the artifacts router's before).
FIRST = {id(artifacts.router): {id(system_registry.router)}, id(assets.workspace_router): set()}


def test_the_routers_tried_first_overlap_no_router_they_passed() -> None:
    assert [id(r) for r in ROUTERS[:len(FIRST)]] == list(FIRST)
    clashes = []
    for position, router in enumerate(ROUTERS[:len(FIRST)]):
        mine = [r for r in router.routes if isinstance(r, APIRoute)]
        assert mine and not [r.path_format for r in mine if _spans(r)]
        for other in ROUTERS[position + 1:]:
            if id(other) in FIRST[id(router)]:
                assert ROUTERS.index(other) > position
                continue
            clashes += [(m.path_format, o.path_format) for m in mine for o in other.routes
                        if isinstance(o, APIRoute) and may_overlap(m, o)]
    assert not clashes, clashes[:5]


def test_the_artifacts_routes_do_take_the_builtin_registrys_blob_paths_first() -> None:
    """The one allowed overlap is real: were it not, ``FIRST`` would say too much."""
    builtin = [r for r in system_registry.router.routes if isinstance(r, APIRoute)]
    assert any(may_overlap(m, o) for m in artifacts.router.routes if isinstance(m, APIRoute) for o in builtin)
