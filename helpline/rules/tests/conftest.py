from __future__ import annotations

from typing import Any

import pytest

from helpline import factories


@pytest.fixture
def network(desk: Any) -> Any:
    """The Network Performance Monitoring department with two level-1 agents."""
    department = factories.department(
        name="Network Performance Monitoring", slug="network-performance-monitoring"
    )
    department.busy = factories.agent(departments=[department], level=1, name="Busy Net")
    department.idle = factories.agent(departments=[department], level=1, name="Idle Net")
    return department
