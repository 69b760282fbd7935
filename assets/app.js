// The hotspot map page: the entry module. Reads /api/meta, creates the state store (store.js) and the page's
// modules, each owning its keys of the store and its part of the DOM, and wires them together:
//   controls.js       the types, harm, the modes, the phone's drawer and sheet (store: mode, categories, harm)
//   time.js           the window, the slider over the months held, play/pause  (store: window, steps, interval, playing, frame)
//   layer-panel.js    the layer list, legends, shading, tile sources   (store: visible, shade, areaShade, autoBreaks, layerOff, frozenBreaks)
//   map-view.js       the MapLibre map, its first view, idle and errors (no store keys: the map is MapLibre's)
//   hotspot-list.js   the list, badges, selection, popups, search focus (store: hotspots, selected, hotspotNotes)
//   summary-panel.js  the summary strip, notices, "Settings used"       (store: summary, summaryNotes)
//   compare.js, tasking-panel.js, emerging.js, when-panel.js: the modes' panels and the emerging layer's check
//   search.js, analyst.js (store: focus; analyst); permalink.js: the address read at start and written on change
//   this file         the query every request shares, refreshing, start (store: meta, infos, span, query, compareQuery)
// No module writes another's keys (the store refuses it, and its state is frozen): each calls the owner's actions.
// Modules read the page through `page`, a frozen view of getters, which is also `window.hotspotsApp` for the tests.
//
// MapLibre GL JS, pmtiles and @protomaps/basemaps (vendored, see vendor/*/VERSION) are classic scripts loaded
// before this module: window.maplibregl, window.pmtiles, window.basemaps.

import { defaultComparison, heldSpans, dataEnd, parseDate, isoDay } from './dates.js';
import { makeClient, pageToken, buildQuery } from './client.js';
import { byOrder } from './layers.js';
import { makeCompare, changeTileQuery } from './compare.js';
import { showError, clearError, clearErrors, errorText } from './messages.js';
import { makeEmerging } from './emerging.js';
import { makeTasking } from './tasking-panel.js';
import { makeNearRepeat } from './nearrepeat-panel.js';
import { TASKING_SURFACE } from './tasking.js';
import { createStore } from './store.js';
import { makeTime } from './time.js';
import { makeSearch } from './search.js';
import { makeAnalyst } from './analyst.js';
import { makeControls } from './controls.js';
import { makeLayerPanel } from './layer-panel.js';
import { makeMapView } from './map-view.js';
import { makeHotspotList } from './hotspot-list.js';
import { makeSummary } from './summary-panel.js';
import { makeWhenPanel } from './when-panel.js';
import { readHash, hashFor } from './permalink.js';

export { scaleFor } from './map-view.js';
export { onlyParams } from './layer-panel.js';

const $ = (id) => document.getElementById(id);

const store = createStore({ window: null, playing: false, analyst: false });
const own = store.as('app', ['meta', 'infos', 'span', 'query', 'compareQuery']);
const client = makeClient(pageToken());
const frames = []; // playback frames, for the browser test: {window, legend, tilesLoaded}
let generation = 0;
const aborts = {};

/** The page as the modules (and the browser test) read it: getters over the store and the modules, nothing to set. */
const page = Object.freeze({
  store: Object.freeze({ get: store.get, subscribe: store.subscribe }),
  client,
  get meta() {
    return store.get('meta');
  },
  get infos() {
    return store.get('infos') || [];
  },
  get layers() {
    return page.infos.map((l) => l.name);
  },
  get span() {
    return store.get('span') || { from: null, end: null };
  },
  get map() {
    return mapView.map();
  },
  get styleReady() {
    return mapView.styleReady();
  },
  get mode() {
    return store.get('mode') || 'map';
  },
  get query() {
    return store.get('query') || '';
  },
  get compareQuery() {
    return store.get('compareQuery') || '';
  },
  state: Object.freeze({
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
      return layers.visibleNow();
    },
    get shade() {
      return new Set(store.get('shade') || []);
    },
    get compare() {
      return store.get('compare') || { before: null, after: null, target: null };
    },
    get tasking() {
      return store.get('tasking');
    },
    get emergingPeriod() {
      return store.get('emergingPeriod') || 'month';
    },
  }),
  /** Whether figures are harm: tasking's own ranking in tasking mode, else the weighting box. */
  harmOn() {
    return page.mode === 'tasking' ? store.get('tasking')?.weight === 'harm' : Boolean(store.get('harm'));
  },
  get hotspotAnswer() {
    return store.get('hotspots') || null;
  },
  get hotspots() {
    const fc = store.get('hotspots');
    return fc && Array.isArray(fc.features) ? fc.features : [];
  },
  get selectedId() {
    return store.get('selected') || null;
  },
  get comparison() {
    return store.get('comparison') || null;
  },
  get tasking() {
    return store.get('taskingAnswer') || null;
  },
  get emerging() {
    return store.get('emerging') || null;
  },
  get nrQuery() {
    return store.get('nrQuery') || '';
  },
  get sourceQuery() {
    return layers.sourceQueries();
  },
  get areaShade() {
    return store.get('areaShade') || {};
  },
  get popup() {
    return list.popup();
  },
  get frames() {
    return frames;
  },
  interactiveLayers: () => layers.interactiveLayers(),
});
window.hotspotsApp = page;

const ui = { showError, clearError, errorText };

const controls = makeControls(store.as('controls', ['mode', 'categories', 'harm']), page, {
  onFilters: () => compare.dropTarget(),
  onMode: (mode, leaving) => onMode(mode, leaving),
  resizeMap: () => page.map && page.map.resize(),
});

const layers = makeLayerPanel(store.as('layers', ['visible', 'shade', 'areaShade', 'autoBreaks', 'layerOff', 'frozenBreaks']), page, {
  scaleQuery: () => mapView.scaleQuery(),
  taskingWindow: () => tasking.window(),
  onVisible: (name, on, kind) => {
    if (kind === 'outline') list.updateBadges();
    if (name === 'incidents' && !on) mapView.clearClusters();
    if (name === 'emerging' && on) emerging.load();
  },
});

const mapView = makeMapView(page, {
  client: () => client,
  onStyle: () => {
    layers.ensureVisibleSources();
    tasking.draw();
  },
  onScale: () => {
    layers.ensureVisibleSources();
    emerging.load();
  },
  onClick: (e) => list.onMapClick(e),
  onMoved: () => when.onMoved(),
  onIdle: () => layers.onIdle(),
  interactiveLayers: () => layers.interactiveLayers(),
  info: (name) => layers.info(name),
  kind: (name) => layers.kind(name),
  visible: () => layers.visibleNow(),
});

const list = makeHotspotList(store.as('list', ['hotspots', 'selected', 'hotspotNotes']), page, {
  isCurrent: (gen) => gen === generation,
  abortable,
  layers,
  onList: () => {
    if (page.mode === 'compare') compare.renderTarget();
    // The banded layers (the heat map) wait for the list's hotspot level: their band edges come from it.
    layers.ensureVisibleSources();
    layers.renderLegends((l) => l.style.kind === 'bands');
    summary.renderParameters();
    mapView.kick();
  },
  setTarget: (id) => compare.setTarget(id),
  clickTasking: (e) => tasking.clickAt(e),
  setSheet: (open) => controls.setSheet(open),
  setDrawer: (open) => controls.setDrawer(open),
});

const summary = makeSummary(store.as('summary', ['summary', 'summaryNotes']), page, {
  isCurrent: (gen) => gen === generation,
  abortable,
  taskingWindow: () => tasking.window(),
  taskingAt: () => tasking.at(),
});

const time = makeTime(store.as('time', ['window', 'steps', 'interval', 'playing', 'frame']), {
  summarySeries: async () => {
    const s = await client.json('api/summary');
    return { series: s.series || [], interval: s.interval || 'month' };
  },
  /** What the store holds, in the API's words (`coverage.held_text`: the gaps show), or null. */
  heldText: () => page.meta?.coverage?.held_text || null,
  /** One playback frame: refresh with the legend fixed, wait for the list and the tiles, note it for the test. */
  onFrame: async (w) => {
    layers.freezeBands(true);
    const idle = mapView.nextIdle();
    await refresh();
    await idle;
    if (page.map && !page.map.areTilesLoaded()) await mapView.nextIdle();
    const legend = page.infos.filter((l) => l.style.kind === 'bands').map((l) => $(`layer-${l.name}-legend`)?.innerHTML || '').join('');
    frames.push({ window: [isoDay(w.from), isoDay(w.to)], legend, tilesLoaded: page.map.areTilesLoaded() });
  },
});
store.subscribe(['playing'], (st) => {
  if (!st.playing) layers.freezeBands(false);
});

const search = makeSearch(store.as('search', ['focus']), { json: (p) => client.json(p) }, { showError, errorText });
const analyst = makeAnalyst(store.as('analyst', ['analyst']));

const compare = makeCompare(store.as('compare', ['compare', 'comparison', 'compareNotes']), page, {
  ...ui,
  onChange: () => refresh(),
  onLoaded: () => {
    summary.renderParameters();
    layers.renderLegends((l) => l.mode === 'compare');
  },
  placeOf: (id) => list.placeOf(id),
});

const nearRepeat = makeNearRepeat(store.as('nearrepeat', ['nrQuery']), page, {
  showLayer: (name, on) => layers.setVisible(name, on),
});

const tasking = makeTasking(store.as('tasking', ['tasking', 'taskingAnswer']), page, {
  ...ui,
  nearRepeat: (ans) => nearRepeat.render(ans),
  onChange: () => refresh(),
  onSelect: () => {},
  onLoaded: () => summary.renderParameters(),
});

const emerging = makeEmerging(store.as('emerging', ['emergingPeriod', 'emerging']), page, {
  ...ui,
  scale: () => mapView.scaleQuery(),
  ensureSource: () => {
    if (page.state.visible.has('emerging')) layers.ensureSource('emerging');
  },
  dropSource: () => layers.dropSource('emerging'),
  setOff: (reason) => layers.setOff('emerging', reason),
  renderLegend: () => layers.renderLegend('emerging'),
});

const when = makeWhenPanel(store.as('when', ['when']), page, { ...ui, abortable });

// ---------------------------------------------------------------- modes, refreshing

function onMode(mode, leaving) {
  if (leaving || mode === 'tasking') tasking.show(mode === 'tasking');
  summary.forget();
  if (mode === 'compare') list.closePopup();
  else {
    compare.cancel();
    clearErrors('compare');
  }
  showMode();
  refresh();
}

function showMode() {
  controls.showMode();
  layers.showMode();
  if (!page.state.visible.has('incidents')) mapView.clearClusters();
}

/** Write the address from the state (the map's own `map=` part kept). */
function writeHash() {
  const st = store.get();
  const view = location.hash.slice(1).split('&').find((p) => p.startsWith('map='));
  const hash = hashFor({ ...st, mode: page.mode, visible: [...page.state.visible], shade: st.shade || [] }, view);
  if (hash !== null) history.replaceState(history.state, '', `${location.pathname}${location.search}#${hash}`);
}

function abortable(name) {
  if (aborts[name]) aborts[name].abort();
  aborts[name] = new AbortController();
  return aborts[name].signal;
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 300);
}

/** The window, types, weighting or mode changed: every panel and layer asks again. */
function refresh() {
  clearTimeout(refreshTimer);
  const s = page.state;
  if (!s.from || !s.to || !(s.from < s.to)) {
    showError('window', 'The first day of the time window must be on or before the last day.');
    return;
  }
  if (Array.isArray(s.categories) && s.categories.length === 0) {
    showError('window', 'Choose at least one type of crime or ASB.');
    return;
  }
  clearError('window');
  mapView.clearMapErrors();
  const c = s.compare;
  const comparing = page.mode === 'compare' && c.before && c.after;
  const tw = page.mode === 'tasking' ? tasking.window() : null;
  const base = { from: s.from, to: s.to, categories: s.categories, harm: s.harm };
  let query;
  if (tw) query = `${buildQuery({ ...base, from: tw.from, to: tw.to, harm: page.harmOn() })}&${TASKING_SURFACE}`;
  else query = buildQuery(comparing ? { ...base, from: c.before.from, to: c.before.to } : base);
  own.set({ query, compareQuery: comparing ? changeTileQuery(c, s) : '' });
  writeHash();
  const gen = ++generation;
  layers.ensureVisibleSources({ bands: false });
  layers.renderLegends();
  if (comparing) {
    if (aborts.summary) aborts.summary.abort();
    compare.load();
  } else summary.load(gen);
  const listed = list.load(gen);
  if (tw) tasking.load();
  emerging.load();
  when.load();
  return listed;
}

// ---------------------------------------------------------------- start

async function start() {
  if (!window.maplibregl) {
    showError('start', 'The map library did not load (vendor/maplibre-gl/maplibre-gl.js is missing).');
    document.body.dataset.state = 'error';
    return;
  }
  let meta;
  try {
    meta = await client.json('api/meta');
  } catch (err) {
    showError('start', `The map could not start: ${errorText(err)}`);
    $('summary').innerHTML = '<p class="loading">No data.</p>';
    document.body.dataset.state = 'error';
    return;
  }
  const categories = (meta.categories || []).map((c) => (typeof c === 'string' ? c : c.name));
  const infos = byOrder((meta.layers || []).filter((l) => l && typeof l === 'object' && l.name).map((l) => ({ params: [], style: {}, ...l })));
  const end = dataEnd(meta.time?.to);
  own.set({ meta: { ...meta, categories }, infos, span: { from: parseDate(meta.time?.from), end } });
  const fromHash = readHash(location.hash.slice(1), { categories, infos });
  controls.init(fromHash);
  layers.init(fromHash.mode || 'map', fromHash.visible, fromHash.shade);
  tasking.init(fromHash.tasking);
  emerging.init(fromHash.emergingPeriod);
  const span = page.span;
  const defCmp = end ? defaultComparison(end, span.from, heldSpans(meta.coverage)) : null;
  const cmp = fromHash.compare || (defCmp ? { before: defCmp.before, after: defCmp.after } : null);
  if (cmp) compare.init(cmp);
  if (page.mode === 'compare' && page.state.compare.target) list.preselect(page.state.compare.target);
  analyst.build();
  controls.build();
  layers.build();
  compare.build({ from: span.from, end });
  tasking.build({ from: span.from, end });
  emerging.build();
  when.build();
  search.build();
  if (cmp) compare.setInputs(page.state.compare, fromHash.compare ? null : defCmp?.preset);
  tasking.setInputs();
  showMode();
  let w = null;
  try {
    w = await time.build(fromHash.window || null);
  } catch (err) {
    showError('start', `The months held could not load: ${errorText(err)}`);
  }
  if (!w) showError('window', 'The store holds no incidents yet: import some with `hotspots ingest`.');
  mapView.build(page.meta);
  // From here on, each change of the window, types, weighting or mode refreshes what depends on it, and the
  // address follows every change of what it records.
  store.subscribe(['window'], () => (store.get('playing') ? null : scheduleRefresh()));
  store.subscribe(['categories', 'harm'], () => scheduleRefresh());
  store.subscribe(['analyst'], () => {
    layers.renderLegends();
    summary.renderParameters();
  });
  store.subscribe(['focus'], (st) => list.onFocus(st.focus));
  store.subscribe(['visible', 'shade', 'compare', 'tasking', 'emergingPeriod'], () => writeHash());
  if (w) refresh();
}

start();
