"""Compact assertion rewriting for notebook cells.

pytest's own rewriter turns every `assert` into a hundred AST nodes that build the failure
message eagerly; compiling that makes defining a cell of tests several times slower. This
rewriter keeps the fast path close to plain Python: each interesting sub-expression of the
assert is captured into a temporary with an assignment expression, and only when the
assertion fails is a constant *plan* (a nested tuple describing the expression) turned into
the explanation, with pytest's own helpers so the text matches what pytest prints for a
test module. The plan is stored marshalled: a bytes constant compiles several times faster
than a nested tuple, which counts in a cell of many tests:

    assert f(x) == [1, 2]

becomes, roughly,

    assert (@ipytest_v0 := f(x)) == [1, 2], @ipytest_ar(marshal.dumps(PLAN))
    @ipytest_v0 = None

Evaluation order and short-circuiting are those of the original expression. The module is
pure: it imports pytest only on the failure path.
"""

from __future__ import annotations

import ast
import marshal
import sys

from . import _compat_pytest

HELPER_NAME = "@ipytest_ar"
HELPER_MODULE = "ipytest._rewrite"
HELPER_FUNCTION = "failure"
TEMP_PREFIX = "@ipytest_v"
DONT_REWRITE_MARKER = "PYTEST_DONT_REWRITE"

_COMPARE_SYMBOLS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_BINOP_SYMBOLS = {
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
}
_UNARY_PREFIXES = {ast.Not: "not ", ast.Invert: "~", ast.USub: "-", ast.UAdd: "+"}

# Statements that cannot contain other statements: the search for asserts skips them
# without looking at their fields. Any other statement type, including syntax newer than
# this module, is searched field by field.
_LEAF_STATEMENTS = (
    ast.Expr,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Return,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.Import,
    ast.ImportFrom,
    ast.Global,
    ast.Nonlocal,
    ast.Delete,
    ast.Raise,
)


def rewrite_module(module: ast.Module) -> bool:
    """Rewrite the asserts of `module` in place; return whether anything changed.

    The rewrite is all or nothing: the replacement of every statement list is computed
    first and applied only once all of them succeeded, so an error leaves `module` as it
    was.
    """
    body = module.body
    if not body or _disables_rewriting(body[0]):
        return False

    patches: list[tuple[ast.AST, str, list]] = []
    _plan_statements(module, "body", body, patches)
    if not patches:
        return False

    import_node = _helper_import(body[0])
    for owner, field, statements in patches:
        setattr(owner, field, statements)

    module.body.insert(_import_position(module.body), import_node)
    return True


def _disables_rewriting(first: ast.stmt) -> bool:
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and DONT_REWRITE_MARKER in first.value.value
    )


def _plan_statements(owner: ast.AST, field: str, statements: list, patches: list) -> None:
    replaced = None
    for index, statement in enumerate(statements):
        if type(statement) is ast.Assert:
            if replaced is None:
                replaced = statements[:index]
            replaced.extend(_AssertRewriter(_TEMPORARY_NAMES).rewrite(statement))
            continue
        if replaced is not None:
            replaced.append(statement)
        if not isinstance(statement, _LEAF_STATEMENTS):
            _plan_children(statement, patches)
    if replaced is not None:
        patches.append((owner, field, replaced))


def _plan_children(node: ast.AST, patches: list) -> None:
    for field in node._fields:
        value = getattr(node, field, None)
        if type(value) is not list or not value:
            continue
        if isinstance(value[0], ast.stmt):
            _plan_statements(node, field, value, patches)
        elif isinstance(value[0], ast.AST) and hasattr(value[0], "body"):
            # except handlers and match cases hold statement lists one level down
            for child in value:
                _plan_children(child, patches)


def _import_position(body: list) -> int:
    """Index after a leading docstring and `from __future__` imports."""
    position = 0
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        position = 1
    found_future = False
    while (
        position < len(body)
        and isinstance(body[position], ast.ImportFrom)
        and body[position].module == "__future__"
    ):
        position += 1
        found_future = True
    return position if found_future else 0


def _helper_import(location: ast.AST) -> ast.ImportFrom:
    alias = ast.alias(name=HELPER_FUNCTION, asname=HELPER_NAME)
    node = ast.ImportFrom(module=HELPER_MODULE, names=[alias], level=0)
    _locate(node, location)
    _locate(node.names[0], location)
    return node


def _locate(node: ast.AST, location: ast.AST) -> ast.AST:
    node.lineno = location.lineno
    node.col_offset = location.col_offset
    node.end_lineno = location.end_lineno
    node.end_col_offset = location.end_col_offset
    return node


class _AssertRewriter:
    """Turns one assert statement into its capturing replacement and failure plan.

    `visit` returns `(expression, plan)`: the expression evaluates like the original while
    storing the values of calls, attributes and other computed sub-expressions into
    temporaries, and the plan says how to explain them. Names are not captured: their
    values are looked up in the failing frame. Plans are nested tuples of constants, so
    they compile into the code object for free:

    - `("c", value)`: a literal, shown by its repr
    - `("n", name)`: a name, shown by its repr if local or a plain value, else by name
    - `("v", i)`: any other expression, shown by the repr of temporary `i`
    - `("a", value_plan, attr, i)`: an attribute, with a "where" line
    - `("f", func_plan, ((prefix, arg_plan), ...), i)`: a call, with a "where" line
    - `("r", plan, i)`: explained like `plan`, its value kept in temporary `i`
    - `("b", symbol, left_plan, right_plan)`: a binary operation
    - `("u", prefix, operand_plan)`: a unary operation
    - `("o", is_or, (operand_plan, ...))`: a boolean operation
    - `("=", left_plan, left_parens, ((symbol, plan, parens, result), ...))`: a comparison
      (chain); `result` is the temporary holding that comparison's outcome, or None for
      the last one

    Which operands of a boolean operation or a comparison chain ran is told by the
    truthiness of the ones before, as Python's short-circuiting decides it.
    """

    def __init__(self, temporaries: list[str]) -> None:
        self.temporaries = temporaries
        self.count = 0
        self.at: dict[str, int] = {}

    def rewrite(self, node: ast.Assert) -> list[ast.stmt]:
        test = node.test
        if isinstance(test, ast.Tuple) and test.elts:
            # Always true: leave it to Python, which warns about it.
            return [node]
        # Every node made here carries the assert's position, so that the tree compiles
        # without a pass of ast.fix_missing_locations.
        at = self.at = {
            "lineno": node.lineno,
            "col_offset": node.col_offset,
            "end_lineno": node.end_lineno,
            "end_col_offset": node.end_col_offset,
        }
        captured, plan = self.visit(test)

        # Python evaluates an assert's message only when the test fails: the explanation
        # is built there, so a passing assert costs only the captures.
        arguments = [ast.Constant(marshal.dumps(plan), **at)]
        if node.msg is not None:
            arguments.append(node.msg)
        explanation = ast.Call(ast.Name(HELPER_NAME, ast.Load(), **at), arguments, [], **at)
        check = ast.Assert(captured, explanation, **at)
        if not self.count:
            return [check]
        # Drop the references so that values do not outlive the assert.
        store = ast.Store()
        targets = [ast.Name(name, store, **at) for name in self.temporaries[: self.count]]
        return [check, ast.Assign(targets, ast.Constant(None, **at), **at)]

    def visit(self, node: ast.expr) -> tuple[ast.expr, tuple]:
        visitor = _VISITORS.get(type(node))
        if visitor is None:
            return self.capture_value(node)
        return visitor(self, node)

    def capture(self, node: ast.expr) -> tuple[ast.expr, int]:
        index = self.count
        self.count += 1
        if index == len(self.temporaries):
            self.temporaries.append(f"{TEMP_PREFIX}{index}")
        target = ast.Name(self.temporaries[index], ast.Store(), **self.at)
        return ast.NamedExpr(target, node, **self.at), index

    def capture_value(self, node: ast.expr) -> tuple[ast.expr, tuple]:
        captured, index = self.capture(node)
        return captured, ("v", index)

    def with_value(self, captured: ast.expr, plan: tuple) -> tuple[ast.expr, tuple]:
        """Make sure the value of a visited expression can be read back on failure."""
        if plan[0] in _PLANS_WITH_VALUE:
            return captured, plan
        captured, index = self.capture(captured)
        return captured, ("r", plan, index)

    def visit_Constant(self, node: ast.Constant) -> tuple[ast.expr, tuple]:
        return node, ("c", node.value)

    def visit_Name(self, node: ast.Name) -> tuple[ast.expr, tuple]:
        return node, ("n", node.id)

    def visit_Attribute(self, node: ast.Attribute) -> tuple[ast.expr, tuple]:
        if not isinstance(node.ctx, ast.Load):
            return self.capture_value(node)
        value, value_plan = self.visit(node.value)
        attribute = ast.Attribute(value, node.attr, ast.Load(), **self.at)
        captured, index = self.capture(attribute)
        return captured, ("a", value_plan, node.attr, index)

    def visit_Call(self, node: ast.Call) -> tuple[ast.expr, tuple]:
        func, func_plan = self.visit(node.func)
        arguments, plans = [], []
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                value, plan = self.visit(argument.value)
                arguments.append(ast.Starred(value, ast.Load(), **self.at))
                plans.append(("*", plan))
            else:
                value, plan = self.visit(argument)
                arguments.append(value)
                plans.append(("", plan))
        keywords = []
        for keyword in node.keywords:
            value, plan = self.visit(keyword.value)
            keywords.append(ast.keyword(keyword.arg, value, **self.at))
            plans.append(("**" if keyword.arg is None else f"{keyword.arg}=", plan))
        captured, index = self.capture(ast.Call(func, arguments, keywords, **self.at))
        return captured, ("f", func_plan, tuple(plans), index)

    def visit_BinOp(self, node: ast.BinOp) -> tuple[ast.expr, tuple]:
        symbol = _BINOP_SYMBOLS.get(type(node.op))
        if symbol is None:
            return self.capture_value(node)
        left, left_plan = self.visit(node.left)
        right, right_plan = self.visit(node.right)
        return ast.BinOp(left, node.op, right, **self.at), ("b", symbol, left_plan, right_plan)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> tuple[ast.expr, tuple]:
        prefix = _UNARY_PREFIXES.get(type(node.op))
        if prefix is None:
            return self.capture_value(node)
        operand, plan = self.visit(node.operand)
        return ast.UnaryOp(node.op, operand, **self.at), ("u", prefix, plan)

    def visit_BoolOp(self, node: ast.BoolOp) -> tuple[ast.expr, tuple]:
        values, plans = [], []
        last = len(node.values) - 1
        for position, operand in enumerate(node.values):
            captured, plan = self.visit(operand)
            if position < last:
                # Whether the next operand ran depends on this one's truthiness.
                captured, plan = self.with_value(captured, plan)
            values.append(captured)
            plans.append(plan)
        return ast.BoolOp(node.op, values, **self.at), (
            "o",
            isinstance(node.op, ast.Or),
            tuple(plans),
        )

    def visit_Compare(self, node: ast.Compare) -> tuple[ast.expr, tuple]:
        symbols = [_COMPARE_SYMBOLS.get(type(op)) for op in node.ops]
        if None in symbols:
            return self.capture_value(node)
        left, left_plan = self.with_value(*self.visit(node.left))
        last = len(node.ops) - 1
        comparisons, pairs = [], []
        for position, (op, symbol, operand) in enumerate(
            zip(node.ops, symbols, node.comparators, strict=True)
        ):
            right, right_plan = self.with_value(*self.visit(operand))
            if position < last:
                # A chain `a < b < c` is `a < b and b < c` with `b` evaluated once: keep
                # the middle value and each outcome but the last.
                if right_plan[0] not in ("c", "n"):
                    middle = right_plan[-1]
                    right_plan = ("r", right_plan, middle)
                else:
                    right, middle = self.capture(right)
                    right_plan = ("r", right_plan, middle)
                comparison, result = self.capture(ast.Compare(left, [op], [right], **self.at))
                left = ast.Name(self.temporaries[middle], ast.Load(), **self.at)
            else:
                comparison, result = ast.Compare(left, [op], [right], **self.at), None
            comparisons.append(comparison)
            pairs.append((symbol, right_plan, _needs_parentheses(operand), result))
        if len(comparisons) == 1:
            expression = comparisons[0]
        else:
            expression = ast.BoolOp(ast.And(), comparisons, **self.at)
        plan = ("=", left_plan, _needs_parentheses(node.left), tuple(pairs))
        return expression, plan


_PLANS_WITH_VALUE = frozenset("cnvafr")
# Temporary names are shared by all asserts: each assert clears the ones it used.
_TEMPORARY_NAMES: list[str] = []


def _needs_parentheses(node: ast.expr) -> bool:
    return isinstance(node, (ast.Compare, ast.BoolOp))


_VISITORS = {
    ast.Constant: _AssertRewriter.visit_Constant,
    ast.Name: _AssertRewriter.visit_Name,
    ast.Attribute: _AssertRewriter.visit_Attribute,
    ast.Call: _AssertRewriter.visit_Call,
    ast.BinOp: _AssertRewriter.visit_BinOp,
    ast.UnaryOp: _AssertRewriter.visit_UnaryOp,
    ast.BoolOp: _AssertRewriter.visit_BoolOp,
    ast.Compare: _AssertRewriter.visit_Compare,
}


def failure(plan: bytes | tuple, *message: object) -> str:
    """Explain a failed rewritten assert: the message of its AssertionError.

    Called by rewritten code, from the frame of the failing assert, with the marshalled
    plan (or the plan itself, from code rewritten before plans were marshalled).
    """
    if isinstance(plan, bytes):
        plan = marshal.loads(plan)

    explainer = _Explainer(sys._getframe(1))
    explanation = explainer.explain(plan)
    if message:
        # pytest escapes "%" because its template is %-formatted afterwards; undo that.
        prefix = _compat_pytest.format_assertmsg(message[0]).replace("%%", "%")
        text = f"{prefix}\n>assert {explanation}"
    else:
        text = f"assert {explanation}"
    return _compat_pytest.format_explanation(text)


class _Explainer:
    """Renders a plan into pytest's explanation markup ("{", "}" and "~" lines)."""

    def __init__(self, frame) -> None:
        self.locals = frame.f_locals
        self.globals = frame.f_globals
        self.builtins = frame.f_builtins

    def repr(self, value: object) -> str:
        return _compat_pytest.saferepr(value)

    def temporary(self, index: int) -> object:
        return self.locals[f"{TEMP_PREFIX}{index}"]

    def value(self, plan: tuple) -> object:
        kind = plan[0]
        if kind == "c":
            return plan[1]
        if kind == "n":
            return self.lookup(plan[1])
        return self.temporary(plan[-1])

    def lookup(self, name: str) -> object:
        for namespace in (self.locals, self.globals, self.builtins):
            if name in namespace:
                return namespace[name]
        raise NameError(name)

    def explain(self, plan: tuple) -> str:
        return getattr(self, f"explain_{_PLAN_KINDS[plan[0]]}")(*plan[1:])

    def explain_literal(self, value: object) -> str:
        return self.repr(value)

    def explain_name(self, name: str) -> str:
        try:
            value = self.lookup(name)
        except NameError:
            return name
        # pytest shows every local by its value. At module level, where notebook code runs,
        # all names are local: there, callables and modules are shown by name, as globals.
        is_local = name in self.locals and self.locals is not self.globals
        if is_local or _compat_pytest.should_repr_global_name(value):
            return self.repr(value)
        return name

    def explain_value(self, index: int) -> str:
        return self.repr(self.temporary(index))

    def explain_attribute(self, value_plan: tuple, attribute: str, index: int) -> str:
        shown = self.repr(self.temporary(index))
        return f"{shown}\n{{{shown} = {self.explain(value_plan)}.{attribute}\n}}"

    def explain_call(self, func_plan: tuple, arguments: tuple, index: int) -> str:
        shown = self.repr(self.temporary(index))
        listed = ", ".join(prefix + self.explain(plan) for prefix, plan in arguments)
        return f"{shown}\n{{{shown} = {self.explain(func_plan)}({listed})\n}}"

    def explain_reference(self, plan: tuple, index: int) -> str:
        return self.explain(plan)

    def explain_binop(self, symbol: str, left: tuple, right: tuple) -> str:
        return f"({self.explain(left)} {symbol} {self.explain(right)})"

    def explain_unary(self, prefix: str, operand: tuple) -> str:
        return prefix + self.explain(operand)

    def explain_boolop(self, is_or: bool, operands: tuple) -> str:
        shown = []
        last = len(operands) - 1
        for position, plan in enumerate(operands):
            shown.append(self.explain(plan))
            if position < last and bool(self.value(plan)) is is_or:
                break
        return "(" + (" or " if is_or else " and ").join(shown) + ")"

    def explain_compare(self, left_plan: tuple, parenthesize: bool, pairs: tuple) -> str:
        left = self.value(left_plan)
        left_text = self.explain(left_plan)
        if parenthesize:
            left_text = f"({left_text})"
        for symbol, plan, paren, result in pairs:
            right = self.value(plan)
            right_text = self.explain(plan)
            if paren:
                right_text = f"({right_text})"
            if result is None or not self.temporary(result):
                detail = self.compare_detail(symbol, left, right)
                return detail or f"{left_text} {symbol} {right_text}"
            left, left_text = right, right_text
        raise AssertionError("unreachable: the last comparison has no stored result")

    def compare_detail(self, symbol: str, left: object, right: object) -> str | None:
        return _compat_pytest.compare_explanation(symbol, left, right)


_PLAN_KINDS = {
    "c": "literal",
    "n": "name",
    "v": "value",
    "a": "attribute",
    "f": "call",
    "r": "reference",
    "b": "binop",
    "u": "unary",
    "o": "boolop",
    "=": "compare",
}
