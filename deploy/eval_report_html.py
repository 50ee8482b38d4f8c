"""report.html of `phasedsearch eval`: one self-contained page (inline SVG drawn here, inline CSS,
no script, nothing loaded from the network) from the report dict of deploy/eval_report.py."""
from __future__ import annotations

import math
from html import escape
from typing import Any, Mapping, Sequence

PALETTE = ("#3366cc", "#dc7633", "#2e8b57", "#8e44ad", "#c0392b", "#7f8c8d")
GAIN, LOSS = "#2e8b57", "#c0392b"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .6rem; text-align: right; }
th:first-child, td:first-child, td.text, th.text, td.left { text-align: left; }
td { white-space: nowrap; } td.text { white-space: normal; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: .85rem; color: #555; max-width: 40rem; }
.method { font-size: .85rem; color: #555; }
.gain { color: #2e8b57; } .loss { color: #c0392b; }
a:focus { outline: 2px solid #3366cc; }
"""


def _number(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}"


def _svg(width: float, height: float, label: str, body: Sequence[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
            f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, content: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(content)}</text>'


def _short(name: str, limit: int = 14) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _y_axis(left: float, top: float, height: float, width: float, maximum: float, ticks: Sequence[float],
            fmt: str = "{:.2f}") -> list[str]:
    parts = []
    for tick in ticks:
        y = top + height - tick / maximum * height
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(_text(left - 4, y + 4, fmt.format(tick), "end"))
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" stroke="#999"/>')
    return parts


def bar_chart(title: str, names: Sequence[str], means: Sequence[float], lows: Sequence[float],
              highs: Sequence[float], maximum: float = 1.0, fmt: str = "{:.2f}", unit: str = "") -> str:
    """Bars with interval whiskers (low..high), one per ranking, on a 0..maximum axis."""
    left, top, plot_height, slot = 44, 22, 160, 64
    width, height = max(left + slot * len(names) + 12, len(title) * 6.5 + 16), top + plot_height + 34
    maximum = maximum if maximum > 0 else 1.0
    body = [_text(width / 2, 14, title, extra='font-weight="bold"')]
    body += _y_axis(left, top, plot_height, slot * len(names), maximum, [maximum * i / 4 for i in range(5)], fmt)

    def y(value: float) -> float:
        return top + plot_height - max(0.0, min(value, maximum)) / maximum * plot_height

    for index, (name, mean, low, high) in enumerate(zip(names, means, lows, highs)):
        x = left + slot * index + 12
        color = PALETTE[index % len(PALETTE)]
        summary = f"{name}: {fmt.format(mean)}{unit} [{fmt.format(low)}, {fmt.format(high)}]"
        body.append(f'<g><title>{escape(summary)}</title>'
                    f'<rect x="{x}" y="{y(mean):.1f}" width="40" height="{y(0) - y(mean):.1f}" fill="{color}" '
                    f'fill-opacity="0.8"/>'
                    f'<line class="whisker" x1="{x + 20}" x2="{x + 20}" y1="{y(high):.1f}" y2="{y(low):.1f}" '
                    f'stroke="#222" stroke-width="1.5"/>'
                    f'<line x1="{x + 13}" x2="{x + 27}" y1="{y(high):.1f}" y2="{y(high):.1f}" stroke="#222"/>'
                    f'<line x1="{x + 13}" x2="{x + 27}" y1="{y(low):.1f}" y2="{y(low):.1f}" stroke="#222"/></g>')
        body.append(_text(x + 20, top + plot_height + 14, _short(name)))
        body.append(_text(x + 20, top + plot_height + 27, fmt.format(mean) + unit, extra='fill="#555"'))
    return _svg(width, height, title, body)


def difference_plot(title: str, deltas: Sequence[tuple[str, str, float]]) -> str:
    """Per-query deltas sorted ascending, as bars around zero; each bar links to the explorer.
    `deltas`: (label, explorer url, delta)."""
    ordered = sorted(deltas, key=lambda item: item[2])
    left, top, plot_height = 44, 22, 180
    bar = max(2.0, min(14.0, 860 / max(1, len(ordered))))
    width, height = left + bar * len(ordered) + 16, top + plot_height + 24
    width = max(width, 320)
    extent = max([abs(delta) for _, _, delta in ordered] + [0.1])
    extent = min(1.0, math.ceil(round(extent * 10, 6)) / 10)  # up to the next 0.1

    def y(value: float) -> float:
        return top + plot_height / 2 - value / extent * plot_height / 2

    body = [_text(width / 2, 14, title, extra='font-weight="bold"')]
    for tick in (-extent, -extent / 2, 0.0, extent / 2, extent):
        body.append(f'<line x1="{left}" x2="{width - 8}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                    f'stroke="{"#999" if tick == 0 else "#eee"}"/>')
        body.append(_text(left - 4, y(tick) + 4, f"{tick:+.2f}", "end"))
    for index, (label, url, delta) in enumerate(ordered):
        x = left + index * bar
        top_y, bottom_y = sorted((y(delta), y(0.0)))
        color = GAIN if delta > 0 else LOSS if delta < 0 else "#999"
        rect_height = max(bottom_y - top_y, 1.0)  # a tie still shows as a sliver, and stays clickable
        body.append(f'<a href="{escape(url)}" tabindex="-1"><title>{escape(f"{label}: {delta:+.4f}")}</title>'
                    f'<rect class="delta" x="{x:.1f}" y="{top_y:.1f}" width="{max(bar - 1, 1):.1f}" '
                    f'height="{rect_height:.1f}" fill="{color}"/></a>')
    body.append(_text(width / 2, height - 6, f"{len(ordered)} queries, sorted by difference "
                                             "(click a bar to open the query in the explorer)"))
    return _svg(width, height, title, body)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 4 or 5 times a power of ten >= value: an axis maximum with round quarter ticks."""
    power = 10 ** math.floor(math.log10(value)) if value > 0 else 1.0
    return next(step * power for step in (1, 2, 4, 5, 10) if step * power >= value)


def _summary_table(report: Mapping[str, Any]) -> str:
    metrics = report["method"]["metrics"]
    level = round(report["method"]["confidence"] * 100)
    head = "".join(f"<th>{escape(m)} [{level}% CI]</th>" for m in metrics)
    rows = []
    for profile in report["profiles"]:
        what = f"query profile {profile['queryProfile']}" if profile["queryProfile"] else "rank profile"
        cells = "".join(f"<td>{_number(v['mean'])} [{_number(v['low'])}, {_number(v['high'])}]</td>"
                        for v in (profile["metrics"][m] for m in metrics))
        latency = profile["latency_ms"]
        rows.append(f"<tr><td class=\"text\">{escape(profile['name'])}<br><small>({escape(what)}, ranking "
                    f"{escape(profile['rankProfile'])})</small></td>{cells}<td>{latency['p50']:.1f}</td>"
                    f"<td>{latency['p99']:.1f}</td><td>{profile['failed']}</td></tr>")
    return (f"<table><tr><th>ranking</th>{head}<th>p50 ms</th><th>p99 ms</th><th>failed</th></tr>"
            + "".join(rows) + "</table>")


def _charts(report: Mapping[str, Any]) -> str:
    profiles = report["profiles"]
    names = [profile["name"] for profile in profiles]
    figures = []
    for metric in report["method"]["metrics"]:
        values = [profile["metrics"][metric] for profile in profiles]
        figures.append(bar_chart(metric, names, [v["mean"] for v in values], [v["low"] for v in values],
                                 [v["high"] for v in values]))
    latencies = [profile["latency_ms"] for profile in profiles]
    top = nice_ceiling(max([latency["p99"] for latency in latencies] + [1.0]))
    figures.append(bar_chart("latency ms (p50, whisker to p99)", names, [lat["p50"] for lat in latencies],
                             [lat["p50"] for lat in latencies], [lat["p99"] for lat in latencies],
                             maximum=top, fmt="{:.0f}"))
    level = round(report["method"]["confidence"] * 100)
    return ('<div class="charts">' + "".join(f"<figure>{figure}</figure>" for figure in figures) +
            f"</div><p class=\"method\">Bars: means over the judged queries; whiskers: {level}% bootstrap "
            "intervals. Latency next to quality: bars are p50, whiskers reach p99.</p>")


def _comparison(report: Mapping[str, Any], comparison: Mapping[str, Any]) -> str:
    baseline, other = comparison["baseline"], comparison["profile"]
    primary = report["method"]["primary"]
    rows = []
    for metric, result in comparison["metrics"].items():
        tone = "gain" if result["mean_delta"] > 0 else "loss" if result["mean_delta"] < 0 else ""
        rows.append(f"<tr><td>{escape(metric)}</td><td class=\"{tone}\">{result['mean_delta']:+.4f}</td>"
                    f"<td>[{result['low']:+.4f}, {result['high']:+.4f}]</td><td>{result['p_value']:.4f}"
                    f"{' (exact)' if result['exact'] else ''}</td><td>{result['wins']} / {result['ties']} / "
                    f"{result['losses']}</td></tr>")
    deltas = [(f"{query['id']} {query['text']}", query["explorer"][other],
               query["metrics"][other][primary] - query["metrics"][baseline][primary])
              for query in report["queries"]]
    plot = difference_plot(f"{primary}: {other} − {baseline} per query", deltas)
    return (f"<h2>{escape(other)} against {escape(baseline)}</h2>"
            "<table><tr><th>metric</th><th>mean Δ</th><th>interval</th><th>p (paired randomization)</th>"
            "<th>better / tied / worse</th></tr>" + "".join(rows) + f"</table><figure>{plot}</figure>")


def _link_label(baseline: str, name: str) -> str:
    return "explore" if name == baseline else f"{baseline} vs {name}"


def _query_table(report: Mapping[str, Any]) -> str:
    primary = report["method"]["primary"]
    names = [profile["name"] for profile in report["profiles"]]
    baseline = names[0]
    head = "".join(f"<th>{escape(name)}</th>" for name in names) + \
        "".join(f"<th>Δ {escape(name)}</th>" for name in names[1:])
    rows = []
    for query in report["queries"]:
        scores = query["metrics"]
        cells = "".join(f"<td>{_number(scores[name][primary], 3)}</td>" for name in names)
        cells += "".join(f"<td>{scores[name][primary] - scores[baseline][primary]:+.3f}</td>" for name in names[1:])
        links = " ".join(f'<a href="{escape(url)}" title="{escape(_link_label(baseline, name))}">'
                         f'{escape("explore" if name == baseline else "vs " + name)}</a>'
                         for name, url in query["explorer"].items())
        failed = "".join(f" <small class=\"loss\">{escape(name)} failed</small>" for name in query["failed"])
        rows.append(f"<tr><td>{escape(query['id'])}</td><td class=\"text\">{escape(query['text'])}{failed}</td>"
                    f"{cells}<td class=\"left\">{links}</td></tr>")
    return (f"<h2>Queries ({escape(primary)})</h2><table><tr><th>id</th><th class=\"text\">query</th>{head}"
            "<th class=\"text\">explorer</th></tr>"
            + "".join(rows) + "</table>")


def render_html(report: Mapping[str, Any]) -> str:
    method = report["method"]
    title = f"phasedsearch eval: {report['dataset_name']}"
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{len(report['queries'])} judged queries of <code>{escape(report['dataset'])}</code> against "
        f"<code>{escape(report['endpoint'])}</code>, {escape(report['created'])}.</p>",
        _summary_table(report), _charts(report),
        *(_comparison(report, comparison) for comparison in report["comparisons"]),
        _query_table(report),
        f"<h2>Method</h2><p class=\"method\">Intervals: {escape(method['interval'])}.<br>Test: "
        f"{escape(method['test'])}.<br>Latency: {escape(method['latency'])}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
