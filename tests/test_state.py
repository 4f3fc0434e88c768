"""clean, force_reload, reload and Error."""

from __future__ import annotations

import sys
import types

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipytest
from ipytest._options import UsageError


def module_with(*names: str) -> types.ModuleType:
    module = types.ModuleType("notebook")
    for name in names:
        setattr(module, name, object())
    return module


def user_names(module: types.ModuleType) -> set[str]:
    return {name for name in vars(module) if not name.startswith("__")}


def test_clean_deletes_tests_by_default():
    module = module_with("test_a", "Test_B", "TestC", "helper", "attest", "_test_private")
    ipytest.clean(module=module)
    assert user_names(module) == {"helper", "attest", "_test_private"}


def test_clean_takes_a_pattern():
    module = module_with("test_a", "test_b", "check_c")
    ipytest.clean("*_b", module=module)
    assert user_names(module) == {"test_a", "check_c"}


def test_clean_never_deletes_private_names():
    module = module_with("_hidden", "shown")
    ipytest.clean("*", module=module)
    assert user_names(module) == {"_hidden"}


def test_clean_defaults_to_the_shell_namespace(shell):
    shell.run_cell("def test_x(): pass\nvalue = 1")
    ipytest.clean()
    assert "test_x" not in shell.user_ns
    assert shell.user_ns["value"] == 1


def test_clean_refuses_a_non_pattern():
    with pytest.raises(UsageError, match="glob pattern"):
        ipytest.clean(3, module=module_with())


@given(st.text(), st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]*", fullmatch=True)))
def test_clean_deletes_exactly_the_public_names_matching(pattern, names):
    import fnmatch

    module = module_with(*names)
    ipytest.clean(pattern, module=module)
    for name in set(names):
        deleted = not name.startswith("_") and fnmatch.fnmatchcase(name, pattern)
        assert hasattr(module, name) is not deleted


def test_force_reload_removes_modules_and_submodules():
    modules = {
        name: types.ModuleType(name) for name in ("pkg", "pkg.sub", "pkg.sub.x", "pkgx", "other")
    }
    ipytest.force_reload("pkg", modules=modules)
    assert sorted(modules) == ["other", "pkgx"]


def test_force_reload_uses_sys_modules(tmp_path, monkeypatch):
    (tmp_path / "reloadme.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import reloadme

    assert reloadme.VALUE == 1
    (tmp_path / "reloadme.py").write_text("VALUE = 2\n")
    ipytest.force_reload("reloadme")
    assert "reloadme" not in sys.modules
    import reloadme as again

    assert again.VALUE == 2
    sys.modules.pop("reloadme", None)


def test_force_reload_refuses_non_names():
    with pytest.raises(UsageError, match="module names"):
        ipytest.force_reload(sys, modules={})


@pytest.mark.parametrize("by_name", [True, False])
def test_reload_reads_the_module_again(tmp_path, monkeypatch, by_name):
    name = f"reload_{'name' if by_name else 'module'}"
    (tmp_path / f"{name}.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = __import__(name)
    (tmp_path / f"{name}.py").write_text("VALUE = 22\n")
    ipytest.reload(name if by_name else module)
    assert module.VALUE == 22
    sys.modules.pop(name, None)


def test_reload_refuses_other_things():
    with pytest.raises(UsageError, match="modules or module names"):
        ipytest.reload(3)


def test_error_carries_the_exit_code():
    error = ipytest.Error(1)
    assert error.args[0] == 1
    assert str(error) == "pytest exited with code 1 (tests failed)"
    assert error._render_traceback_() == ["ipytest.Error: pytest exited with code 1 (tests failed)"]


def test_error_is_a_runtime_error():
    # Code around run(raise_on_error=True) catches RuntimeError.
    assert issubclass(ipytest.Error, RuntimeError)
    with pytest.raises(RuntimeError):
        raise ipytest.Error(1)
