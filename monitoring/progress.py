"""Progress of a long management command: a bar (rich) when its standard output is a terminal, and
plain lines when it is not (a pipe, a log file, cron), so that logs never fill with redrawn bars.

    with CommandProgress(self.stdout, description="Polling", total=len(ids)) as progress:
        for ...:
            progress.write(f"{label}: 40 rows read")   # above the bar, or a plain line
            progress.advance()

Services that do the long work take a `progress` (anything with `set_total` and `advance`, by default
`NO_PROGRESS`), so they stay unaware of terminals. While a command shows progress, the INFO lines of
`quiet_loggers` (those that restate what the command prints) are held back; warnings still show.
"""

import logging

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class NoProgress:
    def set_total(self, total: int | None) -> None:
        pass

    def describe(self, description: str) -> None:
        """A new description for the bar (what the command does now); nothing is written off a terminal."""
        self.description = description
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        pass


NO_PROGRESS = NoProgress()


class CommandProgress:
    def __init__(self, stdout, *, description: str, total: int | None = None, plain_every: int = 0,
                 plain_line: str = "{count:,} done", plain_stream=None, quiet_loggers: tuple[str, ...] = ()):
        """`stdout` is the command's (an OutputWrapper or a stream). Not on a terminal, every
        `plain_every` steps (never when 0) writes `plain_line` (formatted with `count`) to
        `plain_stream` (default: stdout)."""
        self.stdout = stdout
        self.description = description
        self.total = total
        self.count = 0
        self.plain_every = plain_every
        self.plain_line = plain_line
        self.plain_stream = plain_stream or stdout
        self.quiet_loggers = quiet_loggers
        self.on_terminal = bool(getattr(stdout, "isatty", lambda: False)())
        self._bar: Progress | None = None
        self._task = None
        self._levels: dict[str, int] = {}

    def __enter__(self) -> "CommandProgress":
        for name in self.quiet_loggers:
            logger = logging.getLogger(name)
            self._levels[name] = logger.level
            logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
        if self.on_terminal:
            console = Console(file=getattr(self.stdout, "_out", self.stdout), force_terminal=True)
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.update(self._task, total=total)

    def describe(self, description: str) -> None:
        """A new description for the bar (what the command does now); nothing is written off a terminal."""
        self.description = description
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self, steps: int = 1) -> None:
        before, self.count = self.count, self.count + steps
        if self._bar is not None:
            self._bar.advance(self._task, steps)
        elif self.plain_every and self.count // self.plain_every > before // self.plain_every:
            self.plain_stream.write(self.plain_line.format(count=self.count))

    def write(self, line: str, *, stream=None) -> None:
        """A line of the command's output: above the bar on a terminal, else as it is, to `stream`
        (default: stdout; a command writes its failures to stderr)."""
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            (stream or self.stdout).write(line)
