"""``httpql provider ...``: tools for provider manifests (generation from OpenAPI)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("provider")
def provider_group() -> None:
    """Make and check provider manifests."""


@provider_group.command("generate")
@click.argument("spec", type=_FILE)
@click.option("--names", type=_FILE, required=True,
              help="YAML naming each operation: resource, method, verb, order, rows_at.")
@click.option("--overlay", type=_FILE, default=None,
              help="YAML of hand additions merged into the result (descriptions, hints, ...).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The provider's folder (holding provider.yaml); one file per resource is "
                   "written to <out>/<service>/.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 if any file differs from what would be written.")
def generate_command(spec: Path, names: Path, overlay: Path | None, out: Path,
                     check: bool) -> None:
    """Write one manifest per resource from the OpenAPI description SPEC."""
    from ..errors import ManifestError
    from ..manifest.generate import generate, write

    try:
        files = generate(spec, names, overlay, out=out)
    except ManifestError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except (OSError, ValueError) as e:  # unreadable input, or not JSON/YAML
        click.echo(f"error: cannot read the inputs: {e}", err=True)
        sys.exit(1)
    if check:
        stale = [rel for rel, text in files.items()
                 if not (out / rel).is_file() or (out / rel).read_bytes() != text.encode()]
        for rel in stale:
            click.echo(f"out of date: {out / rel}", err=True)
        sys.exit(1 if stale else 0)
    changed, removed = write(files, out)
    for rel in changed:
        click.echo(f"wrote {out / rel}", err=True)
    for rel in removed:
        click.echo(f"removed {out / rel} (no longer generated)", err=True)
    click.echo(f"{len(files)} resource manifest(s), {len(changed)} changed, {len(removed)} "
               "removed", err=True)
