"""The interactive shell behind ``httpql shell``, modelled on pgcli/litecli and the sqlite3 shell.

The Connection executes and yields results; this module buffers input, runs meta commands and
shows results through ``output.render_result``. On a terminal it runs a prompt_toolkit session;
otherwise it reads lines from stdin with the same buffering, so ``httpql shell < script.sql``
works too (and exits 1 when something failed, as sqlite3 does).

A statement runs once the buffer ends with ``;`` or ``\\G`` (after trailing whitespace and
comments). A meta command (``meta_commands``) is a line of its own, also mid-statement.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from typing import TextIO
from urllib.parse import urlsplit

from .. import __version__
from ..errors import Error, ParseError
from ..output import escape, render, render_result, width
from .completion import current_word, suggest
from .meta_commands import Call, parse_line, split_command
from .sqltext import is_complete, is_open, split_vertical

DEFAULT_PAGER = "less -SRXF"
MAX_READ_DEPTH = 16  # .read of a file that reads itself stops here


def is_ready(text: str) -> bool:
    """Whether Enter should submit the buffer instead of starting a new line."""
    return not text.strip() or split_command(text)[1] is not None or is_complete(text)


class Shell:
    """Runs what the user submits. Results go to ``out`` (or a file after .output); status,
    footers and errors go to ``err``."""

    def __init__(self, conn, fmt: str, out: TextIO, err: TextIO, *,
                 interactive: bool = False) -> None:
        self.conn = conn
        self.fmt = fmt
        self.out = out
        self.err = err
        self.interactive = interactive
        self.done = False
        self.failed = False  # for the exit status of piped input
        self.buffer = ""  # the statement being typed
        self.vertical = False
        self.timing = interactive  # the footer says how long a statement took
        self.dry_run = bool(conn.dry_run)
        self._file: TextIO | None = None  # .output / .once
        self._once = False
        self._reading = 0  # .read depth

    # --- writing ------------------------------------------------------------------------------

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def info(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def error(self, message: str) -> None:
        self.failed = True
        self.info(f"error: {escape(message, keep_newlines=True)}")

    def _screen_width(self) -> int | None:
        """Tables fit the terminal they are shown on; in a file or a pipe they keep every value."""
        if self._file is None and _isatty(self.out):
            return shutil.get_terminal_size().columns
        return None

    def emit(self, text: str) -> None:
        """Result data: to the .output file, else the screen (through a pager when long)."""
        if self._file is not None:
            self._file.write(text)
            self._file.flush()
        elif self.interactive and _isatty(self.out) and _too_long(text):
            self._page(text)
        else:
            self.write(text)

    def _page(self, text: str) -> None:
        pager = os.environ.get("PAGER", DEFAULT_PAGER)
        try:
            argv = shlex.split(pager)
        except ValueError:
            argv = []
        if not argv or shutil.which(argv[0]) is None:
            self.write(text)
            return
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the pager
        try:
            subprocess.run(argv, input=text, text=True, encoding="utf-8", check=False)
        except OSError:
            self.write(text)
        finally:
            signal.signal(signal.SIGINT, previous)

    def send_output_to(self, path: str | None, once: bool) -> None:
        self._close_output()
        if path is None:
            return
        try:
            self._file = open(os.path.expanduser(path), "w", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            self.error(f"cannot write {path}: {e.strerror or e}")
            return
        self._once = once

    def _close_output(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._once = None, False

    # --- input ------------------------------------------------------------------------------------

    def feed(self, line: str) -> None:
        """One line as typed or read: a meta command runs at once (the statement being typed is
        kept, unless the command quits); a statement runs when it is complete."""
        call = parse_line(line)
        if call is not None and not is_open(self.buffer):  # not inside a string or comment
            self.command(call)
            return
        self.buffer += line if line.endswith("\n") else line + "\n"
        if is_complete(self.buffer):
            sql, self.buffer = self.buffer, ""
            self.execute(sql)

    def finish(self) -> None:
        """End of input: like psql reading a file, a last statement may lack its ';'."""
        sql, self.buffer = self.buffer, ""
        if sql.strip() and not self.done:
            self.execute(sql)

    def command(self, call: Call) -> None:
        if call.command is None:
            self.error(f"unknown command '{call.typed}'; .help lists the commands")
            return
        try:
            call.command.run(self, call.arg)
        except Exception as e:  # a bug: reported, and the session goes on
            self.error(f"internal error in {call.command.name}: {type(e).__name__}: {e}")

    def read_file(self, path: str) -> None:
        if self._reading >= MAX_READ_DEPTH:
            self.error(f".read {path}: files read each other more than {MAX_READ_DEPTH} deep")
            return
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as f:
                text = f.read().removeprefix("\ufeff")
        except OSError as e:
            self.error(f"cannot read {path}: {e.strerror or e}")
            return
        except UnicodeDecodeError as e:
            self.error(f"{path} is not UTF-8 text (byte {e.start + 1}); save it as UTF-8")
            return
        saved, self.buffer = self.buffer, ""
        self._reading += 1
        try:
            for line in text.splitlines():
                self.feed(line)
                if self.done:
                    break
            self.finish()
        finally:
            self._reading -= 1
            self.buffer = saved

    # --- running ----------------------------------------------------------------------------------

    def execute(self, sql: str) -> None:
        # No exception may end the shell: library errors are the user's to fix, anything else is
        # our bug, reported without a traceback so the session (and its history) survives.
        sql, vertical = split_vertical(sql)
        done, sending = 0, False
        try:
            results = self.conn.stream(sql)
            while True:
                started = time.perf_counter()
                sending = True
                try:
                    result = next(results)
                except StopIteration:
                    break
                sending = False
                self.show(result, time.perf_counter() - started, vertical)
                done += 1
        except ParseError as e:
            self.error(str(e))
            self._caret(sql, e)
        except Error as e:
            partial = getattr(e, "partial", None)
            if partial is not None and partial.rows:
                self.show(partial, None, vertical)
            self.error(str(e))
        except KeyboardInterrupt as k:
            # an httpql.Interrupted names the request in flight and how to check its outcome
            self.failed = True
            self.info(str(k) if sending and str(k) else "interrupted")
        except OSError as e:
            self.error(str(e))
        except Exception as e:
            self.error(f"internal error: {type(e).__name__}: {e}")
        finally:
            if self._once:
                self._close_output()

    def show(self, result, seconds: float | None, vertical: bool = False) -> None:
        for warning in result.warnings:
            self.info(f"warning: {warning}")
        text = render_result(result, self.fmt, max_width=self._screen_width(),
                             vertical=vertical or self.vertical)
        took = f" ({_seconds(seconds)})" if self.timing and seconds is not None else ""
        if text is None:
            self.info(result.message + took)
            return
        self.emit(text)
        if not result.dry_run and (self.interactive or took):
            n = len(result.rows)
            self.info(f"{n} row{'' if n == 1 else 's'}{took}")

    def show_rows(self, columns: list[str], rows: list[dict]) -> None:
        """Rows the shell made itself (.tables), shown as a statement's would be."""
        self.emit(render(self.fmt, columns, rows, max_width=self._screen_width(),
                         vertical=self.vertical))
        if self._once:
            self._close_output()

    def _caret(self, sql: str, e: ParseError) -> None:
        """The line the error is on, with a caret under the column (as sqlite3 does)."""
        lines = sql.split("\n")
        if not e.line or not e.col or e.line > len(lines):
            return
        line = lines[e.line - 1]
        before, rest = escape(line[:e.col - 1]), escape(line[e.col - 1:])
        room = (self._screen_width() or 200) - 4
        if width(before) > room // 2:  # keep the caret on screen: show the end of a long start
            keep = before[-(room // 2):]
            before = "…" + keep
        self.info(f"  {before}{rest}"[: room + 2 + len(before) - width(before)])
        self.info("  " + " " * width(before) + "^")

    def close(self) -> None:
        self._close_output()


def _seconds(s: float) -> str:
    return f"{s:.2f} s" if s >= 0.1 else f"{s:.3f} s"


def _too_long(text: str) -> bool:
    return text.count("\n") > shutil.get_terminal_size().lines - 2


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def destination(conn) -> str:
    """Where requests go: "dry run", "emulator", or the API's host(s)."""
    if conn.dry_run:
        return "dry run"
    if conn.emulator is not None:
        return "emulator"
    hosts = []
    for provider in conn.registry.providers.values():
        try:
            host = urlsplit(conn.planner.base_url(provider)).hostname or "?"
        except Error:
            host = "?"  # a bad base URL is reported when a statement needs it
        if host not in hosts:
            hosts.append(host)
    return ", ".join(hosts) if len(hosts) <= 2 else f"{len(hosts)} hosts"


def prompt_text(conn) -> str:
    return f"httpql ({destination(conn)})> "


def run_shell(conn, fmt: str, input: TextIO | None = None, output: TextIO | None = None, *,
              errors: TextIO | None = None) -> int:
    """Read, run and print until .quit, exit, Ctrl-D or end of input; return the exit status.

    ``input``/``output`` default to stdin/stdout; the prompt_toolkit UI is used only when both
    are terminals (and no stream was passed), so redirected output never gets escape codes.
    """
    stdin = input if input is not None else sys.stdin
    stdout = output if output is not None else sys.stdout
    interactive = input is None and output is None and _isatty(stdin) and _isatty(stdout)
    shell = Shell(conn, fmt, stdout, errors if errors is not None else sys.stderr,
                  interactive=interactive)
    try:
        if interactive:
            _prompt_loop(shell)
            return 0
        _line_loop(shell, stdin, sys.stderr if _isatty(stdin) else None)
        return 1 if shell.failed else 0
    finally:
        shell.close()


def _line_loop(shell: Shell, stream: TextIO, prompt_to: TextIO | None) -> None:
    """Without a terminal: buffer lines exactly as the prompt would, with no prompt_toolkit."""
    while not shell.done:
        if prompt_to is not None:  # a person typing into a redirected shell still sees a prompt
            prompt_to.write("   ...> " if shell.buffer else prompt_text(shell.conn))
            prompt_to.flush()
        line = stream.readline()
        if not line:
            break
        shell.feed(line)
    shell.finish()


def _prompt_loop(shell: Shell) -> None:
    session = _session(shell)
    where = destination(shell.conn)
    said = {"dry run": "dry run: requests are printed, not sent",
            "emulator": "requests go to the local emulator"}.get(where, f"requests go to {where}")
    shell.write(f"httpql {__version__} ({said}). Statements end with ';'. "
                f"Type .help for help, .quit or Ctrl-D to leave.\n")
    while not shell.done:
        try:
            text = session.prompt(default=shell.buffer.rstrip("\n"))
        except KeyboardInterrupt:
            shell.buffer = ""
            continue  # Ctrl-C drops the buffer, as in psql
        except EOFError:
            break
        shell.buffer = ""
        for line in text.split("\n"):  # what a meta command left unfinished is offered again
            shell.feed(line)
            if shell.done:
                break


def _session(shell: Shell):
    from prompt_toolkit import PromptSession
    from prompt_toolkit import search as searching
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.filters import completion_is_selected, is_searching
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer
    from pygments.lexers.sql import SqlLexer

    bindings = KeyBindings()

    @bindings.add("enter", filter=completion_is_selected & ~is_searching)
    def _accept_completion(event) -> None:
        event.current_buffer.complete_state = None

    @bindings.add("enter", filter=is_searching)
    def _accept_search(event) -> None:
        # Ctrl-R then Enter: take the match into the buffer and, as readline does, run it
        searching.accept_search()
        buffer = event.app.current_buffer
        if is_ready(buffer.text):
            _no_cpr_wait(event.app)
            buffer.validate_and_handle()

    @bindings.add("enter", filter=~completion_is_selected & ~is_searching)
    def _enter(event) -> None:
        buffer = event.current_buffer
        if is_ready(buffer.text):
            _no_cpr_wait(event.app)
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    session = PromptSession(
        lambda: prompt_text(shell.conn), multiline=True, key_bindings=bindings,
        history=_history(), lexer=PygmentsLexer(SqlLexer),
        auto_suggest=AutoSuggestFromHistory(),
        # a new line of the statement is marked; a long line wrapped by the terminal is not
        prompt_continuation=lambda width, line, wrap_count: "" if wrap_count else
        "...> ".rjust(width),
        completer=_completer(shell.conn.registry), complete_while_typing=True)
    # a terminal (or pexpect) that never answers the cursor-position query is fine: no warning
    session.app.renderer.cpr_not_supported_callback = None
    return session


def _no_cpr_wait(app) -> None:
    """A terminal that has not answered the cursor-position query by the time Enter is pressed
    never will (pexpect, some plain terminals): stop asking, or prompt_toolkit waits a second
    after every statement and then warns."""
    from collections import deque

    from prompt_toolkit.renderer import CPR_Support

    renderer = app.renderer
    if renderer.cpr_support == CPR_Support.UNKNOWN and renderer.waiting_for_cpr:
        renderer.cpr_support = CPR_Support.NOT_SUPPORTED
        if hasattr(renderer, "_waiting_for_cpr_futures"):  # what its own timeout does
            renderer._waiting_for_cpr_futures = deque()


def _history():
    """A file under the user's state folder, or in memory if that cannot be written."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    try:
        import platformdirs

        folder = platformdirs.user_state_dir("httpql")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "history")
        with open(path, "a", encoding="utf-8"):
            pass  # fail now rather than on the first statement
    except OSError:
        return InMemoryHistory()
    return FileHistory(path)


def _completer(registry):
    from prompt_toolkit.completion import Completer, Completion

    class ShellCompleter(Completer):
        """Thin adapter: ``suggest`` decides, this only positions and labels the completions."""

        def get_completions(self, document, complete_event):
            word = current_word(document.text_before_cursor)
            for text in suggest(registry, document.text, document.cursor_position):
                label = text.rsplit(".", 1)[-1] if "." in text[1:].rstrip("/") else text
                yield Completion(text, start_position=-len(word), display=label)

    return ShellCompleter()
