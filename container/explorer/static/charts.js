// Inline SVG charts of the ranking explorer: the per-phase timing bar of a query, the rank
// movement of one hit through the phases, and the lines between the two lists of a comparison.
// No library: plain DOM, all text set as text (never parsed as markup).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const PHASE_COLORS = {
  parse: "var(--parse)", search: "var(--search)", "global-phase": "var(--global)", fill: "var(--fill)",
  match: "var(--match)", "first-phase": "var(--first)", "second-phase": "var(--second)",
  "match-features": "var(--feat)", sort: "var(--sort)", grouping: "var(--grouping)",
};

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function fmtMs(ms) { return ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`; }

// One row of stacked segments [{phase, ms}] scaled so that `scaleMs` spans `width` pixels.
function barRow(svg, y, label, segments, scaleMs, width, x0) {
  svg.append(svgEl("text", { x: 0, y: y + 12 }, label));
  let x = x0;
  for (const { phase, ms } of segments) {
    const w = Math.max(scaleMs > 0 ? (ms / scaleMs) * width : 0, ms > 0 ? 1 : 0);
    const rect = svgEl("rect", { x, y, width: w, height: 16, rx: 2, fill: PHASE_COLORS[phase] || "#999" });
    rect.append(svgEl("title", {}, `${phase}: ${fmtMs(ms)}`));
    svg.append(rect);
    if (w > 46) svg.append(svgEl("text", { x: x + 3, y: y + 12 }, fmtMs(ms)));
    x += w;
  }
  svg.append(svgEl("text", { x: x + 4, y: y + 12 }, fmtMs(segments.reduce((s, p) => s + p.ms, 0))));
}

// The query's per-phase timing bar: the container's laps, then each node's phases under its
// "search" lap (the nodes run in parallel inside it).
function timingChart(trace) {
  const wrap = document.createElement("div");
  wrap.className = "timing";
  const laps = Object.entries(trace.timingsMs).filter(([k]) => k !== "total").map(([phase, ms]) => ({ phase, ms }));
  const nodes = trace.schemas.flatMap((s) => s.nodes.map((n) => ({ schema: s.schema, node: n })));
  const rowH = 22, width = 560, x0 = 110;
  const height = rowH * (1 + nodes.length) + 4;
  const svg = svgEl("svg", { viewBox: `0 0 ${x0 + width + 70} ${height}`, role: "img",
    "aria-label": "Time per phase: " + laps.map((l) => `${l.phase} ${fmtMs(l.ms)}`).join(", ") });
  const total = trace.timingsMs.total || laps.reduce((s, l) => s + l.ms, 0);
  barRow(svg, 2, "container", laps, total, width, x0);
  const searchStart = laps.filter((l) => ["parse"].includes(l.phase)).reduce((s, l) => s + l.ms, 0);
  nodes.forEach(({ schema, node }, i) => {
    const segments = Object.entries(node.timingsMs).map(([phase, ms]) => ({ phase, ms }));
    const label = trace.schemas.length > 1 ? `${schema} node ${node.node}` : `node ${node.node}`;
    barRow(svg, 2 + rowH * (i + 1), label, segments, total, width, x0 + (total ? (searchStart / total) * width : 0));
  });
  wrap.append(svg);
  const legend = document.createElement("div");
  legend.className = "legend";
  const phases = new Set([...laps.map((l) => l.phase), ...nodes.flatMap(({ node }) => Object.keys(node.timingsMs))]);
  for (const phase of phases) {
    const item = document.createElement("span");
    item.style.setProperty("--c", PHASE_COLORS[phase] || "#999");
    item.textContent = phase;
    legend.append(item);
  }
  wrap.append(legend);
  return wrap;
}

// The stages a hit went through, from its phase trace: [{name, rank, note}].
function stagesOf(trace) {
  const stages = [];
  if (trace.firstPhase) stages.push({ name: "1st", rank: trace.firstPhase.rank, note: `node ${trace.node}` });
  if (trace.secondPhase) stages.push({ name: "2nd", rank: trace.nodeRank, note: `node ${trace.node}` });
  if (trace.mergedRank != null) stages.push({ name: "merged", rank: trace.mergedRank, note: "all nodes" });
  stages.push({ name: trace.globalPhase ? "global" : "final", rank: trace.finalRank, note: "final" });
  return stages;
}

// A small line chart: one column per stage, rank 1 at the top, `maxRank` at the bottom.
function movementChart(trace, maxRank) {
  const stages = stagesOf(trace);
  const w = 250, h = 84, top = 14, bottom = 68, left = 22, right = 228;
  const y = (rank) => top + (maxRank > 1 ? ((Math.min(rank, maxRank) - 1) / (maxRank - 1)) * (bottom - top) : 0);
  const x = (i) => (stages.length > 1 ? left + (i * (right - left)) / (stages.length - 1) : (left + right) / 2);
  const words = stages.map((s) => `${s.name} phase rank ${s.rank}`).join(", ");
  const svg = svgEl("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": `Rank movement: ${words}` });
  svg.append(svgEl("title", {}, `Rank after each phase: ${words}`));
  svg.append(svgEl("line", { x1: left, x2: right, y1: top, y2: top, stroke: "#e2e4e6" }));
  svg.append(svgEl("line", { x1: left, x2: right, y1: bottom, y2: bottom, stroke: "#e2e4e6" }));
  svg.append(svgEl("polyline", { points: stages.map((s, i) => `${x(i)},${y(s.rank)}`).join(" "),
    fill: "none", stroke: "var(--accent)", "stroke-width": 2 }));
  stages.forEach((s, i) => {
    svg.append(svgEl("circle", { cx: x(i), cy: y(s.rank), r: 4, fill: "var(--accent)" }));
    const below = y(s.rank) < top + 8;
    svg.append(svgEl("text", { class: "label", x: x(i) + 6, y: y(s.rank) + (below ? 11 : -4) }, `#${s.rank}`));
    svg.append(svgEl("text", { x: x(i), y: h - 2, "text-anchor": "middle" }, s.name));
  });
  return svg;
}

// Lines between the same documents of the left and right lists of a comparison.
function drawConnectors(holder, leftList, rightList) {
  holder.replaceChildren();
  const box = holder.getBoundingClientRect();
  const svg = svgEl("svg", { "aria-hidden": "true" });
  const right = new Map([...rightList.querySelectorAll(".hit")].map((el) => [el.dataset.id, el]));
  for (const el of leftList.querySelectorAll(".hit")) {
    const other = right.get(el.dataset.id);
    if (!other) continue;
    const a = el.getBoundingClientRect(), b = other.getBoundingClientRect();
    const from = Number(el.dataset.rank), to = Number(other.dataset.rank);
    svg.append(svgEl("line", { x1: 0, y1: a.top + Math.min(a.height / 2, 24) - box.top,
      x2: box.width, y2: b.top + Math.min(b.height / 2, 24) - box.top,
      class: to < from ? "up" : to > from ? "down" : "same" }));
  }
  holder.append(svg);
}

window.Charts = { timingChart, movementChart, drawConnectors, stagesOf, fmtMs };
