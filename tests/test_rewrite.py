"""ipytest's assertion rewriter: pytest's messages, Python's semantics, any cell survives."""

from __future__ import annotations

import ast
import gc
import marshal
import re
import weakref

import pytest
from _pytest.assertion.rewrite import rewrite_asserts
from hypothesis import given, settings
from hypothesis import strategies as st

from ipytest._rewrite import HELPER_NAME, TEMP_PREFIX, rewrite_module


class Thing:
    attr = 2
    items = (1, 2)

    def meth(self, value):
        return value * 2

    def __repr__(self):
        return "<Thing>"


class Recorder:
    """Counts calls, to check that rewriting evaluates each sub-expression exactly once."""

    def __init__(self):
        self.calls = []

    def __call__(self, value):
        self.calls.append(value)
        return value


def namespace() -> dict:
    return {
        "a": 1,
        "b": 0,
        "c": [1, 2, 3],
        "s": "text",
        "none": None,
        "obj": Thing(),
        "f": lambda *args, **kwargs: 3,
        "inc": lambda value: value + 1,
        "tick": Recorder(),
    }


def compile_function(source: str, rewriter) -> dict:
    """Compile `def check(): <source>` with `rewriter` applied; return its namespace."""
    module = ast.parse("def check():\n    local = 5\n    " + source + "\n")
    if rewriter is not None:
        rewriter(module)
    ns = namespace()
    exec(compile(module, "<cell>", "exec"), ns)
    return ns


def outcome(source: str, rewriter) -> tuple:
    """What running the assert did: passed, or which exception with which message."""
    ns = compile_function(source, rewriter)
    try:
        ns["check"]()
    except AssertionError as error:
        result = ("AssertionError", re.sub(r" at 0x[0-9a-f]+", "", str(error)))
    except Exception as error:
        result = (type(error).__name__, None)
    else:
        result = ("passed", None)
    return (*result, ns["tick"].calls)


def pytest_rewriter(module: ast.Module) -> None:
    rewrite_asserts(module, b"")
    ast.fix_missing_locations(module)


def ours(module: ast.Module) -> None:
    rewrite_module(module)  # no fix_missing_locations: the tree must compile as it is


MESSAGE_CASES = [
    "assert [1, 2, 3] == [1, 2, 4]",
    "assert f(a) == 2",
    "assert obj.attr == 1",
    "assert obj.meth(a) == 5",
    "assert a and b",
    "assert b or none",
    "assert a == 1 and b == 2",
    "assert 0 < a < 1",
    "assert a < 2 < b",
    "assert not a",
    "assert a + 1 == 5",
    "assert a in [4, 5]",
    "assert f(*c, k=a, **{'q': 2}) == 0",
    "assert a == 2, 'msg %s' % a",
    "assert a == 2, ('tuple', 1)",
    "assert a == 2, '100% sure\\nsecond line'",
    "assert {'a': 1} == {'a': 2}",
    "assert 'abc\\ndef' == 'abc\\nxyz'",
    "assert len(c) == 2",
    "assert none is not None",
    "assert -a > 0",
    "assert f(f(a)) == 100",
    "assert local == 6",
    "assert s.upper() == 'TEXT!'",
    "assert c[0] == 2",
    "assert [x for x in c if x > 5]",
    "assert (lambda: 0)()",
    "assert isinstance(a, str)",
    "assert a % 2 == 0",
    "assert b",
    "assert (a == 1) == (b == 1)",
    "assert obj.items == (1, 3)",
]


@pytest.mark.parametrize("source", MESSAGE_CASES)
def test_failure_message_is_the_one_pytest_gives(source):
    assert outcome(source, ours) == outcome(source, pytest_rewriter)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("assert [1, 2, 3] == [1, 2, 4]", "At index 2 diff: 3 != 4"),
        ("assert f(a) == 2", "where 3 = f(1)"),
        ("assert obj.attr == 1", "where 2 = <Thing>.attr"),
    ],
)
def test_failure_message_explains_values(source, expected):
    kind, message, _ = outcome(source, ours)
    assert kind == "AssertionError"
    assert expected in message


@pytest.mark.parametrize(
    "source",
    [
        "assert tick(0) and tick(1)",
        "assert tick(1) or tick(2)",
        "assert tick(0) or tick(0) or tick(3)",
        "assert tick(1) < tick(0) < tick(5)",
        "assert tick(0) < tick(2) < tick(1) < tick(9)",
        "assert tick(1) == tick(1) and tick(2) > tick(3)",
        "assert tick([1]) == tick([2])",
        "assert f(tick(1), k=tick(2)) == tick(3)",
    ],
)
def test_evaluates_like_python(source):
    """Each sub-expression runs once, in Python's order, with Python's short-circuiting."""
    kind, _, calls = outcome(source, ours)
    plain_kind, _, plain_calls = outcome(source, None)
    assert (kind, calls) == (plain_kind, plain_calls)


def test_chained_comparison_keeps_python_short_circuit_unlike_pytest():
    source = "assert tick(5) < tick(1) < tick(9)"
    assert outcome(source, ours)[2] == [5, 1]
    assert outcome(source, pytest_rewriter)[2] == [5, 1, 9]


def test_values_do_not_outlive_the_assert():
    module = ast.parse(
        "def check(make):\n"
        "    obj = make()\n"
        "    ref = weakref.ref(obj)\n"
        "    assert ref() is obj\n"
        "    del obj\n"
        "    gc.collect()\n"
        "    assert ref() is None\n"
    )
    assert rewrite_module(module)
    ns = {"weakref": weakref, "gc": gc}
    exec(compile(module, "<cell>", "exec"), ns)
    ns["check"](Thing)


def test_rewritten_module_binds_only_the_helper_and_cleared_temporaries():
    module = ast.parse("x = [1]\nassert len(x) == 1\n")
    rewrite_module(module)
    ns: dict = {}
    exec(compile(module, "<cell>", "exec"), ns)
    added = {name: value for name, value in ns.items() if name not in ("__builtins__", "x")}
    assert set(added) == {HELPER_NAME, f"{TEMP_PREFIX}0"}
    assert added[f"{TEMP_PREFIX}0"] is None


@pytest.mark.parametrize(
    "source",
    [
        "",
        "# only a comment",
        "'a docstring alone'",
        "x = 1",
        "x = 1\nx",
    ],
)
def test_cells_without_asserts_are_left_alone(source):
    module = ast.parse(source)
    before = ast.dump(module)
    assert rewrite_module(module) is False
    assert ast.dump(module) == before


@pytest.mark.parametrize(
    "source",
    [
        '"""docstring"""\nassert 1',
        "from __future__ import annotations\nassert 1\ndef f(x: Undefined): pass",
        '"""doc"""\nfrom __future__ import annotations\nassert 1',
        "import functools\n@functools.lru_cache\ndef f():\n    assert 1\n    return 1\nf()",
        "class C:\n    assert 1\n    x = 1\n",
        "match 3:\n    case 3:\n        assert 1\n    case _:\n        pass",
        "try:\n    assert 1\nexcept Exception:\n    assert 0\nelse:\n    assert 1\n",
        "for i in range(3):\n    assert i < 3\nelse:\n    assert True",
        "with open(__file__ if False else '/dev/null') as fh:\n    assert fh",
        "assert (y := 3) == 3\nassert y == 3",
        "def gen():\n    assert (yield 1)\n",
        "async def co():\n    assert await something()\n",
        "assert [v for v in range(3) if v > 1] == [2]",
        "assert 1, 'message'",
        "assert (1, 'always true')",
    ],
)
@pytest.mark.filterwarnings("ignore:assertion is always true:SyntaxWarning")
def test_any_cell_still_compiles_and_runs(source):
    module = ast.parse(source)
    rewrite_module(module)
    exec(compile(module, "<cell>", "exec"), {"__file__": "x"})


def test_a_module_docstring_marker_disables_rewriting():
    module = ast.parse('"""PYTEST_DONT_REWRITE"""\nassert 1 == 2\n')
    assert rewrite_module(module) is False


def test_helper_import_goes_after_future_imports():
    module = ast.parse('"""doc"""\nfrom __future__ import annotations\nassert 1')
    rewrite_module(module)
    kinds = [type(node).__name__ for node in module.body]
    assert kinds[:3] == ["Expr", "ImportFrom", "ImportFrom"]
    assert module.body[1].module == "__future__"


def test_a_failure_while_rewriting_leaves_the_tree_unchanged(monkeypatch):
    from ipytest import _rewrite

    module = ast.parse("assert 1\nif True:\n    assert 2\n")
    before = ast.dump(module)
    calls = []

    def rewrite_then_fail(self, node):
        calls.append(node)
        if len(calls) == 2:
            raise RuntimeError("rewriter bug")
        return [node]

    monkeypatch.setattr(_rewrite._AssertRewriter, "rewrite", rewrite_then_fail)
    with pytest.raises(RuntimeError):
        rewrite_module(module)
    assert ast.dump(module) == before


# Property: for generated assert expressions, the outcome (pass, exception type, message,
# side effects) is the one pytest's rewriter gives, except where pytest deviates from
# Python (it evaluates every operand of a comparison chain); side effects are then
# compared with plain Python instead.

_names = st.sampled_from(["a", "b", "c", "s", "none", "local"])
_literals = st.sampled_from(["0", "1", "2", "'text'", "[1, 2]", "None", "(1, 2)", "{'k': 1}"])


def _expressions(depth: int):
    leaf = st.one_of(_names, _literals, st.sampled_from(["obj.attr", "obj.items", "c[0]"]))
    if depth == 0:
        return leaf
    sub = _expressions(depth - 1)
    return st.one_of(
        leaf,
        st.builds(
            lambda x, op, y: f"({x} {op} {y})",
            sub,
            st.sampled_from(["==", "!=", "<", "in", "is"]),
            sub,
        ),
        st.builds(lambda x, y, z: f"({x} < {y} <= {z})", sub, sub, sub),
        st.builds(
            lambda xs, op: "(" + f" {op} ".join(xs) + ")",
            st.lists(sub, min_size=2, max_size=3),
            st.sampled_from(["and", "or"]),
        ),
        st.builds(lambda x: f"(not {x})", sub),
        st.builds(lambda x, y: f"({x} + {y})", sub, sub),
        st.builds(lambda x: f"f({x})", sub),
        st.builds(lambda x: f"len({x})", sub),
        st.builds(lambda x: f"tick({x})", sub),
        st.builds(lambda x: f"obj.meth({x})", sub),
    )


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
@settings(max_examples=300, deadline=None)
@given(_expressions(3))
def test_generated_asserts_fail_like_pytest_and_run_like_python(expression):
    source = f"assert {expression}"
    kind, message, calls = outcome(source, ours)
    plain_kind, _, plain_calls = outcome(source, None)
    assert kind == plain_kind
    assert calls == plain_calls
    chained = "<=" in expression  # pytest evaluates every operand of a chain
    # pytest's rewriter itself fails on an always-true tuple assert outside a file.
    is_tuple = isinstance(ast.parse(expression, mode="eval").body, ast.Tuple)
    if not chained and not is_tuple:
        assert (kind, message) == outcome(source, pytest_rewriter)[:2]


def test_module_level_asserts_show_callables_by_name():
    """pytest would show `<function f at 0x...>`: at module level every name is local."""
    module = ast.parse("def f():\n    return 3\nvalue = 3\nassert f() == value + 1\n")
    rewrite_module(module)
    with pytest.raises(AssertionError) as error:
        exec(compile(module, "<cell>", "exec"), {})
    assert str(error.value) == "assert 3 == (3 + 1)\n +  where 3 = f()"


def failure_plans(module: ast.Module) -> list:
    """The plan argument of every call of the failure helper in `module`."""
    return [
        node.args[0]
        for node in ast.walk(module)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == HELPER_NAME
    ]


def test_the_plan_is_one_bytes_constant():
    # A nested tuple constant costs several times more to compile, per assert.
    module = ast.parse("def check():\n    assert f(a) == [1, 2]\n    assert obj.attr\n")
    rewrite_module(module)
    plans = failure_plans(module)
    assert len(plans) == 2
    assert all(isinstance(plan, ast.Constant) and type(plan.value) is bytes for plan in plans)


def test_a_plan_given_as_a_tuple_is_explained_alike():
    # Tests rewritten by an ipytest that passed plan tuples call the helper of a newer one
    # once the notebook has imported it.
    def as_tuples(module: ast.Module) -> None:
        rewrite_module(module)
        for plan in failure_plans(module):
            plan.value = marshal.loads(plan.value)

    for source in MESSAGE_CASES:
        assert outcome(source, as_tuples) == outcome(source, ours)
