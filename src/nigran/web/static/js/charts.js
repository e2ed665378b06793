// Charts for every page: <canvas class="js-chart" data-src="/api/...json" data-kind="line|bar">.
// The URL answers {"labels": [...], "datasets": [{"label": "...", "data": [numbers or null]}]}; null is
// unknown and drawn as a gap, never as 0. Chart.js (vendored, served locally) is loaded only on pages that
// have a chart. No inline script or style: the Content-Security-Policy forbids them, and Chart.js sets only
// element.style (allowed) on its canvas. The table named by aria-describedby is the text alternative.
(function () {
  "use strict";
  var LIB = "/static/vendor/chartjs/chart.umd.js";
  var COLOURS = ["#00503c", "#a4001d", "#1f4e99", "#8a5a00", "#5b2a86", "#2f6f6f"];
  var waiting = null;

  function library(done) {
    if (window.Chart) { done(); return; }
    if (waiting) { waiting.push(done); return; }
    waiting = [done];
    var script = document.createElement("script");
    script.src = LIB;
    script.onload = function () { var q = waiting; waiting = null; q.forEach(function (f) { f(); }); };
    document.head.appendChild(script);
  }

  function numeric(values) {
    return (values || []).map(function (v) { return typeof v === "number" && isFinite(v) ? v : null; });
  }

  function draw(canvas, data) {
    var rtl = document.documentElement.getAttribute("dir") === "rtl";
    var kind = canvas.getAttribute("data-kind") === "bar" ? "bar" : "line";
    var datasets = (data.datasets || []).map(function (d, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: String(d.label || ""),
        data: numeric(d.data),
        borderColor: colour,
        backgroundColor: colour,
        pointRadius: kind === "line" ? 2 : 0,
        spanGaps: false
      };
    });
    canvas.nigranChart = new window.Chart(canvas, {
      type: kind,
      data: { labels: (data.labels || []).map(String), datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { rtl: rtl, position: "top" }, tooltip: { rtl: rtl } },
        scales: { x: { reverse: rtl }, y: { beginAtZero: true, position: rtl ? "right" : "left" } }
      }
    });
    canvas.setAttribute("data-ready", "yes");
  }

  function failed(canvas) {
    canvas.setAttribute("data-ready", "error");
    var note = document.createElement("p");
    note.className = "chart-error";
    note.textContent = canvas.getAttribute("data-error") || "The chart could not be drawn; the table below has its figures.";
    canvas.parentNode.insertBefore(note, canvas.nextSibling);
  }

  function load(canvas) {
    if (canvas.hasAttribute("data-ready")) { return; }
    canvas.setAttribute("data-ready", "loading");
    var src = canvas.getAttribute("data-src");
    if (!src || src.charAt(0) !== "/" || src.charAt(1) === "/") { failed(canvas); return; }
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        library(function () {
          if (canvas.nigranChart) { canvas.nigranChart.destroy(); }
          draw(canvas, data);
        });
      })
      .catch(function () { failed(canvas); });
  }

  function scan(root) {
    var found = (root || document).querySelectorAll ? (root || document).querySelectorAll("canvas.js-chart") : [];
    Array.prototype.forEach.call(found, load);
    if (root && root.matches && root.matches("canvas.js-chart")) { load(root); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
})();
