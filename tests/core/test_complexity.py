"""No function in lms/ has a cyclomatic complexity of 15 or more.

The measure is radon's `cc` (McCabe's number as radon counts it), computed here with the stdlib so
the check needs no extra tool: 1 for the function, plus 1 for each `if`, `elif` and conditional
expression, each loop (and its `else`), each `except` (and a `try`'s `else`), each `assert`, each
`case` of a `match` but a bare `case _`, each comprehension's `for` and `if`, and each extra operand
of `and`/`or`. A nested function or class is measured on its own and does not add to its parent.
ruff's C901 is not used: it leaves out `and`/`or` and folds nested functions into their parent, so
its numbers differ from radon's by up to half.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lms

ROOT = Path(lms.__file__).parent
LIMIT = 15

FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPE = (*FUNCTION, ast.ClassDef)


def _decisions(node: ast.AST) -> int:
    """The decision points a node adds by itself (its children are counted separately)."""
    match node:
        case ast.If() | ast.IfExp() | ast.Assert():
            return 1
        case ast.For() | ast.AsyncFor() | ast.While():
            return 1 + bool(node.orelse)
        case ast.Try() | ast.TryStar():
            return len(node.handlers) + bool(node.orelse)
        case ast.BoolOp():
            return len(node.values) - 1
        case ast.comprehension():
            return 1 + len(node.ifs)
        case ast.Match():
            bare = any(isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None for case in node.cases)
            return max(0, len(node.cases) - bare)
    return 0


def complexity(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The cyclomatic complexity of one function's own body."""
    total, pending = 1, list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, SCOPE):
            continue
        total += _decisions(node)
        pending.extend(ast.iter_child_nodes(node))
    return total


def complexities(source: str) -> list[tuple[str, int, int]]:
    """(qualified name, line, complexity) for every function and method in a module, nested ones too."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, FUNCTION):
                found.append((f"{prefix}{child.name}", child.lineno, complexity(child)))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def test_no_function_in_lms_is_too_complex():
    too_complex = [
        f"{path.relative_to(ROOT.parent)}:{line} {name} has complexity {value}"
        for path in sorted(ROOT.rglob("*.py"))
        for name, line, value in complexities(path.read_text(encoding="utf-8"))
        if value >= LIMIT
    ]
    assert not too_complex, "Split these into well-named helpers:\n" + "\n".join(too_complex)


SAMPLES = {
    "nothing": ("return 1", 1),
    "if and elif": ("if a:\n    return 1\nelif a > 2:\n    return 2\nreturn 3", 3),
    "and, or": ("return a and b or c", 3),
    "comprehension with two ifs": ("return [x for x in a if x if x > 1]", 4),
    "loops, one with else": ("for x in a:\n    pass\nelse:\n    pass\nwhile a:\n    break", 4),
    "two excepts": ("try:\n    pass\nexcept ValueError:\n    pass\nexcept KeyError:\n    pass", 3),
    "conditional expression": ("return 1 if a else 2", 2),
    "match, wildcard not counted": (
        "match a:\n    case 1:\n        pass\n    case 2:\n        pass\n    case _:\n        pass",
        3,
    ),
    "assert": ("assert a", 2),
    # A closure is measured on its own: its `if` does not count for the outer function.
    "closure": ("def g(b):\n    if b:\n        pass\nreturn g", 1),
}


@pytest.mark.parametrize(("body", "expected"), SAMPLES.values(), ids=SAMPLES.keys())
def test_the_measure_counts_as_radon_does(body, expected):
    source = "def f(a, b=None, c=None):\n" + "".join(f"    {line}\n" for line in body.splitlines())
    name, _line, value = complexities(source)[0]
    assert (name, value) == ("f", expected)
