import pytest

from helpline.web.templatetags.helpline_web import audit_action, audit_value, filesize


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ("", "—"),
        ({"id": 3, "name": "Level One"}, "Level One"),
        (["dock", "hardware"], "dock, hardware"),
        ("on_hold", "on hold"),
        (2, "2"),
        ("2026-11-26T04:24:16.316349+00:00", "26 Nov 2026, 04:24"),
    ],
)
def test_audit_values_read_as_text(value, shown):
    assert audit_value(value) == shown


@pytest.mark.parametrize(
    ("action", "shown"),
    [
        ("ticket.escalate", "Escalated"),
        ("ticket.customer_message", "Customer wrote"),
        ("x.y_z", "Y z"),
    ],
)
def test_audit_actions_read_as_past_tense_labels(action, shown):
    assert audit_action(action) == shown


@pytest.mark.parametrize(
    ("size", "shown"), [(12, "12 bytes"), (20480, "20.0 KB"), (3 * 1024 * 1024, "3.0 MB")]
)
def test_file_sizes_are_human_readable(size, shown):
    assert filesize(size) == shown
