// The public map: reads index.json (written by `hotspots publish`, or answered by `serve --public`) and draws the
// one public tile set (a PMTiles archive, or the server's tiles). Every number shown is a published one.
"use strict";
(async function () {
  const index = await (await fetch("index.json")).json();
  const $ = (id) => document.getElementById(id);
  const absolute = (path) => new URL(path, window.location.href).href;
  let source;
  if (index.tiles.pmtiles) {
    const protocol = new pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", protocol.tile);
    source = { type: "vector", url: "pmtiles://" + absolute(index.tiles.pmtiles) };
  } else {
    source = { type: "vector", tiles: [absolute(index.tiles.url).replace(/%7B/g, "{").replace(/%7D/g, "}")],
      minzoom: index.minzoom, maxzoom: index.maxzoom };
  }
  const option = (sel, value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; sel.append(o); };
  for (const p of index.periods.slice().reverse()) option($("period"), p.id, p.label);
  for (const g of index.groups) option($("group"), g.id, g.label);
  for (const l of index.layers) if (l.id !== "hotspots") option($("layer"), l.id, l.id === "density" ? "Density" : l.id === "hex" ? "Hexagons" : "Areas: " + l.id.slice(6));
  if (index.latest) $("period").value = index.latest;
  const method = index.disclosure_control;
  $("method").textContent = `Whole months only, 250 m squares, ${index.lattice.hotspot_rule}. Counts: ${method.method}; base ${method.base}.`;
  for (const g of method.guarantees) { const li = document.createElement("li"); li.textContent = g; $("guarantees").append(li); }

  const b = index.bounds || [-180, -85, 180, 85];
  const map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#f4f4f1" } }] },
    bounds: [[b[0], b[1]], [b[2], b[3]]],
    maxZoom: 16,
  });
  map.addControl(new maplibregl.NavigationControl());
  const ramp = (prop, stops) => ["interpolate", ["linear"], ["coalesce", ["get", prop], 0], ...stops];
  const colours = ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"];

  function draw() {
    const period = $("period").value, group = $("group").value, layer = $("layer").value;
    for (const id of ["surface", "surface-line", "hot"]) if (map.getLayer(id)) map.removeLayer(id);
    const prop = (layer === "density" ? "d:" : "n:") + period + ":" + group;
    const hot = ((index.hotspots[period] || {})[group]) || [];
    // Density: fractions of the densest hotspot's peak; counts: multiples of the rounding base (areas are larger).
    const peak = hot.length ? Math.max(...hot.map((h) => h.peak_per_km2)) : 100;
    const unit = layer === "density" ? peak : layer === "hex" ? method.base : method.base * 10;
    const fractions = layer === "density" ? [0.05, 0.1, 0.2, 0.4, 0.8] : [1, 2, 4, 8, 16];
    const stops = fractions.flatMap((f, k) => [f * unit, colours[k]]);
    map.addLayer({ id: "surface", type: "fill", source: "public", "source-layer": layer,
      filter: [">", ["coalesce", ["get", prop], 0], 0],
      paint: { "fill-color": ramp(prop, stops), "fill-opacity": 0.7 } });
    if (layer !== "density") {
      map.addLayer({ id: "surface-line", type: "line", source: "public", "source-layer": layer, paint: { "line-color": "#888", "line-width": 0.4 } });
    }
    map.addLayer({ id: "hot", type: "line", source: "public", "source-layer": "hotspots",
      filter: ["all", ["==", ["get", "period"], period], ["==", ["get", "group"], group]],
      paint: { "line-color": "#000", "line-width": 2 } });
    const total = ((index.summary[period] || {})[group]);
    const label = index.periods.find((p) => p.id === period).label;
    $("total").textContent = `${label}: ${total ?? 0} incidents (rounded to a multiple of ${method.base}).`;
    $("hotspots").replaceChildren(...hot.map((h) => {
      const li = document.createElement("li");
      const prev = h.previous == null ? "" : ` (was ${h.previous})`;
      li.textContent = `${h.incidents} incidents${prev}, ${(h.area_m2 / 1e6).toFixed(2)} km²`;
      li.onclick = () => map.flyTo({ center: h.centre_lonlat, zoom: 14 });
      return li;
    }));
  }

  map.on("load", () => {
    map.addSource("public", source);
    draw();
    for (const id of ["period", "group", "layer"]) $(id).addEventListener("change", draw);
  });
  map.on("click", "surface", (e) => {
    const f = e.features[0], prop = ($("layer").value === "density" ? "d:" : "n:") + $("period").value + ":" + $("group").value;
    const v = f.properties[prop] ?? 0;
    const unit = $("layer").value === "density" ? " incidents per km²" : " incidents";
    new maplibregl.Popup().setLngLat(e.lngLat).setText((f.properties.name ? f.properties.name + ": " : "") + v + unit).addTo(map);
  });
})();
