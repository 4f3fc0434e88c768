"""Run pytest in Jupyter notebooks.

```python
import ipytest
ipytest.autoconfig()
```

(or `%load_ext ipytest`), then write tests in a cell that starts with `%%ipytest`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["Error", "autoconfig", "clean", "config", "force_reload", "reload", "run"]
__version__ = "0.1.0"

# The exit code of the last run: None before the first one.
exit_code: int | None = None

# The public names live in these modules. They are imported on first use, because pytest
# imports this package on every start (for the notebook-test plugin's entry point). The
# IPython extension's hooks are found the same way by `%load_ext ipytest`.
_EXPORTS = {
    "autoconfig": "._config",
    "config": "._config",
    "load_ipython_extension": "._config",
    "unload_ipython_extension": "._config",
    "Error": "._run",
    "clean": "._namespace",
    "force_reload": "._namespace",
    "reload": "._namespace",
    "run": "._run",
}

if TYPE_CHECKING:
    from ._config import autoconfig, config
    from ._namespace import clean, force_reload, reload
    from ._run import Error, run


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
