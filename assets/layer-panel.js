// The layer list and the map's tile sources: which layers are on in each mode, their toggles, legends and
// "off because" notes, boundary shading, the classes taken from the values in view, and each layer's tile query.
// Owns the store keys `visible` ({mode: [names]}), `shade` ([names]), `areaShade` ({name: {breaks, max}}),
// `autoBreaks` ({name: breaks}), `layerOff` ({name: reason}) and `frozenBreaks` (the bands' edges held while the
// time slider plays). Other modules change them only through the actions returned by `makeLayerPanel`.

import { breaks as quantileBreaks, esc } from './format.js';
import { absolute } from './client.js';
import {
  styleLayers, legendHtml, sequentialColour, divergingColour, bandBreaks, areaBreaks, areaFillPaint, clickableIds, streetFade,
} from './layers.js';
import { emergingLegendHtml } from './emerging.js';
import { periodWords } from './time.js';

/** `query` with only the parameters in `names` (a layer's `params`). */
export function onlyParams(query, names) {
  const q = new URLSearchParams(query);
  const out = new URLSearchParams();
  for (const [k, v] of q) if (names.includes(k)) out.append(k, v);
  return out.toString();
}

/** Where a layer is offered: `compare` layers only in compare mode; the others everywhere. */
export function offeredIn(info, mode) {
  return Boolean(info) && (info.mode === 'compare' ? mode === 'compare' : true);
}

/**
 * Layers on when a mode opens: the server's `default_on` ones it offers; compare mode leaves out the heat map (the
 * change map is its surface), tasking mode the hotspot outlines (its places are drawn instead); over a basemap the
 * street names are left to the basemap.
 */
export function defaultVisible(infos, mode, basemap = false) {
  return infos
    .filter((l) => l.default_on && offeredIn(l, mode))
    .filter((l) => !(basemap && l.style.kind === 'labels'))
    .filter((l) => !(mode === 'compare' && l.style.kind === 'bands') && !(mode === 'tasking' && l.style.kind === 'outline'))
    .map((l) => l.name);
}

/**
 * `own`: the store handle for the keys above. `page`: the read-only page view (map, meta, infos, mode, query,
 * compareQuery, state, emerging, hotspotAnswer, comparison, selectedId, harmOn()). `hooks`: scaleQuery(),
 * taskingWindow(), onVisible(name, on) (the other modules' reactions: badges, clusters, the emerging check).
 */
export function makeLayerPanel(own, page, hooks) {
  const store = own;
  const sourceQuery = {}; // layer -> the query its tile source was last pointed at
  const info = (name) => page.infos.find((l) => l.name === name);
  const kind = (name) => info(name)?.style?.kind;
  const styleIds = (name) => (info(name) ? styleLayers(info(name)).map((l) => l.id) : []);
  const offered = (name, mode = page.mode) => offeredIn(info(name), mode);
  const visibleNow = () => new Set((store.get('visible') || {})[page.mode] || []);
  const shaded = () => new Set(store.get('shade') || []);
  const areaShade = () => store.get('areaShade') || {};
  const autoBreaks = () => store.get('autoBreaks') || {};

  /** The layers on at start: from the address for the mode opened, else each mode's defaults. */
  function init(mode, fromHash, shade) {
    const basemap = Boolean(page.meta.basemap);
    own.set({
      shade: shade || [],
      visible: Object.fromEntries(['map', 'compare', 'tasking'].map((m) => [m, m === mode && fromHash ? fromHash : defaultVisible(page.infos, m, basemap)])),
    });
  }

  /** Layers: a toggle, a line of help, the legend (shown while on); boundary layers can be shaded. */
  function build() {
    const box = document.getElementById('layer-list');
    box.replaceChildren();
    for (const l of page.infos) {
      const div = document.createElement('div');
      div.className = 'layer';
      div.dataset.layer = l.name;
      const id = `layer-${l.name}`;
      div.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}" data-layer="${esc(l.name)}"> ${esc(l.title)}</label>
      <p class="hint">${esc(l.help)}</p><p class="layer-off" id="${esc(id)}-off" hidden></p><div class="legend-box" id="${esc(id)}-legend"></div>`;
      const input = div.querySelector('input');
      input.addEventListener('change', () => setVisible(l.name, input.checked));
      if (l.style.kind === 'areas') {
        const opt = document.createElement('div');
        opt.className = 'layer-options';
        opt.innerHTML = `<label class="check"><input type="checkbox" id="${esc(id)}-shade" data-shade="${esc(l.name)}"> Shade by incidents</label>`;
        div.querySelector('.legend-box').before(opt);
        const shade = opt.querySelector('input');
        shade.checked = shaded().has(l.name);
        shade.addEventListener('change', () => setAreaShade(l.name, shade.checked));
      }
      box.append(div);
    }
  }

  /** After a change of mode: which toggles show, which are on, which style layers are visible. */
  function showMode() {
    const vis = visibleNow();
    const map = page.map;
    for (const l of page.infos) {
      const div = document.querySelector(`.layer[data-layer="${CSS.escape(l.name)}"]`);
      const shown = vis.has(l.name);
      if (div) {
        div.hidden = !offered(l.name);
        div.classList.toggle('off', !shown);
        div.querySelector('input').checked = shown;
      }
      if (page.styleReady) {
        for (const id of styleIds(l.name)) {
          if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', shown ? 'visible' : 'none');
        }
      }
    }
    hotspotFillForMode();
  }

  function hotspotFillForMode() {
    const map = page.map;
    for (const l of page.infos.filter((x) => x.style.kind === 'outline')) {
      if (map && map.getLayer(`${l.name}:fill`)) map.setPaintProperty(`${l.name}:fill`, 'fill-opacity', page.mode === 'compare' ? 0 : 0.12);
    }
  }

  /** The window a layer covers (compare layers: the after window). */
  function windowOf(name) {
    if (info(name)?.mode === 'compare') return page.state.compare.after;
    if (page.mode === 'tasking') return hooks.taskingWindow();
    return page.store.get('window');
  }

  /** The legend context of a layer: its breaks, the weighting, the period in words, shading, analyst detail. */
  function renderLegend(name) {
    const el = document.getElementById(`layer-${name}-legend`);
    const l = info(name);
    if (!el || !l) return;
    const k = l.style.kind;
    const shade = areaShade()[name];
    // The emerging layer's legend is its module's: the classes /api/emerging found, with its steps and warnings.
    if (name === 'emerging' && page.emerging) el.innerHTML = emergingLegendHtml(page.emerging);
    else {
      el.innerHTML = legendHtml(l, {
        breaks: k === 'bands' ? bandsBreaks(l) : k === 'areas' ? (shade ? shade.breaks : null) : autoBreaks()[name] || [],
        max: shade ? shade.max : null,
        shade: shaded().has(name),
        weight: page.harmOn() ? 'harm' : 'count',
        period: periodWords(windowOf(name), page.store.get('interval')),
        fdrQ: page.comparison?.change_map?.fdr_q,
        analyst: page.store.get('analyst'),
      });
    }
    const off = document.getElementById(`layer-${name}-off`);
    if (off) {
      const why = (store.get('layerOff') || {})[name];
      off.hidden = !why;
      off.textContent = why ? `Off: ${why}` : '';
    }
  }

  function renderLegends(filter = () => true) {
    for (const l of page.infos) if (filter(l)) renderLegend(l.name);
  }

  /** Hold the density bands' edges while a playback runs (so frames compare), or let them follow the list again. */
  function freezeBands(on) {
    if (!on) {
      own.set({ frozenBreaks: null });
      return;
    }
    const held = { ...(store.get('frozenBreaks') || {}) };
    for (const l of page.infos) if (l.style.kind === 'bands' && !held[l.name]) held[l.name] = bandBreaks(l.style, page.hotspotAnswer);
    own.set({ frozenBreaks: held });
  }

  /** The density bands' edges: fixed while a playback runs, else from the hotspot list's answer. */
  function bandsBreaks(l) {
    const held = store.get('frozenBreaks');
    if (page.store.get('playing') && held?.[l.name]) return held[l.name];
    return bandBreaks(l.style, page.hotspotAnswer);
  }

  /**
   * The query a layer's tiles carry, keeping only the parameters it reads (so a layer that reads none, such as the
   * street names, is never refetched when the window changes): compare layers the two windows, the emerging layer
   * the query /api/emerging accepted, layers with a Gi* band the zoom's scale, banded layers their breaks.
   */
  function layerQuery(name) {
    const l = info(name);
    if (!l) return '';
    if (name === 'emerging') return page.emerging?.query ? onlyParams(page.emerging.query, l.params) : '';
    if (name === 'nearrepeat' && page.mode === 'tasking' && page.nrQuery) return onlyParams(page.nrQuery, l.params);
    let q = l.mode === 'compare' ? page.compareQuery : page.query;
    if (!q && l.params.length) return '';
    if (l.params.includes('band_m')) q = `${onlyParams(q, l.params.filter((p) => p !== 'cell_m' && p !== 'band_m'))}&${hooks.scaleQuery()}`;
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
    const map = page.map;
    const l = info(name);
    if (!map || !page.styleReady || !l || !offered(name)) return;
    const q = layerQuery(name);
    if (!q && l.params.length) return; // not ready (no window, no breaks yet, no accepted emerging query)
    if (!map.getSource(name)) {
      map.addSource(name, { type: 'vector', url: tileJsonUrl(name) });
      const before = beforeId(name);
      for (const spec of styleLayers(l, {
        breaks: l.style.kind === 'areas' ? areaShade()[name]?.breaks || [] : autoBreaks()[name] || [],
        shade: shaded().has(name),
        selectedId: page.selectedId || '',
      })) {
        // Over a basemap, surfaces are lighter so its streets show through.
        const op = spec.paint?.['fill-opacity'];
        let layer = spec;
        if (page.meta.basemap && spec.type === 'fill' && typeof op === 'number' && op > 0.5) {
          layer = { ...spec, paint: { ...spec.paint, 'fill-opacity': 0.5 } };
        } else if (page.meta.basemap && spec.type === 'fill' && Array.isArray(op) && op[0] === 'interpolate') {
          layer = { ...spec, paint: { ...spec.paint, 'fill-opacity': streetFade(0.5) } };
        }
        map.addLayer(layer, before);
      }
      hotspotFillForMode();
    } else if (sourceQuery[name] !== q) {
      map.getSource(name).setUrl(absolute(tileJsonUrl(name)));
    }
    sourceQuery[name] = q;
  }

  /** Every layer switched on gets its source (banded ones too unless `bands` is false). */
  function ensureVisibleSources({ bands = true } = {}) {
    for (const layer of visibleNow()) if (bands || kind(layer) !== 'bands') ensureSource(layer);
  }

  /** Remove a layer's source and style layers (the emerging layer, when the API found nothing meaningful). */
  function dropSource(name) {
    const map = page.map;
    if (!map || !page.styleReady) return;
    for (const id of styleIds(name)) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource(name)) map.removeSource(name);
    delete sourceQuery[name];
  }

  function beforeId(name) {
    const names = page.infos.map((l) => l.name);
    const i = names.indexOf(name);
    for (const later of names.slice(i + 1)) {
      const id = styleIds(later)[0];
      if (page.map.getLayer(id)) return id;
    }
    return page.map.getLayer('tasking:fill') ? 'tasking:fill' : undefined;
  }

  /** Switch a layer on or off in the current mode. */
  function setVisible(name, on) {
    const vis = visibleNow();
    if (on) vis.add(name);
    else vis.delete(name);
    own.set({ visible: { ...(store.get('visible') || {}), [page.mode]: [...vis] } });
    const div = document.querySelector(`.layer[data-layer="${CSS.escape(name)}"]`);
    if (div) div.classList.toggle('off', !on);
    const box = document.getElementById(`layer-${name}`);
    if (box && box.checked !== on) box.checked = on;
    if (page.styleReady) {
      if (on) ensureSource(name);
      for (const id of styleIds(name)) {
        if (page.map.getLayer(id)) page.map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
      }
    }
    hooks.onVisible(name, on, kind(name));
    renderLegend(name);
  }

  /** Turn a layer off and say why in the layer list (the API said it cannot mean anything here). */
  function setOff(name, reason) {
    own.set({ layerOff: { ...(store.get('layerOff') || {}), [name]: reason } });
    if (reason && visibleNow().has(name)) setVisible(name, false);
    renderLegend(name);
  }

  function setAreaShade(name, on) {
    const s = shaded();
    if (on) s.add(name);
    else s.delete(name);
    own.set({ shade: [...s] });
    const box = document.getElementById(`layer-${name}-shade`);
    if (box && box.checked !== on) box.checked = on;
    if (on) updateAreaShade(name);
    applyAreaShade(name);
    renderLegend(name);
  }

  function applyAreaShade(name) {
    const map = page.map;
    const id = `${name}:fill`;
    if (!map || !page.styleReady || !map.getLayer(id)) return;
    const paint = areaFillPaint(shaded().has(name), areaShade()[name]?.breaks || [], info(name).style);
    for (const [k, v] of Object.entries(paint)) map.setPaintProperty(id, k, v);
  }

  function updateAreaShade(name) {
    const map = page.map;
    if (!map || !page.styleReady || !map.getSource(name) || !map.isSourceLoaded(name)) return false;
    const counts = new Map();
    for (const f of map.querySourceFeatures(name, { sourceLayer: name })) {
      const p = f.properties || {};
      counts.set(String(p.key ?? p.name ?? f.id), Number(p.count));
    }
    const values = [...counts.values()].filter((x) => Number.isFinite(x) && x > 0);
    const next = { breaks: areaBreaks(values), max: values.length ? Math.max(...values) : null };
    if (JSON.stringify(next) === JSON.stringify(areaShade()[name])) return false;
    own.set({ areaShade: { ...areaShade(), [name]: next } });
    return true;
  }

  /** Classes from the values in view, for `sequential` and `diverging` layers (not while a playback runs). */
  function updateAutoBreaks() {
    if (page.store.get('playing')) return;
    const map = page.map;
    for (const name of visibleNow()) {
      const l = info(name);
      if (!l || !map.getSource(name) || !['sequential', 'diverging'].includes(l.style.kind)) continue;
      let values = map.querySourceFeatures(name, { sourceLayer: name }).map((f) => Number(f.properties[l.style.property]));
      if (l.style.kind === 'diverging') values = values.map(Math.abs);
      if (!values.length) continue;
      const b = quantileBreaks(values, l.style.kind === 'diverging' ? 3 : 5, { integer: l.style.kind === 'sequential' });
      if (l.style.kind === 'diverging' && b.length < 3) continue;
      if (JSON.stringify(b) === JSON.stringify(autoBreaks()[name])) continue;
      own.set({ autoBreaks: { ...autoBreaks(), [name]: b } });
      const colour = l.style.kind === 'sequential' ? sequentialColour(l.style, b) : divergingColour(l.style, b);
      if (map.getLayer(`${name}:fill`)) map.setPaintProperty(`${name}:fill`, 'fill-color', colour);
      renderLegend(name);
    }
  }

  /** At each idle of the map: classes from the values in view, and the shading of boundary layers. */
  function onIdle() {
    updateAutoBreaks();
    const vis = visibleNow();
    for (const name of shaded()) {
      if (vis.has(name) && updateAreaShade(name)) {
        applyAreaShade(name);
        renderLegend(name);
      }
    }
  }

  /** The style layers a click or the pointer can hit. */
  function interactiveLayers() {
    const out = [];
    for (const name of visibleNow()) {
      if (!info(name)) continue;
      for (const id of clickableIds(info(name))) if (page.map.getLayer(id)) out.push(id);
    }
    return out;
  }

  /** The query each tile source was last pointed at, by layer (a frozen copy, for the page view and tests). */
  const sourceQueries = () => Object.freeze({ ...sourceQuery });

  return {
    init, build, showMode, hotspotFillForMode, renderLegend, renderLegends, freezeBands, ensureSource, ensureVisibleSources,
    dropSource, setVisible, setOff, setAreaShade, onIdle, interactiveLayers, windowOf, info, kind, offered, visibleNow,
    sourceQueries,
  };
}
