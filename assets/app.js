// The hotspot map page: the entry module. Reads /api/meta, creates the state store (store.js) and the page's
// modules, each owning its part of the state and of the DOM:
//   time.js       the window, the slider over the months held, play/pause   (store: window, steps, interval, playing, frame)
//   search.js     the search box                                             (store: focus)
//   analyst.js    plain words or analyst detail                              (store: analyst)
//   this file     filters, modes, the layer list, the map and its sources, the hotspot list and popups
//                 (store: mode, categories, harm, visible, shade, selected, hotspots, breaks)
//   compare.js, tasking-panel.js, emerging.js: compare mode, tasking mode, the emerging layer's API check
// Layers are drawn, explained and clicked through the server's descriptions (layers.js): no per-layer code here
// beyond the hotspot list (hotspots) and the emerging pre-check.
//
// MapLibre GL JS, pmtiles and @protomaps/basemaps (vendored, see vendor/*/VERSION) are classic scripts loaded
// before this module: window.maplibregl, window.pmtiles, window.basemaps.

import { defaultComparison, heldSpans, dataEnd, parseDate, isoDay, windowText, windowParam, parseWindowParam } from './dates.js';
import { breaks as quantileBreaks, esc } from './format.js';
import { makeClient, pageToken, buildQuery, errorFromBody, absolute } from './client.js';
import {
  byOrder, styleLayers, legendHtml, popupHtml, sequentialColour, divergingColour, bandBreaks, areaBreaks, areaFillPaint,
  clickableIds, BACKGROUND, streetFade,
} from './layers.js';
import { summaryHtml, hotspotRowHtml, hotspotPopupHtml, hotspotProps, hotspotPlace, parametersHtml } from './panels.js';
import { makeCompare, changeTileQuery, compareParametersHtml } from './compare.js';
import { showError, clearError, clearErrors, errorText, showNotices } from './messages.js';
import { makeEmerging, periodFromHash, emergingLegendHtml } from './emerging.js';
import { makeTasking } from './tasking-panel.js';
import { baseStyle, featureBounds, makeClusterLabels } from './mapbits.js';
import { TASKING_SURFACE, taskingFromHash, taskingToHash, taskingParametersHtml } from './tasking.js';
import { createStore } from './store.js';
import { makeTime, periodWords } from './time.js';
import { makeSearch } from './search.js';
import { makeAnalyst } from './analyst.js';

const maplibregl = window.maplibregl;
const $ = (id) => document.getElementById(id);

const store = createStore({ window: null, playing: false, analyst: false });
const own = store.as('app', ['mode', 'categories', 'harm', 'visible', 'shade', 'selected', 'hotspots', 'breaks']);

/** What the other modules (compare, tasking, emerging) and the browser test read; `state` mirrors the store. */
const app = {
  store,
  meta: null,
  client: null,
  map: null,
  infos: [], // layer descriptions from /api/meta, in drawing order
  layers: [], // their names
  get mode() {
    return store.get('mode') || 'map';
  },
  state: {
    get from() {
      return store.get('window')?.from || null;
    },
    get to() {
      return store.get('window')?.to || null;
    },
    get categories() {
      return store.get('categories') ?? null;
    },
    get harm() {
      return Boolean(store.get('harm'));
    },
    get visible() {
      return new Set((store.get('visible') || {})[store.get('mode') || 'map'] || []);
    },
    get shade() {
      return new Set(store.get('shade') || []);
    },
    compare: { before: null, after: null, target: null },
    tasking: null,
    emergingPeriod: 'month',
  },
  span: { from: null, end: null },
  query: '',
  compareQuery: '',
  comparison: null,
  sourceQuery: {},
  hotspots: [],
  hotspotAnswer: null,
  get selectedId() {
    return store.get('selected') || null;
  },
  popup: null,
  areaShade: {},
  autoBreaks: {}, // layer -> breaks from the values in view (sequential and diverging kinds)
  generation: 0,
  aborts: {},
  ready: false,
  styleReady: false,
  frames: [], // playback frames, for the browser test: {window, legend}
};
window.hotspotsApp = app;

const info = (name) => app.infos.find((l) => l.name === name);
const kind = (name) => info(name)?.style?.kind;
const styleIds = (name) => (info(name) ? styleLayers(info(name)).map((l) => l.id) : []);

// ---------------------------------------------------------------- meta, modes, the address

/** Where a layer is offered: `compare` layers only in compare mode; the others everywhere. */
function offered(name, mode = app.mode) {
  const i = info(name);
  return Boolean(i) && (i.mode === 'compare' ? mode === 'compare' : true);
}

/**
 * Layers on when a mode opens: the server's `default_on` ones it offers; compare mode leaves out the heat map (the
 * change map is its surface), tasking mode the hotspot outlines (its places are drawn instead).
 */
function defaultVisible(mode) {
  const basemap = Boolean(app.meta.basemap);
  return app.infos
    .filter((l) => l.default_on && offered(l.name, mode))
    .filter((l) => !(basemap && l.style.kind === 'labels')) // the basemap names the streets
    .filter((l) => !(mode === 'compare' && l.style.kind === 'bands') && !(mode === 'tasking' && l.style.kind === 'outline'))
    .map((l) => l.name);
}

function harmOn() {
  return app.mode === 'tasking' ? app.state.tasking.weight === 'harm' : app.state.harm;
}

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  const out = {};
  const from = parseDate(h.get('from'));
  const to = parseDate(h.get('to'));
  if (from && to && from < to) out.window = { from, to };
  const cats = h.getAll('category').filter((c) => app.meta.categories.includes(c));
  if (cats.length) out.categories = cats;
  if (h.get('weight') === 'harm') out.harm = true;
  if (h.get('mode') === 'compare' && app.infos.some((l) => l.mode === 'compare')) out.mode = 'compare';
  if (h.get('mode') === 'tasking') out.mode = 'tasking';
  out.tasking = taskingFromHash(h);
  out.emergingPeriod = periodFromHash(h);
  out.shade = (h.get('shade') || '').split(',').filter((l) => kind(l) === 'areas');
  const mode = out.mode || 'map';
  if (h.has('layers')) out.visible = h.get('layers').split(',').filter((l) => offered(l, mode));
  const before = parseWindowParam(h.get('before'));
  const after = parseWindowParam(h.get('after'));
  if (before && after) out.compare = { before, after, target: h.get('target') || null };
  return out;
}

function writeHash() {
  if (!app.state.from || !app.state.to) return;
  const h = new URLSearchParams(buildQuery(app.state));
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
  const view = location.hash.slice(1).split('&').find((p) => p.startsWith('map='));
  history.replaceState(history.state, '', `${location.pathname}${location.search}#${h.toString()}${view ? `&${view}` : ''}`);
}

function setVisible(mode, list) {
  own.set({ visible: { ...(store.get('visible') || {}), [mode]: [...new Set(list)] } });
}

// ---------------------------------------------------------------- controls

function buildControls() {
  const meta = app.meta;
  const end = app.span.end;
  const heldText = app.meta.coverage?.held_text;
  document.querySelector('#compare .data-range-copy').textContent = heldText
    ? `Data held: ${heldText}.`
    : end ? `Data held up to ${windowText(app.span.from || end, end)}.` : '';

  // Crime types.
  const list = $('cat-list');
  list.replaceChildren();
  meta.categories.forEach((name, i) => {
    const label = document.createElement('label');
    label.className = 'check';
    label.innerHTML = `<input type="checkbox" id="cat-${i}" value="${esc(name)}"><span>${esc(name)}</span>`;
    label.querySelector('input').checked = app.state.categories === null || app.state.categories.includes(name);
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
    app.state.compare.target = null;
    syncAll();
    own.set({ categories: on.length === boxes().length ? null : on });
  };
  list.addEventListener('change', readCats);
  $('cat-all').addEventListener('change', () => {
    for (const b of boxes()) b.checked = $('cat-all').checked;
    readCats();
  });
  syncAll();

  $('harm').checked = app.state.harm;
  $('harm').addEventListener('change', () => {
    app.state.compare.target = null;
    own.set({ harm: $('harm').checked });
  });

  // Layers: a toggle, a line of help, the legend (shown while on); boundary layers can be shaded.
  const box = $('layer-list');
  box.replaceChildren();
  for (const l of app.infos) {
    const div = document.createElement('div');
    div.className = 'layer';
    div.dataset.layer = l.name;
    const id = `layer-${l.name}`;
    div.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}" data-layer="${esc(l.name)}"> ${esc(l.title)}</label>
      <p class="hint">${esc(l.help)}</p><p class="layer-off" id="${esc(id)}-off" hidden></p><div class="legend-box" id="${esc(id)}-legend"></div>`;
    const input = div.querySelector('input');
    input.addEventListener('change', () => setLayerVisible(l.name, input.checked));
    if (l.style.kind === 'areas') {
      const opt = document.createElement('div');
      opt.className = 'layer-options';
      opt.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}-shade" data-shade="${esc(l.name)}"> Shade by incidents</label>`;
      div.querySelector('.legend-box').before(opt);
      const shade = opt.querySelector('input');
      shade.checked = app.state.shade.has(l.name);
      shade.addEventListener('change', () => setAreaShade(l.name, shade.checked));
    }
    box.append(div);
  }
  $('print').addEventListener('click', () => window.print());

  for (const b of document.querySelectorAll('[data-mode]')) {
    b.hidden = b.dataset.mode === 'compare' && !app.infos.some((l) => l.mode === 'compare');
    b.addEventListener('click', () => setMode(b.dataset.mode));
  }
  compare.build({ from: app.span.from, end });
  tasking.build({ from: app.span.from, end });
  emerging.build();

  // Phone: the settings drawer and the list's bottom sheet.
  $('drawer-toggle').addEventListener('click', () => setDrawer(!document.body.classList.contains('drawer-open')));
  $('sheet-toggle').addEventListener('click', () => setSheet(!document.body.classList.contains('sheet-open')));
}

function setDrawer(open) {
  document.body.classList.toggle('drawer-open', open);
  $('drawer-toggle').setAttribute('aria-expanded', String(open));
  $('drawer-toggle').textContent = open ? 'Map' : 'Settings';
  if (app.map) setTimeout(() => app.map.resize(), 0);
}

function setSheet(open) {
  document.body.classList.toggle('sheet-open', open);
  $('sheet-toggle').setAttribute('aria-expanded', String(open));
}

const phone = () => window.matchMedia('(max-width: 699px)').matches;

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
  $('hotspots-title').textContent = on ? 'Hotspots of the before period' : 'Top hotspots';
  $('hotspots-hint').textContent = on
    ? 'Choose one to make it the target: the table above then shows its change, the area around it and elsewhere.'
    : 'Choose one to see it on the map. Counts: this window, then the same length of time just before it.';
  for (const l of app.infos) {
    const div = document.querySelector(`.layer[data-layer="${CSS.escape(l.name)}"]`);
    const shown = app.state.visible.has(l.name);
    if (div) {
      div.hidden = !offered(l.name);
      div.classList.toggle('off', !shown);
      div.querySelector('input').checked = shown;
    }
    if (app.styleReady) {
      for (const id of styleIds(l.name)) {
        if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', shown ? 'visible' : 'none');
      }
    }
  }
  if (!app.state.visible.has('incidents')) clusters.clear();
  hotspotFillForMode();
}

function hotspotFillForMode() {
  for (const l of app.infos.filter((x) => x.style.kind === 'outline')) {
    if (app.map && app.map.getLayer(`${l.name}:fill`)) app.map.setPaintProperty(`${l.name}:fill`, 'fill-opacity', app.mode === 'compare' ? 0 : 0.12);
  }
}

function setMode(mode) {
  if (mode === app.mode) return;
  const leaving = app.mode === 'tasking';
  own.set({ mode });
  if (leaving || mode === 'tasking') tasking.show(mode === 'tasking');
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

/** The legend context of a layer: its breaks, the weighting, the period in words, shading, analyst detail. */
function renderLegend(name) {
  const el = document.getElementById(`layer-${name}-legend`);
  const l = info(name);
  if (!el || !l) return;
  const k = l.style.kind;
  const shaded = app.areaShade[name];
  const em = name === 'emerging' ? app.emerging : null;
  let html;
  // The emerging layer's legend is its module's: the classes /api/emerging found, with its steps and warnings.
  if (em) html = emergingLegendHtml(em);
  else {
    html = legendHtml(l, {
      breaks: k === 'bands' ? bandsBreaks(l) : k === 'areas' ? (shaded ? shaded.breaks : null) : app.autoBreaks[name] || [],
      max: shaded ? shaded.max : null,
      shade: app.state.shade.has(name),
      weight: harmOn() ? 'harm' : 'count',
      period: periodWords(windowOf(name), store.get('interval')),
      fdrQ: app.comparison?.change_map?.fdr_q,
      analyst: store.get('analyst'),
    });
  }
  el.innerHTML = html;
  const off = document.getElementById(`layer-${name}-off`);
  if (off) {
    const why = app.offReason?.[name];
    off.hidden = !why;
    off.textContent = why ? `Off: ${why}` : '';
  }
}

/** The window a layer covers (compare layers: the after window). */
function windowOf(name) {
  if (info(name)?.mode === 'compare') return app.state.compare.after;
  if (app.mode === 'tasking') return tasking.window();
  return store.get('window');
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 300);
}

// ---------------------------------------------------------------- the map

function buildMap() {
  const meta = app.meta;
  const basemap = meta.basemap;
  let style;
  if (basemap && typeof basemap === 'object' && basemap.pmtiles && window.pmtiles && window.basemaps) {
    // A local PMTiles basemap served by this server, drawn with the protomaps style (no glyphs or sprites from
    // anywhere: MapLibre draws the text with the system's fonts, and icons are left out).
    const protocol = new window.pmtiles.Protocol();
    maplibregl.addProtocol('pmtiles', protocol.tile);
    const layers = window.basemaps.layers('protomaps', window.basemaps.namedFlavor('light'), { lang: 'en' })
      .filter((l) => !(l.layout && 'icon-image' in l.layout && !('text-field' in l.layout)))
      .map((l) => (l.layout && 'icon-image' in l.layout ? { ...l, layout: { ...l.layout, 'icon-image': '' } } : l));
    style = {
      version: 8,
      sources: { protomaps: { type: 'vector', url: `pmtiles://${absolute(basemap.pmtiles)}`, attribution: 'Basemap: local PMTiles' } },
      layers,
    };
  } else {
    style = baseStyle(typeof basemap === 'string' && basemap.trim() ? basemap.trim() : null, BACKGROUND);
  }
  const b = Array.isArray(meta.bbox) && meta.bbox.length === 4 && meta.bbox.every(Number.isFinite) ? meta.bbox : null;
  const map = new maplibregl.Map({
    container: 'map',
    style,
    ...(b ? { bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 20, maxZoom: 15 } } : { center: [0, 0], zoom: 1 }),
    maxZoom: 19,
    transformRequest: (url) => app.client.transformRequest(url),
    canvasContextAttributes: { preserveDrawingBuffer: true },
    attributionControl: basemap ? { compact: true } : false,
    dragRotate: false,
    hash: 'map',
    pitchWithRotate: false,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('styleimagemissing', (e) => {
    if (!map.hasImage(e.id)) map.addImage(e.id, { width: 1, height: 1, data: new Uint8Array(4) });
  });
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
  map.on('zoomend', () => {
    // Layers whose scale follows the zoom get their new query.
    if (scaleQuery() !== app.lastScale) {
      app.lastScale = scaleQuery();
      for (const layer of app.state.visible) ensureSource(layer);
      emerging.load();
    }
  });
  const fit = () => {
    map.resize();
    map.redraw();
  };
  window.addEventListener('beforeprint', fit);
  window.addEventListener('afterprint', fit);
  map.on('error', onMapError);
  map.on('click', onMapClick);
  map.on('mousemove', (e) => {
    const hit = map.queryRenderedFeatures(e.point, { layers: interactiveLayers() }).length > 0;
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
}

/**
 * Cell and band sizes that follow the zoom, for layers whose tiles read `band_m` (Gi*) or `period` (emerging):
 * squares a street block wide at street zoom, a neighbourhood wide further out.
 */
export function scaleFor(zoom) {
  const cell = zoom >= 15 ? 50 : zoom >= 14 ? 100 : zoom >= 13 ? 150 : zoom >= 12 ? 250 : 400;
  return { cell_m: cell, band_m: cell * 3 };
}

function scaleQuery() {
  const z = app.map ? Math.floor(app.map.getZoom()) : 12;
  const s = scaleFor(z);
  return `cell_m=${s.cell_m}&band_m=${s.band_m}`;
}

/** `query` with only the parameters in `names` (a layer's `params`). */
export function onlyParams(query, names) {
  const q = new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const [k, v] of q) if (names.includes(k)) out.append(k, v);
  return out.toString();
}

/** The density bands' edges: fixed while a playback runs, else from the hotspot list's answer. */
function bandsBreaks(l) {
  if (store.get('playing') && app.frozenBreaks?.[l.name]) return app.frozenBreaks[l.name];
  return bandBreaks(l.style, app.hotspotAnswer);
}

/**
 * The query a layer's tiles carry, keeping only the parameters it reads (so a layer that reads none, such as the
 * street names, is never refetched when the window changes): compare layers the two windows, the emerging layer the
 * query /api/emerging accepted, layers with a Gi* band the zoom's scale, banded layers their breaks.
 */
function layerQuery(name) {
  const l = info(name);
  if (!l) return '';
  if (name === 'emerging') return app.emerging.query ? onlyParams(app.emerging.query, l.params) : '';
  if (name === 'nearrepeat' && app.mode === 'tasking' && app.nrQuery) return onlyParams(app.nrQuery, l.params);
  let q = l.mode === 'compare' ? app.compareQuery : app.query;
  if (!q && l.params.length) return '';
  if (l.params.includes('band_m')) q = `${onlyParams(q, l.params.filter((p) => p !== 'cell_m' && p !== 'band_m'))}&${scaleQuery()}`;
  if (l.style.kind === 'bands' && l.style.parameter) {
    const b = bandsBreaks(l);
    if (!b.length) return '';
    q = `${q}&${l.style.parameter}=${b.join(',')}`;
  }
  return onlyParams(q, l.params);
}

function tileJsonUrl(name) {
  const q = layerQuery(name);
  return `tiles/${encodeURIComponent(name)}.json${q ? `?${q}` : ''}`;
}

/** Add the layer's source and style layers (first time), or point its source at its query if that changed. */
function ensureSource(name) {
  const map = app.map;
  const l = info(name);
  if (!map || !app.styleReady || !l || !offered(name)) return;
  const q = layerQuery(name);
  if (!q && l.params.length) return; // not ready (no window, no breaks yet, no accepted emerging query)
  if (!map.getSource(name)) {
    map.addSource(name, { type: 'vector', url: tileJsonUrl(name) });
    const before = beforeId(name);
    for (const spec of styleLayers(l, {
      breaks: l.style.kind === 'areas' ? app.areaShade[name]?.breaks || [] : app.autoBreaks[name] || [],
      shade: app.state.shade.has(name),
      selectedId: app.selectedId || '',
    })) {
      // Over a basemap, surfaces are lighter so its streets show through.
      const op = spec.paint?.['fill-opacity'];
      if (app.meta.basemap && spec.type === 'fill' && typeof op === 'number' && op > 0.5) {
        spec.paint = { ...spec.paint, 'fill-opacity': 0.5 };
      } else if (app.meta.basemap && spec.type === 'fill' && Array.isArray(op) && op[0] === 'interpolate') {
        spec.paint = { ...spec.paint, 'fill-opacity': streetFade(0.5) };
      }
      map.addLayer(spec, before);
    }
    hotspotFillForMode();
  } else if (app.sourceQuery[name] !== q) {
    map.getSource(name).setUrl(absolute(tileJsonUrl(name)));
  }
  app.sourceQuery[name] = q;
}

function beforeId(name) {
  const i = app.layers.indexOf(name);
  for (const later of app.layers.slice(i + 1)) {
    const id = styleIds(later)[0];
    if (app.map.getLayer(id)) return id;
  }
  return app.map.getLayer('tasking:fill') ? 'tasking:fill' : undefined;
}

function setLayerVisible(name, on) {
  const vis = app.state.visible;
  if (on) vis.add(name);
  else vis.delete(name);
  setVisible(app.mode, [...vis]);
  const div = document.querySelector(`.layer[data-layer="${CSS.escape(name)}"]`);
  if (div) div.classList.toggle('off', !on);
  const box = document.getElementById(`layer-${name}`);
  if (box && box.checked !== on) box.checked = on;
  if (app.styleReady) {
    if (on) ensureSource(name);
    for (const id of styleIds(name)) {
      if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
    }
  }
  if (kind(name) === 'outline') updateBadges();
  if (name === 'incidents' && !on) clusters.clear();
  if (name === 'emerging' && on) emerging.load();
  renderLegend(name);
  writeHash();
}

/** Turn a layer off and say why in the layer list (the API said it cannot mean anything here). */
function setLayerOff(name, reason) {
  app.offReason = { ...(app.offReason || {}), [name]: reason };
  if (reason && app.state.visible.has(name)) setLayerVisible(name, false);
  renderLegend(name);
}

function setAreaShade(name, on) {
  const s = app.state.shade;
  if (on) s.add(name);
  else s.delete(name);
  own.set({ shade: [...s] });
  const box = document.getElementById(`layer-${name}-shade`);
  if (box && box.checked !== on) box.checked = on;
  if (on) updateAreaShade(name);
  applyAreaShade(name);
  renderLegend(name);
  writeHash();
}

function applyAreaShade(name) {
  const map = app.map;
  const id = `${name}:fill`;
  if (!map || !app.styleReady || !map.getLayer(id)) return;
  const paint = areaFillPaint(app.state.shade.has(name), app.areaShade[name]?.breaks || [], info(name).style);
  for (const [k, v] of Object.entries(paint)) map.setPaintProperty(id, k, v);
}

function updateAreaShade(name) {
  const map = app.map;
  if (!map || !app.styleReady || !map.getSource(name) || !map.isSourceLoaded(name)) return false;
  const counts = new Map();
  for (const f of map.querySourceFeatures(name, { sourceLayer: name })) {
    const p = f.properties || {};
    counts.set(String(p.key ?? p.name ?? f.id), Number(p.count));
  }
  const values = [...counts.values()].filter((x) => Number.isFinite(x) && x > 0);
  const next = { breaks: areaBreaks(values), max: values.length ? Math.max(...values) : null };
  if (JSON.stringify(next) === JSON.stringify(app.areaShade[name])) return false;
  app.areaShade[name] = next;
  return true;
}

app.interactiveLayers = () => interactiveLayers();
function interactiveLayers() {
  const out = [];
  for (const name of app.state.visible) {
    if (!info(name)) continue;
    for (const id of clickableIds(info(name))) if (app.map.getLayer(id)) out.push(id);
  }
  return out;
}

async function onMapError(e) {
  const err = e && e.error ? e.error : e;
  if (err && err.name === 'AbortError') return;
  const layer = e.sourceId || (err && err.url && /\/tiles\/([^/.?]+)/.exec(err.url)?.[1]) || '';
  if (layer === 'protomaps') {
    showError('basemap', `The basemap could not load: ${err && err.message ? err.message : err}`);
    return;
  }
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
  const key = `map:${text}`;
  const layers = (mapErrorLayers[key] ||= new Set());
  if (layer) layers.add(info(layer)?.title || layer);
  const where = layers.size === 0 ? 'The map' : layers.size === 1 ? `The map layer "${[...layers][0]}"` : `The map layers ${[...layers].map((l) => `"${l}"`).join(', ')}`;
  showError(key, `${where} could not load: ${text}`);
}
let mapErrorLayers = {};

function onIdle() {
  updateZoomHint();
  updateAutoBreaks();
  for (const name of app.state.shade) {
    if (app.state.visible.has(name) && updateAreaShade(name)) {
      applyAreaShade(name);
      renderLegend(name);
    }
  }
  clusters.update();
  if (app.idleWaiters) {
    const w = app.idleWaiters;
    app.idleWaiters = null;
    for (const r of w) r();
  }
  if (!app.ready && app.hotspotAnswer) {
    if (!app.viewChecked) {
      app.viewChecked = true;
      if (fixInitialView()) return;
    }
    app.ready = true;
    document.body.dataset.state = 'ready';
  }
}

function hiddenByZoom() {
  const z = app.map.getZoom();
  return [...app.state.visible].filter((l) => {
    const src = app.map.getSource(l);
    return src && src.minzoom > 0 && Math.floor(z + 1e-9) < src.minzoom && info(l)?.style.kind !== 'labels';
  });
}

function updateZoomHint() {
  const h = hiddenByZoom();
  $('map-status').textContent = h.length ? `Zoom in to see: ${h.map((l) => info(l)?.title || l).join(', ')}` : '';
}

/** The first view: the listed hotspots, never further out than the surfaces switched on can show. */
function fixInitialView() {
  if (app.viewFromHash) return false;
  const map = app.map;
  const surfaces = [...app.state.visible].filter((l) => ['bands', 'sequential', 'classes', 'diverging'].includes(kind(l)));
  const need = Math.max(0, ...surfaces.map((l) => map.getSource(l)?.minzoom || info(l)?.minzoom || 0));
  let center = map.getCenter();
  let zoom = map.getZoom();
  const boxes = app.hotspots.map((f) => featureBounds(f.geometry)).filter(Boolean);
  if (boxes.length) {
    const union = [
      [Math.min(...boxes.map((b) => b[0][0])), Math.min(...boxes.map((b) => b[0][1]))],
      [Math.max(...boxes.map((b) => b[1][0])), Math.max(...boxes.map((b) => b[1][1]))],
    ];
    const cam = map.cameraForBounds(union, { padding: phone() ? 20 : 50, maxZoom: 14 });
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

/** Classes from the values in view, for `sequential` and `diverging` layers (not while a playback runs). */
function updateAutoBreaks() {
  if (store.get('playing')) return;
  const map = app.map;
  for (const name of app.state.visible) {
    const l = info(name);
    if (!l || !map.getSource(name) || !['sequential', 'diverging'].includes(l.style.kind)) continue;
    let values = map.querySourceFeatures(name, { sourceLayer: name }).map((f) => Number(f.properties[l.style.property]));
    if (l.style.kind === 'diverging') values = values.map(Math.abs);
    if (!values.length) continue;
    const b = quantileBreaks(values, l.style.kind === 'diverging' ? 3 : 5, { integer: l.style.kind === 'sequential' });
    if (l.style.kind === 'diverging' && b.length < 3) continue;
    if (JSON.stringify(b) === JSON.stringify(app.autoBreaks[name])) continue;
    app.autoBreaks[name] = b;
    const colour = l.style.kind === 'sequential' ? sequentialColour(l.style, b) : divergingColour(l.style, b);
    if (map.getLayer(`${name}:fill`)) map.setPaintProperty(`${name}:fill`, 'fill-color', colour);
    renderLegend(name);
  }
}

/** Resolves at the next idle of the map (after tiles have loaded). */
function nextIdle() {
  return new Promise((r) => {
    (app.idleWaiters ||= []).push(r);
  });
}

const clusters = makeClusterLabels(app);

// ---------------------------------------------------------------- clicks, selection, popups

function onMapClick(e) {
  if (tasking.clickAt(e)) return;
  const feats = app.map.queryRenderedFeatures(e.point, { layers: interactiveLayers() });
  if (!feats.length) return;
  const layerOf = (f) => f.layer.id.split(':')[0];
  // Top of the drawing order first; a shaded area covers what is under it.
  const rank = (n) => -(app.state.shade.has(n) ? 65 : info(n)?.order ?? 0);
  feats.sort((a, b) => rank(layerOf(a)) - rank(layerOf(b)));
  const f = feats[0];
  const name = layerOf(f);
  if (kind(name) === 'outline' && f.properties.id) {
    const id = f.properties.id;
    const known = app.hotspots.find((h) => h.properties.id === id);
    selectHotspot(id, { at: e.lngLat, props: known ? null : hotspotProps(f.properties) });
    return;
  }
  const steps = app.emerging.answer?.steps?.length;
  const html = popupHtml(info(name), f.properties, {
    analyst: store.get('analyst'),
    weight: harmOn() ? 'harm' : 'count',
    period: periodWords(windowOf(name), store.get('interval')),
    steps,
  });
  openPopup(e.lngLat, html);
}

function refreshOpenPopup() {
  if (!app.popup || !app.popup.isOpen() || !app.popupHotspotId) return;
  const f = app.hotspots.find((h) => h.properties.id === app.popupHotspotId);
  if (f) app.popup.setHTML(hotspotPopupHtml(hotspotProps(f.properties), { harm: app.state.harm }));
  else app.popup.remove();
}

function openPopup(lngLat, html, hotspotId = null) {
  app.popupHotspotId = hotspotId;
  if (app.popup) app.popup.remove();
  app.popup = new maplibregl.Popup({ maxWidth: phone() ? '92vw' : '340px', focusAfterOpen: false, anchor: phone() ? 'bottom' : undefined })
    .setLngLat(lngLat).setHTML(html).addTo(app.map);
  return app.popup;
}

async function selectHotspot(id, { fly = false, at = null, props = null } = {}) {
  own.set({ selected: id });
  for (const l of app.infos.filter((x) => x.style.kind === 'outline')) {
    if (app.map.getLayer(`${l.name}:selected`)) app.map.setFilter(`${l.name}:selected`, ['==', ['get', 'id'], id]);
  }
  for (const li of document.querySelectorAll('#hotspot-list li')) {
    const on = li.dataset.id === id;
    li.classList.toggle('selected', on);
    li.querySelector('button').setAttribute('aria-pressed', String(on));
    if (on && !phone()) li.scrollIntoView({ block: 'nearest' });
  }
  for (const m of badges) m.getElement().classList.toggle('selected', m.getElement().dataset.id === id);
  const feature = app.hotspots.find((h) => h.properties.id === id);
  const p = feature ? hotspotProps(feature.properties) : props;
  if (!p) return;
  if (phone()) setSheet(false); // picking a hotspot shows it on the map
  const centroid = Array.isArray(p.centroid_lonlat) ? p.centroid_lonlat : null;
  if (fly && feature) {
    const b = featureBounds(feature.geometry);
    if (b && phone() && app.mode !== 'compare' && centroid) {
      // On a phone the popup opens above the hotspot's centre: put that centre below the middle of the map.
      const cam = app.map.cameraForBounds(b, { padding: 30, maxZoom: 16 });
      app.map.easeTo({ center: centroid, zoom: cam ? cam.zoom : app.map.getZoom(), offset: [0, app.map.getContainer().clientHeight * 0.22], duration: 700 });
    } else if (b) {
      app.map.fitBounds(b, { padding: app.mode === 'compare' ? 160 : 80, maxZoom: app.mode === 'compare' ? 14 : 16, duration: 700 });
    }
  }
  if (app.mode === 'compare') {
    if (app.popup) app.popup.remove();
    compare.setTarget(id);
    return;
  }
  const c = Array.isArray(p.centroid_lonlat) ? p.centroid_lonlat : null;
  const where = at || (c ? { lng: c[0], lat: c[1] } : null);
  if (!where) return;
  const popup = openPopup(where, hotspotPopupHtml(p, { harm: app.state.harm }), id);
  if (!feature && !('previous_incidents' in p) && Number(p.rank) > 0 && Number(p.rank) <= 200) {
    try {
      const fc = await app.client.json(`api/hotspots?${app.query}&top=${Math.min(1000, Number(p.rank) + 20)}`);
      const full = (fc.features || []).find((h) => h.properties.id === id);
      if (full && app.popup === popup) popup.setHTML(hotspotPopupHtml(hotspotProps(full.properties), { harm: app.state.harm }));
    } catch (err) {
      showError('popup', `Could not load that hotspot's details: ${errorText(err)}`);
    }
  }
}

let badges = [];
function updateBadges() {
  for (const m of badges) m.remove();
  badges = [];
  const outline = app.infos.find((l) => l.style.kind === 'outline');
  if (!app.map || !outline || !app.state.visible.has(outline.name)) return;
  for (const f of app.hotspots) {
    const p = f.properties;
    const c = maybeCentroid(f);
    if (!c) continue;
    const el = document.createElement('button');
    el.type = 'button';
    el.className = `rank-badge${p.id === app.selectedId ? ' selected' : ''}`;
    el.dataset.id = p.id;
    el.textContent = p.rank;
    el.setAttribute('aria-label', `Hotspot ${p.rank}: ${p.name || ''}`);
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

/** After a search: fly there, mark the place, and offer the nearest hotspot of the list. */
function onFocus(focus) {
  if (!focus || !app.map) return;
  const [w, s, e, n] = focus.bbox;
  const pad = 0.002;
  app.map.fitBounds([[w - pad, s - pad], [e + pad, n + pad]], { padding: phone() ? 30 : 60, maxZoom: 16, duration: 600 });
  if (app.focusMarker) app.focusMarker.remove();
  const el = document.createElement('div');
  el.className = 'focus-marker';
  el.textContent = focus.name;
  app.focusMarker = new maplibregl.Marker({ element: el, anchor: 'bottom' }).setLngLat([focus.lon, focus.lat]).addTo(app.map);
  showNearest();
  if (phone()) setDrawer(false);
}

/** Distance in metres between two lon/lat points (equirectangular: fine at these scales). */
function metresBetween(a, b) {
  const k = Math.PI / 180;
  const x = (b[0] - a[0]) * Math.cos(((a[1] + b[1]) / 2) * k) * 6371000 * k;
  const y = (b[1] - a[1]) * 6371000 * k;
  return Math.hypot(x, y);
}

function showNearest() {
  const focus = store.get('focus');
  const box = $('near');
  if (!focus || !app.hotspots.length || app.mode !== 'map') {
    box.hidden = true;
    return;
  }
  const near = app.hotspots
    .map((f) => ({ f, d: metresBetween([focus.lon, focus.lat], maybeCentroid(f) || [0, 0]) }))
    .sort((a, b) => a.d - b.d)[0];
  const p = near.f.properties;
  const d = near.d < 1000 ? `${Math.round(near.d / 10) * 10} m` : `${(near.d / 1000).toFixed(1)} km`;
  box.innerHTML = `<button type="button" id="near-open" data-id="${esc(p.id)}">Nearest hotspot (${esc(d)}): <strong>${esc(p.name || hotspotPlace(hotspotProps(p)))}</strong></button>`;
  box.hidden = false;
  $('near-open').addEventListener('click', () => selectHotspot(p.id, { fly: true }));
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
  if (tw) app.query = `${buildQuery({ ...s, from: tw.from, to: tw.to, harm: harmOn() })}&${TASKING_SURFACE}`;
  else app.query = buildQuery(comparing ? { ...s, from: c.before.from, to: c.before.to, categories: s.categories, harm: s.harm } : s);
  app.compareQuery = comparing ? changeTileQuery(c, s) : '';
  writeHash();
  const gen = ++app.generation;
  for (const layer of s.visible) if (kind(layer) !== 'bands') ensureSource(layer);
  for (const l of app.infos) renderLegend(l.name);
  if (comparing) {
    if (app.aborts.summary) app.aborts.summary.abort();
    compare.load();
  } else loadSummary(gen);
  const listed = loadHotspots(gen);
  if (tw) tasking.load();
  emerging.load();
  return listed;
}

function abortable(name) {
  if (app.aborts[name]) app.aborts[name].abort();
  app.aborts[name] = new AbortController();
  return app.aborts[name].signal;
}

const warnings = { summary: [], hotspots: [], compare: [] };
function updateNotices() {
  const first = app.mode === 'compare' ? warnings.compare : warnings.summary;
  showNotices(app.mode === 'tasking' ? first : [...first, ...warnings.hotspots]);
}

async function loadSummary(gen) {
  const q = app.query;
  const tw = app.mode === 'tasking' ? tasking.window() : null;
  const state = { from: app.state.from, to: app.state.to, harm: harmOn(), ...(tw ? { from: tw.from, to: tw.to } : {}) };
  try {
    const s = await app.client.json(`api/summary?${q}`, { signal: abortable('summary') });
    if (gen !== app.generation) return;
    clearError('summary');
    $('summary').innerHTML = `<h2 id="summary-title" class="visually-hidden">Summary of the selected incidents</h2>${summaryHtml(s, state)}`;
    warnings.summary = Array.isArray(s.warnings) ? s.warnings.map(String) : [];
    if (Number(s.incidents) === 0) warnings.summary.unshift('no incidents of the chosen types in this window. Widen the window or choose more types.');
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
    own.set({ hotspots: fc });
    warnings.hotspots = Array.isArray(fc.warnings) ? fc.warnings.map(String) : [];
    updateNotices();
    renderList();
    if (app.mode === 'compare') compare.renderTarget();
    updateBadges();
    refreshOpenPopup();
    // The banded layers (the heat map) wait for the list's hotspot level: their band edges come from it.
    for (const layer of app.state.visible) ensureSource(layer);
    for (const l of app.infos) if (l.style.kind === 'bands') renderLegend(l.name);
    renderParameters();
    showNearest();
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
      const outline = app.infos.find((l) => l.style.kind === 'outline');
      if (outline && !app.state.visible.has(outline.name)) setLayerVisible(outline.name, true);
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
    app.meta = await app.client.json('api/meta');
  } catch (err) {
    showError('start', `The map could not start: ${errorText(err)}`);
    $('summary').innerHTML = '<p class="loading">No data.</p>';
    document.body.dataset.state = 'error';
    return;
  }
  app.meta.categories = (app.meta.categories || []).map((c) => (typeof c === 'string' ? c : c.name));
  app.infos = byOrder((app.meta.layers || []).filter((l) => l && typeof l === 'object' && l.name).map((l) => ({ params: [], style: {}, ...l })));
  app.layers = app.infos.map((l) => l.name);
  const end = dataEnd(app.meta.time?.to);
  app.span = { from: parseDate(app.meta.time?.from), end };
  const fromHash = readHash();
  app.viewFromHash = /(^|&)map=/.test(location.hash.slice(1));
  own.set({
    mode: fromHash.mode || 'map',
    categories: fromHash.categories || null,
    harm: Boolean(fromHash.harm),
    shade: fromHash.shade,
    visible: Object.fromEntries(['map', 'compare', 'tasking'].map((m) => [m, m === (fromHash.mode || 'map') && fromHash.visible ? fromHash.visible : defaultVisible(m)])),
  });
  app.state.tasking = fromHash.tasking;
  app.state.emergingPeriod = fromHash.emergingPeriod;
  const defCmp = end ? defaultComparison(end, app.span.from, heldSpans(app.meta.coverage)) : null;
  const cmp = fromHash.compare || (defCmp ? { before: defCmp.before, after: defCmp.after } : null);
  if (cmp) Object.assign(app.state.compare, { target: null }, cmp);
  if (app.mode === 'compare' && app.state.compare.target) own.set({ selected: app.state.compare.target });
  analyst.build();
  buildControls();
  search.build();
  if (cmp) compare.setInputs(app.state.compare, fromHash.compare ? null : defCmp?.preset);
  tasking.setInputs();
  showMode();
  let w = null;
  try {
    w = await time.build(fromHash.window || null);
  } catch (err) {
    showError('start', `The months held could not load: ${errorText(err)}`);
  }
  if (!w) showError('window', 'The store holds no incidents yet: import some with `hotspots ingest`.');
  buildMap();
  // From here on, each change of the window, types, weighting or mode refreshes what depends on it.
  store.subscribe(['window'], () => (store.get('playing') ? null : scheduleRefresh()));
  store.subscribe(['categories', 'harm'], () => scheduleRefresh());
  store.subscribe(['analyst'], () => {
    for (const l of app.infos) renderLegend(l.name);
    renderParameters();
  });
  store.subscribe(['focus'], (st) => onFocus(st.focus));
  if (w) refresh();
}

const time = makeTime(store.as('time', ['window', 'steps', 'interval', 'playing', 'frame']), {
  summarySeries: async () => {
    const s = await app.client.json('api/summary');
    return { series: s.series || [], interval: s.interval || 'month' };
  },
  /** What the store holds, in the API's words (`coverage.held_text`: the gaps show), or null. */
  heldText: () => app.meta?.coverage?.held_text || null,
  /** One playback frame: refresh with the legend fixed, wait for the list and the tiles, note it for the test. */
  onFrame: async (w) => {
    if (!app.frozenBreaks) app.frozenBreaks = {};
    for (const l of app.infos) if (l.style.kind === 'bands' && !app.frozenBreaks[l.name]) app.frozenBreaks[l.name] = bandBreaks(l.style, app.hotspotAnswer);
    const idle = nextIdle();
    await refresh();
    await idle;
    if (app.map && !app.map.areTilesLoaded()) await nextIdle();
    const legend = app.infos.filter((l) => l.style.kind === 'bands').map((l) => $(`layer-${l.name}-legend`)?.innerHTML || '').join('');
    app.frames.push({ window: [isoDay(w.from), isoDay(w.to)], legend, tilesLoaded: app.map.areTilesLoaded() });
  },
});
store.subscribe(['playing'], (st) => {
  if (!st.playing) app.frozenBreaks = null;
});

const search = makeSearch(store.as('search', ['focus']), { json: (p) => app.client.json(p) }, { showError, errorText });
const analyst = makeAnalyst(store.as('analyst', ['analyst']));

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
    for (const l of app.infos) if (l.mode === 'compare') renderLegend(l.name);
  },
  placeOf: (id) => {
    const f = app.hotspots.find((h) => h.properties.id === id);
    return f ? `hotspot ${f.properties.rank}, ${f.properties.name || hotspotPlace(hotspotProps(f.properties))}` : `hotspot ${id}`;
  },
});

const tasking = makeTasking(app, {
  showError,
  clearError,
  errorText,
  onChange: () => refresh(),
  onSelect: () => writeHash(),
  onLoaded: () => renderParameters(),
  showLayer: (name, on) => setLayerVisible(name, on),
});

const emerging = makeEmerging(app, {
  showError,
  clearError,
  errorText,
  scale: () => scaleQuery(),
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
  setOff: (reason) => setLayerOff('emerging', reason),
  renderLegend: () => renderLegend('emerging'),
  onPeriod: () => writeHash(),
});

start();
