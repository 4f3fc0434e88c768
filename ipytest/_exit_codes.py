"""pytest's exit codes (`pytest.ExitCode`), spelled out to keep `import ipytest` free of pytest."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERRUPTED = 2
EXIT_INTERNAL_ERROR = 3
EXIT_USAGE_ERROR = 4
EXIT_NO_TESTS_COLLECTED = 5
EXIT_CODE_MEANINGS = {
    0: "all tests passed",
    1: "tests failed",
    2: "interrupted",
    3: "internal error",
    4: "usage error",
    5: "no tests collected",
}
