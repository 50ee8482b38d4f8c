// The ranking explorer: runs a query through the public /search/ API with ranking.explain=true
// (one profile, or two side by side) and shows each hit's phase trace. URL parameters (all
// optional, also what eval's report links to): query, schema, ranking, compare, queryProfile.
"use strict";

const $ = (id) => document.getElementById(id);
const NO_QUERY_PROFILE = "-";
let model = { schemas: [], queryProfiles: [] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function option(value, label) { const o = el("option", { value }); o.textContent = label ?? value; return o; }

function currentSchema() { return model.schemas.find((s) => s.name === $("schema").value) || model.schemas[0]; }
function profileOf(name) { return (currentSchema()?.profiles || []).find((p) => p.name === name); }
function queryProfileOf(id) { return model.queryProfiles.find((p) => p.id === id); }

function fillProfiles(keep) {
  const schema = currentSchema();
  const names = schema ? schema.profiles.map((p) => p.name).filter((n) => n !== "unranked") : [];
  for (const [select, first] of [[$("profile"), null], [$("compare"), "(no comparison)"]]) {
    const previous = keep ? select.value : "";
    select.replaceChildren(...(first ? [option("", first)] : []), ...names.map((n) => option(n)));
    if (names.includes(previous)) select.value = previous;
  }
}

function ensureOption(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.append(option(value));
  select.value = value;
}

function fillInputs() {
  const list = $("input-list");
  const old = Object.fromEntries([...list.querySelectorAll("input")].map((i) => [i.dataset.name, i.value]));
  const seen = new Map();
  for (const name of [$("profile").value, $("compare").value]) {
    for (const input of profileOf(name)?.inputs || []) if (!seen.has(input.name)) seen.set(input.name, input);
  }
  list.replaceChildren(...[...seen.values()].map((input) => {
    const field = el("input", { type: "text", "data-name": input.name,
      placeholder: input.default != null ? `default ${input.default}` : input.type });
    field.value = old[input.name] ?? "";
    const label = el("label", {}, `${input.name} · ${input.type}`, field);
    return label;
  }));
  $("inputs").hidden = seen.size === 0;
  describePhases();
}

function describePhases() {
  const out = $("profile-phases");
  out.replaceChildren();
  const profile = profileOf($("profile").value);
  if (!profile) return;
  const parts = [["first phase", profile.firstPhase], ["second phase", profile.secondPhase],
    ["global phase", profile.globalPhase]].filter(([, phase]) => phase);
  out.append(`${profile.name}: `);
  parts.forEach(([name, phase], i) => {
    out.append(`${i ? "; " : ""}${name} `, el("code", {}, phase.expression),
      phase.rerankCount != null ? ` (rerank-count ${phase.rerankCount})` : "");
  });
}

// As `phasedsearch eval` runs a profile: with the query profile named like it, if there is one
// ("auto"). A picked query profile serves the side whose rank profile it names (or both when it
// names none); the other side of a comparison falls back to auto.
function queryProfileFor(profile, state) {
  if (state.queryProfile === NO_QUERY_PROFILE) return null;
  const picked = queryProfileOf(state.queryProfile);
  const names = picked?.values["ranking.profile"];
  if (picked && (!names || names === profile)) return picked;
  return queryProfileOf(profile) || null;
}

function requestParams(profile, state) {
  const schema = currentSchema();
  const params = new URLSearchParams();
  const queryProfile = queryProfileFor(profile, state);
  const text = state.query.trim();
  if (queryProfile) params.set("queryProfile", queryProfile.id);
  if (!queryProfile || !queryProfile.values.yql) {
    params.set("yql", `select * from ${schema.name} where ${text ? "userQuery()" : "true"}`);
  }
  if (text) params.set("query", state.query);
  // without query syntax by default: the text as eval sends it (words only)
  if (!state.syntax) params.set("model.type.syntax", "none");
  params.set("type", state.type);
  params.set("ranking", profile);
  params.set("hits", String(state.hits));
  params.set("timeout", "10s");
  params.set("ranking.explain", "true");
  const declared = new Set((profileOf(profile)?.inputs || []).map((i) => i.name));
  for (const [name, value] of Object.entries(state.inputs)) {
    if (value.trim() && declared.has(name)) params.set(`input.${name}`, value.trim());
  }
  return params;
}

async function runQuery(profile, state) {
  const started = performance.now();
  const response = await fetch(`/search/?${requestParams(profile, state)}`, { headers: { Accept: "application/json" } });
  let body;
  try { body = await response.json(); } catch { throw new Error(`${profile}: HTTP ${response.status}, not JSON`); }
  const errors = body?.root?.errors || [];
  return { profile, body, status: response.status, ms: performance.now() - started,
    queryProfile: queryProfileFor(profile, state)?.id,
    errors: errors.map((e) => `${profile}: ${e.summary || "Error"}: ${e.message}`) };
}

function formState() {
  return {
    query: $("query").value, schema: $("schema").value, profile: $("profile").value, compare: $("compare").value,
    queryProfile: $("query-profile").value, type: $("match-type").value,
    syntax: $("syntax").checked,
    hits: Math.min(Math.max(parseInt($("hits").value, 10) || 10, 1), 100),
    inputs: Object.fromEntries([...$("input-list").querySelectorAll("input")].map((i) => [i.dataset.name, i.value])),
  };
}

function syncUrl(state) {
  const params = new URLSearchParams();
  for (const [key, value] of [["query", state.query], ["schema", state.schema], ["ranking", state.profile],
    ["compare", state.compare], ["queryProfile", state.queryProfile]]) if (value) params.set(key, value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function showError(messages) {
  const box = $("error");
  box.textContent = messages.join("\n");
  box.hidden = messages.length === 0;
}

async function search(event) {
  event?.preventDefault();
  const state = formState();
  if (!state.profile) return;
  syncUrl(state);
  showError([]);
  $("status").textContent = "Searching…";
  const profiles = state.compare ? [state.profile, state.compare] : [state.profile];
  let runs;
  try {
    runs = await Promise.all(profiles.map((p) => runQuery(p, state)));
  } catch (error) {
    $("status").textContent = "";
    showError([`The search failed: ${error.message}`]);
    return;
  }
  showError(runs.flatMap((r) => r.errors));
  render(runs, state);
  $("status").textContent = runs.map((r) => `${r.profile}: ${(r.body.root.children || []).length} hits of ` +
    `${r.body.root.fields?.totalCount ?? 0} in ${Charts.fmtMs(r.ms)}`).join(" · ");
}

let connectorObserver = null;  // redraws the comparison's lines when the layout changes

function render(runs, state) {
  const results = $("results");
  connectorObserver?.disconnect();
  const grid = el("div", { class: runs.length > 1 ? "runs compare" : "runs" });
  const lists = runs.map((run) => renderRun(run, state));
  grid.append(lists[0].section);
  if (runs.length > 1) {
    const holder = el("div", { class: "connectors", "aria-hidden": "true" });
    grid.append(holder, lists[1].section);
    const redraw = () => Charts.drawConnectors(holder, lists[0].list, lists[1].list);
    connectorObserver = new ResizeObserver(redraw);
    connectorObserver.observe(grid);
    grid.addEventListener("toggle", redraw, true);
    requestAnimationFrame(redraw);
  }
  results.replaceChildren(grid);
}

function hitsOf(run) { return (run.body.root.children || []).filter((c) => !String(c.id).startsWith("group:")); }

function renderRun(run, state) {
  const hits = hitsOf(run);
  const trace = run.body.root.phaseTrace;
  const section = el("section", { class: "run", "aria-label": `Results of ${run.profile}` });
  const count = el("span", { class: "count" }, ` · ${run.body.root.fields?.totalCount ?? 0} matches`);
  const via = run.queryProfile ? el("span", { class: "count" }, ` · query profile ${run.queryProfile}`) : null;
  section.append(el("h2", {}, run.profile, count, via));
  if (trace) section.append(Charts.timingChart(trace), nodeTable(trace));
  const ranks = hits.flatMap((h) => Charts.stagesOf(h.fields?.phaseTrace || { finalRank: 1 }).map((s) => s.rank));
  const maxRank = Math.max(hits.length, ...ranks, 2);
  const list = el("ol", { class: "hits" });
  const schema = currentSchema();
  hits.forEach((hit, i) => list.append(renderHit(hit, i + 1, maxRank, schema, state)));
  if (!hits.length) list.append(el("li", { class: "empty" }, "No hits."));
  section.append(list);
  return { section, list };
}

function nodeTable(trace) {
  const table = el("table", { class: "node-table" });
  const head = el("tr", {}, ...["node", "matched", "first phase", "kept", "second phase", "returned"]
    .map((t) => el("th", { scope: "col" }, t)));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  for (const schema of trace.schemas) {
    for (const n of schema.nodes) {
      body.append(el("tr", {}, ...[`${trace.schemas.length > 1 ? schema.schema + " " : ""}node ${n.node}`, n.matched,
        n.firstPhaseRanked, n.kept, n.secondPhaseReranked, n.returned].map((v) => el("td", {}, String(v)))));
    }
    if (schema.globalPhase) {
      const g = schema.globalPhase;
      body.append(el("tr", {}, el("td", { colspan: "6" },
        `global phase: reranked ${g.reranked} of ${g.of} merged hits in ${Charts.fmtMs(g.ms)}`)));
    }
  }
  table.append(body);
  return table;
}

function words(text) { return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1); }

// The text with the query's words marked, built as nodes (never parsed as markup).
function highlighted(text, query) {
  const node = el("p", { class: "snippet" });
  const wanted = new Set(words(query));
  for (const part of text.split(/([\p{L}\p{N}]+)/u)) {
    node.append(wanted.has(part.toLowerCase()) ? el("mark", {}, part) : part);
  }
  return node;
}

function plain(value) {
  if (value == null) return "";
  const text = Array.isArray(value) ? value.join(" ") : typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.replace(/<\/?hi>|<sep\s*\/>/g, "");
}

function fmtScore(value) { return typeof value === "number" ? String(Number(value.toPrecision(6))) : String(value); }

function renderHit(hit, rank, maxRank, schema, state) {
  const fields = hit.fields || {};
  const trace = fields.phaseTrace;
  const title = plain(fields[schema.titleField]) || fields.documentid || hit.id;
  let snippet = plain(fields[schema.textField]);
  if (snippet.length > 260) snippet = snippet.slice(0, 260).replace(/\s+\S*$/, "") + " …";
  const item = el("li", { class: "hit", "data-id": hit.id, "data-rank": String(rank) });
  const body = el("div", {}, el("h3", {}, title), snippet ? highlighted(snippet, state.query) : null,
    el("div", { class: "meta" }, `${fields.documentid || hit.id} · relevance ${fmtScore(hit.relevance)}`));
  if (trace) body.append(traceTable(trace, hit.relevance));
  const features = fields.matchfeatures;
  if (features && Object.keys(features).length) {
    const table = el("table", { class: "trace" });
    for (const [name, value] of Object.entries(features)) {
      table.append(el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, fmtScore(value))));
    }
    body.append(el("details", {}, el("summary", {}, "match-features"), table));
  }
  item.append(el("div", { class: "rank", "aria-label": `rank ${rank}` }, String(rank)), body);
  if (trace) item.append(el("div", { class: "movement" }, Charts.movementChart(trace, maxRank)));
  return item;
}

function phaseCell(phase) {
  if (!phase) return "";
  return phase.reranked ? fmtScore(phase.score) : `not reranked (rescaled ${fmtScore(phase.rescaledScore)})`;
}

function traceTable(trace, relevance) {
  const table = el("table", { class: "trace", "aria-label": "Phase trace" });
  const row = (phase, score, rank) => table.append(el("tr", {}, el("th", { scope: "row" }, phase),
    el("td", {}, score), el("td", {}, rank)));
  if (trace.firstPhase) row("first phase", fmtScore(trace.firstPhase.score), `#${trace.firstPhase.rank} on node ${trace.node}`);
  if (trace.secondPhase) row("second phase", phaseCell(trace.secondPhase), `#${trace.nodeRank} on node ${trace.node}`);
  if (trace.mergedRank != null) row("merged", "", `#${trace.mergedRank}`);
  if (trace.globalPhase) row("global phase", phaseCell(trace.globalPhase), "");
  row("final", fmtScore(relevance), `#${trace.finalRank}`);
  return table;
}

function onQueryProfile() {
  const profile = queryProfileOf($("query-profile").value)?.values["ranking.profile"];
  if (profile && profileOf(profile)) $("profile").value = profile;
  fillInputs();
}

async function start() {
  const response = await fetch("/explorer/api/schemas");
  model = await response.json();
  $("schema").replaceChildren(...model.schemas.map((s) => option(s.name)));
  $("query-profile").replaceChildren(option("", "(auto: named like the rank profile)"),
    option(NO_QUERY_PROFILE, "(none)"), ...model.queryProfiles.map((p) => option(p.id)));
  const url = new URLSearchParams(location.search);
  if (url.get("schema")) ensureOption($("schema"), url.get("schema"));
  fillProfiles(false);
  if (url.get("queryProfile")) { ensureOption($("query-profile"), url.get("queryProfile")); onQueryProfile(); }
  if (url.get("ranking")) ensureOption($("profile"), url.get("ranking"));
  if (url.get("compare")) ensureOption($("compare"), url.get("compare"));
  $("query").value = url.get("query") || "";
  fillInputs();
  $("schema").addEventListener("change", () => { fillProfiles(true); fillInputs(); });
  $("profile").addEventListener("change", fillInputs);
  $("compare").addEventListener("change", fillInputs);
  $("query-profile").addEventListener("change", onQueryProfile);
  $("search-form").addEventListener("submit", search);
  // Enter on a picker submits too (inputs do it natively); "/" jumps to the query box
  $("search-form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && e.target.tagName === "SELECT") search(e);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && !["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement?.tagName)) {
      e.preventDefault();
      $("query").focus();
    }
  });
  if (url.has("query") || url.has("ranking")) await search();
}

start().catch((error) => showError([`The explorer could not start: ${error.message}`]));
