// The map layers: how each tile layer of the API is drawn, its legend, and what a click on it says.
// Tile layers (README "Map server"): incidents, density, hotspots, hex, gistar, change (compare mode only), emerging,
// areas-{name}; each tile holds one layer named like the API layer, so `source-layer` is the layer name.

import { int, num, metres, esc } from './format.js';
import { emergingStyleLayers, emergingLegendHtml, emergingPopupRows, EMERGING_HELP } from './emerging.js';

export const COLOURS = {
  background: '#eef0ea',
  hotspot: '#5b1a8c',
  selected: '#00a0e0',
  area: '#3b3b3b',
  incident: '#23395d',
  // Density: yellow to dark red (ColorBrewer YlOrRd), for classes at and above each break.
  density: ['#ffeda0', '#fed976', '#feb24c', '#fd8d3c', '#e31a1c', '#800026'],
  // Hexagon counts: ColorBrewer YlGnBu.
  hex: ['#edf8b1', '#c7e9b4', '#7fcdbb', '#41b6c4', '#1d91c0', '#225ea8'],
  // Gi* bins -3..3 (ColorBrewer RdBu): cold blues, hot reds, bin 0 not drawn.
  gistar: { 3: '#b2182b', 2: '#ef8a62', 1: '#fddbc7', 0: 'rgba(0,0,0,0)', '-1': '#d1e5f0', '-2': '#67a9cf', '-3': '#2166ac' },
  // Change between two windows (ColorBrewer RdBu): falls blue, rises red, strongest first; `same` near zero.
  change: { fall: ['#2166ac', '#67a9cf', '#d1e5f0'], same: '#f2f2f2', rise: ['#fddbc7', '#ef8a62', '#b2182b'] },
  changeOutline: { rise: '#67001f', fall: '#053061' },
  // Boundary areas shaded by their incidents (ColorBrewer BuPu, sequential; unlike the heat map's and hexagons').
  areaShade: ['#edf8fb', '#b3cde3', '#8c96c6', '#8856a7', '#810f7c'],
};

/** The order layers are drawn in, bottom first (areas' outlines above the surfaces, hotspots and points on top). */
export const DRAW_ORDER = ['density', 'gistar', 'hex', 'change', 'emerging', 'areas', 'hotspots', 'incidents'];

export function kindOf(layer) {
  return layer.startsWith('areas-') ? 'areas' : layer;
}

/** Plain-word titles for the layer toggles. */
export function layerTitle(layer) {
  switch (kindOf(layer)) {
    case 'density':
      return 'Concentration (heat map)';
    case 'hotspots':
      return 'Hotspot outlines';
    case 'hex':
      return 'Counts in hexagons';
    case 'gistar':
      return 'Hot and cold spots (statistical test)';
    case 'incidents':
      return 'Individual incidents';
    case 'change':
      return 'Change: before to after';
    case 'emerging':
      return 'Emerging hot spots (trend over time)';
    case 'areas':
      return `Boundaries: ${layer.slice('areas-'.length)}`;
    default:
      return layer;
  }
}

/** One-line explanations shown under each toggle. */
export function layerHelp(layer) {
  switch (kindOf(layer)) {
    case 'density':
      return 'Where incidents are densest, smoothed over the area around each one.';
    case 'hotspots':
      return 'The small places where incidents concentrate most, numbered by rank.';
    case 'hex':
      return 'How many incidents fall in each hexagon; hexagons get smaller as you zoom in.';
    case 'gistar':
      return 'Squares with far more (red) or fewer (blue) incidents nearby than chance would give.';
    case 'incidents':
      return 'Each incident at its published map point; circles group nearby incidents when zoomed out.';
    case 'change':
      return 'Squares with fewer (blue) or more (red) incidents after than before; outlined where the change is significant.';
    case 'emerging':
      return EMERGING_HELP;
    case 'areas':
      return 'Boundary outlines; click inside one for its count in the window. "Shade by incidents" colours each area by its count (it covers the heat map).';
    default:
      return '';
  }
}

function stepColour(prop, breaks, colours, below) {
  if (!breaks.length) return colours[Math.floor(colours.length / 2)];
  const expr = ['step', ['to-number', ['get', prop], 0], below];
  breaks.forEach((b, i) => expr.push(b, colours[Math.min(i, colours.length - 1)]));
  return expr;
}

export function densityColour(breaks) {
  return stepColour('density_per_km2', breaks, COLOURS.density, 'rgba(255,237,160,0.35)');
}

export function hexColour(breaks) {
  return stepColour('count', breaks, COLOURS.hex.slice(1), COLOURS.hex[0]);
}

/**
 * Change colours from the size of the difference (after minus before, in the after window's length): breaks are
 * three increasing positive sizes; within the first of them either way counts as "about the same".
 */
export function changeColour(breaks) {
  const b = breaks.length >= 3 ? breaks.slice(0, 3) : [1, 5, 20];
  const c = COLOURS.change;
  return [
    'step', ['to-number', ['get', 'difference'], 0],
    c.fall[0], -b[2], c.fall[1], -b[1], c.fall[2], -b[0], c.same, b[0], c.rise[0], b[1], c.rise[1], b[2], c.rise[2],
  ];
}

/** The density breaks for a hotspot threshold T (incidents per km2 at which a cell joins a hotspot). */
export function densityBreaksFromThreshold(t) {
  if (!(t > 0)) return [];
  return [0.1, 0.25, 0.5, 0.75, 1, 2].map((f) => Number((f * t).toPrecision(2)));
}

/** A class break rounded to a "nice" number: whole numbers under 10, then steps of half the leading power of ten. */
function niceBreak(x) {
  if (x < 10) return Math.round(x);
  const step = Math.pow(10, Math.floor(Math.log10(x))) / 2;
  return Math.round(x / step) * step;
}

/**
 * The class breaks of a boundary layer's shading from the areas' incident counts (one value per area): the lower
 * bound of each class, ascending whole numbers. The first is the smallest count above zero (so every area with
 * incidents is in a class), the others quantiles of the counts above zero rounded to nice numbers: at most
 * `classes` in all, strictly increasing, none above the largest count. No count above zero: [].
 */
export function areaBreaks(values, classes = 5) {
  const v = values.map(Number).filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (!v.length) return [];
  const out = [Math.max(1, Math.floor(v[0]))];
  const max = v[v.length - 1];
  for (let i = 1; i < classes; i++) {
    const b = niceBreak(v[Math.floor((i * v.length) / classes)]);
    // Strictly increasing, and some area at or above it (a break past the largest count would be an empty class).
    if (b > out[out.length - 1] && b <= max) out.push(b);
  }
  return out;
}

/** The shading colour of each class: spread over the ramp so few classes still differ clearly. */
export function areaShadeColours(n) {
  const ramp = COLOURS.areaShade;
  if (n <= 0) return [];
  if (n === 1) return [ramp[Math.floor(ramp.length / 2)]];
  return Array.from({ length: n }, (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (n - 1))]);
}

/**
 * The fill of a boundary layer: shaded (`shade`), each area with incidents by its class of `breaks` and areas with
 * none left clear; else invisible, only there so a click inside an area finds it.
 */
export function areaFillPaint(shade, breaks = []) {
  if (!shade) return { 'fill-color': COLOURS.area, 'fill-opacity': 0 };
  const count = ['to-number', ['get', 'count'], 0];
  const colours = areaShadeColours(Math.max(1, breaks.length));
  let colour = colours[0];
  if (breaks.length > 1) {
    colour = ['step', count, colours[0]];
    breaks.slice(1).forEach((b, i) => colour.push(b, colours[i + 1]));
  }
  return { 'fill-color': ['case', ['>', count, 0], colour, 'rgba(0,0,0,0)'], 'fill-opacity': 0.7 };
}

/**
 * The MapLibre style layers of one API layer, bottom first. Ids start with the layer name and a colon so a
 * click can be traced back to its API layer.
 */
export function styleLayers(layer, { breaks = [], shade = false } = {}) {
  const src = { source: layer, 'source-layer': layer };
  const id = (s) => `${layer}:${s}`;
  switch (kindOf(layer)) {
    case 'density':
      return [
        {
          id: id('fill'),
          type: 'fill',
          ...src,
          paint: { 'fill-color': densityColour(breaks), 'fill-opacity': 0.75, 'fill-antialias': false },
        },
      ];
    case 'gistar':
      return [
        {
          id: id('fill'),
          type: 'fill',
          ...src,
          filter: ['!=', ['to-number', ['get', 'bin'], 0], 0],
          paint: {
            'fill-color': [
              'match',
              ['to-number', ['get', 'bin'], 0],
              3, COLOURS.gistar[3], 2, COLOURS.gistar[2], 1, COLOURS.gistar[1],
              -1, COLOURS.gistar['-1'], -2, COLOURS.gistar['-2'], -3, COLOURS.gistar['-3'],
              'rgba(0,0,0,0)',
            ],
            'fill-opacity': 0.8,
            'fill-antialias': false,
          },
        },
      ];
    case 'hex':
      return [
        { id: id('fill'), type: 'fill', ...src, paint: { 'fill-color': hexColour(breaks), 'fill-opacity': 0.75 } },
        { id: id('line'), type: 'line', ...src, paint: { 'line-color': '#ffffff', 'line-width': 0.5, 'line-opacity': 0.8 } },
      ];
    case 'change':
      return [
        {
          id: id('fill'),
          type: 'fill',
          ...src,
          paint: {
            'fill-color': changeColour(breaks),
            'fill-opacity': ['case', ['!=', ['to-number', ['get', 'significant'], 0], 0], 0.85, 0.6],
            'fill-antialias': false,
          },
        },
        {
          // Significant changes (after the false discovery rate correction): a dark outline.
          id: id('significant'),
          type: 'line',
          ...src,
          filter: ['!=', ['to-number', ['get', 'significant'], 0], 0],
          paint: {
            'line-color': ['case', ['>', ['to-number', ['get', 'significant'], 0], 0], COLOURS.changeOutline.rise, COLOURS.changeOutline.fall],
            'line-width': 2,
          },
        },
      ];
    case 'emerging':
      return emergingStyleLayers(layer);
    case 'areas':
      return [
        // Invisible unless shaded by incidents: there so a click inside an area finds it.
        { id: id('fill'), type: 'fill', ...src, paint: areaFillPaint(shade, breaks) },
        { id: id('line'), type: 'line', ...src, paint: { 'line-color': COLOURS.area, 'line-width': 1.2, 'line-opacity': 0.8 } },
      ];
    case 'hotspots':
      return [
        { id: id('fill'), type: 'fill', ...src, paint: { 'fill-color': COLOURS.hotspot, 'fill-opacity': 0.12 } },
        { id: id('line'), type: 'line', ...src, paint: { 'line-color': COLOURS.hotspot, 'line-width': 2 } },
        {
          id: id('selected'),
          type: 'line',
          ...src,
          filter: ['==', ['get', 'id'], ''],
          paint: { 'line-color': COLOURS.selected, 'line-width': 5 },
        },
      ];
    case 'incidents':
      return [
        {
          id: id('circle'),
          type: 'circle',
          ...src,
          paint: {
            'circle-color': COLOURS.incident,
            'circle-opacity': 0.7,
            'circle-stroke-color': '#ffffff',
            'circle-stroke-width': 1,
            'circle-radius': [
              'interpolate', ['linear'], ['to-number', ['coalesce', ['get', 'count'], 1], 1],
              1, 3, 10, 9, 100, 14, 1000, 20, 10000, 28,
            ],
          },
        },
      ];
    default:
      return [{ id: id('line'), type: 'line', ...src, paint: { 'line-color': '#555', 'line-width': 1 } }];
  }
}

function swatch(colour, cls = '', border = '') {
  const style = `background:${colour}${border ? `;border-color:${border}` : ''}`;
  return `<span class="swatch ${cls}" style="${style}" aria-hidden="true"></span>`;
}


/** The legend of a layer as HTML (a list: swatch + words). `info.breaks`, `info.threshold`, `info.weight` when known. */
export function legendHtml(layer, info = {}) {
  const rows = [];
  switch (kindOf(layer)) {
    case 'density': {
      const b = info.breaks || [];
      const unit = info.weight === 'harm' ? 'harm per km²' : 'incidents per km²';
      if (!b.length) return `<p class="legend-note">Colour scale appears when the map has loaded.</p>`;
      rows.push(`<li>${swatch('rgba(255,237,160,0.35)')}under ${num(b[0], 1)} ${unit}</li>`);
      b.forEach((x, i) => {
        const hot = info.threshold && Math.abs(x - info.threshold) / info.threshold < 0.01 ? ' <strong>(hotspot level)</strong>' : '';
        const upper = i + 1 < b.length ? `${num(x, 1)} to ${num(b[i + 1], 1)}` : `${num(x, 1)} and over`;
        rows.push(`<li>${swatch(COLOURS.density[Math.min(i, COLOURS.density.length - 1)])}${upper}${hot}</li>`);
      });
      return `<p class="legend-note">${unit}</p><ul class="legend">${rows.join('')}</ul>`;
    }
    case 'gistar':
      return `<ul class="legend">
        <li>${swatch(COLOURS.gistar[3])}Hot spot, 99% confidence</li>
        <li>${swatch(COLOURS.gistar[2])}Hot spot, 95% confidence</li>
        <li>${swatch(COLOURS.gistar[1])}Hot spot, 90% confidence</li>
        <li>${swatch('transparent', 'empty')}Not significant (not drawn)</li>
        <li>${swatch(COLOURS.gistar['-1'])}Cold spot, 90% confidence</li>
        <li>${swatch(COLOURS.gistar['-2'])}Cold spot, 95% confidence</li>
        <li>${swatch(COLOURS.gistar['-3'])}Cold spot, 99% confidence</li></ul>`;
    case 'hex': {
      const b = info.breaks || [];
      if (!b.length) return `<p class="legend-note">Colour scale appears when the map has loaded.</p>`;
      const range = (lo, hi) => (hi <= lo ? int(lo) : `${int(lo)} to ${int(hi)}`);
      rows.push(`<li>${swatch(COLOURS.hex[0])}${range(1, Math.ceil(b[0]) - 1)}</li>`);
      b.forEach((x, i) => {
        const label = i + 1 < b.length ? range(Math.ceil(x), Math.ceil(b[i + 1]) - 1) : `${int(x)} and over`;
        rows.push(`<li>${swatch(COLOURS.hex[Math.min(i + 1, COLOURS.hex.length - 1)])}${label}</li>`);
      });
      return `<p class="legend-note">incidents per hexagon at this zoom</p><ul class="legend">${rows.join('')}</ul>`;
    }
    case 'hotspots':
      return `<ul class="legend">
        <li>${swatch('transparent', 'outline', COLOURS.hotspot)}Hotspot (number = rank in the list)</li>
        <li>${swatch('transparent', 'outline thick', COLOURS.selected)}Selected hotspot</li></ul>`;
    case 'incidents':
      return `<ul class="legend legend-circles">
        <li><span class="dot" style="width:6px;height:6px" aria-hidden="true"></span>1 incident</li>
        <li><span class="dot" style="width:18px;height:18px" aria-hidden="true"></span>10 or more at or near one point (number on the circle)</li>
        <li><span class="dot" style="width:28px;height:28px" aria-hidden="true"></span>about 100</li></ul>`;
    case 'change': {
      const b = info.breaks && info.breaks.length >= 3 ? info.breaks : null;
      const c = COLOURS.change;
      const size = (i) => (!b ? '' : i === 2 ? ` by ${num(b[2], 1)} or more` : ` by ${num(b[i], 1)} to ${num(b[i + 1], 1)}`);
      const q = info.fdrQ ?? 0.05;
      return `<p class="legend-note">after minus before, in the after window's length${b ? '' : ' (sizes appear when the map has loaded)'}</p>
        <ul class="legend">
        <li>${swatch(c.rise[2])}Rose${size(2)}</li>
        <li>${swatch(c.rise[1])}Rose${size(1)}</li>
        <li>${swatch(c.rise[0])}Rose${b ? size(0) : ' a little'}</li>
        <li>${swatch(c.same, 'empty')}About the same${b ? ` (within ${num(b[0], 1)})` : ''}</li>
        <li>${swatch(c.fall[2])}Fell${b ? size(0) : ' a little'}</li>
        <li>${swatch(c.fall[1])}Fell${size(1)}</li>
        <li>${swatch(c.fall[0])}Fell${size(2)}</li>
        <li>${swatch('transparent', 'outline', COLOURS.changeOutline.rise)}Significant rise</li>
        <li>${swatch('transparent', 'outline', COLOURS.changeOutline.fall)}Significant fall</li></ul>
        <p class="legend-note">Significant: an exact test per square, kept only if it survives the false discovery rate
        correction (Benjamini-Hochberg, q = ${esc(num(q, 3))}), so about ${esc(num(q * 100, 1))}% of outlined squares may be chance.
        Squares with no incidents in either window are not drawn.</p>`;
    }
    case 'emerging':
      return emergingLegendHtml(info.emerging);
    case 'areas': {
      const outline = `<ul class="legend"><li>${swatch('transparent', 'line', COLOURS.area)}${esc(layer.slice(6))} boundary</li></ul>`;
      return info.shade ? outline + areaShadeLegendHtml(info.breaks, info.max) : outline;
    }
    default:
      return '';
  }
}

/**
 * The legend of a boundary layer's shading: one row per class of `breaks` (null: not worked out yet), the last up
 * to `max` (the largest count) when known, and the areas left clear.
 */
export function areaShadeLegendHtml(breaks, max = null) {
  if (!breaks) return `<p class="legend-note">Shading appears when the map has loaded.</p>`;
  if (!breaks.length) return `<p class="legend-note">No area in the loaded part of the map has incidents in the window.</p>`;
  const colours = areaShadeColours(breaks.length);
  const range = (lo, hi) => (hi <= lo ? int(lo) : `${int(lo)} to ${int(hi)}`);
  const rows = breaks.map((b, i) => {
    const label = i + 1 < breaks.length ? range(b, breaks[i + 1] - 1) : Number.isFinite(max) ? range(b, max) : `${int(b)} or more`;
    return `<li data-break="${esc(b)}">${swatch(colours[i])}${label}</li>`;
  });
  rows.push(`<li>${swatch('transparent', 'empty')}No incidents (not shaded)</li>`);
  return `<p class="legend-note">incidents per area in the window</p><ul class="legend" data-testid="area-shade-legend">${rows.join('')}</ul>`;
}

/** What a click on a (non-hotspot) feature says, as HTML. */
export function describeFeature(layer, p, { weight, steps } = {}) {
  const k = kindOf(layer);
  const rows = [];
  const row = (k2, v) => rows.push(`<tr><th scope="row">${esc(k2)}</th><td>${esc(v)}</td></tr>`);
  let title = layerTitle(layer);
  if (k === 'density') {
    title = 'Concentration here';
    if (p.density_per_km2 !== undefined) row(weight === 'harm' ? 'Harm per km²' : 'Incidents per km²', num(p.density_per_km2, 1));
    if (p.expected !== undefined) row('Expected in this square', num(p.expected, 2));
  } else if (k === 'gistar') {
    const bin = Number(p.bin);
    title = bin > 0 ? 'Hot spot' : bin < 0 ? 'Cold spot' : 'Not a significant hot or cold spot';
    const conf = { 3: '99%', 2: '95%', 1: '90%' }[Math.abs(bin)];
    if (conf) row('Confidence', conf);
    if (p.count !== undefined) row('Incidents in the square', int(p.count));
    if (p.z !== undefined) row('z-score', num(p.z, 2));
    if (p.p !== undefined) row('p-value', num(p.p, 4));
  } else if (k === 'hex') {
    title = 'Hexagon';
    if (p.count !== undefined) row('Incidents', int(p.count));
    if (p.weight !== undefined && weight === 'harm') row('Harm', num(p.weight, 1));
    if (p.h3) row('H3 cell', p.h3);
  } else if (k === 'incidents') {
    const c = Number(p.count ?? 1);
    const type = p.category || p.top_category;
    title = c > 1 ? `${int(c)} incidents here` : type || 'Incident';
    if (c > 1 && type) row('Most common type', type);
    if (c > 1) row('Note', 'zoom in to see them separately');
    if (type && c <= 1) row('Type', type);
    if (p.location) row('Location', p.location);
    if (p.month || p.time) row('When', p.month || p.time);
  } else if (k === 'change') {
    const d = Number(p.difference);
    const sig = Number(p.significant);
    title = sig > 0 ? 'Significant rise' : sig < 0 ? 'Significant fall' : d > 0 ? 'Rose (not significant)' : d < 0 ? 'Fell (not significant)' : 'No change';
    if (p.before !== undefined) row('Incidents before', int(p.before));
    if (p.after !== undefined) row('Incidents after', int(p.after));
    if (p.difference !== undefined) row('Difference', `${d > 0 ? '+' : ''}${num(d, 1)} (in the after window's length)`);
    if (p.p !== undefined) row('p-value (exact test)', num(p.p, 4));
    row('Significant after FDR', sig ? 'yes' : 'no');
  } else if (k === 'emerging') {
    title = p.name || 'Emerging hot spot class';
    for (const [k2, v] of emergingPopupRows(p, steps)) row(k2, v);
  } else if (k === 'areas') {
    title = p.name || p.NAME || p.key || p.code || p.id || layer.slice(6);
    const code = p.key || p.code;
    if (code && code !== title) row('Code', code);
    if (p.count !== undefined) row('Incidents in the window', int(p.count));
  }
  return `<h3>${esc(title)}</h3>${rows.length ? `<table class="kv">${rows.join('')}</table>` : ''}`;
}

export { esc, metres };
