"""The IPython AST transformer that rewrites the asserts of every cell (`rewrite_asserts`)."""

from __future__ import annotations

import ast
import warnings

from ._rewrite import rewrite_module


class RewriteAssertTransformer(ast.NodeTransformer):
    """The IPython AST transformer that rewrites the asserts of every executed cell.

    A failing assert then explains itself as in a pytest test module. A cell the rewriter
    cannot handle runs unchanged, with a warning.
    """

    def register_with_shell(self, shell) -> None:
        """Add this transformer to `shell`, replacing any other assert rewriter of ipytest."""
        transformers = shell.ast_transformers
        positions = [index for index, item in enumerate(transformers) if _is_rewriter(item)]
        if not positions:
            transformers.append(self)
            return
        transformers[positions[0]] = self
        for index in reversed(positions[1:]):
            del transformers[index]

    def unregister_with_shell(self, shell) -> None:
        """Remove every assert rewriter of ipytest from `shell`."""
        shell.ast_transformers[:] = [
            item for item in shell.ast_transformers if not _is_rewriter(item)
        ]

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Module):
            try:
                rewrite_module(node)
            except Exception as error:
                warnings.warn(
                    f"ipytest could not rewrite the asserts of this cell ({type(error).__name__}: "
                    f"{error}); it runs with plain asserts",
                    stacklevel=2,
                )
        return node


def _is_rewriter(transformer: object) -> bool:
    # A reloaded ipytest has a new class: recognise its predecessors by name too, also
    # those of versions that defined it in `ipytest._impl`.
    cls = type(transformer)
    return isinstance(transformer, RewriteAssertTransformer) or (
        cls.__name__ == RewriteAssertTransformer.__name__ and cls.__module__ in _HOMES
    )


_HOMES = (__name__, "ipytest._impl")
