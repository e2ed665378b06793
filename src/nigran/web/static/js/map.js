// Maps for every page: <div class="js-map" data-src="/api/geo/choropleth?..." data-points="/api/incidents/points?..."
// data-geometry="/api/geo/districts">. data-src is small JSON: {"breaks": [...], "polygons": {code: {"value",
// "class", "name"}}} (class 1 = lowest, null = unknown; a polygon missing there is unknown too). data-geometry
// (default /api/geo/districts) is the GeoJSON of the district polygons with property code: it never changes,
// is cached by the browser for a day and fetched once per page; the values are joined to it by code.
// (A data-src that is itself a GeoJSON FeatureCollection with value and class is drawn as it is.)
// data-points (optional) GeoJSON points with properties name and url.
// Leaflet (vendored, served locally) draws the polygons with NO tile layer: the page makes no outside request.
// Each district is keyboard-focusable with a tooltip; a legend explains the colours; the table named by
// aria-describedby is the text alternative. No inline script or style (CSP): only element.style is set.
(function () {
  "use strict";
  var BASE = "/static/vendor/leaflet/";
  var COLOURS = ["#fde0c5", "#facba6", "#f59e72", "#e0603c", "#b1271b", "#7a0c0c"];
  var UNKNOWN = "#d9d9d9";
  var waiting = null;
  var GEOMETRY = "/api/geo/districts";
  var shapes = {};  // geometry URL -> promise of its GeoJSON, shared by every map of the page

  function library(done) {
    if (window.L && window.L.geoJSON) { done(); return; }
    if (waiting) { waiting.push(done); return; }
    waiting = [done];
    if (!document.querySelector('link[href="' + BASE + 'leaflet.css"]')) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = BASE + "leaflet.css";
      document.head.appendChild(css);
    }
    var script = document.createElement("script");
    script.src = BASE + "leaflet.js";
    script.onload = function () { var q = waiting; waiting = null; q.forEach(function (f) { f(); }); };
    document.head.appendChild(script);
  }

  function local(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function geometry(url) {
    if (!shapes[url]) {
      shapes[url] = getJSON(url);
      shapes[url].catch(function () { delete shapes[url]; });
    }
    return shapes[url];
  }

  // the polygons of geo with the values of data (joined by code); unknown where data has none
  function join(geo, data) {
    var polygons = (data && data.polygons) || {};
    var features = (geo.features || []).map(function (f) {
      var own = f.properties || {};
      var entry = polygons[own.code] || {};
      var props = { code: own.code, name: entry.name || own.name, value: null, "class": null };
      if (entry.value !== undefined) { props.value = entry.value; }
      if (entry["class"] !== undefined) { props["class"] = entry["class"]; }
      return { type: "Feature", geometry: f.geometry, properties: props };
    });
    return { type: "FeatureCollection", features: features, breaks: Array.isArray(data.breaks) ? data.breaks : [] };
  }

  function colourOf(cls, classes) {
    if (cls === null || cls === undefined) { return UNKNOWN; }
    var n = Math.max(1, classes);
    var index = Math.round((cls - 1) * (COLOURS.length - 1) / Math.max(1, n - 1));
    return COLOURS[Math.min(COLOURS.length - 1, Math.max(0, index))];
  }

  function label(props, div) {
    var name = String(props.name || props.code || "");
    var value = props.value === null || props.value === undefined
      ? (div.getAttribute("data-unknown") || "unknown") : String(props.value);
    return name + ": " + value;
  }

  function tooltipNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function legend(map, breaks, div) {
    var control = window.L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = window.L.DomUtil.create("div", "map-legend");
      var title = document.createElement("strong");
      title.textContent = div.getAttribute("data-legend") || "";
      if (title.textContent) { box.appendChild(title); }
      var list = document.createElement("ul");
      var previous = null;
      breaks.forEach(function (bound, i) {
        var item = document.createElement("li");
        var swatch = document.createElement("span");
        swatch.className = "map-swatch";
        swatch.style.backgroundColor = colourOf(i + 1, breaks.length);
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(previous === null ? "≤ " + bound : previous + " – " + bound));
        list.appendChild(item);
        previous = bound;
      });
      var none = document.createElement("li");
      var grey = document.createElement("span");
      grey.className = "map-swatch";
      grey.style.backgroundColor = UNKNOWN;
      none.appendChild(grey);
      none.appendChild(document.createTextNode(div.getAttribute("data-unknown") || "unknown"));
      list.appendChild(none);
      box.appendChild(list);
      return box;
    };
    control.addTo(map);
  }

  function focusable(layer, text) {
    var el = layer.getElement && layer.getElement();
    if (!el) { return; }
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", text);
    el.addEventListener("focus", function () { layer.openTooltip(); });
    el.addEventListener("blur", function () { layer.closeTooltip(); });
  }

  function draw(div, polygons, points) {
    var L = window.L;
    if (!div.clientHeight) { div.style.height = "28rem"; }
    var map = L.map(div, { zoomSnap: 0.25, attributionControl: true, keyboard: true, scrollWheelZoom: false });
    map.attributionControl.setPrefix(false);
    var breaks = Array.isArray(polygons.breaks) ? polygons.breaks : [];
    var layers = [];
    var shapes = L.geoJSON(polygons, {
      style: function (f) {
        return { color: "#4d4d4d", weight: 0.6, fillOpacity: 0.85, fillColor: colourOf(f.properties["class"], breaks.length) };
      },
      onEachFeature: function (f, layer) {
        var text = label(f.properties || {}, div);
        layer.bindTooltip(tooltipNode(text), { sticky: true });
        layers.push([layer, text]);
      }
    }).addTo(map);
    if (div.getAttribute("data-attribution")) { map.attributionControl.addAttribution(div.getAttribute("data-attribution")); }
    if (points && Array.isArray(points.features) && points.features.length) {
      var renderer = L.canvas({ padding: 0.2 });
      L.geoJSON(points, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { renderer: renderer, radius: 3, weight: 1, color: "#1f2a44", fillColor: "#1f4e99", fillOpacity: 0.7 });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties || {};
          layer.bindTooltip(tooltipNode(String(p.name || "")));
          if (local(p.url)) { layer.on("click", function () { window.location.assign(p.url); }); }
        }
      }).addTo(map);
    }
    var bounds = shapes.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds); } else { map.setView([30, 69], 5); }
    // paths exist only once the map has a view: make each district reachable by keyboard now
    layers.forEach(function (pair) { focusable(pair[0], pair[1]); });
    legend(map, breaks, div);
    div.nigranMap = map;
    div.setAttribute("data-ready", "yes");
  }

  function failed(div) {
    div.setAttribute("data-ready", "error");
    var note = document.createElement("p");
    note.className = "map-error";
    note.textContent = div.getAttribute("data-error") || "The map could not be drawn; the table below has its figures.";
    div.appendChild(note);
  }

  function load(div) {
    if (div.hasAttribute("data-ready")) { return; }
    div.setAttribute("data-ready", "loading");
    var src = div.getAttribute("data-src");
    var pts = div.getAttribute("data-points");
    if (!local(src) || (pts && !local(pts))) { failed(div); return; }
    var geo = div.getAttribute("data-geometry") || GEOMETRY;
    if (!local(geo)) { failed(div); return; }
    Promise.all([getJSON(src), pts ? getJSON(pts) : Promise.resolve(null), geometry(geo)])
      .then(function (data) {
        var polygons = data[0] && data[0].type === "FeatureCollection" ? data[0] : join(data[2], data[0] || {});
        library(function () { draw(div, polygons, data[1]); });
      })
      .catch(function () { failed(div); });
  }

  function scan(root) {
    var base = root || document;
    if (base.querySelectorAll) { Array.prototype.forEach.call(base.querySelectorAll("div.js-map"), load); }
    if (base.matches && base.matches("div.js-map")) { load(base); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (event) { scan(event.detail && event.detail.elt); });
})();
