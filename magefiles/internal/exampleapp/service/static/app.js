// The equiptrack EXAMPLE build's fleet page: reads the fleet from the API
// through the gateway (same origin) and renders it. No framework, no build.
"use strict";

async function getJSON(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(path + ": HTTP " + res.status);
  return res.json();
}

function el(tag, text) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function card(title, counts) {
  const c = el("div");
  c.className = "card";
  c.appendChild(el("h3", title));
  const ul = el("ul");
  for (const k of Object.keys(counts).sort()) ul.appendChild(el("li", k + ": " + counts[k]));
  c.appendChild(ul);
  return c;
}

async function loadSummary() {
  const box = document.getElementById("summary");
  try {
    const body = await getJSON("/api/reporting/summary");
    const s = body.summary;
    box.textContent = "";
    box.appendChild(card("totals", { items: s.items, "child items": s.child_items, movements: s.movements, locations: s.locations }));
    box.appendChild(card("by type", s.by_type));
    box.appendChild(card("by location", s.by_location));
    box.appendChild(card("by kind of location", s.by_kind));
    document.getElementById("summary-source").textContent =
      (body.cached ? "cached" : "computed") + " at " + body.computed_at;
  } catch (err) {
    box.textContent = "could not load the summary: " + err.message;
    box.className = "error";
  }
}

async function loadItems() {
  const tbody = document.querySelector("#items tbody");
  try {
    const page = await getJSON("/api/inventory/items?limit=200");
    tbody.textContent = "";
    for (const it of page.items) {
      const tr = el("tr");
      for (const v of [it.asset_tag, it.type_name, it.location_name, it.status, it.child_count]) tr.appendChild(el("td", v));
      tbody.appendChild(tr);
    }
    if (page.items.length === 0) {
      // An empty fleet (a fresh environment, before its seed) says so in a
      // row, as loading and errors do: the table never ends up with none.
      const tr = el("tr");
      const td = el("td", "no items yet");
      td.colSpan = 5;
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    document.getElementById("items-count").textContent = page.items.length + " of " + page.total;
  } catch (err) {
    tbody.textContent = "";
    const tr = el("tr");
    const td = el("td", "could not load the items: " + err.message);
    td.colSpan = 5;
    td.className = "error";
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
}

document.addEventListener("DOMContentLoaded", () => { loadSummary(); loadItems(); });
