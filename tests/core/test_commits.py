"""One transaction per request: views never commit or roll back, and nothing below them commits.

The request boundary in core/web.py commits or rolls back once per request. These tests read the
source (with ast, so comments and strings do not count) and fail on a `.commit(` or `.rollback(` where
it does not belong.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lms

ROOT = Path(lms.__file__).parent

#: The units of work that do commit, outside requests: the job runner, the outbox deliverer (one
#: message at a time, so a crash never sends one twice), the demo command, and the request boundary.
#: CLI commands (lms/cli.py) commit at the end of each command.
UNITS_OF_WORK = {
    "core/web.py": {"init_app", "attempt", "commit_despite_refusal"},
    "jobs/services.py": {"run_once"},
    "messaging/services.py": {"deliver_due"},
    "demo/services.py": {"build_demo"},
}


def _view_modules() -> list[Path]:
    """Every module that answers requests: each area's views, and the API's plumbing beside its views."""
    found = set(ROOT.rglob("views.py")) | set(ROOT.rglob("views/*.py")) | set((ROOT / "api").glob("*.py"))
    return sorted(found)


def _calls(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """(line, the called attribute) for each `<anything>.<name>(...)` call."""
    return [
        (node.lineno, ast.unparse(node.func))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names
    ]


def _top_functions(tree: ast.Module) -> dict[int, str]:
    """Each line of the module mapped to the top-level function it is in."""
    lines = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                lines[line] = node.name
    return lines


def test_views_never_commit_or_roll_back() -> None:
    modules = _view_modules()
    assert ROOT / "api" / "core.py" in modules and ROOT / "people" / "views.py" in modules
    against = [
        f"{path.relative_to(ROOT)}:{line}: {call}()"
        for path in modules
        for line, call in _calls(ast.parse(path.read_text(encoding="utf-8")), {"commit", "rollback"})
    ]
    assert not against, (
        "views leave the transaction to the request boundary (lms/core/web.py); use `attempt` for a "
        "service that may refuse:\n" + "\n".join(against)
    )


def test_only_units_of_work_end_the_session_transaction() -> None:
    """Services, queries and jobs flush; `db.session.commit()`/`rollback()` belong to the boundary and the
    few units of work listed above. A savepoint (`begin_nested()`) inside a service is fine."""
    against = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative == "cli.py" or path in _view_modules():
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owners = _top_functions(tree)
        for line, call in _calls(tree, {"commit", "rollback"}):
            if call not in ("db.session.commit", "db.session.rollback"):
                continue  # a savepoint's own commit or rollback
            if owners.get(line) not in UNITS_OF_WORK.get(relative, set()):
                against.append(f"{relative}:{line}: {call}() in {owners.get(line, 'module level')}")
    assert not against, "services flush; the request boundary or the job commits:\n" + "\n".join(against)


def test_the_escape_hatch_is_used_only_where_documented() -> None:
    """`commit_despite_refusal` (and `attempt(..., keep_on_refusal=True)`) keep rows that a refusal
    would undo: failed logins for the throttle and the tries a wrong self check-in code uses up (a
    refusal must still count, or the codes could be guessed), nothing else. (The API's rate-limit count
    is written in a transaction of its own, `lms.core.db.transaction_apart`, before the request's opens.)"""
    uses = set()
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        owners = _top_functions(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            keeps = any(
                k.arg == "keep_on_refusal" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                for k in node.keywords
            )
            if name == "commit_despite_refusal" or keeps:
                uses.add((str(path.relative_to(ROOT)), owners.get(node.lineno, "module level")))
    assert uses == {
        ("core/web.py", "attempt"),
        ("people/views.py", "login"),
        ("people/views.py", "login_phone"),
        ("assessments/attendance/views.py", "check_in"),
    }
