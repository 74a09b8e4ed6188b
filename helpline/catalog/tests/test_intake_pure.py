from __future__ import annotations

from helpline.catalog import intake
from helpline.catalog.intake import StepNode

ON = StepNode(1, "question", "Is the printer on?", on_yes=2, on_no=3)
CABLE = StepNode(2, "question", "Is the cable plugged in?", on_yes=5, on_no=4)
SWITCH = StepNode(3, "instruction", "Switch it on", on_yes=5)
PLUG = StepNode(4, "instruction", "Plug it in", on_yes=5)
OFFLINE = StepNode(5, "instruction", "Check offline")
STEPS = [ON, CABLE, SWITCH, PLUG, OFFLINE]


def test_answers_branch_to_their_steps():
    assert intake.next_step(STEPS, 1, "yes") == CABLE
    assert intake.next_step(STEPS, 1, "no") == SWITCH
    assert intake.next_step(STEPS, 2, "no") == PLUG
    assert intake.next_step(STEPS, 3, "continue") == OFFLINE


def test_continuing_past_the_last_step_ends_the_guide():
    assert intake.next_step(STEPS, 5, "continue") is None


def test_without_a_branch_the_next_step_in_order_follows():
    plain = [StepNode(1, "question", "a"), StepNode(2, "instruction", "b")]
    assert intake.next_step(plain, 1, "no") == plain[1]


def test_unknown_steps_and_answers_end_nowhere():
    assert intake.next_step(STEPS, 99, "yes") is None
    assert intake.next_step(STEPS, 1, "maybe") is None


def test_a_trail_keeps_only_known_steps_and_answers():
    pairs = intake.parse_trail("1:no,3:continue,99:yes,2:maybe,x:y,,5", STEPS)
    assert pairs == [(ON, "no"), (SWITCH, "continue")]
    assert intake.format_trail(pairs) == "1:no,3:continue"


def test_missing_fields_are_the_required_ones_left_empty():
    assert intake.missing_fields(["device", "location"], {"device": " ", "location": "B2"}) == {
        "device": "required"
    }


def test_the_intake_block_lists_checks_and_fields():
    block = intake.intake_block(
        title="Guide: Printer",
        pairs=[(ON, "no"), (SWITCH, "continue")],
        fields={"error_message": "Error 49\nretry", "device": ""},
    )
    assert block.splitlines() == [
        "**Guide: Printer**",
        "",
        "- Is the printer on? — No",
        "- Switch it on — Done",
        "- Error message: Error 49 retry",
    ]
