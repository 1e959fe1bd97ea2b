"""What every `sme-pulse` command group shares: where it prints, and how a bad setting
ends a command (one line, exit 2, as `make` and the docs promise)."""

from __future__ import annotations

import typer
from rich.console import Console

from sme_pulse.config import ConfigError, Settings

console = Console(soft_wrap=True)
errors = Console(stderr=True)


def settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        errors.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
