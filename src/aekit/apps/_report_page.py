"""The page of a report: ``index.html`` with the headline numbers, the figures embedded (and
named beside it, so it opens anywhere without a server or the internet), and the model's
settings."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Report:
    """What a report wrote: the page, each figure's file and the headline numbers."""

    index: Path
    figures: dict[str, Path] = field(default_factory=dict)  # title -> PNG
    numbers: dict[str, str] = field(default_factory=dict)


def _code_size(ae) -> str:
    """The code's size; an ensemble's codes are its members' side by side (the map draws them
    all: a trial read "code size 5" above "50-d codes")."""
    width = len(ae.get_feature_names_out())
    if width == ae.latent_dim_:
        return str(width)
    return f"{width} ({width // ae.latent_dim_} members' codes of {ae.latent_dim_})"


def model_settings(model, ae) -> tuple[dict[str, str], dict[str, str]]:
    """The settings the fit resolved, and the parameters as given."""
    from aekit.estimators.persistence import saved_params

    fitted = {"model": f"{type(model).__name__} ({getattr(model, 'model_name', '')})",
              "row shape": str(tuple(ae.input_shape_)), "code size": _code_size(ae),
              "loss": ae.loss_, "output": ae.output_activation_, "scaling": ae.scaling_,
              "epochs run": str(ae.n_epochs_)}
    kept = getattr(ae, "best_epoch_", ae.n_epochs_)  # early stopping may restore an earlier one
    if kept == 0:
        fitted["weights kept"] = "the starting ones (no epoch improved on them)"
    label = "final" if kept == ae.n_epochs_ else f"epoch {kept}'s (kept)"
    for key in ("loss", "val_loss"):
        if kept and len(ae.history_.get(key, ())) >= kept:
            fitted[f"{label} {key}"] = f"{ae.history_[key][kept - 1]:.5g}"
    params = {name: str(value) for name, value in sorted(saved_params(ae).items())}
    return fitted, params


def _table(rows: dict[str, str]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows.items())
    return f"<table>{cells}</table>"


def _figure(title: str, path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    name = html.escape(path.name)
    return (f'<figure><img src="data:image/png;base64,{data}" data-file="{name}" '
            f'alt="{html.escape(title)}"><figcaption>{html.escape(title)} '
            f'(<a href="{name}">{name}</a>)</figcaption></figure>')


STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
table{border-collapse:collapse;margin:0 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;
text-align:left;font-size:.9em}th{background:#f4f4f4}figure{display:inline-block;margin:0 1em
1em 0;vertical-align:top}img{max-width:100%}figcaption{font-size:.9em;color:#555}"""


def page(title: str, subject: str, report: Report, fitted: dict[str, str],
         params: dict[str, str]) -> str:
    """The HTML page: ``report``'s numbers and figures on ``subject`` ("500 rows"), then the
    ``fitted`` settings and the ``params`` as given."""
    figures = "\n".join(_figure(name, path) for name, path in report.figures.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>Figures on {html.escape(subject)}</h2>
{_table(report.numbers)}
{figures}
<h2>Model</h2>
{_table(fitted)}
<h2>Parameters</h2>
{_table(params)}
</body></html>
"""
