from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the block's on-commit callbacks (signal receivers, tasks) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
