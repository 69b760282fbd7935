// The hotspot map page. Builds everything from /api/meta, then keeps the map's tile sources, the ranked list and
// the summary in step with the chosen window, crime types and weighting. The API is the README's "Map server".
//
// MapLibre GL JS (vendored, see vendor/maplibre-gl/VERSION) is loaded by a classic <script> before this module and
// is `window.maplibregl`.

import {
  PRESETS, COMPARE_PRESETS, dataEnd, parseDate, isoDay, toInputValue, fromInputValue, windowText, windowParam, parseWindowParam,
} from './dates.js';
import { breaks as quantileBreaks, int } from './format.js';
import { makeClient, pageToken, buildQuery, errorFromBody, absolute } from './client.js';
import {
  COLOURS, DRAW_ORDER, kindOf, layerTitle, layerHelp, styleLayers, legendHtml, describeFeature, densityColour,
  hexColour, changeColour, densityBreaksFromThreshold, areaBreaks, areaFillPaint, esc,
} from './layers.js';
import { summaryHtml, hotspotRowHtml, hotspotPopupHtml, hotspotProps, hotspotPlace, parametersHtml } from './panels.js';
import { makeCompare, changeTileQuery, compareParametersHtml } from './compare.js';
import { showError, clearError, clearErrors, errorText, showNotices } from './messages.js';
import { makeEmerging, periodFromHash } from './emerging.js';
import { makeTasking } from './tasking-panel.js';
import { baseStyle, featureBounds, makeClusterLabels } from './mapbits.js';
import { TASKING_SURFACE, taskingFromHash, taskingToHash, taskingParametersHtml } from './tasking.js';

const maplibregl = window.maplibregl;
const $ = (id) => document.getElementById(id);

/** Everything the page knows; `window.hotspotsApp` for the browser test and for a curious analyst's console. */
const app = {
  meta: null,
  client: null,
  map: null,
  layers: [], // API layer names, in drawing order
  mode: 'map', // or 'compare' or 'tasking'
  // `visible` is the current mode's set of switched-on layers (each mode keeps its own).
  state: {
    from: null, to: null, categories: null, harm: false, visible: new Set(), compare: { before: null, after: null, target: null },
    tasking: null, emergingPeriod: 'month',
    shade: new Set(), // boundary layers shaded by their incidents (all modes)
  },
  visibleByMode: { map: new Set(), compare: new Set(), tasking: new Set() },
  span: { from: null, end: null }, // the data held: first instant, exclusive end (midnight)
  query: '', // the query of the list, summary and tiles (in compare mode: over the before window)
  compareQuery: '', // the change tiles' query (compare mode)
  comparison: null, // the last /api/compare answer
  sourceQuery: {}, // layer -> the query its source was last pointed at
  hotspots: [], // features of the ranked list
  hotspotAnswer: null,
  selectedId: null,
  popup: null,
  breaks: { density: [], hex: [], change: [] },
  areaShade: {}, // boundary layer -> { breaks, max } of its shading, from the areas in the loaded tiles
  densityThreshold: null,
  generation: 0,
  aborts: {},
  ready: false,
  styleReady: false,
};
window.hotspotsApp = app;

// ---------------------------------------------------------------- meta and state

function normaliseMeta(meta) {
  const categories = (meta.categories || []).map((c) =>
    typeof c === 'string' ? { name: c, count: null } : { name: c.name, count: c.count ?? c.incidents ?? null },
  );
  let layers = (meta.layers || []).map((l) => (typeof l === 'string' ? l : l.name || l.id)).filter(Boolean);
  for (const a of meta.areas || []) {
    const name = typeof a === 'string' ? a : a.layer || a.name;
    if (!name) continue;
    const layer = name.startsWith('areas-') ? name : `areas-${name}`;
    if (!layers.includes(layer)) layers.push(layer);
  }
  if (meta.public) layers = layers.filter((l) => l !== 'incidents');
  layers = [...new Set(layers)].sort((a, b) => DRAW_ORDER.indexOf(kindOf(a)) - DRAW_ORDER.indexOf(kindOf(b)));
  return { ...meta, categories, layers };
}

/**
 * Default visible layers: the heat map, hotspot outlines and any boundaries; in compare mode the change map for the
 * heat map; in tasking mode the heat map and boundaries under the places' own outlines.
 */
function defaultVisible(layers, mode = 'map') {
  const kinds = { compare: ['change', 'hotspots', 'areas'], tasking: ['density', 'areas'] }[mode] || ['density', 'hotspots', 'areas'];
  return new Set(layers.filter((l) => kinds.includes(kindOf(l))));
}

/** The change layer exists only in compare mode (it needs two windows); the emerging layer outside it. */
function offered(layer, mode = app.mode) {
  const k = kindOf(layer);
  return k === 'change' ? mode === 'compare' : k === 'emerging' ? mode !== 'compare' : true;
}

/** Harm weighting as the current mode has it (tasking mode ranks by its own choice). */
function harmOn() {
  return app.mode === 'tasking' ? app.state.tasking.weight === 'harm' : app.state.harm;
}

/** The state in the page address (#from=..&to=..), so a view can be shared and reproduced. */
function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const out = {};
  const from = parseDate(h.get('from'));
  const to = parseDate(h.get('to'));
  if (from && to && from < to) Object.assign(out, { from, to });
  const cats = h.getAll('category').filter((c) => app.meta.categories.some((k) => k.name === c));
  if (cats.length) out.categories = cats;
  if (h.get('weight') === 'harm') out.harm = true;
  if (h.get('mode') === 'compare' && app.layers.includes('change')) out.mode = 'compare';
  if (h.get('mode') === 'tasking') out.mode = 'tasking';
  out.tasking = taskingFromHash(h);
  out.emergingPeriod = periodFromHash(h);
  out.shade = new Set((h.get('shade') || '').split(',').filter((l) => kindOf(l) === 'areas' && app.layers.includes(l)));
  const mode = out.mode || 'map';
  if (h.has('layers')) out.visible = new Set(h.get('layers').split(',').filter((l) => app.layers.includes(l) && offered(l, mode)));
  const before = parseWindowParam(h.get('before'));
  const after = parseWindowParam(h.get('after'));
  if (before && after) out.compare = { before, after, target: h.get('target') || null };
  return out;
}

function writeHash() {
  if (!app.state.from || !app.state.to) return;
  const h = new URLSearchParams(buildQuery(app.state)); // the normal window, kept while comparing
  h.delete('rank_by');
  h.set('layers', [...app.state.visible].join(','));
  const c = app.state.compare;
  if (app.mode === 'compare') h.set('mode', 'compare');
  if (c.before && c.after) {
    h.set('before', windowParam(c.before));
    h.set('after', windowParam(c.after));
  }
  if (app.mode === 'compare' && c.target) h.set('target', c.target);
  if (app.mode === 'tasking') {
    h.set('mode', 'tasking');
    taskingToHash(app.state.tasking, h);
  }
  if (app.state.emergingPeriod !== 'month') h.set('period', app.state.emergingPeriod);
  if (app.state.shade.size) h.set('shade', [...app.state.shade].join(','));
  // Keep MapLibre's own part of the address (the view), written as it writes it.
  const view = location.hash.slice(1).split('&').find((p) => p.startsWith('map='));
  history.replaceState(history.state, '', `${location.pathname}${location.search}#${h.toString()}${view ? `&${view}` : ''}`);
}

// ---------------------------------------------------------------- controls

function setWindow(from, to, preset = null) {
  app.state.from = from;
  app.state.to = to;
  $('from').value = isoDay(from);
  $('to').value = toInputValue(to);
  for (const b of document.querySelectorAll('[data-preset]')) {
    b.setAttribute('aria-pressed', String(b.dataset.preset === preset && preset !== 'lastYear'));
  }
}

function buildControls() {
  const meta = app.meta;
  const start = parseDate(meta.time?.from);
  const end = dataEnd(meta.time?.to);
  $('data-range').textContent = start && end ? `Data held: ${windowText(start, end)}.` : 'The store holds no dated incidents.';
  document.querySelector('#compare .data-range-copy').textContent = $('data-range').textContent;
  if (start) $('from').min = isoDay(start);
  if (end) $('to').max = toInputValue(end);

  const onDates = () => {
    const from = parseDate($('from').value);
    const to = fromInputValue($('to').value);
    if (!from || !to) {
      showError('window', 'Enter both dates of the time window.');
      return;
    }
    setWindow(from, to);
    refresh();
  };
  $('from').addEventListener('change', onDates);
  $('to').addEventListener('change', onDates);
  for (const b of document.querySelectorAll('[data-preset]')) {
    b.addEventListener('click', () => {
      const preset = PRESETS[b.dataset.preset];
      if (!end) return;
      const w = preset.window(end, { from: app.state.from, to: app.state.to });
      setWindow(w.from, w.to, b.dataset.preset);
      refresh();
    });
  }

  // Crime types: "All types" plus one checkbox each (with the store's count when the server gives it).
  const list = $('cat-list');
  list.replaceChildren();
  meta.categories.forEach((c, i) => {
    const label = document.createElement('label');
    label.className = 'check';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = c.name;
    input.id = `cat-${i}`;
    input.checked = app.state.categories === null || app.state.categories.includes(c.name);
    const text = document.createElement('span');
    text.textContent = c.name;
    label.append(input, text);
    if (c.count !== null && c.count !== undefined) {
      const n = document.createElement('span');
      n.className = 'count';
      n.textContent = int(c.count);
      label.append(n);
    }
    list.append(label);
  });
  const boxes = () => [...list.querySelectorAll('input[type=checkbox]')];
  const syncAll = () => {
    const on = boxes().filter((b) => b.checked).length;
    $('cat-all').checked = on === boxes().length;
    $('cat-all').indeterminate = on > 0 && on < boxes().length;
  };
  const readCats = () => {
    const on = boxes().filter((b) => b.checked).map((b) => b.value);
    app.state.categories = on.length === boxes().length ? null : on;
    app.state.compare.target = null; // other types, other hotspots
    syncAll();
    scheduleRefresh();
  };
  list.addEventListener('change', readCats);
  $('cat-all').addEventListener('change', () => {
    for (const b of boxes()) b.checked = $('cat-all').checked;
    readCats();
  });
  syncAll();

  $('harm').checked = app.state.harm;
  $('harm').addEventListener('change', () => {
    app.state.harm = $('harm').checked;
    app.state.compare.target = null; // ranked by harm, other hotspots
    refresh();
  });

  // Layers: a toggle, a line of help, and the legend (shown while the layer is on).
  const box = $('layer-list');
  box.replaceChildren();
  for (const layer of app.layers) {
    const div = document.createElement('div');
    div.className = 'layer';
    div.dataset.layer = layer;
    const id = `layer-${layer}`;
    div.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}" data-layer="${esc(layer)}"> ${esc(layerTitle(layer))}</label>
      <p class="hint">${esc(layerHelp(layer))}</p><div class="legend-box" id="${esc(id)}-legend"></div>`;
    div.hidden = !offered(layer);
    const input = div.querySelector('input');
    input.checked = app.state.visible.has(layer);
    div.classList.toggle('off', !input.checked);
    input.addEventListener('change', () => setLayerVisible(layer, input.checked));
    if (kindOf(layer) === 'areas') {
      // Shading by incidents: off by default, so the heat map under the areas stays visible.
      const opt = document.createElement('div');
      opt.className = 'layer-options';
      opt.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}-shade" data-shade="${esc(layer)}"> Shade by incidents</label>`;
      div.querySelector('.legend-box').before(opt);
      const shade = opt.querySelector('input');
      shade.checked = app.state.shade.has(layer);
      shade.addEventListener('change', () => setAreaShade(layer, shade.checked));
    }
    box.append(div);
    renderLegend(layer);
  }
  $('print').addEventListener('click', () => window.print());

  for (const b of document.querySelectorAll('[data-mode]')) {
    b.hidden = b.dataset.mode === 'compare' && !app.layers.includes('change');
    b.addEventListener('click', () => setMode(b.dataset.mode));
  }
  compare.build({ from: start, end });
  tasking.build({ from: start, end });
  emerging.build();
}

/** Show the controls and panels of the current mode (no fetching). */
function showMode() {
  const on = app.mode === 'compare';
  const tasks = app.mode === 'tasking';
  document.body.classList.toggle('comparing', on);
  document.body.classList.toggle('tasking', tasks);
  for (const b of document.querySelectorAll('[data-mode]')) b.setAttribute('aria-pressed', String(b.dataset.mode === app.mode));
  $('compare').hidden = !on;
  $('time').hidden = on || tasks;
  $('weighting').hidden = tasks;
  $('tasking').hidden = !tasks;
  $('compare-panel').hidden = !on;
  $('tasking-panel').hidden = !tasks;
  $('hotspots-section').hidden = tasks;
  $('hotspots-title').textContent = on ? 'Hotspots of the before window' : 'Top hotspots';
  $('hotspots-hint').textContent = on
    ? 'Choose one to make it the target: the table above then shows its change, the area around it and the control area. ' +
      'Counts here: the before window, then the same length of time just before it.'
    : 'Choose one to zoom the map to it. Counts show this window, then the same length of time just before it.';
  for (const layer of app.layers) {
    const div = document.querySelector(`.layer[data-layer="${CSS.escape(layer)}"]`);
    const shown = app.state.visible.has(layer);
    if (div) {
      div.hidden = !offered(layer);
      div.classList.toggle('off', !shown);
      div.querySelector('input').checked = shown;
    }
    if (app.styleReady) {
      for (const id of styleIds(layer)) {
        if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', shown ? 'visible' : 'none');
      }
    }
  }
  if (!app.state.visible.has('incidents')) clearClusterLabels();
  hotspotFillForMode();
}

/** Comparing, hotspot outlines are not tinted inside (the change colours show true); the fill stays for clicks. */
function hotspotFillForMode() {
  if (app.map && app.map.getLayer('hotspots:fill')) {
    app.map.setPaintProperty('hotspots:fill', 'fill-opacity', app.mode === 'compare' ? 0 : 0.12);
  }
}

/** Switch between the normal view ('map') and compare mode; each keeps its own layers. */
function setMode(mode) {
  if (mode === app.mode || (mode === 'compare' && !app.layers.includes('change'))) return;
  const leaving = app.mode === 'tasking';
  app.mode = mode;
  if (leaving || mode === 'tasking') tasking.show(mode === 'tasking'); // the places are drawn only in tasking mode
  app.state.visible = app.visibleByMode[mode];
  app.summaryParameters = null;
  if (mode === 'compare') {
    if (app.popup) app.popup.remove();
  } else {
    compare.cancel();
    clearErrors('compare');
  }
  showMode();
  refresh();
}

function renderLegend(layer) {
  const el = document.getElementById(`layer-${layer}-legend`);
  if (!el) return;
  const k = kindOf(layer);
  const shaded = app.areaShade[layer];
  el.innerHTML = legendHtml(layer, {
    breaks: k === 'areas' ? (shaded ? shaded.breaks : null) : app.breaks[k] || [],
    max: shaded ? shaded.max : null,
    shade: app.state.shade.has(layer),
    threshold: k === 'density' ? app.densityThreshold : null,
    weight: harmOn() ? 'harm' : 'count',
    fdrQ: app.comparison?.change_map?.fdr_q,
    emerging: app.emerging,
  });
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 350);
}

// ---------------------------------------------------------------- the map

function buildMap() {
  const meta = app.meta;
  const basemap = typeof meta.basemap === 'string' && meta.basemap.trim() ? meta.basemap.trim() : null;
  const style = baseStyle(basemap, COLOURS.background);
  const b = Array.isArray(meta.bbox) && meta.bbox.length === 4 && meta.bbox.every(Number.isFinite) ? meta.bbox : null;
  const map = new maplibregl.Map({
    container: 'map',
    style,
    ...(b ? { bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 20, maxZoom: 15 } } : { center: [0, 0], zoom: 1 }),
    maxZoom: 19,
    transformRequest: (url) => app.client.transformRequest(url),
    canvasContextAttributes: { preserveDrawingBuffer: true }, // so printing the page prints the map
    attributionControl: basemap ? { compact: true } : false,
    dragRotate: false,
    hash: 'map', // the view joins the settings in the address (#...&map=zoom/lat/lon)
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  app.map = map;

  map.on('load', () => {
    app.styleReady = true;
    for (const layer of app.state.visible) ensureSource(layer);
    tasking.draw();
    map.getCanvas().setAttribute('aria-label', 'Map of hotspots: arrow keys pan, plus and minus zoom');
  });
  map.on('dataloading', () => {
    $('map-status').textContent = 'Loading map…';
  });
  map.on('idle', onIdle);
  // Printing: the print layout gives the map another size; redraw at that size (synchronously) before the page is
  // captured, and back afterwards. preserveDrawingBuffer keeps the drawing for the printer.
  const fit = () => {
    map.resize();
    map.redraw();
  };
  window.addEventListener('beforeprint', fit);
  window.addEventListener('afterprint', fit);
  window.matchMedia('print').addEventListener('change', fit);
  map.on('error', onMapError);
  map.on('click', onMapClick);
  map.on('mousemove', (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: interactiveLayers() }).length > 0;
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
}

/**
 * The query a layer's tiles carry: the change layer takes the two windows, the emerging layer the query (with its
 * period) that /api/emerging last accepted, the others the (list's) window.
 */
function layerQuery(layer) {
  const k = kindOf(layer);
  return k === 'change' ? app.compareQuery : k === 'emerging' ? app.emerging.query : app.query;
}

function tileJsonUrl(layer) {
  return `tiles/${encodeURIComponent(layer)}.json?${layerQuery(layer)}`;
}

function styleIds(layer) {
  return styleLayers(layer).map((l) => l.id);
}

/** Add the layer's source and style layers (first time), or point its source at the current query. */
function ensureSource(layer) {
  const map = app.map;
  if (!map || !app.styleReady || !layerQuery(layer) || !offered(layer)) return; // the map's 'load' adds the visible layers
  if (!map.getSource(layer)) {
    map.addSource(layer, { type: 'vector', url: tileJsonUrl(layer) });
    const before = beforeId(layer);
    const k = kindOf(layer);
    const opts = k === 'areas'
      ? { shade: app.state.shade.has(layer), breaks: app.areaShade[layer]?.breaks || [] }
      : { breaks: app.breaks[k] || [] };
    for (const spec of styleLayers(layer, opts)) {
      if (spec.id === `${layer}:selected`) spec.filter = ['==', ['get', 'id'], app.selectedId || ''];
      map.addLayer(spec, before);
    }
    if (kindOf(layer) === 'hotspots') hotspotFillForMode();
  } else if (app.sourceQuery[layer] !== layerQuery(layer)) {
    map.getSource(layer).setUrl(absolute(tileJsonUrl(layer)));
  }
  app.sourceQuery[layer] = layerQuery(layer);
}

/** The first style layer of the next API layer already on the map, so layers stack in DRAW_ORDER. */
function beforeId(layer) {
  const i = app.layers.indexOf(layer);
  for (const later of app.layers.slice(i + 1)) {
    const id = styleIds(later)[0];
    if (app.map.getLayer(id)) return id;
  }
  return app.map.getLayer('tasking:fill') ? 'tasking:fill' : undefined; // the tasking outlines stay on top
}

function setLayerVisible(layer, on) {
  const s = app.state.visible;
  if (on) s.add(layer);
  else s.delete(layer);
  const div = document.querySelector(`.layer[data-layer="${CSS.escape(layer)}"]`);
  if (div) div.classList.toggle('off', !on);
  const box = document.getElementById(`layer-${layer}`);
  if (box && box.checked !== on) box.checked = on;
  if (app.styleReady) {
    if (on) ensureSource(layer);
    for (const id of styleIds(layer)) {
      if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }
  if (kindOf(layer) === 'hotspots') updateBadges();
  if (kindOf(layer) === 'incidents' && !on) clearClusterLabels();
  if (kindOf(layer) === 'emerging' && on) emerging.load();
  writeHash();
}

/** Shade a boundary layer's areas by their incidents, or back to outlines only; kept in the address. */
function setAreaShade(layer, on) {
  if (on) app.state.shade.add(layer);
  else app.state.shade.delete(layer);
  const box = document.getElementById(`layer-${layer}-shade`);
  if (box && box.checked !== on) box.checked = on;
  if (on) updateAreaShade(layer);
  applyAreaShade(layer);
  renderLegend(layer);
  writeHash();
}

/** The shading's paint on the map, as the state and the breaks have it. */
function applyAreaShade(layer) {
  const map = app.map;
  const id = `${layer}:fill`;
  if (!map || !app.styleReady || !map.getLayer(id)) return;
  const paint = areaFillPaint(app.state.shade.has(layer), app.areaShade[layer]?.breaks || []);
  for (const [k, v] of Object.entries(paint)) map.setPaintProperty(id, k, v);
}

/**
 * The shading's breaks from the counts of the areas in the loaded tiles (each area once: a polygon crossing tiles
 * comes once per tile). Returns whether they changed.
 */
function updateAreaShade(layer) {
  const map = app.map;
  if (!map || !app.styleReady || !map.getSource(layer) || !map.isSourceLoaded(layer)) return false;
  const counts = new Map();
  for (const f of map.querySourceFeatures(layer, { sourceLayer: layer })) {
    const p = f.properties || {};
    counts.set(String(p.key ?? p.name ?? f.id), Number(p.count));
  }
  const values = [...counts.values()].filter((x) => Number.isFinite(x) && x > 0);
  const next = { breaks: areaBreaks(values), max: values.length ? Math.max(...values) : null };
  if (JSON.stringify(next) === JSON.stringify(app.areaShade[layer])) return false;
  app.areaShade[layer] = next;
  return true;
}

function interactiveLayers() {
  const out = [];
  for (const layer of app.state.visible) {
    for (const id of styleIds(layer)) {
      if ((id.endsWith(':fill') || id.endsWith(':circle')) && app.map.getLayer(id)) out.push(id);
    }
  }
  return out;
}

async function onMapError(e) {
  const err = e && e.error ? e.error : e;
  if (err && err.name === 'AbortError') return;
  const layer = e.sourceId || (err && err.url && /\/tiles\/([^/.?]+)/.exec(err.url)?.[1]) || '';
  let text = err && err.message ? err.message : String(err);
  if (err && err.status) {
    let body = '';
    try {
      body = err.body && typeof err.body.text === 'function' ? await err.body.text() : '';
    } catch {
      /* keep the status */
    }
    text = errorText(errorFromBody(err.status, err.statusText, body, err.url));
  }
  // One message per distinct error, naming every layer it hit (an empty window fails all layers alike).
  const key = `map:${text}`;
  const layers = (mapErrorLayers[key] ||= new Set());
  if (layer) layers.add(layerTitle(layer));
  const where = layers.size === 0 ? 'The map' : layers.size === 1 ? `The map layer "${[...layers][0]}"` : `The map layers ${[...layers].map((l) => `"${l}"`).join(', ')}`;
  showError(key, `${where} could not load: ${text}`);
}
let mapErrorLayers = {};

function onIdle() {
  updateZoomHint();
  updateAutoBreaks();
  for (const layer of app.state.shade) {
    if (app.state.visible.has(layer) && updateAreaShade(layer)) {
      applyAreaShade(layer);
      renderLegend(layer);
    }
  }
  updateClusterLabels();
  if (!app.ready && app.hotspotAnswer) {
    if (!app.viewChecked) {
      app.viewChecked = true;
      if (fixInitialView()) return; // the map moves; ready at the next idle
    }
    app.ready = true;
    document.body.dataset.state = 'ready';
  }
}

/** Layers switched on that cannot show at this zoom (their tiles start further in, as their TileJSON says). */
function hiddenByZoom() {
  const z = app.map.getZoom();
  return [...app.state.visible].filter((l) => {
    const src = app.map.getSource(l);
    return src && src.minzoom > 0 && Math.floor(z + 1e-9) < src.minzoom;
  });
}

function updateZoomHint() {
  const h = hiddenByZoom();
  $('map-status').textContent = h.length ? `Zoom in to see: ${h.map(layerTitle).join(', ')}` : '';
}

/**
 * The first view (unless the address gave one): the listed hotspots, where the work is, rather than the data's
 * whole bounding box (which a few far-off points can stretch); and never further out than the switched-on surfaces
 * can show (density and Gi* tiles start at zoom 8, as their TileJSON says). Returns whether the map moves.
 */
function fixInitialView() {
  if (app.viewFromHash) return false;
  const map = app.map;
  const surfaces = [...app.state.visible].filter((l) => ['density', 'gistar', 'hex', 'change', 'emerging'].includes(kindOf(l)));
  const need = Math.max(0, ...surfaces.map((l) => map.getSource(l)?.minzoom || 0));
  let center = map.getCenter();
  let zoom = map.getZoom();
  const boxes = app.hotspots.map((f) => featureBounds(f.geometry)).filter(Boolean);
  if (boxes.length) {
    const union = [
      [Math.min(...boxes.map((b) => b[0][0])), Math.min(...boxes.map((b) => b[0][1]))],
      [Math.max(...boxes.map((b) => b[1][0])), Math.max(...boxes.map((b) => b[1][1]))],
    ];
    const cam = map.cameraForBounds(union, { padding: 50, maxZoom: 14 });
    if (cam) {
      center = cam.center;
      zoom = cam.zoom;
    }
  }
  zoom = Math.max(zoom, need);
  const same = Math.abs(zoom - map.getZoom()) < 0.01 && map.project(center).dist(map.project(map.getCenter())) < 2;
  if (same) return false;
  map.jumpTo({ center, zoom });
  return true;
}

/** Colour classes that follow the data: hexagon counts (they change with zoom), and density if the API gave no threshold. */
function updateAutoBreaks() {
  const map = app.map;
  for (const [layer, prop] of [['hex', 'count'], ['density', 'density_per_km2'], ['change', 'difference']]) {
    if (!app.state.visible.has(layer) || !map.getSource(layer)) continue;
    if (layer === 'density' && app.densityThreshold) continue;
    let values = map.querySourceFeatures(layer, { sourceLayer: layer }).map((f) => Number(f.properties[prop]));
    if (layer === 'change') values = values.map(Math.abs);
    if (!values.length) continue;
    const b = quantileBreaks(values, { hex: 5, density: 6, change: 3 }[layer], { integer: layer === 'hex' });
    if (layer === 'change' && b.length < 3) continue;
    if (JSON.stringify(b) === JSON.stringify(app.breaks[layer])) continue;
    app.breaks[layer] = b;
    const id = `${layer}:fill`;
    const colour = { hex: hexColour, density: densityColour, change: changeColour }[layer];
    if (map.getLayer(id)) map.setPaintProperty(id, 'fill-color', colour(b));
    renderLegend(layer);
  }
}

function setDensityThreshold(t) {
  const value = Number(t) > 0 ? Number(t) : null;
  if (value === app.densityThreshold && app.breaks.density.length) return;
  app.densityThreshold = value;
  app.breaks.density = value ? densityBreaksFromThreshold(value) : [];
  if (app.map && app.map.getLayer('density:fill')) {
    app.map.setPaintProperty('density:fill', 'fill-color', densityColour(app.breaks.density));
  }
  renderLegend('density');
}

// Incident clusters: their counts as small labels (mapbits.js).
const clusters = makeClusterLabels(app);
const clearClusterLabels = () => clusters.clear();
const updateClusterLabels = () => clusters.update();

// ---------------------------------------------------------------- clicks, selection, popups

const PRIORITY = ['hotspots', 'incidents', 'change', 'emerging', 'hex', 'gistar', 'density', 'areas'];

function onMapClick(e) {
  if (tasking.clickAt(e)) return;
  const feats = app.map.queryRenderedFeatures(e.point, { layers: interactiveLayers() });
  if (!feats.length) return;
  const layerOf = (f) => f.layer.id.split(':')[0];
  // A shaded area covers the surfaces drawn under it (DRAW_ORDER): a click on it is about the area.
  const rank = (l) => (app.state.shade.has(l) ? PRIORITY.indexOf('change') - 0.5 : PRIORITY.indexOf(kindOf(l)));
  feats.sort((a, b) => rank(layerOf(a)) - rank(layerOf(b)));
  const f = feats[0];
  const layer = layerOf(f);
  if (kindOf(layer) === 'hotspots') {
    const id = f.properties.id;
    const known = app.hotspots.find((h) => h.properties.id === id);
    if (known) {
      selectHotspot(id, { at: e.lngLat });
    } else {
      selectHotspot(id, { at: e.lngLat, props: hotspotProps(f.properties) });
    }
    return;
  }
  const steps = app.emerging.answer?.steps?.length;
  openPopup(e.lngLat, describeFeature(layer, f.properties, { weight: harmOn() ? 'harm' : 'count', steps }));
}

/** After a new list: the open hotspot popup shows the new figures, or closes if its hotspot left the list. */
function refreshOpenPopup() {
  if (!app.popup || !app.popup.isOpen() || !app.popupHotspotId) return;
  const f = app.hotspots.find((h) => h.properties.id === app.popupHotspotId);
  if (f) app.popup.setHTML(hotspotPopupHtml(hotspotProps(f.properties), { harm: app.state.harm }));
  else app.popup.remove();
}

function openPopup(lngLat, html, hotspotId = null) {
  app.popupHotspotId = hotspotId;
  if (app.popup) app.popup.remove();
  app.popup = new maplibregl.Popup({ maxWidth: '340px', focusAfterOpen: false }).setLngLat(lngLat).setHTML(html).addTo(app.map);
  return app.popup;
}

/**
 * Select a hotspot everywhere: the list row, the outline on the map, the rank badge; optionally fly to it and
 * open its popup. `props` for a hotspot outside the list (from its tile); missing trend figures are fetched.
 */
async function selectHotspot(id, { fly = false, at = null, props = null } = {}) {
  app.selectedId = id;
  if (app.map.getLayer('hotspots:selected')) app.map.setFilter('hotspots:selected', ['==', ['get', 'id'], id]);
  for (const li of document.querySelectorAll('#hotspot-list li')) {
    const on = li.dataset.id === id;
    li.classList.toggle('selected', on);
    li.querySelector('button').setAttribute('aria-pressed', String(on));
    if (on) li.scrollIntoView({ block: 'nearest' });
  }
  for (const m of badges) m.getElement().classList.toggle('selected', m.getElement().dataset.id === id);

  const feature = app.hotspots.find((h) => h.properties.id === id);
  let p = feature ? hotspotProps(feature.properties) : props;
  if (!p) return;
  if (fly && feature) {
    const b = featureBounds(feature.geometry);
    // Comparing, the change around the target matters too: a wider view.
    if (b) app.map.fitBounds(b, { padding: app.mode === 'compare' ? 160 : 80, maxZoom: app.mode === 'compare' ? 14 : 16, duration: 700 });
  }
  if (app.mode === 'compare') {
    // The table in the panel says what the popup would (and more): no popup over the change map.
    if (app.popup) app.popup.remove();
    compare.setTarget(id);
    return;
  }
  const c = Array.isArray(p.centroid_lonlat) ? p.centroid_lonlat : null;
  const where = at || (c ? { lng: c[0], lat: c[1] } : null);
  if (!where) return;
  const popup = openPopup(where, hotspotPopupHtml(p, { harm: app.state.harm }), id);
  if (!feature && !('previous_incidents' in p) && Number(p.rank) > 0 && Number(p.rank) <= 200) {
    // A hotspot outside the top ten: ask for the list down to its rank to get its earlier count.
    try {
      // (Tiles may rank by count while the list ranks by harm: ask a little further down.)
      const fc = await app.client.json(`api/hotspots?${app.query}&top=${Math.min(1000, Number(p.rank) + 20)}`);
      const full = (fc.features || []).find((h) => h.properties.id === id);
      if (full && app.popup === popup) popup.setHTML(hotspotPopupHtml(hotspotProps(full.properties), { harm: app.state.harm }));
    } catch (err) {
      showError('popup', `Could not load that hotspot's details: ${errorText(err)}`);
    }
  }
}

// Rank badges on the map for the listed hotspots (HTML, keyboard-usable).
let badges = [];
function updateBadges() {
  for (const m of badges) m.remove();
  badges = [];
  if (!app.map || !app.state.visible.has('hotspots')) return;
  for (const f of app.hotspots) {
    const p = f.properties;
    const c = maybeCentroid(f);
    if (!c) continue;
    const el = document.createElement('button');
    el.type = 'button';
    el.className = `rank-badge${p.id === app.selectedId ? ' selected' : ''}`;
    el.dataset.id = p.id;
    el.textContent = p.rank;
    el.setAttribute('aria-label', `Hotspot ${p.rank} on the map`);
    el.addEventListener('click', (ev) => {
      ev.stopPropagation();
      selectHotspot(p.id, {});
    });
    badges.push(new maplibregl.Marker({ element: el }).setLngLat(c).addTo(app.map));
  }
}

function maybeCentroid(f) {
  const c = hotspotProps(f.properties).centroid_lonlat;
  if (Array.isArray(c) && c.length === 2) return c;
  const b = featureBounds(f.geometry);
  return b ? [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] : null;
}

// ---------------------------------------------------------------- refreshing everything

function refresh() {
  clearTimeout(refreshTimer);
  const s = app.state;
  if (!s.from || !s.to || !(s.from < s.to)) {
    showError('window', 'The first day of the time window must be on or before the last day.');
    return;
  }
  if (Array.isArray(s.categories) && s.categories.length === 0) {
    showError('window', 'Choose at least one type of crime or ASB.');
    return;
  }
  clearError('window');
  clearErrors('map:');
  mapErrorLayers = {};
  const c = s.compare;
  const comparing = app.mode === 'compare' && c.before && c.after;
  const tw = app.mode === 'tasking' ? tasking.window() : null;
  // Comparing: the list, its outlines and the other layers cover the before window (a target is a before hotspot).
  // Tasking: the window before the tasking date, on the tasking analysis's grid.
  if (tw) app.query = `${buildQuery({ ...s, from: tw.from, to: tw.to, harm: harmOn() })}&${TASKING_SURFACE}`;
  else app.query = buildQuery(comparing ? { ...s, from: c.before.from, to: c.before.to } : s);
  app.compareQuery = comparing ? changeTileQuery(c, s) : '';
  writeHash();
  const gen = ++app.generation;
  for (const layer of s.visible) ensureSource(layer);
  for (const layer of app.layers) renderLegend(layer);
  if (comparing) {
    if (app.aborts.summary) app.aborts.summary.abort();
    compare.load();
  } else loadSummary(gen);
  loadHotspots(gen);
  if (tw) tasking.load();
  emerging.load();
}

function abortable(name) {
  if (app.aborts[name]) app.aborts[name].abort();
  app.aborts[name] = new AbortController();
  return app.aborts[name].signal;
}

const warnings = { summary: [], hotspots: [], compare: [] };
function updateNotices() {
  const first = app.mode === 'compare' ? warnings.compare : warnings.summary;
  // Tasking: the list's own notes are in its panel; the hotspot list's are not shown.
  showNotices(app.mode === 'tasking' ? first : [...first, ...warnings.hotspots]);
}

async function loadSummary(gen) {
  const q = app.query;
  const tw = app.mode === 'tasking' ? tasking.window() : null;
  const state = { ...app.state, harm: harmOn(), ...(tw ? { from: tw.from, to: tw.to } : {}) };
  try {
    const s = await app.client.json(`api/summary?${q}`, { signal: abortable('summary') });
    if (gen !== app.generation) return;
    clearError('summary');
    $('summary').innerHTML = `<h2 id="summary-title" class="visually-hidden">Summary of the selected incidents</h2>${summaryHtml(s, state)}`;
    warnings.summary = Array.isArray(s.warnings) ? s.warnings.map(String) : [];
    if (Number(s.incidents) === 0) {
      warnings.summary.unshift('no incidents of the chosen types in this window. Widen the window or choose more types.');
    }
    updateNotices();
    app.summaryParameters = s.parameters || null;
    renderParameters();
  } catch (err) {
    if (err.name === 'AbortError') return;
    showError('summary', `The summary could not load: ${errorText(err)}`);
  }
}

async function loadHotspots(gen) {
  const q = app.query;
  const list = $('hotspot-list');
  list.setAttribute('aria-busy', 'true');
  try {
    const fc = await app.client.json(`api/hotspots?${q}&top=10`, { signal: abortable('hotspots') });
    if (gen !== app.generation) return;
    clearError('hotspots');
    app.hotspotAnswer = fc;
    app.hotspots = Array.isArray(fc.features) ? fc.features : [];
    warnings.hotspots = Array.isArray(fc.warnings) ? fc.warnings.map(String) : [];
    updateNotices();
    renderList();
    if (app.mode === 'compare') compare.renderTarget();
    updateBadges();
    refreshOpenPopup();
    setDensityThreshold(fc.density_threshold_per_km2);
    renderParameters();
    if (app.map && app.map.loaded() && !app.map.isMoving() && !app.ready) onIdle();
  } catch (err) {
    if (err.name === 'AbortError') return;
    list.innerHTML = '<li class="empty">The list could not load (see the message at the top).</li>';
    showError('hotspots', `The hotspot list could not load: ${errorText(err)}`);
  } finally {
    list.removeAttribute('aria-busy');
  }
}

function renderList() {
  const list = $('hotspot-list');
  if (!app.hotspots.length) {
    list.innerHTML = '<li class="empty">No hotspots in this window for these types.</li>';
    return;
  }
  list.innerHTML = app.hotspots
    .map((f) => {
      const p = hotspotProps(f.properties);
      const sel = p.id === app.selectedId;
      return `<li data-id="${esc(p.id)}"${sel ? ' class="selected"' : ''}>${hotspotRowHtml(p, { harm: app.state.harm })}</li>`;
    })
    .join('');
  for (const b of list.querySelectorAll('button.row')) {
    b.setAttribute('aria-pressed', String(b.dataset.id === app.selectedId));
    b.addEventListener('click', () => {
      if (!app.state.visible.has('hotspots') && app.layers.includes('hotspots')) setLayerVisible('hotspots', true);
      selectHotspot(b.dataset.id, { fly: true });
    });
  }
}

function renderParameters() {
  if (app.mode === 'tasking') {
    $('parameter-list').innerHTML = app.tasking ? taskingParametersHtml(app.tasking, { ...app.state.tasking, at: tasking.at() }) : '';
    return;
  }
  const fc = app.hotspotAnswer || {};
  const params = { ...(app.summaryParameters || {}), ...(fc.parameters || {}) };
  const compareItems = app.mode === 'compare' ? compareParametersHtml(app.state.compare, app.comparison) : '';
  $('parameter-list').innerHTML = compareItems + parametersHtml(params, {
    from: app.state.from,
    to: app.state.to,
    rule: fc.rule,
    rank_by: fc.rank_by,
    threshold: fc.density_threshold_per_km2,
  });
}

// ---------------------------------------------------------------- start

async function start() {
  if (!maplibregl) {
    showError('start', 'The map library did not load (vendor/maplibre-gl/maplibre-gl.js is missing).');
    document.body.dataset.state = 'error';
    return;
  }
  app.client = makeClient(pageToken());
  try {
    app.meta = normaliseMeta(await app.client.json('api/meta'));
  } catch (err) {
    showError('start', `The map could not start: ${errorText(err)}`);
    $('summary').innerHTML = '<p class="loading">No data.</p>';
    document.body.dataset.state = 'error';
    return;
  }
  app.layers = app.meta.layers;
  const end = dataEnd(app.meta.time?.to);
  app.span = { from: parseDate(app.meta.time?.from), end };
  const fromHash = readHash();
  app.viewFromHash = /(^|&)map=/.test(location.hash.slice(1));
  const w = fromHash.from ? fromHash : end ? PRESETS.last3m.window(end) : null;
  app.state.categories = fromHash.categories || null;
  app.state.harm = Boolean(fromHash.harm);
  app.mode = fromHash.mode || 'map';
  app.state.tasking = fromHash.tasking;
  app.state.emergingPeriod = fromHash.emergingPeriod;
  app.state.shade = fromHash.shade;
  for (const mode of ['map', 'compare', 'tasking']) {
    app.visibleByMode[mode] = mode === app.mode && fromHash.visible ? fromHash.visible : defaultVisible(app.layers, mode);
  }
  app.state.visible = app.visibleByMode[app.mode];
  const cmp = fromHash.compare || (end ? COMPARE_PRESETS.last3m.window(end, app.span.from) : null);
  if (cmp) Object.assign(app.state.compare, { target: null }, cmp);
  if (app.mode === 'compare' && app.state.compare.target) app.selectedId = app.state.compare.target;
  buildControls();
  if (cmp) compare.setInputs(app.state.compare, fromHash.compare ? null : 'last3m');
  tasking.setInputs();
  showMode();
  if (w) setWindow(w.from, w.to, fromHash.from ? null : 'last3m');
  else showError('window', 'The store holds no incidents yet: import some with `hotspots ingest`.');
  buildMap();
  if (w) refresh();
}

const compare = makeCompare(app, {
  showError,
  clearError,
  errorText,
  setNotes: (list) => {
    warnings.compare = list;
    updateNotices();
  },
  onChange: () => refresh(),
  onTarget: () => writeHash(),
  onLoaded: () => {
    renderParameters();
    renderLegend('change');
  },
  placeOf: (id) => {
    const f = app.hotspots.find((h) => h.properties.id === id);
    return f ? `hotspot ${f.properties.rank}, ${hotspotPlace(hotspotProps(f.properties))}` : `hotspot ${id}`;
  },
});

const tasking = makeTasking(app, {
  showError,
  clearError,
  errorText,
  onChange: () => refresh(),
  onSelect: () => writeHash(),
  onLoaded: () => renderParameters(),
});

const emerging = makeEmerging(app, {
  showError,
  clearError,
  errorText,
  ensureSource: () => {
    if (app.state.visible.has('emerging')) ensureSource('emerging');
  },
  dropSource: () => {
    const map = app.map;
    if (!map || !app.styleReady) return;
    for (const id of styleIds('emerging')) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource('emerging')) map.removeSource('emerging');
    delete app.sourceQuery.emerging;
  },
  renderLegend: () => renderLegend('emerging'),
  onPeriod: () => writeHash(),
});

start();
