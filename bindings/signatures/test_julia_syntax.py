"""Every Julia file of the package parses (tree-sitter's Julia grammar): with no Julia
runtime on the project's machines, this catches syntax errors the signature check cannot."""

from pathlib import Path

import pytest

tree_sitter = pytest.importorskip("tree_sitter", reason="tree-sitter is not installed (pip install tree-sitter)")
tree_sitter_julia = pytest.importorskip(
    "tree_sitter_julia", reason="tree-sitter-julia is not installed (pip install tree-sitter-julia)"
)

PACKAGE = Path(__file__).resolve().parents[1] / "julia" / "FDVJP"
SOURCES = sorted(PACKAGE.rglob("*.jl"))


def syntax_errors(source: bytes):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_julia.language()))
    errors = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            row, column = node.start_point
            errors.append(f"line {row + 1}, column {column + 1}: {node.text[:60]!r}")
        for child in node.children:
            walk(child)

    walk(parser.parse(source).root_node)
    return errors


def test_there_are_sources():
    assert len(SOURCES) >= 10


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_parses(path):
    assert syntax_errors(path.read_bytes()) == []


def test_the_readme_example_parses():
    import re

    readme = Path(__file__).resolve().parents[2] / "README.md"
    examples = re.findall(r"```julia\n(.*?)```", readme.read_text(), flags=re.S)
    assert examples
    for code in examples:
        assert syntax_errors(code.encode()) == []


def test_a_syntax_error_is_caught():
    assert syntax_errors(b"f(x) = [1.0, 2sin(1.0)cos(1.0)]\n")
    assert syntax_errors(b"function f(x)\n    x +\nend\n")
