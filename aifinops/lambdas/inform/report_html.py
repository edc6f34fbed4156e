"""The weekly team report as one self-contained HTML page: inline CSS and SVG charts, no script, nothing
fetched (a Content-Security-Policy forbids it), every text escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from .charts import horizontal_bars, stacked_columns
from .weekly import TeamWeeklyReport

STYLE = ("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:900px}"
         "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;"
         "text-align:right}th:first-child,td:first-child{text-align:left}.note{color:#8a4b00}"
         ".kpi{display:inline-block;margin:0 24px 12px 0}.kpi b{display:block;font-size:22px}")


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def render_html(report: TeamWeeklyReport, *, generated: str, price_note: str = "") -> str:
    labels = [start.strftime("%d %b") for start, _ in report.weeks]
    wow = report.week_over_week
    kpis = [("last week", _usd(report.totals[-1])),
            ("week over week", "n/a" if wow is None else f"{wow:+.1%}")]
    if report.budget:
        kpis.append(("budget used this month",
                     f"{100 * report.budget['actualUsd'] / report.budget['limitUsd']:.0f} % of "
                     f"{_usd(report.budget['limitUsd'])}"))
    if report.guard is not None:
        kpis.append(("stopped by the GPU guard", f"{report.guard['resourcesStopped']:g}"))
    body = [f"<h1>AI spend of team {escape(report.team)}</h1>",
            f"<p>Weeks Monday to Sunday (UTC), unblended cost from Cost Explorer. Generated {escape(generated)}."
            f"{' ' + escape(price_note) if price_note else ''}</p>",
            "<div>" + "".join(f'<span class="kpi">{escape(k)}<b>{escape(v)}</b></span>' for k, v in kpis) + "</div>",
            stacked_columns("Weekly spend by project", labels, {k or "(untagged)": v
                                                                for k, v in report.by_project.items()}),
            stacked_columns("Weekly spend by model", labels,
                            {k or "(untagged)": v for k, v in report.by_model.items()}),
            horizontal_bars("Last week by project", {k or "(untagged)": v[-1] for k, v in report.by_project.items()}),
            "<h2>Week by week</h2><table>" + _row(["week", "spend"], "th")
            + "".join(_row([f"{s.isoformat()} .. {e.isoformat()}", _usd(t)])
                      for (s, e), t in zip(report.weeks, report.totals, strict=True)) + "</table>"]
    if report.movers:
        body.append("<h2>Top movers</h2><table>" + _row(["project / model", "week before", "last week", "change"], "th")
                    + "".join(_row([f"{p or '(untagged)'} / {m or '(untagged)'}", _usd(b), _usd(a), f"{a - b:+,.2f}"])
                              for p, m, b, a in report.movers) + "</table>")
    body.append(_anomalies(report.anomalies))
    if report.guard is not None:
        body.append(f"<h2>GPU guard last week</h2><p>{report.guard['resourcesStopped']:g} resources stopped: "
                    f"{escape(_usd(report.guard['hourlyUsdStopped']))} an hour of running cost.</p>")
    if report.budget:
        b = report.budget
        body.append(f"<h2>Budget</h2><p>{escape(b['name'])}: {escape(_usd(b['actualUsd']))} of "
                    f"{escape(_usd(b['limitUsd']))} this month; forecast {escape(_usd(b.get('forecastUsd')))}.</p>")
    body += [f'<p class="note">{escape(n)}</p>' for n in report.notes]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>AI spend of team {escape(report.team)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def _anomalies(anomalies: list[dict[str, Any]] | None) -> str:
    if anomalies is None:
        return ""
    if not anomalies:
        return "<h2>Cost anomalies</h2><p>None in these weeks.</p>"
    return ("<h2>Cost anomalies</h2><table>" + _row(["start", "impact", "root cause"], "th")
            + "".join(_row([a["start"], _usd(a["impactUsd"]), a["cause"]]) for a in anomalies) + "</table>")
