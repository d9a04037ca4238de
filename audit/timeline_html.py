"""The printable HTML view of a timeline: one self-contained page, no scripts."""

from __future__ import annotations

from html import escape

from audit.timeline_item import TimelineItem

_STYLE = """
body { font: 13px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 18px; margin: 0 0 .3em; } dl { display: grid; grid-template-columns: max-content 1fr;
gap: .1em 1em; margin: 0 0 1em; } dt { font-weight: 600; } dd { margin: 0; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ccc;
padding: .3em .5em; text-align: left; vertical-align: top; } th { background: #f2f2f2; }
td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.audit td.source { color: #555; }
@media print { body { margin: 0; } tr { break-inside: avoid; } thead { display: table-header-group; } }
"""


def render_html(items: list[TimelineItem], *, title: str, facts: dict[str, str]) -> str:
    """`facts` head the page (workflow id, who printed it, chain verification, ...)."""
    head = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items())
    rows = "".join(
        f'<tr class="{escape(i.source)}"><td class="when">{escape(i.at.replace("T", " "))}</td>'
        f'<td class="source">{escape(i.source)} #{i.ref}</td><td>{escape(i.kind)}</td>'
        f"<td>{escape(i.actor or '')}</td><td>{escape(i.summary)}</td></tr>"
        for i in items)
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style><h1>{escape(title)}</h1><dl>{head}</dl>"
            "<table><thead><tr><th>Time (UTC)</th><th>Source</th><th>What</th><th>Actor</th>"
            f"<th>Detail</th></tr></thead><tbody>{rows}</tbody></table></html>\n")
