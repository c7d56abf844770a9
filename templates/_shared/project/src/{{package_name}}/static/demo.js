// Shared helpers of the demo pages: call the API, show its errors, show the test metrics.
"use strict";

function showError(message) {
  let el = document.querySelector("[data-testid=error]");
  if (!el) {
    el = document.createElement("p");
    el.className = "error";
    el.setAttribute("data-testid", "error");
    el.setAttribute("role", "alert");
    (document.querySelector("main") || document.body).prepend(el);
  }
  el.textContent = message || "";
  el.hidden = !message;
}

// fetch() `path`; the parsed JSON on success, or null after showing the Problem's detail.
async function callApi(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    showError(`The API did not answer: ${err.message}`);
    return null;
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : `${response.status} ${response.statusText}`;
    showError(`Error: ${detail}`);
    return null;
  }
  showError("");
  return body;
}

function formatValue(value) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  }
  if (value === null || value === undefined) return "n/a";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Render `metrics` in `el`: a list of rows {model, metric, value, low, high} or a flat object.
function showMetrics(el, metrics) {
  const rows = Array.isArray(metrics) ? metrics : Object.entries(metrics || {});
  if (rows.length === 0) {
    el.textContent = "";
    return;
  }
  const table = document.createElement("table");
  const addRow = (cells, header) => {
    const tr = table.insertRow();
    for (const cell of cells) {
      const td = document.createElement(header ? "th" : "td");
      td.textContent = cell;
      tr.appendChild(td);
    }
  };
  if (Array.isArray(metrics)) {
    addRow(["model", "metric", "value", "95% interval"], true);
    for (const row of metrics) {
      const interval = row.low === undefined || row.low === null
        ? "" : `${formatValue(row.low)} to ${formatValue(row.high)}`;
      addRow([row.model ?? "", row.metric ?? "", formatValue(row.value), interval]);
    }
  } else {
    addRow(["metric", "value"], true);
    for (const [name, value] of Object.entries(metrics || {})) {
      addRow([name, formatValue(value)]);
    }
  }
  el.replaceChildren(table);
}
