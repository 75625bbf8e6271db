"""The gate where threads hold while acks are on their way (bot.acks)."""

from __future__ import annotations

import threading

from bot.acks import AckGate

# A condition that must stay false is given this long to show it does not.
NOT_WITHIN_S = 0.1


def holding(gate: AckGate) -> threading.Event:
    """A thread that holds at the gate, then says it went on."""
    went_on = threading.Event()

    def work() -> None:
        gate.hold()
        went_on.set()

    threading.Thread(target=work, daemon=True).start()
    return went_on


def test_a_thread_goes_on_at_once_when_no_ack_is_pending() -> None:
    gate = AckGate(quiet_max=30)
    assert holding(gate).wait(5)


def test_a_thread_waits_for_the_last_pending_ack() -> None:
    gate = AckGate(quiet_max=30)
    gate.enter()
    gate.enter()
    went_on = holding(gate)
    gate.leave()
    assert not went_on.wait(NOT_WITHIN_S)  # one is still on its way
    gate.leave()
    assert went_on.wait(5)


def test_a_thread_that_waited_its_longest_opens_the_gate_for_a_while() -> None:
    gate = AckGate(quiet_max=0.5, overdue=30)
    gate.enter()
    assert holding(gate).wait(5)  # after quiet_max, acks still pending
    assert gate.open()
    # The next thread goes on at once (it would wait 0.5 s otherwise): a
    # fair share under acks that never let up, not one piece per quiet_max.
    assert holding(gate).wait(NOT_WITHIN_S)


def test_overdue_wakes_the_threads_already_holding() -> None:
    gate = AckGate(quiet_max=30, overdue=30)
    gate.enter()
    went_on = holding(gate)
    assert not went_on.wait(NOT_WITHIN_S)
    gate.overdue()
    assert went_on.wait(5)
