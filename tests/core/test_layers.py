"""The house's one-way rule: an area imports only the areas below it, imports inside functions too.

`lms.AREAS` lists the areas from the floor up (docs/architecture.md draws them). `config` and
`extensions` sit on the floor with `core`; `lms/__init__.py` and `lms/cli.py` stand on top and may
import anything. Inside the two large areas the sub-packages keep an order of their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lms

ROOT = Path(lms.__file__).parent
FLOOR = {"config", "extensions", "core"}
TOP = {"__init__", "cli"}

#: Inside an area: each part may import the parts before it and itself, never a sibling after it.
#: A part is a sub-package or a module at the area's root; those not listed are the area's floor.
SUB_LAYERS = {
    "scheduling": [{"models", "access", "clashes", "queries"}, {"cohorts", "timetable"}],
    "assessments": [{"attendance"}, {"progression"}, {"facts"}],
}


def _rank(area: str) -> int:
    return 0 if area in FLOOR else lms.AREAS.index(area)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every `lms.…` module a file imports, wherever the import statement stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(node.lineno, name) for name in dict.fromkeys(names) if name.startswith("lms.")]
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"{path}:{node.lineno}: relative import; write the whole lms.… path")
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("lms.")]
    return found


def _module_parts(path: Path) -> list[str]:
    return list(path.relative_to(ROOT).with_suffix("").parts)


def _area_imports() -> list[tuple[str, str, str, int]]:
    rows: list[tuple[str, str, str, int]] = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = _module_parts(path)
        source = parts[0]
        if source in TOP:
            continue
        for line, name in _imports(path):
            target = name.split(".")[1]
            if target in TOP:
                rows.append((f"{path.relative_to(ROOT)}:{line}", source, target, -1))
            elif target != source and (target in FLOOR or target in lms.AREAS):
                rows.append((f"{path.relative_to(ROOT)}:{line}", source, target, _rank(target)))
    return list(dict.fromkeys(rows))


def test_every_area_is_listed() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages == set(lms.AREAS), (
        f"{sorted(packages ^ set(lms.AREAS))}: add a new area to lms.AREAS, in its place in the layer order"
    )


def test_areas_import_only_areas_below_them() -> None:
    against = [
        f"{where}: {source} imports {target}"
        for where, source, target, rank in _area_imports()
        if rank < 0 or (rank >= _rank(source) and not {source, target} <= FLOOR)
    ]
    assert not against, "imports against the layer order:\n" + "\n".join(against)


def _part(parts: list[str]) -> str:
    return parts[1] if len(parts) > 2 else parts[1].removesuffix(".py")


def test_sub_packages_import_one_way() -> None:
    against = []
    for area, layers in SUB_LAYERS.items():
        floor = set().union(*layers)

        def rank(part: str, layers: list[set[str]] = layers, floor: set[str] = floor) -> int:
            for index, layer in enumerate(layers):
                if part in layer:
                    return index
            return -1 if part not in floor else 0

        for path in sorted((ROOT / area).rglob("*.py")):
            parts = _module_parts(path)
            if len(parts) < 2:
                continue
            source = _part(parts)
            for line, name in _imports(path):
                target_parts = name.split(".")[1:]
                if target_parts[0] != area or len(target_parts) < 2:
                    continue
                target = target_parts[1]
                if target == source or target == "__init__":
                    continue
                if rank(target) > rank(source) or (rank(target) == rank(source) and rank(source) > 0):
                    against.append(f"{path.relative_to(ROOT)}:{line}: {area}.{source} imports {area}.{target}")
    assert not against, "imports across sub-packages against their order:\n" + "\n".join(against)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The rule counts an import hidden in a function body, the way a loop used to hide."""
    module = tmp_path / "example.py"
    module.write_text("def later():\n    from lms.jobs.scheduler import jobs\n    return jobs\n")
    assert _imports(module) == [(2, "lms.jobs.scheduler"), (2, "lms.jobs.scheduler.jobs")]
