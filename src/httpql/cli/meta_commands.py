"""The shell's meta commands: one table drives dispatch, .help and completion.

Parsing (``parse_line``, ``split_command``) is pure, for unit tests; each handler gets the Shell
and the argument text. A meta command is one line of its own, also in the middle of a statement
being typed: it runs at once and the statement is kept (the quitting ones drop it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from .. import meta
from ..output import FORMATS
from .sqltext import is_open

if TYPE_CHECKING:
    from .shell import Shell


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # the argument as .help shows it; "" when there is none
    summary: str  # one line for .help
    run: Callable[[Shell, str], None]
    aliases: tuple[str, ...] = ()
    argument: str | None = None  # what completes the argument: format, switch, file, resource...


class Call(NamedTuple):
    typed: str  # the command as typed, for messages
    command: Command | None  # None: no such command
    arg: str


# Words other shells' users type out of habit, on a line of their own
_BARE = {"exit": ".quit", "quit": ".quit", "help": ".help"}
_COMMAND = re.compile(r"(?:\.[A-Za-z]|\\[A-Za-z?])")


def parse_line(line: str) -> Call | None:
    """The meta command on ``line``, or None when the line is SQL.

    A meta command starts with '.' or '\\' and a letter (or is \\?), or is one of the bare words
    exit, quit and help; a trailing ';' is ignored except in a file name.
    """
    text = line.strip()
    bare = text.rstrip(";").strip().lower()
    if bare in _BARE:
        return Call(bare, lookup(_BARE[bare]), "")
    if not _COMMAND.match(text) or text.rstrip(";").rstrip() == "\\G":  # \G ends a statement
        return None
    typed, _, arg = text.partition(" ")
    command = lookup(typed.rstrip(";"))
    arg = arg.strip()
    if command is None or command.argument != "file":
        typed, arg = typed.rstrip(";"), arg.rstrip(";").rstrip()
    elif len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "'\"":
        arg = arg[1:-1]  # a quoted file name
    return Call(typed, command, arg)


def split_command(text: str) -> tuple[str, Call | None]:
    """Split a meta command on the last line of ``text`` from the statement typed before it:
    (that statement, the command), or (text, None) when the last line is not a command (or sits
    inside an open string or comment)."""
    lines = text.rstrip("\n").split("\n")
    call = parse_line(lines[-1])
    rest = "\n".join(lines[:-1])
    if call is None or is_open(rest):
        return text, None
    return (rest + "\n" if rest.strip() else ""), call


def lookup(name: str) -> Command | None:
    name = name.lower()
    for command in COMMANDS:
        if name == command.name or name in command.aliases:
            return command
    return None


def names() -> list[str]:
    """Every name completion offers after '.': the commands, then their dotted aliases."""
    return [c.name for c in COMMANDS] + [a for c in COMMANDS for a in c.aliases
                                         if a.startswith(".")]


# --- handlers -----------------------------------------------------------------------------------


def _help(shell: Shell, arg: str) -> None:
    rows = [(f"{c.name} {c.usage}".rstrip(), c.summary) for c in COMMANDS]
    width = max(len(left) for left, _ in rows)
    shell.write("Statements end with ';' (or \\G to show the rows one field per line) and may "
                "span lines.\nMeta commands (one line each, also in the middle of a "
                "statement):\n"
                + "".join(f"  {left.ljust(width)}  {text}\n" for left, text in rows))


def _quit(shell: Shell, arg: str) -> None:
    shell.done = True


def _switch(attribute: str, what: str) -> Callable[[Shell, str], None]:
    def handler(shell: Shell, arg: str) -> None:
        if not arg:
            shell.write(f"{what} is {'on' if getattr(shell, attribute) else 'off'}\n")
        elif arg.lower() in ("on", "off"):
            setattr(shell, attribute, arg.lower() == "on")
            shell.info(f"{what} {arg.lower()}")
        else:
            shell.error(f"{what} is 'on' or 'off', not '{arg}'")

    return handler


def _mode(shell: Shell, arg: str) -> None:
    if not arg:
        shell.write(f"{shell.fmt}\n")
    elif arg.lower() in FORMATS:
        shell.fmt = arg.lower()
        shell.info(f"output format: {shell.fmt}")
    else:
        shell.error(f"unknown output format '{arg}' (known: {', '.join(FORMATS)})")


def _output(once: bool) -> Callable[[Shell, str], None]:
    def handler(shell: Shell, arg: str) -> None:
        if arg.lower() in FORMATS:  # .output json was the format command before .mode
            shell.error(f".output and .once send results to a file; to change the output "
                        f"format use .mode {arg.lower()} (for a file named {arg}, write "
                        f"./{arg})")
        elif once and not arg:
            shell.error("usage: .once FILE")
        else:
            shell.send_output_to(arg or None, once=once)

    return handler


def _read(shell: Shell, arg: str) -> None:
    if not arg:
        shell.error("usage: .read FILE")
    else:
        shell.read_file(arg)


def _dryrun(shell: Shell, arg: str) -> None:
    _switch("dry_run", "dry run")(shell, arg)
    shell.conn.dry_run = shell.dry_run


def _tables(shell: Shell, arg: str) -> None:
    """Every resource of every provider (SHOW RESOURCES needs a service), with a LIKE pattern
    matched against the full or the bare name, or the service's."""
    match = meta.like_matcher(arg) if arg else None
    rows = [{"resource": r.id, "description": r.description}
            for p in shell.conn.registry.providers.values()
            for s in p.services.values() for r in s.resources.values()
            if match is None or match(r.id) or match(r.name) or match(f"{p.id}.{s.name}")]
    shell.show_rows(["resource", "description"], rows)


def _on_resource(statement: str, usage: str) -> Callable[[Shell, str], None]:
    def handler(shell: Shell, arg: str) -> None:
        if not arg:
            shell.error(f"usage: {usage}")
        else:
            shell.execute(statement.format(resource_name(shell.conn.registry, arg)))

    return handler


def resource_name(registry, name: str) -> str:
    """A resource's full name from ``name``, which may be just its last part(s) when only one
    resource ends that way; otherwise ``name`` unchanged (the statement reports it)."""
    if name.count(".") >= 2:
        return name
    ids = [r.id for p in registry.providers.values() for s in p.services.values()
           for r in s.resources.values()]
    found = [i for i in ids if i.lower().endswith("." + name.lower())]
    return found[0] if len(found) == 1 else name


def _show(kind: str, usage: str | None) -> Callable[[Shell, str], None]:
    def handler(shell: Shell, arg: str) -> None:
        if usage is None:
            shell.execute(f"SHOW {kind};")
        elif arg:
            shell.execute(f"SHOW {kind} IN {arg};")
        else:
            shell.error(f"usage: {usage}")

    return handler


COMMANDS: tuple[Command, ...] = (
    Command(".help", "", "show this help", _help, ("\\?",)),
    Command(".quit", "", "leave the shell (also .exit, exit, quit, \\q or Ctrl-D)", _quit,
            (".exit", "\\q")),
    Command(".read", "FILE", "run the statements and commands in FILE", _read, argument="file"),
    Command(".mode", "[FORMAT]", "show or set the output format: " + "|".join(FORMATS), _mode,
            argument="format"),
    Command(".output", "[FILE]", "send results to FILE (overwritten); alone, back to the screen",
            _output(once=False), argument="file"),
    Command(".once", "FILE", "send the next statement's results to FILE", _output(once=True),
            argument="file"),
    Command(".vertical", "[on|off]", "show rows one field per line, values in full (or end a "
            "statement with \\G)", _switch("vertical", "vertical output"), argument="switch"),
    Command(".timing", "[on|off]", "print the wall time each statement took",
            _switch("timing", "timing"), argument="switch"),
    Command(".dryrun", "[on|off]", "print the HTTP requests instead of sending them", _dryrun,
            argument="switch"),
    Command(".tables", "[LIKE]", "list the resources (names matching a LIKE pattern, e.g. %live%)",
            _tables, (".resources", "\\dt")),
    Command(".describe", "RESOURCE", "the fields and parameters of RESOURCE (DESCRIBE)",
            _on_resource("DESCRIBE {};", ".describe RESOURCE"), ("\\d",), argument="resource"),
    Command(".methods", "RESOURCE", "the methods of RESOURCE and their parameters (SHOW METHODS)",
            _on_resource("SHOW METHODS IN {};", ".methods RESOURCE"), argument="resource"),
    Command(".providers", "", "list the providers (SHOW PROVIDERS)", _show("PROVIDERS", None)),
    Command(".services", "PROVIDER", "list a provider's services (SHOW SERVICES)",
            _show("SERVICES", ".services PROVIDER"), argument="provider"),
)
