// Small pieces of the map kept out of app.js: the base style, a geometry's bounds, the incident clusters' labels.

import { absolute } from './client.js';
import { int } from './format.js';

function isRasterTemplate(url) {
  return /\{z\}/.test(url) && /\{x\}/.test(url) && /\{y\}/.test(url);
}

/** The map style: a style URL as given (ours go on top), else a plain background with any raster basemap under it. */
export function baseStyle(basemap, background) {
  if (basemap && !isRasterTemplate(basemap)) return absolute(basemap);
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': background } }],
  };
  if (basemap) {
    style.sources.basemap = { type: 'raster', tiles: [basemap], tileSize: 256 };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.8 } });
  }
  return style;
}

/** [[w, s], [e, n]] of a GeoJSON geometry, or null. */
export function featureBounds(geometry) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      w = Math.min(w, c[0]);
      e = Math.max(e, c[0]);
      s = Math.min(s, c[1]);
      n = Math.max(n, c[1]);
    } else c.forEach(walk);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return Number.isFinite(w) ? [[w, s], [e, n]] : null;
}

/** Incident clusters: their counts as small labels (the page ships no map fonts, so labels are HTML). */
export function makeClusterLabels(app) {
  const maplibregl = globalThis.maplibregl;
  const clusterLabels = [];
  function clear() {
    while (clusterLabels.length) clusterLabels.pop().remove();
  }

  function update() {
    clear();
    const map = app.map;
    if (!app.state.visible.has('incidents') || !map.getLayer('incidents:circle')) return;
    // Label circles of 10 or more, biggest first, skipping any that would overlap a label already placed.
    const feats = map.queryRenderedFeatures({ layers: ['incidents:circle'] });
    const placed = [];
    const big = feats
      .filter((f) => Number(f.properties.count) >= 10 && f.geometry.type === 'Point')
      .sort((a, b) => Number(b.properties.count) - Number(a.properties.count));
    for (const f of big) {
      if (clusterLabels.length >= 150) break;
      const [lon, lat] = f.geometry.coordinates;
      const pt = map.project([lon, lat]);
      if (placed.some((q) => Math.abs(q.x - pt.x) < 34 && Math.abs(q.y - pt.y) < 16)) continue;
      placed.push(pt);
      const el = document.createElement('span');
      el.className = 'cluster-label';
      el.textContent = int(f.properties.count);
      el.setAttribute('aria-hidden', 'true');
      clusterLabels.push(new maplibregl.Marker({ element: el }).setLngLat([lon, lat]).addTo(map));
    }
  }

  return { clear, update };
}
