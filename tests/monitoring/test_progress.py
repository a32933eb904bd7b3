"""Progress of long commands: a bar on a terminal, plain lines elsewhere, INFO lines held back meanwhile."""

import io
import logging

import pytest
from django.core.management.base import OutputWrapper

from monitoring.progress import CommandProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_progress_writes_a_plain_line_each_time_a_multiple_is_passed():
    out = OutputWrapper(io.StringIO())

    with CommandProgress(out, description="Reading", plain_every=100, plain_line="{count:,} lines read") as progress:
        for steps in (60, 60, 60, 60):
            progress.advance(steps)
        progress.write("done")

    assert out._out.getvalue().splitlines() == ["120 lines read", "240 lines read", "done"]


def test_off_a_terminal_progress_draws_nothing_but_the_lines_written():
    out = io.StringIO()

    with CommandProgress(out, description="Polling", total=3) as progress:
        progress.write("first\n")
        progress.advance(3)

    assert out.getvalue() == "first\n"


def test_on_a_terminal_progress_draws_a_bar_with_the_lines_above_it():
    out = Terminal()

    with CommandProgress(out, description="Polling", total=2) as progress:
        progress.write("first")
        progress.advance(2)

    assert "first" in out.getvalue() and "Polling" in out.getvalue() and "2/2" in out.getvalue()


def test_the_quieted_loggers_get_their_level_back_even_when_the_command_fails():
    logger = logging.getLogger("tests.progress.quiet")
    logger.setLevel(logging.DEBUG)

    with pytest.raises(RuntimeError), CommandProgress(io.StringIO(), description="x",
                                                      quiet_loggers=("tests.progress.quiet",)):
        assert not logger.isEnabledFor(logging.INFO)
        assert logger.isEnabledFor(logging.WARNING)
        raise RuntimeError("failed")

    assert logger.level == logging.DEBUG
