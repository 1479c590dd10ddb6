// The pipeline view in Airflow's tabs: a run's steps, a step's reuse, metrics and outputs, and
// a pipeline's metrics across runs as SVG charts. Plain DOM (text is never parsed as HTML);
// data from the JSON routes beside this file (api/...), links open in the whole window.
"use strict";

const TERMINAL = new Set(["success", "failed"]);
const query = new URLSearchParams(window.location.search);
const app = document.getElementById("app");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Airflow's tab iframe is sandboxed without allow-top-navigation, so a plain link cannot
// leave it. Same origin, though: push the URL onto the Airflow page's history and let its
// router follow (as a back/forward step), keeping the UI's own navigation.
function openInAirflow(href) {
  try {
    const top = window.top;
    if (top === window) return false;
    const url = new URL(href, top.location.href);
    if (url.origin !== top.location.origin) return false;
    const index = (top.history.state && top.history.state.idx) || 0;
    const state = { usr: null, key: Math.random().toString(36).slice(2, 10), idx: index + 1 };
    top.history.pushState(state, "", url.pathname + url.search + url.hash);
    top.dispatchEvent(new PopStateEvent("popstate", { state }));
    return true;
  } catch (error) {
    return false;
  }
}

function followInAirflow(node, href) {
  node.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (openInAirflow(href)) event.preventDefault();
  });
  return node;
}

function link(text, href, attrs) {
  return followInAirflow(el("a", { href, target: "_top", ...(attrs || {}) }, text), href);
}

async function api(path, params) {
  const response = await fetch(`api/${path}?${new URLSearchParams(params)}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    if (response.status === 401 || response.status === 403) {
      detail = `${detail} (log in to Airflow, with read access to this DAG)`;
    }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response.json();
}

function show(...nodes) {
  app.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
}

function failed(error) {
  show(el("p", { class: "error" }, String(error.message || error)));
}

function seconds(value) {
  if (value === null || value === undefined) return "";
  if (value < 60) return `${value.toFixed(1)} s`;
  const minutes = Math.floor(value / 60);
  return `${minutes} min ${Math.round(value - minutes * 60)} s`;
}

function shortValue(value) {
  if (Array.isArray(value)) {
    return value.length ? `${shortValue(value[value.length - 1])} (last of ${value.length})` : "[]";
  }
  if (typeof value === "number") return String(Number(value.toPrecision(4)));
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function badge(state, text) {
  return el("span", { class: `badge ${state || "none"}` }, text || state || "not started");
}

// A reused step is skipped in Airflow's terms, finished in Azure ML's: it says Reused.
function stateBadges(step) {
  if (step.reused) return el("span", { class: "badge reused", title: "Airflow state: skipped" }, "Reused");
  return badge(step.state, step.status);
}

function why(step) {
  if (!step.reused) return step.explanation;
  return `nothing it depends on changed: same key (${String(step.reused_from.key).slice(0, 12)}...)`;
}

function metricList(metrics) {
  const names = Object.keys(metrics || {});
  if (!names.length) return el("span", { class: "muted" }, "none");
  return el("ul", { class: "plain" },
    names.map((name) => el("li", {}, el("code", {}, name), " ", shortValue(metrics[name]))));
}

function reusedFrom(step) {
  const from = step.reused_from;
  if (!from) return "";
  return el("span", {}, link(from.run_id, from.url, { class: "reused-run" }),
    from.task_id !== step.task_id ? [" (", link(from.task_id, from.task_url), ")"] : null);
}

function outputFiles(run, step, output) {
  const holder = el("ul", { class: "plain files" }, el("li", { class: "muted" }, "listing ..."));
  const params = { dag_id: run.dag_id, run_id: run.run_id, task_id: step.task_id, output: output.name };
  api("output/files", params).then((listing) => {
    if (!listing.files.length) {
      holder.replaceChildren(el("li", { class: "muted" }, "no files"));
      return;
    }
    const items = listing.files.map((file) => {
      const href = `api/output/file?${new URLSearchParams({ ...params, path: file.path })}`;
      const name = file.path || output.path.split("/").pop();
      return el("li", {}, el("a", { href, download: name, class: "download" }, name),
        el("span", { class: "muted" }, ` ${file.size ?? "?"} bytes`));
    });
    if (listing.truncated) items.push(el("li", { class: "muted" }, "... more files"));
    holder.replaceChildren(...items);
  }).catch((error) => holder.replaceChildren(el("li", { class: "error" }, error.message)));
  return holder;
}

function outputCell(run, step, expanded) {
  if (!step.outputs.length) return el("span", { class: "muted" }, "none");
  return el("ul", { class: "plain" }, step.outputs.map((output) => {
    const item = el("li", { title: output.uri || "" }, el("code", {}, output.name), " ");
    if (expanded) {
      item.append(el("span", { class: "muted" }, `${output.datastore}/${output.path}`),
        outputFiles(run, step, output));
    } else {
      const button = el("button", { class: "link", type: "button" }, "files");
      button.addEventListener("click", () => button.replaceWith(outputFiles(run, step, output)));
      item.append(button);
    }
    return item;
  }));
}

function facts(entries) {
  const shown = entries.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (!shown.length) return el("p", { class: "muted" }, "none");
  return el("dl", { class: "facts" }, shown.map(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
}

function gitFacts(git) {
  if (!git) return el("p", { class: "muted" }, "not recorded (submit with Experiment.submit from a git checkout)");
  return facts([["repository", git.repository], ["branch", git.branch], ["commit", git.commit],
    ["uncommitted changes", git.dirty ? "yes" : "no"]]);
}

function stepTable(run) {
  const head = ["step", "status", "reused from", "duration", "metrics", "outputs", "why"];
  return el("table", { id: "steps" },
    el("thead", {}, el("tr", {}, head.map((name) => el("th", {}, name)))),
    el("tbody", {}, run.steps.map((step) => el("tr", { "data-step": step.task_id },
      el("td", {}, link(step.task_id, step.url)),
      el("td", {}, stateBadges(step)),
      el("td", {}, reusedFrom(step)),
      el("td", { class: "num" }, step.reused ? "" : seconds(step.duration)),
      el("td", {}, metricList(step.metrics)),
      el("td", {}, outputCell(run, step, false)),
      el("td", { class: "why" }, why(step))))));
}

function notPipeline(what) {
  return el("p", { class: "muted" }, `${what} is not an mlpipelines pipeline (no step reports).`);
}

function again(render) {
  window.setTimeout(render, 5000);
}

async function renderRun() {
  const run = await api("run", { dag_id: query.get("dag_id"), run_id: query.get("run_id") });
  show(
    el("div", { class: "row" }, el("h1", {}, run.run_id), badge(run.state, run.status),
      el("span", { class: "muted" }, seconds(run.duration)),
      link("metrics across runs", run.pipeline_url)),
    run.is_pipeline ? null : notPipeline(`DAG ${run.dag_id}`),
    el("h2", {}, "Steps"), stepTable(run),
    Object.keys(run.metrics || {}).length
      ? [el("h2", {}, "Run metrics"), facts(Object.entries(run.metrics).map(([k, v]) => [k, shortValue(v)]))]
      : null,
    el("h2", {}, "Parameters"), facts(Object.entries(run.params).map(([k, v]) => [k, shortValue(v)])),
    el("h2", {}, "Git"), gitFacts(run.git),
    run.note ? [el("h2", {}, "Note"), el("p", {}, run.note)] : null);
  if (!TERMINAL.has(run.state)) again(() => renderRun().catch(failed));
}

async function renderStep() {
  const taskId = query.get("task_id");
  const run = await api("run", { dag_id: query.get("dag_id"), run_id: query.get("run_id") });
  const step = run.steps.find((s) => s.task_id === taskId);
  if (!step) {
    show(el("p", { class: "muted" }, `${taskId} is not a step of this pipeline run (a helper task).`),
      link("the run's steps", run.url));
    return;
  }
  const source = step.reused_from;
  show(
    el("div", { class: "row" }, el("h1", {}, step.task_id), stateBadges(step)),
    source ? el("div", { class: "reused-box", id: "reused" },
      el("strong", {}, "Reused: "), "this step did not run. Its outputs and metrics are those of run ",
      link(source.run_id, source.url, { class: "reused-run" }), " of ", el("code", {}, source.dag_id),
      ", step ", link(source.task_id, source.task_url), ` (key ${String(source.key).slice(0, 16)}).`,
      " Airflow shows it as skipped, so its log is empty.") : null,
    step.reused ? null : el("p", { class: "why" }, step.explanation),
    el("h2", {}, "Metrics"), metricList(step.metrics),
    el("h2", {}, "Outputs"), outputCell(run, step, true),
    el("p", {}, link("all steps of this run", `${run.url}/plugin/pipeline-run`)));
  if (!TERMINAL.has(step.state) && step.state !== "skipped") again(() => renderStep().catch(failed));
}

function niceTicks(low, high, count) {
  const span = high - low;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= count) || step * 10;
  const ticks = [];
  for (let t = Math.ceil(low / unit) * unit; t <= high + unit / 1e6; t += unit) ticks.push(t);
  return ticks;
}

function padded(values) {
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    const pad = Math.abs(low) * 0.1 || 1;
    low -= pad;
    high += pad;
  }
  const pad = (high - low) * 0.08;
  return [low - pad, high + pad];
}

// points: [{x, y, label, href, failed}]; xTicks: optional [{x, text}] instead of numbers.
function chart(id, title, points, options) {
  const width = 560, height = 260, left = 60, right = 16, top = 12, bottom = 40;
  const [x0, x1] = padded(points.map((p) => p.x));
  const [y0, y1] = padded(points.map((p) => p.y));
  const sx = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const sy = (y) => height - bottom - ((y - y0) / (y1 - y0)) * (height - top - bottom);
  const format = (v) => Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(+v.toFixed(3));
  const xTicks = options.xTicks || niceTicks(x0, x1, 6).map((x) => ({ x, text: format(x) }));
  const parts = [
    svg("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }),
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
    niceTicks(y0, y1, 5).map((y) => [
      svg("line", { class: "axis", x1: left - 4, y1: sy(y), x2: width - right, y2: sy(y), "stroke-dasharray": "2 3" }),
      svg("text", { x: left - 6, y: sy(y) + 4, "text-anchor": "end" }, format(y))]),
    xTicks.map((t) => svg("text", { x: sx(t.x), y: height - bottom + 16, "text-anchor": "middle" }, t.text)),
    svg("text", { x: (left + width - right) / 2, y: height - 6, "text-anchor": "middle" }, options.xLabel),
    svg("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle",
      transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, options.yLabel),
  ];
  if (options.line && points.length > 1) {
    parts.push(svg("polyline", { class: "series", points: points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" ") }));
  }
  for (const p of points) {
    const dot = svg("circle", { class: `point${p.failed ? " failed" : ""}`, cx: sx(p.x), cy: sy(p.y), r: 5 },
      svg("title", {}, `${p.label}: ${format(p.y)}`));
    const anchor = followInAirflow(svg("a", { href: p.href, target: "_top" }, dot), p.href);
    parts.push(anchor);
  }
  return el("div", { class: "chart", id },
    el("h3", {}, title),
    svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title }, parts));
}

function runTabUrl(history, runId) {
  const base = document.location.pathname.replace(/\/mlpipelines\/view\/pipeline$/, "");
  return `${base}/dags/${encodeURIComponent(history.dag_id)}/runs/${encodeURIComponent(runId)}/plugin/pipeline-run`;
}

function pipelineCharts(history, metric, param) {
  const runs = history.runs.filter((r) => typeof r.metrics[metric] === "number");
  const byRun = runs.map((r) => ({
    x: history.runs.indexOf(r) + 1, y: r.metrics[metric], label: r.run_id,
    href: runTabUrl(history, r.run_id), failed: r.state === "failed",
  }));
  const charts = [chart("metric-by-run", `${metric} by run`, byRun, {
    line: true, xLabel: "run (oldest first)", yLabel: metric,
    xTicks: byRun.length > 12 ? null : byRun.map((p) => ({ x: p.x, text: `#${p.x}` })),
  })];
  if (param) {
    const scatter = runs.filter((r) => typeof r.params[param] === "number").map((r) => ({
      x: r.params[param], y: r.metrics[metric], label: `${r.run_id} (${param} = ${r.params[param]})`,
      href: runTabUrl(history, r.run_id), failed: r.state === "failed",
    }));
    if (scatter.length) {
      charts.push(chart("metric-by-param", `${metric} against ${param}`, scatter, { line: false, xLabel: param, yLabel: metric }));
    }
  }
  return el("div", { class: "charts" }, charts);
}

function runsTable(history, metric) {
  return el("table", { id: "runs" },
    el("thead", {}, el("tr", {}, ["#", "run", "state", metric, "parameters"].map((n) => el("th", {}, n)))),
    el("tbody", {}, history.runs.map((r, index) => el("tr", {},
      el("td", { class: "num" }, `#${index + 1}`),
      el("td", {}, link(r.run_id, runTabUrl(history, r.run_id))),
      el("td", {}, badge(r.state, r.state)),
      el("td", { class: "num" }, r.metrics[metric] === undefined ? "" : shortValue(r.metrics[metric])),
      el("td", { class: "muted" }, Object.entries(r.params).map(([k, v]) => `${k}=${shortValue(v)}`).join("  "))))));
}

async function renderPipeline() {
  const dagId = query.get("dag_id");
  const history = await api("pipeline", { dag_id: dagId, limit: query.get("limit") || 50 });
  if (!history.metrics.length) {
    show(el("h1", {}, dagId), el("p", { class: "muted" },
      `No run of ${dagId} logged a numeric metric yet (Run.get_context().log(name, value) in a step).`));
    return;
  }
  const metricSelect = el("select", { id: "metric" }, history.metrics.map((m) => el("option", { value: m }, m)));
  const paramSelect = el("select", { id: "param" }, el("option", { value: "" }, "(none)"),
    history.params.map((p) => el("option", { value: p }, p)));
  if (history.params.length) paramSelect.value = history.params[0];
  const body = el("div", {});
  const draw = () => body.replaceChildren(pipelineCharts(history, metricSelect.value, paramSelect.value),
    el("h2", {}, "Runs"), runsTable(history, metricSelect.value));
  metricSelect.addEventListener("change", draw);
  paramSelect.addEventListener("change", draw);
  show(el("div", { class: "row" }, el("h1", {}, dagId),
    el("span", { class: "muted" }, `${history.runs.length} latest runs`)),
    el("p", {}, el("label", {}, "metric ", metricSelect), el("label", {}, "against parameter ", paramSelect)),
    body);
  draw();
}

const pages = { run: renderRun, step: renderStep, pipeline: renderPipeline };
(pages[document.body.dataset.page] || (() => Promise.reject(new Error("unknown page"))))().catch(failed);
