// The page's panels as HTML: the summary strip, the ranked hotspot list, a hotspot's popup and the settings used.
// Only string building here (no fetching, no map), so each piece is easy to read and to test.

import { int, num, metres, trend, trendDirection, namedList, maybeJson } from './format.js';
import { parseDate, windowText, periodLabel } from './dates.js';
import { esc } from './layers.js';

/** The summary strip from /api/summary. */
export function summaryHtml(s, { from, to, harm }) {
  const cats = Object.entries(s.categories || {})
    .filter(([, n]) => Number(n) > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const catText = cats.length
    ? cats.map(([name, n]) => `${esc(name)} <strong>${int(n)}</strong>`).join(' · ')
    : 'No incidents of the chosen types in this window.';
  const harmBlock = harm && s.harm !== undefined
    ? `<div class="total" data-testid="total-harm">${int(s.harm)}<small>harm (crime harm index)</small></div>`
    : '';
  return `
    <div class="total" data-testid="total-incidents">${int(s.incidents)}<small>incidents, ${esc(windowText(from, to))}</small></div>
    ${harmBlock}
    <div class="cats" title="Incidents by type">${catText}</div>
    ${seriesSvg(s.series || [], s.interval || 'month')}`;
}

/** A tiny bar chart of counts per month or week, as inline SVG (each bar has a tooltip; the figure a text alternative). */
export function seriesSvg(series, interval) {
  if (!series.length) return '';
  const n = series.length;
  const w = Math.max(2, Math.min(14, Math.floor(220 / n)));
  const gap = w > 4 ? 1 : 0;
  const h = 34;
  const max = Math.max(1, ...series.map((p) => Number(p.count) || 0));
  const bars = series
    .map((p, i) => {
      const c = Number(p.count) || 0;
      const bh = Math.max(c > 0 ? 1 : 0, Math.round((c / max) * h));
      return `<rect x="${i * w}" y="${h - bh}" width="${w - gap}" height="${bh}"><title>${esc(periodLabel(p.period, interval))}: ${int(c)}</title></rect>`;
    })
    .join('');
  const unit = interval === 'week' ? 'week' : 'month';
  const first = periodLabel(series[0].period, interval);
  const last = periodLabel(series[n - 1].period, interval);
  const peak = series.reduce((a, b) => (Number(b.count) > Number(a.count) ? b : a));
  const alt = `Incidents by ${unit}, ${n} ${unit}s from ${first} to ${last}; highest ${int(peak.count)} in ${periodLabel(peak.period, interval)}.`;
  return `<figure class="series">
    <svg width="${n * w}" height="${h}" viewBox="0 0 ${n * w} ${h}" role="img" aria-label="${esc(alt)}">${bars}</svg>
    <figcaption>by ${unit}: ${esc(first)} to ${esc(last)}</figcaption></figure>`;
}

/** A hotspot's properties, from the API (objects) or a tile (lists may arrive as JSON text). */
export function hotspotProps(p) {
  const out = { ...p };
  for (const k of ['categories', 'top_locations', 'area_codes', 'centroid_lonlat']) out[k] = maybeJson(p[k]);
  return out;
}

/** Where a hotspot is, in words: its name (area and first specific street), else its busiest street, else its rank. */
export function hotspotPlace(p) {
  if (p.name) return String(p.name);
  const locs = Array.isArray(p.top_locations) ? p.top_locations : [];
  const first = locs[0];
  const name = (first && (typeof first === 'string' ? first : first.name)) || p.top_street;
  return name ? String(name).replace(/^On or near /, '') : `Hotspot ${p.rank ?? ''}`.trim();
}

/** One row of the ranked list (inside a <li>): a button, so it works from the keyboard. */
export function hotspotRowHtml(p, { harm }) {
  const dir = trendDirection(p.incidents, p.previous_incidents);
  const mix = namedList(p.categories, 3) || p.top_category || '';
  const harmText = harm && p.harm !== undefined ? ` · harm ${int(p.harm)}` : '';
  return `<button type="button" class="row" data-id="${esc(p.id)}">
    <span class="rank" aria-label="Rank ${esc(p.rank)}">${esc(p.rank)}</span>
    <span class="where">${esc(hotspotPlace(p))}</span>
    <span class="facts"><span class="${dir}">Incidents ${esc(trend(p.incidents, p.previous_incidents))}</span>${harmText}</span>
    <span class="mix">${esc(mix)}</span>
  </button>`;
}

/** The popup of a hotspot: counts and change, the crime mix, streets, size; the statistics for analysts. */
export function hotspotPopupHtml(p, { harm }) {
  const rows = [];
  const row = (k, v, cls = '', analyst = false) =>
    rows.push(`<tr${analyst ? ' class="analyst-only"' : ''}><th scope="row">${esc(k)}</th><td class="${cls}">${v}</td></tr>`);
  row('Incidents', esc(trend(p.incidents, p.previous_incidents)), trendDirection(p.incidents, p.previous_incidents));
  const cats = namedList(p.categories, 4);
  if (cats) row('Most common', esc(cats));
  else if (p.top_category) row('Most common type', esc(p.top_category));
  const streets = namedList((Array.isArray(p.top_locations) ? p.top_locations : []).map((l) =>
    (l && l.name ? { ...l, name: String(l.name).replace(/^On or near /, '') } : l)), 4, '; ');
  if (streets) row('Streets', esc(streets));
  if (p.area_m2 !== undefined) row('Size', esc(p.area_m2 >= 100000 ? `${num(p.area_m2 / 1e6, 2)} km²` : `about ${int(Math.round(p.area_m2 / 100) * 100)} m²`));
  if (p.harm !== undefined) row('Harm (crime harm index)', `${esc(int(p.harm))}${harm ? '' : ' (not used for ranking)'}`, '', !harm);
  if (p.hit_rate !== undefined && p.area_share !== undefined) {
    row('Concentration', esc(`${num(p.hit_rate * 100, 1)}% of incidents in ${num(p.area_share * 100, 2)}% of the area (PAI ${num(p.pai, 1)})`), '', true);
  }
  if (Array.isArray(p.area_codes) && p.area_codes.length) row('Area codes', esc(p.area_codes.slice(0, 6).join(', ')), '', true);
  const rank = p.rank !== undefined ? `Hotspot ${esc(p.rank)}` : 'Hotspot';
  return `<h3 data-testid="hotspot-name">${rank}: ${esc(hotspotPlace(p))}</h3>
    <table class="kv">${rows.join('')}</table>
    <p class="hint">"was" is the same length of time just before.</p>`;
}

function ruleText(rule) {
  if (!rule || typeof rule !== 'object') return rule ? String(rule) : '';
  const v = Number(rule.value);
  switch (rule.rule) {
    case 'top_share':
      return `densest ${num(v * 100, 2)}% of the study area`;
    case 'density_cut':
      return `density of at least ${num(v, 1)} per km²`;
    case 'gistar_hot':
    case 'gistar':
      return 'statistically significant hot cells (Gi*)';
    default:
      return `${rule.rule}${rule.value !== undefined ? ` ${rule.value}` : ''}`;
  }
}

/**
 * The settings used, from the `parameters` the API returned (and the hotspot answer's rule), in plain words,
 * plus every raw value for an analyst who wants to reproduce the result.
 */
export function parametersHtml(params, extra = {}) {
  const p = params || {};
  const items = [];
  const add = (k, v) => {
    if (v !== undefined && v !== null && v !== '') items.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
  };
  const from = parseDate(p.from);
  const to = parseDate(p.to);
  // (The exact instants are for an analyst; plain words say "1 Jan 2024 to 31 Mar 2024".)
  if (from && to) {
    items.push(`<dt>Window</dt><dd>${esc(windowText(from, to))}<span class="analyst-only"> (${esc(p.from)} to ${esc(p.to)}, end not included)</span></dd>`);
  }
  else if (extra.from && extra.to) add('Window', `${windowText(extra.from, extra.to)} (all data in the window)`);
  const cats = Array.isArray(p.categories) ? p.categories : null;
  add('Types', cats && cats.length ? cats.join(', ') : 'all');
  add('Counting', p.weight === 'harm' ? 'weighted by harm' : p.weight === 'count' ? 'each incident counts once' : p.weight);
  add('Ranked by', extra.rank_by === 'harm' ? 'harm' : extra.rank_by === 'count' ? 'number of incidents' : extra.rank_by);
  if (p.bandwidth_m !== undefined) {
    const auto = p.bandwidth_rule && typeof p.bandwidth_rule === 'object' ? ' (chosen automatically)' : '';
    add('Spread around each incident (bandwidth)', `${metres(p.bandwidth_m)}${auto}`);
  }
  if (p.cell_m !== undefined) add('Map square size (cell)', metres(p.cell_m));
  add('Smoothing shape (kernel)', p.kernel);
  if (p.band_m !== undefined) add('Neighbourhood for the hot/cold test', metres(p.band_m));
  add('Hotspot rule', ruleText(extra.rule));
  if (extra.threshold) add('Hotspot level', `${num(extra.threshold, 1)} ${p.weight === 'harm' ? 'harm' : 'incidents'} per km²`);
  add('Projection', p.crs);
  add('Harm weights', p.harm_table);
  const raw = JSON.stringify({ ...p, ...(extra.rule ? { rule: extra.rule } : {}), ...(extra.rank_by ? { rank_by: extra.rank_by } : {}) }, null, 1);
  return `${items.join('')}<dt class="analyst-only">All values</dt><dd class="analyst-only"><details><summary>show</summary><pre class="raw">${esc(raw)}</pre></details></dd>`;
}
