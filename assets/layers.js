// The map layers, drawn from the server's own description of each (`/api/meta`'s `layers`: name, title, help, zoom
// range, fields, the parameters its tiles read, mode, drawing order, default_on and a `style`). One renderer per
// style `kind` gives the MapLibre style layers, the legend and the popup, so a layer added on the server appears
// here with no change to this file. Kinds (the server's `LayerInfo` docs):
//   bands      a fill coloured by a band index (`property`), the band edges (`breaks`) sent by the page as `parameter`
//   sequential a fill coloured by `property` in classes of the values in view (`colours`, first for the lowest)
//   classes    a fill coloured by the value of `property` (`classes`: value, colour, label)
//   diverging  a fill by the sign and size of `property` (`fall`, `same`, `rise`), `significant` ones outlined
//   outline    outlines (`colours[0]`, `selected` for the chosen one)
//   points     circles sized by `count`
//   areas      outlines with `name`, optionally shaded by `count` (`shade` colours)
//   labels     text (`property`) at points, busier first (`rank`)
// Each tile holds one MVT layer named like the API layer, so `source-layer` is the layer's name. Pure: no DOM, no
// fetching (tested by units.test.mjs).

import { int, num, metres, esc } from './format.js';
import { periodLabel } from './dates.js';

export const BACKGROUND = '#eef0ea';

/** The style descriptor of a layer info (an empty one for a bare name). */
function styleOf(info) {
  return (info && info.style) || {};
}

/** Layers in drawing order, bottom first (`order`, then name). */
export function byOrder(infos) {
  return [...infos].sort((a, b) => (a.order ?? 50) - (b.order ?? 50) || a.name.localeCompare(b.name));
}

function stepColour(prop, breaks, colours, below) {
  if (!breaks.length) return colours[Math.floor(colours.length / 2)];
  const expr = ['step', ['to-number', ['get', prop], 0], below];
  breaks.forEach((b, i) => expr.push(b, colours[Math.min(i, colours.length - 1)]));
  return expr;
}

/** The fill colour of a `bands` layer: band k gets colours[k] (band 0: below the first break). */
export function bandColour(style) {
  const colours = style.colours || ['#999'];
  const expr = ['match', ['to-number', ['get', style.property || 'band'], -1]];
  colours.forEach((c, i) => expr.push(i, c));
  expr.push('rgba(0,0,0,0)');
  return expr;
}

/** The fill colour of a `sequential` layer for `breaks` (colours[0] below the first). */
export function sequentialColour(style, breaks) {
  const c = style.colours || ['#ccc'];
  return stepColour(style.property, breaks, c.length > 1 ? c.slice(1) : c, c[0]);
}

/** The fill colour of a `diverging` layer: breaks are three increasing sizes; within the first, "about the same". */
export function divergingColour(style, breaks) {
  const b = breaks && breaks.length >= 3 ? breaks.slice(0, 3) : [1, 5, 20];
  const fall = style.fall || ['#2166ac', '#67a9cf', '#d1e5f0'];
  const rise = style.rise || ['#fddbc7', '#ef8a62', '#b2182b'];
  return [
    'step', ['to-number', ['get', style.property], 0],
    fall[0], -b[2], fall[1], -b[1], fall[2], -b[0], style.same || '#f2f2f2', b[0], rise[0], b[1], rise[1], b[2], rise[2],
  ];
}

/** The fill colour of a `classes` layer: each class's colour, anything else clear. */
export function classColour(style) {
  const expr = ['match', ['to-string', ['get', style.property]]];
  for (const c of style.classes || []) expr.push(String(c.value), c.colour);
  expr.push('rgba(0,0,0,0)');
  return (style.classes || []).length ? expr : '#999';
}

/** The shading colour of each class: spread over the ramp so few classes still differ clearly. */
export function areaShadeColours(n, ramp = ['#edf8fb', '#b3cde3', '#8c96c6', '#8856a7', '#810f7c']) {
  if (n <= 0) return [];
  if (n === 1) return [ramp[Math.floor(ramp.length / 2)]];
  return Array.from({ length: n }, (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (n - 1))]);
}

/**
 * The fill of a boundary layer: shaded (`shade`), each area with incidents by its class of `breaks` and areas with
 * none left clear; else invisible, only there so a click inside an area finds it.
 */
export function areaFillPaint(shade, breaks = [], style = {}) {
  if (!shade) return { 'fill-color': (style.colours || ['#3b3b3b'])[0], 'fill-opacity': 0 };
  const count = ['to-number', ['get', style.property || 'count'], 0];
  const colours = areaShadeColours(Math.max(1, breaks.length), style.shade);
  let colour = colours[0];
  if (breaks.length > 1) {
    colour = ['step', count, colours[0]];
    breaks.slice(1).forEach((b, i) => colour.push(b, colours[i + 1]));
  }
  return { 'fill-color': ['case', ['>', count, 0], colour, 'rgba(0,0,0,0)'], 'fill-opacity': 0.7 };
}

/** A class break rounded to a "nice" number: whole numbers under 10, then steps of half the leading power of ten. */
function niceBreak(x) {
  if (x < 10) return Math.round(x);
  const step = Math.pow(10, Math.floor(Math.log10(x))) / 2;
  return Math.round(x / step) * step;
}

/**
 * The class breaks of a boundary layer's shading from the areas' incident counts (one value per area): the lower
 * bound of each class, ascending whole numbers; the first is the smallest count above zero, the others quantiles
 * rounded to nice numbers: at most `classes`, strictly increasing, none above the largest count. No count: [].
 */
export function areaBreaks(values, classes = 5) {
  const v = values.map(Number).filter((x) => Number.isFinite(x) && x > 0).sort((a, b) => a - b);
  if (!v.length) return [];
  const out = [Math.max(1, Math.floor(v[0]))];
  const max = v[v.length - 1];
  for (let i = 1; i < classes; i++) {
    const b = niceBreak(v[Math.floor((i * v.length) / classes)]);
    if (b > out[out.length - 1] && b <= max) out.push(b);
  }
  return out;
}

/** The band edges of a `bands` layer from an API answer: `breaks_from.times` x the answer's `breaks_from.field`. */
export function bandBreaks(style, answer) {
  const bf = style.breaks_from;
  const t = Number(answer && bf ? answer[bf.field] : NaN);
  if (!bf || !(t > 0)) return [];
  const out = bf.times.map((f) => niceRound(f * t));
  return out.filter((v, i) => i === 0 || v > out[i - 1]);
}

/** The nearest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 9 times a power of ten: legend steps read "25 to 50", not "25 to 51". */
export function niceRound(x) {
  if (!(x > 0)) return x;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  const nice = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 9, 10];
  const best = nice.reduce((a, b) => (Math.abs(Math.log(b / m)) < Math.abs(Math.log(a / m)) ? b : a));
  return Number((best * p).toPrecision(3));
}

/**
 * A surface's opacity that fades from `opacity` at zoom 13 to 0.45 at street zoom (16), so the street names and
 * outlines over a heat map stay readable where a PCSO steers by them.
 */
export function streetFade(opacity) {
  return ['interpolate', ['linear'], ['zoom'], 13, opacity, 16, Math.min(opacity, 0.45)];
}

/**
 * The MapLibre style layers of one API layer, bottom first. Ids start with the layer name and a colon so a click
 * can be traced back to its layer. `opts`: {breaks, shade, selectedId}.
 */
export function styleLayers(info, { breaks = [], shade = false, selectedId = '' } = {}) {
  const layer = info.name;
  const st = styleOf(info);
  const src = { source: layer, 'source-layer': layer };
  const id = (s) => `${layer}:${s}`;
  const c0 = (st.colours || ['#555'])[0];
  switch (st.kind) {
    case 'bands':
      return [{ id: id('fill'), type: 'fill', ...src, paint: { 'fill-color': bandColour(st), 'fill-opacity': streetFade(0.75) } }];
    case 'sequential': {
      const out = [{ id: id('fill'), type: 'fill', ...src, paint: { 'fill-color': sequentialColour(st, breaks), 'fill-opacity': 0.75 } }];
      if (st.line) out.push({ id: id('line'), type: 'line', ...src, paint: { 'line-color': st.line, 'line-width': 0.5, 'line-opacity': 0.8 } });
      return out;
    }
    case 'classes':
      return [{
        id: id('fill'),
        type: 'fill',
        ...src,
        filter: ['in', ['to-string', ['get', st.property]], ['literal', (st.classes || []).map((c) => String(c.value))]],
        paint: { 'fill-color': classColour(st), 'fill-opacity': 0.78, 'fill-antialias': false },
      }];
    case 'diverging': {
      const sig = ['to-number', ['get', st.significant || 'significant'], 0];
      const out = [{
        id: id('fill'),
        type: 'fill',
        ...src,
        paint: { 'fill-color': divergingColour(st, breaks), 'fill-opacity': ['case', ['!=', sig, 0], 0.85, 0.6], 'fill-antialias': false },
      }];
      if (st.significant) {
        const o = st.outline || { rise: '#67001f', fall: '#053061' };
        out.push({
          id: id('significant'),
          type: 'line',
          ...src,
          filter: ['!=', sig, 0],
          paint: { 'line-color': ['case', ['>', sig, 0], o.rise, o.fall], 'line-width': 2 },
        });
      }
      return out;
    }
    case 'outline':
      return [
        { id: id('fill'), type: 'fill', ...src, paint: { 'fill-color': c0, 'fill-opacity': 0.12 } },
        { id: id('line'), type: 'line', ...src, paint: { 'line-color': c0, 'line-width': 2 } },
        {
          id: id('selected'),
          type: 'line',
          ...src,
          filter: ['==', ['get', 'id'], selectedId || ''],
          paint: { 'line-color': st.selected || '#00a0e0', 'line-width': 5 },
        },
      ];
    case 'points':
      return [{
        id: id('circle'),
        type: 'circle',
        ...src,
        paint: {
          'circle-color': c0,
          'circle-opacity': 0.7,
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 1,
          'circle-radius': [
            'interpolate', ['linear'], ['to-number', ['coalesce', ['get', st.property || 'count'], 1], 1],
            1, 4, 10, 9, 100, 14, 1000, 20, 10000, 28,
          ],
        },
      }];
    case 'areas':
      return [
        { id: id('fill'), type: 'fill', ...src, paint: areaFillPaint(shade, breaks, st) },
        { id: id('line'), type: 'line', ...src, paint: { 'line-color': c0, 'line-width': 1.2, 'line-opacity': 0.8 } },
        {
          id: id('name'),
          type: 'symbol',
          ...src,
          minzoom: 11,
          layout: {
            'text-field': ['coalesce', ['get', 'name'], ''],
            'text-font': ['sans-serif'],
            'text-size': 12,
            'text-letter-spacing': 0.05,
            'symbol-placement': 'point',
            'text-padding': 20,
          },
          paint: { 'text-color': '#55505f', 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.5 },
        },
      ];
    case 'labels':
      return [{
        id: id('text'),
        type: 'symbol',
        ...src,
        layout: {
          'text-field': ['get', st.property || 'name'],
          'text-font': ['sans-serif'],
          'text-size': st.size || 12,
          'text-anchor': 'bottom',
          'text-offset': [0, -0.4],
          'text-max-width': 12,
          'text-padding': 6,
          ...(st.rank ? { 'symbol-sort-key': ['-', 0, ['to-number', ['get', st.rank], 0]] } : {}),
        },
        paint: { 'text-color': c0, 'text-halo-color': st.halo || '#ffffff', 'text-halo-width': 1.6 },
      }];
    default:
      return [{ id: id('line'), type: 'line', ...src, paint: { 'line-color': c0, 'line-width': 1 } }];
  }
}

/** Style layer ids a click can hit (fills and circles). */
export function clickableIds(info) {
  return styleLayers(info).filter((l) => l.type === 'fill' || l.type === 'circle').map((l) => l.id);
}

function swatch(colour, cls = '', border = '') {
  const style = `background:${colour}${border ? `;border-color:${border}` : ''}`;
  return `<span class="swatch ${cls}" style="${style}" aria-hidden="true"></span>`;
}

/**
 * The legend of a layer as HTML. `ctx`: {breaks, weight, period ("in these 3 months"), shade, max, present (the
 * classes present, for `classes` layers that know them), analyst}.
 */
export function legendHtml(info, ctx = {}) {
  const st = styleOf(info);
  const rows = [];
  const unit = ctx.weight === 'harm' && st.unit_harm ? st.unit_harm : st.unit;
  const period = ctx.period ? ` ${ctx.period}` : '';
  switch (st.kind) {
    case 'bands': {
      const b = ctx.breaks || [];
      const colours = st.colours || [];
      if (!b.length) return '<p class="legend-note">The colour scale appears when the list has loaded.</p>';
      const at = st.breaks_from && Number.isInteger(st.breaks_from.at) ? st.breaks_from.at : -1;
      rows.push(`<li data-band="0">${swatch(colours[0])}under ${num(b[0], 1)}</li>`);
      b.forEach((x, i) => {
        const range = i + 1 < b.length ? `${num(x, 1)} to ${num(b[i + 1], 1)}` : `${num(x, 1)} and over`;
        const hot = i === at && st.breaks_from ? ` <strong>(${esc(st.breaks_from.label || 'level')})</strong>` : '';
        rows.push(`<li data-band="${i + 1}">${swatch(colours[Math.min(i + 1, colours.length - 1)])}${range}${hot}</li>`);
      });
      return `<p class="legend-note">${esc(unit || '')}${esc(period)}</p><ul class="legend" data-testid="legend-${esc(info.name)}">${rows.join('')}</ul>`;
    }
    case 'sequential': {
      const b = ctx.breaks || [];
      const c = st.colours || [];
      if (!b.length) return '<p class="legend-note">The colour scale appears when the map has loaded.</p>';
      const range = (lo, hi) => (hi <= lo ? int(lo) : `${int(lo)} to ${int(hi)}`);
      rows.push(`<li>${swatch(c[0])}${range(1, Math.ceil(b[0]) - 1)}</li>`);
      b.forEach((x, i) => {
        const label = i + 1 < b.length ? range(Math.ceil(x), Math.ceil(b[i + 1]) - 1) : `${int(x)} and over`;
        rows.push(`<li>${swatch(c[Math.min(i + 1, c.length - 1)])}${label}</li>`);
      });
      return `<p class="legend-note">${esc(unit || '')}${esc(period)}</p><ul class="legend" data-testid="legend-${esc(info.name)}">${rows.join('')}</ul>`;
    }
    case 'classes': {
      const present = ctx.present ? new Map(ctx.present.map((p) => [String(p.value), p.count])) : null;
      for (const c of st.classes || []) {
        if (present && !present.has(String(c.value))) continue;
        const n = present ? `: ${int(present.get(String(c.value)))} square${present.get(String(c.value)) === 1 ? '' : 's'}` : '';
        rows.push(`<li data-class="${esc(c.value)}">${swatch(c.colour)}<span>${esc(c.label)}${n}</span></li>`);
      }
      if (!rows.length) return '<p class="legend-note">Nothing to show in this window.</p>';
      return `<ul class="legend" data-testid="legend-${esc(info.name)}">${rows.join('')}</ul>`;
    }
    case 'diverging': {
      const b = ctx.breaks && ctx.breaks.length >= 3 ? ctx.breaks : null;
      const size = (i) => (!b ? '' : i === 2 ? ` by ${num(b[2], 1)} or more` : ` by ${num(b[i], 1)} to ${num(b[i + 1], 1)}`);
      const fall = st.fall || [];
      const rise = st.rise || [];
      const o = st.outline || {};
      return `<p class="legend-note">${esc(unit || '')}${b ? '' : ' (sizes appear when the map has loaded)'}</p>
        <ul class="legend" data-testid="legend-${esc(info.name)}">
        <li>${swatch(rise[2])}Rose${size(2)}</li><li>${swatch(rise[1])}Rose${size(1)}</li>
        <li>${swatch(rise[0])}Rose${b ? size(0) : ' a little'}</li>
        <li>${swatch(st.same || '#f2f2f2', 'empty')}About the same${b ? ` (within ${num(b[0], 1)})` : ''}</li>
        <li>${swatch(fall[2])}Fell${b ? size(0) : ' a little'}</li><li>${swatch(fall[1])}Fell${size(1)}</li><li>${swatch(fall[0])}Fell${size(2)}</li>
        ${st.significant ? `<li>${swatch('transparent', 'outline', o.rise)}Significant rise</li><li>${swatch('transparent', 'outline', o.fall)}Significant fall</li>` : ''}</ul>
        ${st.significant ? `<p class="legend-note">Outlined: the change is larger than chance would give${ctx.analyst ? ` (exact test per square, kept after the false discovery rate correction, Benjamini-Hochberg, q = ${esc(num(ctx.fdrQ ?? 0.05, 3))})` : ''}. Squares with no incidents in either period are not drawn.</p>` : ''}`;
    }
    case 'outline':
      return `<ul class="legend" data-testid="legend-${esc(info.name)}">
        <li>${swatch('transparent', 'outline', (st.colours || [])[0])}${esc(st.legend || info.title)}</li>
        <li>${swatch('transparent', 'outline thick', st.selected || '#00a0e0')}Selected</li></ul>`;
    case 'points':
      return `<ul class="legend legend-circles" data-testid="legend-${esc(info.name)}">
        <li><span class="dot" style="width:8px;height:8px" aria-hidden="true"></span>1 incident</li>
        <li><span class="dot" style="width:18px;height:18px" aria-hidden="true"></span>10 at or near one point (number on the circle)</li>
        <li><span class="dot" style="width:28px;height:28px" aria-hidden="true"></span>about 100</li></ul>`;
    case 'areas': {
      const outline = `<ul class="legend" data-testid="legend-${esc(info.name)}"><li>${swatch('transparent', 'line', (st.colours || [])[0])}${esc(info.title)}</li></ul>`;
      return ctx.shade ? outline + areaShadeLegendHtml(ctx.breaks, ctx.max, st) : outline;
    }
    case 'labels':
      return `<ul class="legend" data-testid="legend-${esc(info.name)}"><li><span class="legend-text" aria-hidden="true">Abc</span>${esc(info.help || info.title)}</li></ul>`;
    default:
      return `<ul class="legend" data-testid="legend-${esc(info.name)}"><li>${swatch('transparent', 'line', (st.colours || ['#555'])[0])}${esc(info.title || info.name)}</li></ul>`;
  }
}

/** The legend of a boundary layer's shading: one row per class of `breaks` (null: not worked out yet). */
export function areaShadeLegendHtml(breaks, max = null, style = {}) {
  if (!breaks) return '<p class="legend-note">Shading appears when the map has loaded.</p>';
  if (!breaks.length) return '<p class="legend-note">No area in the loaded part of the map has incidents in the window.</p>';
  const colours = areaShadeColours(breaks.length, style.shade);
  const range = (lo, hi) => (hi <= lo ? int(lo) : `${int(lo)} to ${int(hi)}`);
  const rows = breaks.map((b, i) => {
    const label = i + 1 < breaks.length ? range(b, breaks[i + 1] - 1) : Number.isFinite(max) ? range(b, max) : `${int(b)} or more`;
    return `<li data-break="${esc(b)}">${swatch(colours[i])}${label}</li>`;
  });
  rows.push(`<li>${swatch('transparent', 'empty')}No incidents (not shaded)</li>`);
  return `<p class="legend-note">${esc(style.unit || 'incidents per area in the window')}</p><ul class="legend" data-testid="area-shade-legend">${rows.join('')}</ul>`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2024-01 (2); 2024-03 (1)" -> "Jan 2024 (2), Mar 2024 (1)". */
export function monthsText(text) {
  return String(text).split(/;\s*/).filter(Boolean).map((part) => {
    const m = /^(\d{4})-(\d{2})(.*)$/.exec(part.trim());
    return m ? `${MONTHS[Number(m[2]) - 1]} ${m[1]}${m[3]}` : part;
  }).join(', ');
}

/** A popup value in words, by its `format`. */
export function formatValue(v, format, ctx = {}) {
  switch (format) {
    case 'int':
      return int(v);
    case 'number1':
      return num(v, 1);
    case 'number2':
      return num(v, 2);
    case 'number4':
      return num(v, 4);
    case 'metres':
      return metres(v);
    case 'of_steps':
      return `${int(v)}${Number(ctx.steps) > 0 ? ` of ${int(ctx.steps)}` : ''}`;
    case 'street':
      return String(v).replace(/^On or near /, '');
    case 'list':
      return String(v).split(/;\s*/).filter(Boolean).join(', ');
    case 'months':
      return monthsText(v);
    case 'band': {
      const lo = Number(ctx.props?.from);
      const hi = Number(ctx.props?.to);
      const range = Number.isFinite(hi) ? (lo > 0 ? `${num(lo, 1)} to ${num(hi, 1)}` : `under ${num(hi, 1)}`) : `${num(lo, 1)} or more`;
      return `${range}${ctx.period ? ` ${ctx.period}` : ''}`;
    }
    default:
      return String(v);
  }
}

/** The title of a popup: the class's label, a count, an area's name, or the layer's title. */
function popupTitle(info, p) {
  const st = styleOf(info);
  switch (st.kind) {
    case 'classes': {
      const c = (st.classes || []).find((k) => String(k.value) === String(p[st.property]));
      return p.name || (c ? c.label : info.title);
    }
    case 'points': {
      const n = Number(p[st.property || 'count'] ?? 1);
      return n > 1 ? `${int(n)} incidents here` : p.top_category || 'Incident';
    }
    case 'areas':
      return p.name || p.key || info.title;
    case 'diverging': {
      const d = Number(p[st.property]);
      const sig = Number(p[st.significant || 'significant']);
      return sig > 0 ? 'Rose, more than chance' : sig < 0 ? 'Fell, more than chance' : d > 0 ? 'Rose' : d < 0 ? 'Fell' : 'No change';
    }
    case 'bands':
      return 'How concentrated incidents are here';
    default:
      return info.title || info.name;
  }
}

/** What a click on a feature of a layer says, as HTML: the popup rows its style lists (analyst rows when asked). */
export function popupHtml(info, props, ctx = {}) {
  const st = styleOf(info);
  const p = props || {};
  const rows = [];
  for (const r of st.popup || []) {
    if (r.analyst && !ctx.analyst) continue;
    if (r.format !== 'band' && (p[r.field] === undefined || p[r.field] === null || p[r.field] === '')) continue;
    if (st.kind === 'areas' && r.field === 'name') continue; // the title
    const label = r.format === 'band' && ctx.weight === 'harm' && st.unit_harm ? st.unit_harm.replace(/^./, (c) => c.toUpperCase()) : r.label;
    rows.push(`<tr${r.analyst ? ' class="analyst-row"' : ''}><th scope="row">${esc(label)}</th><td>${esc(formatValue(p[r.field], r.format, { ...ctx, props: p }))}</td></tr>`);
  }
  let note = '';
  if (st.note && p[st.note.field] !== undefined && Number(p[st.property || 'count'] ?? 1) > 1) {
    note = `<p class="hint">${esc(Number(p[st.note.field]) <= 1 ? st.note.one : st.note.many)}</p>`;
  }
  return `<h3>${esc(popupTitle(info, p))}</h3>${rows.length ? `<table class="kv">${rows.join('')}</table>` : ''}${note}`;
}

export { esc, metres, periodLabel };
