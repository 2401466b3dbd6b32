"""The apps are layered along the flow of data, and each imports only from the layers below
it (README, "How it fits together"). This test reads every module's imports and fails when one
reaches up, so a design that needs to reach back says so here, in review, with its reason."""

import ast
import graphlib
import pathlib

import sixways

# From the bottom up. The project's own glue (settings, urls, the Jinja2 environment, wsgi)
# sits above them all and may import any of them.
LAYERS = [
    "design",
    "core",
    "instruments",
    "partnerships",
    "rounds",
    "actions",
    "results",
    "returns",
    "workshops",
    "accounts",
    "sharing",
]

# The pages that read from a layer above their app, and why.
ALLOWED = {
    ("partnerships.views", "rounds"): "a partnership's pages list its rounds",
    ("actions.views", "results"): "the action plan puts each behaviour's scores beside it",
    ("rounds.views", "workshops"): "the start page offers a workshop running in the round",
}

ROOT = pathlib.Path(sixways.__file__).parent


def imports() -> list[tuple[str, str]]:
    """(importing module, imported sixways module) for every module of the package, by name
    relative to the package: ("rounds.manage.rounds", "partnerships.roles")."""
    found = []
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        package = parts[:-1]
        if parts[-1] == "__init__":
            parts = package
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = base + (node.module.split(".") if node.module else [])
                    names = [[*target, alias.name] for alias in node.names]
                elif node.module and node.module.startswith("sixways."):
                    target = node.module.split(".")[1:]
                    names = [[*target, alias.name] for alias in node.names]
                else:
                    continue
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("sixways.")]
                names = [t.split(".")[1:] for t in targets]
            else:
                continue
            for name in names:
                found.append((".".join(parts), ".".join(name)))
    return found


def layer(module: str) -> int | None:
    app = module.split(".")[0]
    return LAYERS.index(app) if app in LAYERS else None


def test_every_app_imports_only_from_the_layers_below_it():
    upward = sorted(
        f"{importer} imports {imported}"
        for importer, imported in imports()
        if layer(importer) is not None
        and layer(imported) is not None
        and layer(imported) > layer(importer)
        and (importer, imported.split(".")[0]) not in ALLOWED
    )
    assert upward == []


def test_every_app_is_in_a_layer():
    apps = {p.name for p in ROOT.iterdir() if (p / "apps.py").exists()}
    assert apps == set(LAYERS)


def test_the_check_can_fail():
    """The reader sees an upward import when there is one (this file's own check)."""
    assert ("rounds.manage.rounds", "partnerships.roles.CHANGERS") in imports()
    assert layer("rounds.manage.rounds") > layer("partnerships.roles")


def test_no_module_imports_itself_through_others():
    """No import cycle between modules, the lazy imports inside functions included."""
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in ROOT.rglob("*.py")
    }
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for importer, imported in imports():
        parts = imported.split(".")
        # `from .models import Round` names a module and then a name in it: keep the module.
        target = next(
            (
                ".".join(parts[:n])
                for n in range(len(parts), 0, -1)
                if ".".join(parts[:n]) in modules
            ),
            None,
        )
        if target and target != importer:
            graph[importer].add(target)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError, naming the cycle
