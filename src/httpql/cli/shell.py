"""The interactive shell behind ``httpql shell``, modelled on pgcli/litecli.

The Connection executes and yields results; this module only buffers input, renders results and
completes names. On a terminal it runs a prompt_toolkit session; otherwise it reads lines from
stdin with the same buffering, so ``echo "SHOW PROVIDERS;" | httpql shell`` works too.

A statement runs once the buffer ends with ``;`` (after trailing whitespace and comments); a line
starting with ``.`` (or ``exit`` / ``quit``) on an empty buffer is a meta command.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import NamedTuple, TextIO

from .. import __version__
from ..errors import Error
from ..manifest.model import Provider, Registry, Resource, Service
from ..output import FORMATS, render

PROMPT = "httpql> "
CONTINUATION = "   ...> "

# --- lexing: just enough SQL to find statement ends and completion contexts --------------------

_LEX = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*)
  | (?P<block>/\*(?:(?!\*/).)*(?P<block_end>\*/)?)
  | (?P<string>'(?:[^']|'')*(?P<sq_end>')?
              |"(?:[^"]|"")*(?P<dq_end>")?
              |`[^`]*(?P<bq_end>`)?)
  | (?P<word>[@\w.]+)
  | (?P<punct>.)
""", re.VERBOSE | re.DOTALL)


class Token(NamedTuple):
    kind: str  # comment | block | string | word | punct
    text: str
    end: int
    closed: bool = True  # False for a string or block comment still open at the end of the text


def lex(text: str) -> list[Token]:
    tokens = []
    for m in _LEX.finditer(text):
        if m.group("space") is not None:
            continue
        if m.group("block") is not None:
            tokens.append(Token("block", m.group(), m.end(), m.group("block_end") is not None))
        elif m.group("string") is not None:
            closed = any(m.group(g) is not None for g in ("sq_end", "dq_end", "bq_end"))
            tokens.append(Token("string", m.group(), m.end(), closed))
        else:
            tokens.append(Token(m.lastgroup, m.group(), m.end()))
    return tokens


def _code(tokens: Iterable[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("comment", "block")]


def is_complete(text: str) -> bool:
    """True when the text ends a statement: its last token outside comments is a ';'."""
    tokens = lex(text)
    if tokens and not tokens[-1].closed:
        return False
    code = _code(tokens)
    return bool(code) and code[-1].text == ";"


def is_meta(text: str) -> bool:
    """Meta commands are one line that starts with '.', or the bare words exit / quit."""
    s = text.strip().rstrip(";").strip()
    return s.startswith(".") or s.lower() in ("exit", "quit")


def is_ready(text: str) -> bool:
    """Whether Enter should submit the buffer instead of starting a new line."""
    return not text.strip() or is_meta(text) or is_complete(text)


# --- completion ---------------------------------------------------------------------------------

STATEMENTS = ("SELECT", "INSERT INTO", "EXEC", "SHOW", "DESCRIBE", "UPDATE", "DELETE FROM")
SHOW_KINDS = ("PROVIDERS", "SERVICES IN", "RESOURCES IN", "METHODS IN")
# how many dotted parts the name after SHOW <kind> IN has
SHOW_DEPTH = {"SERVICES": 1, "RESOURCES": 2, "METHODS": 3}
NAME_WORDS = ("INTO", "FROM", "DESCRIBE", "DESC", "UPDATE", "EXTENDED")


def suggest(registry: Registry, text: str, cursor: int) -> list[str]:
    """Completions for the word that ends at ``cursor``; each replaces that whole word.

    Pure (no prompt_toolkit) so it can be unit-tested; matching is a case-insensitive prefix.
    """
    before = text[:cursor]
    tokens = lex(before)
    if tokens and tokens[-1].end == len(before) and tokens[-1].kind in ("string", "comment",
                                                                         "block"):
        return []  # inside (or touching) a literal or comment
    code = _code(tokens)
    for i in range(len(code) - 1, -1, -1):  # only the statement being typed matters
        if code[i].text == ";":
            code = code[i + 1:]
            break
    word = ""
    if code and code[-1].kind == "word" and code[-1].end == len(before):
        word = code.pop().text
    ctx = [t.text for t in code]
    return _suggest(registry, ctx, [t.upper() for t in ctx], word)


def _suggest(registry: Registry, ctx: list[str], upper: list[str], word: str) -> list[str]:
    if not upper:
        return _match(META if word.startswith(".") else STATEMENTS, word)
    first, prev = upper[0], upper[-1]
    if first.startswith("."):
        return _suggest_meta_arg(registry, upper, word)
    if first == "SHOW":
        return _suggest_show(registry, upper[1:], word)
    if first in ("EXEC", "EXECUTE"):
        return _names(registry, word, 4) if len(upper) == 1 else _exec_params(registry, ctx, word)
    if first == "INSERT":
        return _suggest_insert(registry, ctx, upper, word)
    if upper in (["DESCRIBE"], ["DESC"]):
        return _names(registry, word, 3) + _match(["EXTENDED"], word)
    if prev in NAME_WORDS:
        return _names(registry, word, 3)
    return []


def _suggest_meta_arg(registry: Registry, upper: list[str], word: str) -> list[str]:
    if len(upper) != 1:
        return []
    if upper[0] == ".OUTPUT":
        return _match(FORMATS, word)
    depth = {".SERVICES": 1, ".RESOURCES": 2}.get(upper[0])
    return _names(registry, word, depth) if depth else []


def _suggest_show(registry: Registry, rest: list[str], word: str) -> list[str]:
    kinds = list(SHOW_KINDS)
    if rest[:1] == ["EXTENDED"]:
        rest = rest[1:]
        kinds.remove("PROVIDERS")
    else:
        kinds.append("EXTENDED")
    if not rest:
        return _match(kinds, word)
    kind = rest[0]
    if len(rest) == 1:
        return _match(["LIKE"] if kind == "PROVIDERS" else ["IN"], word)
    if len(rest) == 2 and rest[1] == "IN" and kind in SHOW_DEPTH:
        return _names(registry, word, SHOW_DEPTH[kind])
    if len(rest) == 3 and rest[1] == "IN":
        return _match(["LIKE"], word)
    return []


def _exec_params(registry: Registry, ctx: list[str], word: str) -> list[str]:
    found = _node(registry, ctx[1].split("."))
    method = found[1] if found is not None and len(found[0]) == 4 else None
    prev = ctx[-1]
    if method is None or (not word.startswith("@")
                          and (word or prev == "=" or prev.startswith("@"))):
        return []  # no such method, or a value or the '=' is due here
    given = {t.lstrip("@").lower() for t in ctx[2:] if t.startswith("@")}
    names = [f"@{p}" for p in method.params if p.lower() not in given]
    return _match(names + ["@@json"], word)


def _suggest_insert(registry: Registry, ctx: list[str], upper: list[str], word: str) -> list[str]:
    if len(upper) == 1:
        return _match(["INTO"], word)
    if upper[1] != "INTO":
        return []
    if len(upper) == 2:
        return _names(registry, word, 3)
    if len(upper) == 3 or upper[3] != "(":
        return []
    if ")" in upper[4:]:  # the column list is closed; its rows come next
        return _match(["SELECT", "VALUES"], word) if upper[-1] == ")" else []
    found = _node(registry, ctx[2].split("."))
    if upper[-1] not in ("(", ",") or found is None or len(found[0]) != 3:
        return []
    given = set(upper[4:])
    columns = dict.fromkeys(p for m in found[1].methods_for("insert") for p in m.params)
    return _match([c for c in columns if c.upper() not in given], word)


def _names(registry: Registry, word: str, depth: int) -> list[str]:
    """Dotted names up to ``depth`` parts: provider, provider.service, ... (.method at 4)."""
    *parents, last = word.split(".")
    found = _node(registry, parents) if len(parents) < depth else None
    if found is None:
        return []
    path, node = found
    return [".".join([*path, name]) for name in _match(_children(node), last)]


def _node(registry: Registry, parts: list[str]) -> tuple[list[str], object] | None:
    """Resolve dotted ``parts`` case-insensitively: (canonical names, the node they name)."""
    path: list[str] = []
    node: object = registry
    for part in parts:
        children = _children(node)
        name = next((n for n in children if n.lower() == part.lower()), None)
        if name is None:
            return None
        path.append(name)
        node = children[name]
    return path, node


def _children(node) -> dict:
    if isinstance(node, Registry):
        return node.providers
    if isinstance(node, Provider):
        return node.services
    if isinstance(node, Service):
        return node.resources
    if isinstance(node, Resource):
        return {m.name: m for m in node.methods}
    return {}


def _match(candidates: Iterable[str], word: str) -> list[str]:
    return [c for c in candidates if c.lower().startswith(word.lower())]


def current_word(text_before_cursor: str) -> str:
    """The word a suggestion replaces (same characters the lexer puts in a word)."""
    m = re.search(r"[@\w.]*\Z", text_before_cursor)
    return m.group() if m else ""


# --- meta commands ------------------------------------------------------------------------------


def _cmd_help(shell: Shell, arg: str) -> None:
    width = max(len(name) for name in META)
    lines = [f"  {name.ljust(width)}  {text}" for name, (_, text) in META.items()]
    shell.write("Statements end with ';' and may span lines. Meta commands:\n"
                + "\n".join(lines) + "\n")


def _cmd_quit(shell: Shell, arg: str) -> None:
    shell.done = True


def _cmd_output(shell: Shell, arg: str) -> None:
    if not arg:
        shell.write(f"{shell.fmt}\n")
    elif arg.lower() in FORMATS:
        shell.fmt = arg.lower()
        shell.info(f"output format: {shell.fmt}")
    else:
        shell.error(f"unknown output format '{arg}' (known: {', '.join(FORMATS)})")


def _show_shortcut(kind: str, what: str | None) -> Callable[[Shell, str], None]:
    def handler(shell: Shell, arg: str) -> None:
        if what is None:
            shell.execute(f"SHOW {kind};")
        elif arg:
            shell.execute(f"SHOW {kind} IN {arg};")
        else:
            shell.error(f"usage: .{kind.lower()} {what}")

    return handler


# The one table of meta commands: dispatch, .help and completion all read it.
META: dict[str, tuple[Callable[[Shell, str], None], str]] = {
    ".help": (_cmd_help, "show this help"),
    ".quit": (_cmd_quit, "leave the shell (also exit, quit or Ctrl-D)"),
    ".output": (_cmd_output, "show the output format, or set it: .output table|json|ndjson|csv|text"),
    ".providers": (_show_shortcut("PROVIDERS", None), "SHOW PROVIDERS"),
    ".services": (_show_shortcut("SERVICES", "PROVIDER"), "SHOW SERVICES IN PROVIDER"),
    ".resources": (_show_shortcut("RESOURCES", "PROVIDER.SERVICE"),
                   "SHOW RESOURCES IN PROVIDER.SERVICE"),
}


# --- the shell ----------------------------------------------------------------------------------


class Shell:
    """Runs what the user submits. Data goes to ``out``; status and errors go to ``err``."""

    def __init__(self, conn, fmt: str, out: TextIO, err: TextIO) -> None:
        self.conn = conn
        self.fmt = fmt
        self.out = out
        self.err = err
        self.done = False

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def info(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    def error(self, message: str) -> None:
        self.info(f"error: {message}")

    def handle(self, text: str) -> None:
        """One submission: a meta command or SQL (possibly several statements)."""
        if is_meta(text):
            self.meta(text)
        elif text.strip():
            self.execute(text)

    def meta(self, text: str) -> None:
        name, _, arg = text.strip().rstrip(";").strip().partition(" ")
        name = name.lower()
        if name in ("exit", "quit"):
            name = ".quit"
        if name not in META:
            self.error(f"unknown command '{name}' (known: {', '.join(META)})")
            return
        META[name][0](self, arg.strip())

    def execute(self, sql: str) -> None:
        # No exception may end the shell: library errors are the user's to fix, anything else is
        # our bug, reported without a traceback so the session (and its history) survives.
        try:
            for result in self.conn.stream(sql):
                self.show(result)
        except Error as e:
            partial = getattr(e, "partial", None)
            if partial is not None and partial.rows:
                self.show(partial)
            self.error(str(e))
        except KeyboardInterrupt:
            self.info("interrupted")
        except OSError as e:
            self.error(str(e))
        except Exception as e:
            self.info(f"internal error: {type(e).__name__}: {e}")

    def show(self, result) -> None:
        if result.dry_run:
            self.write(result.message + "\n")
        elif result.message is not None and not result.columns:
            self.info(result.message)
        else:
            self.write(render(self.fmt, result.columns, result.rows))


def run_shell(conn, fmt: str, input: TextIO | None = None, output: TextIO | None = None, *,
              errors: TextIO | None = None) -> None:
    """Read, run and print until .quit, exit, quit, Ctrl-D or end of input.

    ``input``/``output`` default to stdin/stdout; the prompt_toolkit UI is used only when both
    are terminals (and no stream was passed), so redirected output never gets escape codes.
    """
    stdin = input if input is not None else sys.stdin
    stdout = output if output is not None else sys.stdout
    shell = Shell(conn, fmt, stdout, errors if errors is not None else sys.stderr)
    if input is None and output is None and _isatty(stdin) and _isatty(stdout):
        _prompt_loop(shell)
    else:
        _line_loop(shell, stdin, sys.stderr if _isatty(stdin) else None)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _line_loop(shell: Shell, stream: TextIO, prompt_to: TextIO | None) -> None:
    """Without a terminal: buffer lines exactly as the prompt would, with no prompt_toolkit."""
    buffer = ""
    while not shell.done:
        if prompt_to is not None:  # a person typing into a redirected shell still sees a prompt
            prompt_to.write(CONTINUATION if buffer else PROMPT)
            prompt_to.flush()
        line = stream.readline()
        if not line:
            break
        if not buffer and is_meta(line):
            shell.meta(line)
            continue
        buffer += line
        if is_complete(buffer):
            shell.execute(buffer)
            buffer = ""
    if buffer.strip() and not shell.done:
        shell.execute(buffer)  # like psql reading a file: a last statement may lack its ';'


def _prompt_loop(shell: Shell) -> None:
    session = _session(shell.conn.registry)
    shell.write(f"httpql {__version__}: statements end with ';'. "
                f"Type .help for help, .quit or Ctrl-D to leave.\n")
    while not shell.done:
        try:
            text = session.prompt()
        except KeyboardInterrupt:
            continue  # Ctrl-C drops the buffer, as in psql
        except EOFError:
            break
        shell.handle(text)


def _session(registry: Registry):
    from prompt_toolkit import PromptSession
    from prompt_toolkit.filters import completion_is_selected
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter", filter=completion_is_selected)
    def _accept_completion(event) -> None:
        event.current_buffer.complete_state = None

    @bindings.add("enter", filter=~completion_is_selected)
    def _enter(event) -> None:
        buffer = event.current_buffer
        if is_ready(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return PromptSession(
        PROMPT, multiline=True, key_bindings=bindings, history=_history(),
        prompt_continuation=lambda width, line_number, wrap_count: CONTINUATION,
        completer=_completer(registry), complete_while_typing=True)


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


def _completer(registry: Registry):
    from prompt_toolkit.completion import Completer, Completion

    class ShellCompleter(Completer):
        """Thin adapter: ``suggest`` decides, this only positions and labels the completions."""

        def get_completions(self, document, complete_event):
            word = current_word(document.text_before_cursor)
            for text in suggest(registry, document.text, document.cursor_position):
                label = text.rsplit(".", 1)[-1] if "." in text[1:] else text
                yield Completion(text, start_position=-len(word), display=label)

    return ShellCompleter()
