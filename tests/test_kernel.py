"""ipytest in a real Jupyter kernel (ipykernel driven by nbclient)."""

from __future__ import annotations

import re

from kernel import execute_notebook, write_notebook


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_failing_test_under_raise_on_error_makes_the_reply_an_error(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        "import ipytest\nipytest.autoconfig(raise_on_error=True)",
        "%%ipytest\ndef test_passes():\n    pass",
        "%%ipytest\ndef test_fails():\n    assert [1, 2, 3] == [1, 2, 4]",
        "print('not reached')",
    )
    outcomes = execute_notebook(path, stop_on_error=True)
    assert [outcome.status for outcome in outcomes] == ["ok", "ok", "error"]
    failing = outcomes[2]
    assert failing.reply["ename"] == "Error"
    assert "pytest exited with code 1" in failing.reply["evalue"]
    assert "At index 2 diff: 3 != 4" in plain(failing.text)


def test_a_raising_cell_body_under_raise_on_error_makes_the_reply_an_error(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        "import ipytest\nipytest.autoconfig(raise_on_error=True)",
        "%%ipytest\ndef test_fine():\n    pass\n1 / 0",
    )
    outcomes = execute_notebook(path)
    assert [outcome.status for outcome in outcomes] == ["ok", "error"]
    assert "ZeroDivisionError" in outcomes[1].reply["evalue"]


def test_in_a_kernel_usage_errors_name_ipytest_and_async_tests_run_in_a_thread(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        "import ipytest\nipytest.autoconfig(run_in_thread=True, addopts=['-q'])",
        "%%ipytest --no-such-option\ndef test_x():\n    pass",
        "%%ipytest\nimport asyncio, pytest\n\n@pytest.mark.asyncio\nasync def test_a():\n"
        "    await asyncio.sleep(0)\n",
        "assert ipytest.exit_code == 0, ipytest.exit_code",
    )
    outcomes = execute_notebook(path)
    assert [outcome.status for outcome in outcomes] == ["ok", "ok", "ok", "ok"]
    assert "%%ipytest: error: unrecognized arguments: --no-such-option" in plain(outcomes[1].text)
    assert "1 passed" in plain(outcomes[2].text)
