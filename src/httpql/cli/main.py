"""The ``httpql`` command: a thin click layer over httpql.connect().

Data goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 statement or API error,
2 usage error. No error ever ends in a traceback.
"""

from __future__ import annotations

import functools
import logging  # already loaded by click; the --debug handler below subclasses it
import signal
import sys

import click

from .. import __version__
from ..errors import Error, InternalError
from ..output import FORMATS

EXIT_ERROR = 1


def connection_options(f):
    """Options shared by exec and shell: how to reach the API and how to print."""
    options = [
        click.option("-o", "--output", type=click.Choice(FORMATS), default=None,
                     help="Output format (exec: table on a terminal, json otherwise; shell: "
                          "table)."),
        click.option("--emulator", is_flag=True,
                     help="Run against a local Realtime Kit emulator started in-process (no "
                          "account or token needed)."),
        click.option("--dry-run", is_flag=True,
                     help="Print the HTTP requests that would be sent (token masked); send nothing."),
        click.option("--base-url", metavar="URL",
                     help="Send requests here instead of the provider's base URL (https, or http "
                          "on loopback). Default: $CLOUDFLARE_BASE_URL or the manifest's."),
        *tunable_options(),
        click.option("--debug", is_flag=True,
                     help="Log httpx/httpcore activity on stderr (token masked) and show the "
                          "traceback of an internal error."),
        click.option("--http-log", is_flag=True,
                     help="Trace each HTTP attempt (method, URL, masked headers, status, time) "
                          "on stderr."),
        click.option("--provider-path", "provider_paths", multiple=True,
                     type=click.Path(file_okay=False),
                     help="Also load manifests from this folder (repeatable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def tunable_options() -> list:
    """One click option per field of httpql.options.Options, its default and help from there."""
    from dataclasses import fields

    from ..options import ON_ERROR, Options

    out = []
    for f in fields(Options):
        meta, flag = f.metadata, "--" + f.name.replace("_", "-")
        if meta["kind"] == "seconds":
            kind = click.FloatRange(min=0 if meta["zero_ok"] else 0.001)
        elif meta["kind"] == "count":
            kind = click.IntRange(min=meta["low"])
        elif meta["kind"] == "choice":
            kind = click.Choice(ON_ERROR)
        else:
            kind = str
        metavar = "N/SECONDS|none" if meta["kind"] == "rate" else None
        out.append(click.option(flag, f.name, type=kind, default=f.default, metavar=metavar,
                                show_default=f.default is not None, help=meta["help"]))
    return out


def open_connection(opts: dict):
    from ..connection import Connection
    from ..errors import InterfaceError, ManifestError
    from ..manifest import default_paths

    paths = default_paths() + list(opts["provider_paths"]) if opts["provider_paths"] else None
    if opts["emulator"] and opts["base_url"]:
        raise click.UsageError("--emulator and --base-url both say where requests go: give one")
    from ..options import NAMES

    try:
        conn = Connection(
            base_url=opts["base_url"], provider_paths=paths,
            dry_run=opts["dry_run"], emulator=opts["emulator"],
            http_log=(lambda line: click.echo(line, err=True)) if opts["http_log"] else None,
            **{name: opts[name] for name in NAMES if name in opts})
    except ManifestError:
        raise
    except InterfaceError as e:  # a bad option value (--base-url, a NaN timeout): exit 2
        raise click.UsageError(str(e)) from None
    if opts.get("debug"):
        debug_logging({p.credentials_env for p in conn.registry.providers.values()
                       if p.credentials_env})
    if opts["dry_run"] and not opts["emulator"]:
        import os

        missing = sorted({p.credentials_env for p in conn.registry.providers.values()
                          if p.auth_type == "bearer" and p.credentials_env
                          and not os.environ.get(p.credentials_env, "").strip()})
        if missing:
            click.echo(f"note: {', '.join(missing)} is not set: a real run would fail for want of "
                       "an API token", err=True)
    return conn


def report(error: Exception | str) -> None:
    """One error line on stderr; control characters an API put in its message are shown
    escaped, never sent to the terminal (newlines are kept: some messages have several lines)."""
    from ..output import escape

    click.echo(f"error: {escape(str(error), keep_newlines=True)}", err=True)


_DEBUG = {"on": False}


def debug_logging(credential_vars: set[str]) -> None:
    """httpx and httpcore loggers at DEBUG on stderr, through a filter that masks credentials:
    anything after "Bearer" and the values of the providers' credential variables (httpx does
    not log headers today; the filter keeps that true whatever a version logs)."""
    if _DEBUG["on"]:
        return
    _DEBUG["on"] = True
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    handler.addFilter(_MaskCredentials(credential_vars))
    for name in ("httpx", "httpcore"):
        log = logging.getLogger(name)
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (the shell and tests may swap it)."""

    def emit(self, record) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


class _MaskCredentials(logging.Filter):
    def __init__(self, credential_vars: set[str]) -> None:
        super().__init__()
        self.credential_vars = credential_vars

    def filter(self, record) -> bool:
        import os

        from ..http.secret import mask_credentials

        text = mask_credentials(record.getMessage())
        for name in self.credential_vars:
            token = os.environ.get(name, "").strip()
            if token:
                text = text.replace(token, "****")
        record.msg, record.args = text, None
        return True


def guarded(f):
    """No traceback ever reaches the user: library errors exit 1 with their message."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return f(*args, **kwargs)
        except Error as e:
            if isinstance(e, InternalError) and _DEBUG["on"]:
                import traceback

                traceback.print_exception(e)
            report(e)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt as k:
            # an Interrupted says which statement or row may have been acted on
            report(k) if str(k) else click.echo("interrupted", err=True)
            sys.exit(128 + getattr(k, "signal", signal.SIGINT))
        except BrokenPipeError:
            _quiet_broken_pipe()
        except OSError as e:
            report(e)
            sys.exit(EXIT_ERROR)
        except click.ClickException:
            raise
        except Exception as e:  # a bug in httpql: say so plainly, traceback only with --debug
            if _DEBUG["on"]:
                import traceback

                traceback.print_exc()
            click.echo(f"internal error (a bug in httpql, please report it): "
                       f"{type(e).__name__}: {e}; run with --debug for the traceback", err=True)
            sys.exit(EXIT_ERROR)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


def _terminate(signum, frame) -> None:
    """SIGTERM stops like Ctrl-C does, so an in-flight request's outcome is reported."""
    from ..errors import Interrupted

    raise Interrupted("terminated", signal=signal.SIGTERM)


def _quiet_broken_pipe() -> None:
    """The reader went away (`httpql exec ... | head -1`): stop quietly, as other Unix tools
    do, with SIGPIPE's exit status; stdout goes to /dev/null so the exit flush cannot fail."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="httpql")
def cli() -> None:
    """SQL for REST APIs: drive Cloudflare Realtime Kit with SELECT, INSERT and EXEC."""


@cli.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("sql", required=False)
@click.option("-f", "--file", "file", type=click.File("r", encoding="utf-8"),
              help="Read the statements from FILE ('-' for stdin).")
@click.option("--continue-on-error", is_flag=True,
              help="Run the remaining statements after one fails (exit 1 at the end).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {{ NAME }} templates in string literals (repeatable).")
@click.option("--vars-file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="A JSON object of template variables.")
@click.option("--each", "each", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="Run the script once per record of FILE (CSV with a header row, NDJSON or a "
                   "JSON array; '-' for stdin): fields fill :name placeholders and {{ name }} "
                   "templates. One output row per record, in input order.")
@click.option("--each-format", type=click.Choice(("csv", "ndjson", "json")),
              help="The format of --each FILE when its name does not say (.csv, .ndjson, "
                   ".jsonl, .json); otherwise guessed from its first character.")
@connection_options
@guarded
def exec_command(sql, file, continue_on_error, variables, vars_file, each, each_format, **opts):
    """Run SQL statements (';'-separated) and print their results."""
    if (sql is None) == (file is None):
        raise click.UsageError("give the statements either as an argument or with -f FILE")
    if sql is not None and sql.startswith("-") and not any(ch.isspace() for ch in sql):
        # unknown options reach here as the SQL argument (so that "-- note" is SQL)
        raise click.UsageError(f"no such option: {sql}")
    text = sql if sql is not None else _read_text(file, "--file")
    if not _has_statement(text):
        raise click.UsageError("no statement to run: the script is empty or holds only comments "
                               "and ';'")
    from ..sql.parse import keep_shapes_across_runs

    keep_shapes_across_runs()  # a statement shape seen in earlier runs skips importing sqlglot
    fmt = opts["output"] or ("table" if sys.stdout.isatty() else "json")
    if each is not None:
        sys.exit(_run_each(text, file, each, each_format, _variables(variables, vars_file), fmt,
                           opts))
    if each_format is not None:
        raise click.UsageError("--each-format describes the --each FILE: give --each too")
    failed = []

    def on_error(e):
        failed.append(e)
        _print_partial(e, fmt)
        report(e)

    with open_connection(opts) as conn:
        try:
            for result in conn.stream(text, variables=_variables(variables, vars_file),
                                   continue_on_error=continue_on_error, on_error=on_error):
                print_result(result, fmt, requests_as_rows=opts["output"] in ("json", "ndjson"))
        except Error as e:
            _print_partial(e, fmt)
            raise
    if failed:
        sys.exit(EXIT_ERROR)


def _run_each(text, file, each, each_format, variables, fmt, opts) -> int:
    from ..records import format_of
    from .each import count_records, run_each

    if each == "-" and file is not None and file.name == "<stdin>":
        raise click.UsageError("-f - and --each - both read stdin: put the script or the records "
                               "in a file")
    fmt_in = format_of(each, each_format)
    total = None
    if each == "-":
        stream, name = sys.stdin, "stdin"
    else:
        try:
            stream = open(each, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        except OSError as e:
            raise click.BadParameter(f"cannot read {each}: {e.strerror}",
                                     param_hint="--each") from None
        name = each
        if sys.stderr.isatty():
            total = count_records(each, fmt_in)
    try:
        with open_connection(opts) as conn:
            try:
                return run_each(conn, text, stream, name, fmt_in, variables, fmt,
                                opts["on_error"], opts["concurrency"], total)
            except UnicodeDecodeError as e:
                raise click.BadParameter(f"{name} is not UTF-8 text (byte {e.start + 1}); save it "
                                         "as UTF-8", param_hint="--each") from None
    finally:
        if stream is not sys.stdin:
            stream.close()


def _has_statement(text: str) -> bool:
    """Whether anything but blanks, comments and ';' is in ``text`` (not a parse: any other
    text, even a typo, is a statement and gets the parser's error)."""
    import re

    return bool(re.sub(r"--[^\n]*|/\*.*?(\*/|$)|[\s;]", "", text, flags=re.DOTALL))


def _read_text(file, option: str) -> str:
    """A file's text as UTF-8, without the byte-order mark Windows editors put first."""
    try:
        return file.read().removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise click.BadParameter(f"{file.name} is not UTF-8 text (byte {e.start + 1} is "
                                 f"0x{e.object[e.start]:02x}); save it as UTF-8",
                                 param_hint=option) from None


def _variables(pairs: tuple[str, ...], vars_file) -> dict | None:
    """--vars-file first, then each --var on top; None when no templating was asked for."""
    if not pairs and vars_file is None:
        return None
    out: dict = {}
    if vars_file is not None:
        import json

        try:
            data = json.loads(_read_text(vars_file, "--vars-file"))
        except json.JSONDecodeError as e:
            raise click.BadParameter(f"not valid JSON: {e.msg} at line {e.lineno} column "
                                     f"{e.colno}", param_hint="--vars-file") from None
        if not isinstance(data, dict):
            raise click.BadParameter("must hold a JSON object of names to values",
                                     param_hint="--vars-file")
        for name in data:
            _check_variable_name(name, "--vars-file")
        out.update(data)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--var")
        _check_variable_name(name.strip(), "--var")
        out[name.strip()] = value
    return out


def _check_variable_name(name: str, option: str) -> None:
    from ..sql.params import NAME

    if not NAME.fullmatch(name):
        raise click.BadParameter(f"{name!r} cannot name a template: use letters, digits and _ "
                                 "(e.g. app_id), as in {{ app_id }}", param_hint=option)


def _print_partial(e: Error, fmt: str) -> None:
    partial = getattr(e, "partial", None)
    if partial is not None and partial.rows:
        print_result(partial, fmt)


def print_result(result, fmt: str, requests_as_rows: bool = False) -> None:
    """``requests_as_rows``: a dry run asked explicitly for -o json/ndjson prints each request
    as an object (method, url, masked headers, body) instead of the readable text form."""
    from ..output import render_result

    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    tty = sys.stdout.isatty()
    text = render_result(result, fmt, requests_as_rows=requests_as_rows,
                         max_width=_terminal_width() if tty else None)
    if text is None:
        click.echo(result.message, err=True)
    else:
        click.echo(text, nl=False)


def _terminal_width() -> int:
    import shutil

    return shutil.get_terminal_size().columns


@cli.command("shell")
@connection_options
@guarded
def shell_command(**opts):
    """An interactive SQL shell; a statement runs when it ends with ';'."""
    from .shell import run_shell

    fmt = opts["output"] or "table"
    with open_connection(opts) as conn:
        status = run_shell(conn, fmt)
    if status:
        sys.exit(status)  # piped input that had an error, as sqlite3


@cli.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--fault", "faults", multiple=True, metavar="SPEC",
              help="Inject a fault, e.g. 503, 503x2, 429x3, drop, delay=2.5, html (repeatable).")
@guarded
def emulator_command(host, port, faults):
    """Run the local Realtime Kit emulator until interrupted."""
    from ..emulator import serve

    try:
        serve(host=host, port=port, faults=list(faults))
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--fault") from None
    except OSError as e:
        report(f"cannot listen on {host}:{port}: {e.strerror or e} (choose another --port, or "
               "--port 0 for any free one)")
        sys.exit(EXIT_ERROR)


def main() -> None:
    cli(prog_name="httpql")


from .provider import provider_group  # noqa: E402  (kept apart: its own module)

cli.add_command(provider_group)
