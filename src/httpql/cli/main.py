"""The ``httpql`` command: a thin click layer over httpql.connect().

Data goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 statement or API error,
2 usage error. No error ever ends in a traceback.
"""

from __future__ import annotations

import functools
import logging  # already loaded by click; the --debug handler below subclasses it
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
        click.option("--timeout", type=click.FloatRange(min=0.001), default=45.0, show_default=True,
                     help="Seconds to wait for each answer."),
        click.option("--connect-timeout", type=click.FloatRange(min=0.001), default=None,
                     help="Seconds to wait for a connection (default: min(timeout, 10))."),
        click.option("--total-timeout", type=click.FloatRange(min=0.001), default=120.0,
                     show_default=True,
                     help="Most seconds for one request in all: every attempt, wait and byte."),
        click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
                     help="Retries after the first attempt, where a retry is safe."),
        click.option("--retry-backoff", type=click.FloatRange(min=0), default=0.5,
                     show_default=True,
                     help="Base of the exponential back-off between attempts, in seconds."),
        click.option("--retry-max-wait", type=click.FloatRange(min=0), default=20.0,
                     show_default=True, help="Longest single wait between attempts, in seconds."),
        click.option("--retry-budget", type=click.FloatRange(min=0), default=60.0,
                     show_default=True, help="Most seconds spent waiting between attempts of one "
                                             "request."),
        click.option("--max-response-bytes", type=click.IntRange(min=1), default=10 * 1024 * 1024,
                     show_default=True, help="Refuse responses larger than this."),
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


def open_connection(opts: dict):
    from ..connection import Connection
    from ..errors import InterfaceError, ManifestError
    from ..manifest import default_paths

    paths = default_paths() + list(opts["provider_paths"]) if opts["provider_paths"] else None
    try:
        conn = Connection(
            base_url=opts["base_url"], timeout=opts["timeout"],
            connect_timeout=opts["connect_timeout"], total_timeout=opts["total_timeout"],
            retries=opts["retries"], retry_backoff=opts["retry_backoff"],
            retry_max_wait=opts["retry_max_wait"], retry_budget=opts["retry_budget"],
            max_response_bytes=opts["max_response_bytes"], provider_paths=paths,
            dry_run=opts["dry_run"], emulator=opts["emulator"],
            http_log=(lambda line: click.echo(line, err=True)) if opts["http_log"] else None)
    except ManifestError:
        raise
    except InterfaceError as e:  # a bad option value (--base-url, a NaN timeout): exit 2
        raise click.UsageError(str(e)) from None
    if opts.get("debug"):
        debug_logging({p.credentials_env for p in conn.registry.providers.values()
                       if p.credentials_env})
    return conn


def report(error: Exception) -> None:
    click.echo(f"error: {error}", err=True)


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
        import re

        text = record.getMessage()
        text = re.sub(r"(?i)(bearer\s+)[^\s'\",;)\]]+", r"\1****", text)
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
        try:
            return f(*args, **kwargs)
        except Error as e:
            if isinstance(e, InternalError) and _DEBUG["on"]:
                import traceback

                traceback.print_exception(e)
            report(e)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
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

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="httpql")
def cli() -> None:
    """SQL for REST APIs: drive Cloudflare Realtime Kit with SELECT, INSERT and EXEC."""


@cli.command("exec")
@click.argument("sql", required=False)
@click.option("-f", "--file", "file", type=click.File("r", encoding="utf-8"),
              help="Read the statements from FILE ('-' for stdin).")
@click.option("--continue-on-error", is_flag=True,
              help="Run the remaining statements after one fails (exit 1 at the end).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
              help="Fill {{ NAME }} templates in string literals (repeatable).")
@click.option("--vars-file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="A JSON object of template variables.")
@connection_options
@guarded
def exec_command(sql, file, continue_on_error, variables, vars_file, **opts):
    """Run SQL statements (';'-separated) and print their results."""
    if (sql is None) == (file is None):
        raise click.UsageError("give the statements either as an argument or with -f FILE")
    text = sql if sql is not None else _read_text(file, "--file")
    from ..sql.parse import keep_shapes_across_runs

    keep_shapes_across_runs()  # a statement shape seen in earlier runs skips importing sqlglot
    fmt = opts["output"] or ("table" if sys.stdout.isatty() else "json")
    failed = []

    def on_error(e):
        failed.append(e)
        _print_partial(e, fmt)
        report(e)

    with open_connection(opts) as conn:
        try:
            for result in conn.run(text, variables=_variables(variables, vars_file),
                                   continue_on_error=continue_on_error, on_error=on_error):
                print_result(result, fmt, requests_as_rows=opts["output"] in ("json", "ndjson"))
        except Error as e:
            _print_partial(e, fmt)
            raise
    if failed:
        sys.exit(EXIT_ERROR)


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
        out.update(data)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--var")
        out[name.strip()] = value
    return out


def _print_partial(e: Error, fmt: str) -> None:
    partial = getattr(e, "partial", None)
    if partial is not None and partial.rows:
        print_result(partial, fmt)


def print_result(result, fmt: str, requests_as_rows: bool = False) -> None:
    """``requests_as_rows``: a dry run asked explicitly for -o json/ndjson prints each request
    as an object (method, url, masked headers, body) instead of the readable text form."""
    from ..output import render

    if result.dry_run and requests_as_rows:
        rows = [{"method": r.method, "url": r.url, "headers": r.headers(),
                 "body": r.body if r.has_body else None} for r in result.requests]
        click.echo(render(fmt, ["method", "url", "headers", "body"], rows), nl=False)
    elif result.dry_run:
        click.echo(result.message)
    elif result.message is not None and not result.columns:
        click.echo(result.message, err=True)
    else:
        click.echo(render(fmt, result.columns, result.rows), nl=False)


@cli.command("shell")
@connection_options
@guarded
def shell_command(**opts):
    """An interactive SQL shell; a statement runs when it ends with ';'."""
    from .shell import run_shell

    fmt = opts["output"] or "table"
    with open_connection(opts) as conn:
        run_shell(conn, fmt)


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
