// Tasking mode: the ranked list of places for the period after a date (`GET /api/tasking`), for a tasking meeting.
// The pure pieces at the top (windows, queries, the address, the list's HTML, the outlines as GeoJSON) are tested by
// tests/browser/units.test.mjs; `makeTasking` (tasking-panel.js) wires them to the page. The printable brief is made
// by the CLI (`hotspots tasking --format html`); the panel shows the command for the settings on screen.

import { int, num, metres, namedList, esc } from './format.js';
import { addDays, addMonths, isoDay, parseDate, windowText } from './dates.js';
import { emergingColour } from './emerging.js';

/** The page's defaults (the CLI's): 28 days before the end of the data, top 10, 400 m apart, ranked by harm. */
export const TASKING_DEFAULTS = { at: null, window: '28d', top: 10, separation: 400, weight: 'harm' };

/** Window lengths on offer; anything else of the form Nd, Nw or Nm is "custom". */
export const WINDOW_CHOICES = [
  { value: '28d', label: '28 days' },
  { value: '1m', label: '1 month' },
  { value: '3m', label: '3 months' },
];

/** `28d` / `4w` / `3m` -> {n, unit}; null if it is not one (N from 1 to 999). */
export function parseWindowSpec(text) {
  const m = /^(\d{1,3})([dwm])$/.exec(String(text ?? '').trim());
  if (!m || Number(m[1]) < 1) return null;
  return { n: Number(m[1]), unit: m[2] };
}

/** `28d` -> "28 days", `1m` -> "1 month". */
export function windowSpecText(text) {
  const w = parseWindowSpec(text);
  if (!w) return String(text);
  const unit = { d: 'day', w: 'week', m: 'month' }[w.unit];
  return `${w.n} ${unit}${w.n === 1 ? '' : 's'}`;
}

/** The window [from, to) the list covers: the length before `at` (months are calendar months). */
export function taskingWindow(at, spec) {
  const w = parseWindowSpec(spec);
  if (!at || !w) return null;
  const from = w.unit === 'm' ? addMonths(at, -w.n) : addDays(at, -(w.unit === 'w' ? 7 * w.n : w.n));
  return { from, to: at };
}

/** The query of `/api/tasking` for the settings `t` and the crime types (null = all). */
export function taskingQuery(t, categories) {
  const q = new URLSearchParams();
  if (t.at) q.set('at', isoDay(t.at));
  q.set('window', t.window);
  q.set('top', String(t.top));
  q.set('min_separation_m', String(t.separation));
  q.set('weight', t.weight === 'count' ? 'count' : 'harm');
  if (Array.isArray(categories)) for (const c of categories) q.append('category', c);
  return q.toString();
}

/** The tasking analysis's grid and bandwidth, so the heat map under the list is the surface the list came from. */
export const TASKING_SURFACE = 'cell_m=50&bandwidth_m=250';

/** The settings from the address (`at`, `window`, `top`, `separation`, `rank`, `candidate`), defaults for the rest. */
export function taskingFromHash(h) {
  const t = { ...TASKING_DEFAULTS, candidate: null };
  const at = parseDate(h.get('at'));
  if (at && isoDay(at) === h.get('at')) t.at = at; // a real day (2024-13-45 would roll over), written as a day
  if (parseWindowSpec(h.get('window'))) t.window = h.get('window');
  const top = Number(h.get('top'));
  if (Number.isInteger(top) && top >= 1 && top <= 100) t.top = top;
  const sep = Number(h.get('separation'));
  if (h.has('separation') && Number.isFinite(sep) && sep >= 0 && sep <= 10000) t.separation = sep;
  if (['harm', 'count'].includes(h.get('rank'))) t.weight = h.get('rank');
  if (h.get('candidate')) t.candidate = h.get('candidate');
  return t;
}

/** Write the settings into the address's parameters `h` (a URLSearchParams). */
export function taskingToHash(t, h) {
  if (t.at) h.set('at', isoDay(t.at));
  h.set('window', t.window);
  h.set('top', String(t.top));
  h.set('separation', String(t.separation));
  h.set('rank', t.weight);
  if (t.candidate) h.set('candidate', t.candidate);
  return h;
}

/** The candidates' outlines as GeoJSON (MultiPolygons), with rank, id and place for the map. */
export function candidatesGeoJson(ans) {
  const features = (ans && Array.isArray(ans.candidates) ? ans.candidates : [])
    .filter((c) => Array.isArray(c.outline_lonlat) && c.outline_lonlat.length)
    .map((c) => ({
      type: 'Feature',
      id: Number(c.rank),
      properties: { rank: Number(c.rank), id: String(c.id), place: candidatePlace(c) },
      geometry: { type: 'MultiPolygon', coordinates: c.outline_lonlat },
    }));
  return { type: 'FeatureCollection', features };
}

/** [[w, s], [e, n]] of a candidate's outline (or a small box round its centre); null without either. */
export function candidateBounds(c) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const poly of c.outline_lonlat || []) {
    for (const ring of poly) {
      for (const [x, y] of ring) {
        w = Math.min(w, x);
        e = Math.max(e, x);
        s = Math.min(s, y);
        n = Math.max(n, y);
      }
    }
  }
  if (Number.isFinite(w)) return [[w, s], [e, n]];
  const ctr = c.centroid_lonlat;
  return Array.isArray(ctr) ? [[ctr[0] - 0.002, ctr[1] - 0.002], [ctr[0] + 0.002, ctr[1] + 0.002]] : null;
}

/** Where a candidate is: its two busiest streets, else its areas (public mode gives no streets), else its rank. */
export function candidatePlace(c) {
  if (c.name) return String(c.name);
  const streets = Array.isArray(c.streets) ? c.streets.map((s) => (typeof s === 'string' ? s : s.name)).filter(Boolean) : [];
  if (streets.length) return streets.slice(0, 2).join('; ');
  const areas = Array.isArray(c.area_codes) ? c.area_codes : [];
  if (areas.length) return `Area ${areas.slice(0, 2).join(', ')}${areas.length > 2 ? ` and ${areas.length - 2} more` : ''}`;
  return `Candidate ${c.rank}`;
}

/** The change on the previous window in words, or null when the API gives none (the note says why, once). */
export function changeLine(c) {
  const ch = c.change;
  if (!ch || typeof ch !== 'object' || !ch.text) return null;
  const a = Number(ch.absolute);
  const dir = !Number.isFinite(a) || a === 0 ? 'same' : a > 0 ? 'up' : 'down';
  return { dir, text: `${int(ch.after)} (was ${int(ch.before)} in the previous window): ${ch.text}` };
}

/** One entry of the list (inside an <li>): a button, so it works from the keyboard. */
export function candidateRowHtml(c, { weight = 'harm' } = {}) {
  const ch = changeLine(c);
  const harmFirst = weight === 'harm';
  const incidents = `<span data-testid="cand-incidents">${int(c.incidents)}</span> incident${Number(c.incidents) === 1 ? '' : 's'}`;
  const harm = `harm ${int(c.harm)}`;
  const facts = harmFirst ? `${harm} · ${incidents}` : `${incidents} · ${harm}`;
  const pai = Number.isFinite(Number(c.pai)) ? `<span class="analyst-only"> · PAI ${num(c.pai, 1)}</span>` : '';
  const merged = Array.isArray(c.merged) && c.merged.length ? ` · takes in ${int(c.merged.length)} nearby` : '';
  const cls = c.emerging_class
    ? `<span class="class-chip" style="--chip:${emergingColour(c.emerging_class)}" data-testid="cand-class">${esc(c.emerging_name || c.emerging_class)}</span>`
    : '<span class="class-chip none">No emerging class</span>';
  const mix = namedList(c.categories, 3, ' · ');
  return `<button type="button" class="row" data-id="${esc(c.id)}">
    <span class="rank" aria-label="Rank ${esc(c.rank)}">${esc(c.rank)}</span>
    <span class="where">${esc(candidatePlace(c))}</span>
    <span class="facts">${facts}${pai}${esc(merged)}</span>
    ${ch ? `<span class="change ${ch.dir}" data-testid="cand-change">Incidents ${esc(ch.text)}</span>` : ''}
    <span class="cls">${cls}</span>
    ${mix ? `<span class="mix">${esc(mix)}</span>` : ''}
  </button>`;
}

/** A Unix-seconds window as Dates; null if missing. */
function windowOf(w) {
  return w && Number.isFinite(Number(w.from_s)) && Number.isFinite(Number(w.to_s))
    ? { from: new Date(Number(w.from_s) * 1000), to: new Date(Number(w.to_s) * 1000) }
    : null;
}

/**
 * The head of the list: what it covers and how it is ranked, then the notes: the previous-window note (once, in
 * place of any change), the emerging note, the warnings. `t` = the settings asked for (used when the API's answer
 * for an empty window carries nothing else).
 */
export function taskingHeadHtml(ans, t) {
  const w = windowOf(ans.window) || taskingWindow(t.at, t.window);
  const n = Array.isArray(ans.candidates) ? ans.candidates.length : 0;
  const span = w ? `${windowSpecText(t.window)}: ${windowText(w.from, w.to)}` : windowSpecText(t.window);
  const rank = (ans.rank_by || t.weight) === 'harm' ? 'harm (crime harm index)' : 'number of incidents';
  const sep = ans.min_separation_m ?? t.separation;
  const notes = [];
  // How well places chosen this way caught the next period here, out of sample (the backtest's record).
  const record = ans.method_choice && ans.method_choice.sentence;
  if (record) notes.push(`<li class="record" data-testid="tasking-record"><strong>How well this works here:</strong> ${esc(record)}.</li>`);
  if (ans.previous_note) notes.push(`<li class="previous" data-testid="previous-note"><strong>No change given:</strong> ${esc(ans.previous_note)}</li>`);
  else {
    const p = windowOf(ans.previous_window);
    if (p && n) notes.push(`<li class="previous-ok">Changes compare with the previous window, ${esc(windowText(p.from, p.to))}.</li>`);
  }
  if (ans.emerging_note) notes.push(`<li>Emerging classes: ${esc(ans.emerging_note)}</li>`);
  for (const x of ans.warnings || []) notes.push(`<li class="warning">${esc(x)}</li>`);
  return `<p class="tasking-covers" data-testid="tasking-covers"><strong>${esc(span)}</strong>
      <span>${int(n)} place${n === 1 ? '' : 's'} ranked by ${esc(rank)}, at least ${esc(metres(sep))} apart` +
    `${ans.selected_incidents !== undefined ? `, from ${int(ans.selected_incidents)} incidents` : ''}.</span></p>
    ${notes.length ? `<ul class="tasking-notes" data-testid="tasking-notes">${notes.join('')}</ul>` : ''}`;
}

/** The CLI command that prints the same list as an A4 brief with maps. */
export function briefCommand(t, categories) {
  const parts = ['hotspots tasking'];
  if (t.at) parts.push(`--at ${isoDay(t.at)}`);
  parts.push(`--window ${t.window}`, `--top ${t.top}`, `--min-separation-m ${t.separation}`, `--weight ${t.weight}`);
  if (Array.isArray(categories)) for (const c of categories) parts.push(`--category "${c.replace(/(["\\$`])/g, '\\$1')}"`);
  parts.push('--format html --out brief.html');
  return parts.join(' ');
}

/** "Settings used" in tasking mode: the list's own settings, then the analysis parameters of the answer. */
export function taskingParametersHtml(ans, t) {
  const items = [];
  const add = (k, v) => items.push(`<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`);
  const at = ans.at ? parseDate(ans.at) : t.at;
  if (at) add('Tasking date (the window ends here)', `${isoDay(at)}`);
  add('Window', `${windowSpecText(t.window)} (window=${t.window})`);
  add('Places listed', `top ${ans.top ?? t.top}, centres at least ${metres(ans.min_separation_m ?? t.separation)} apart (closer ones merge)`);
  add('Ranked by', (ans.rank_by || t.weight) === 'harm' ? 'harm (crime harm index)' : 'number of incidents');
  const p = ans.params || {};
  if (p.cell_m !== undefined) add('Map square size (cell)', metres(p.cell_m));
  if (p.bandwidth_m !== undefined) add('Spread around each incident (bandwidth)', metres(p.bandwidth_m));
  if (ans.top_share !== undefined) add('Hot cells', `densest ${num(ans.top_share * 100, 2)}% of the study area`);
  if (ans.emerging_period) add('Emerging classes over', periodWordsPlural(ans.emerging_period, (ans.emerging_steps || []).length));
  add('Types', Array.isArray(p.categories) && p.categories.length ? p.categories.join(', ') : 'all');
  if (p.crs) add('Projection', p.crs);
  const raw = JSON.stringify({ ...ans, candidates: undefined }, null, 1);
  return `${items.join('')}<dt>All values</dt><dd><details><summary>show</summary><pre class="raw">${esc(raw)}</pre></details></dd>`;
}

function periodWordsPlural(period, n) {
  return `${int(n)} ${period}${n === 1 ? '' : 's'}`;
}

/** The list when the window holds nothing: say so, and why a short window can be empty on monthly data. */
export function emptyListHtml(t) {
  const w = parseWindowSpec(t.window);
  const monthly = w && w.unit !== 'm'
    ? ` police.uk incidents are dated to the month only (each counts on the 1st), so a ${esc(windowSpecText(t.window))} window holds none unless it contains the 1st of a month. <button type="button" class="small" data-use-window="3m">Use 3 months</button>`
    : '';
  return `<li class="empty">No incidents of the chosen types in this window.${monthly}</li>`;
}
