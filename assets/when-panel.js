// The "When" panel: incidents by hour of day and day of week (`/api/when`) for the window and types on screen,
// everywhere, in the map's view or in the chosen hotspot; a heat table (7 days x 24 hours), the sentence when the
// concentration is real (tested against a uniform week), and for data known only to the month (police.uk) a note
// instead of a table the data cannot support. Asked only while the panel is open (it costs a Monte Carlo test).
// The HTML builders at the top are pure (tested by units.test.mjs). Owns the store key `when` ({scope, answer,
// loading, error}).

import { esc, int, num } from './format.js';

/** Where the table counts: everywhere, in the map's view, or in the chosen hotspot. */
export const WHEN_SCOPES = [
  { value: 'all', label: 'Everywhere' },
  { value: 'view', label: 'In the map view' },
  { value: 'hotspot', label: 'In the chosen hotspot' },
];

const SHORT_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The query of `/api/when`: the page's query, and the view's box or the hotspot's id for those scopes. */
export function whenQuery(query, scope, { bbox = null, hotspot = null } = {}) {
  const q = new URLSearchParams(query);
  if (scope === 'view' && Array.isArray(bbox)) q.set('bbox', bbox.map((v) => Number(v).toFixed(5)).join(','));
  if (scope === 'hotspot' && hotspot) q.set('hotspot', hotspot);
  return q.toString();
}

/** The colour of a cell: white for none up to dark red for the busiest hour of the week. */
export function cellColour(v, max) {
  if (!(max > 0) || !(v > 0)) return '#ffffff';
  const t = Math.min(1, v / max);
  const from = [255, 245, 235];
  const to = [165, 15, 21];
  const c = from.map((a, i) => Math.round(a + (to[i] - a) * t));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** "Friday 22:00-23:00" */
export function hourText(day, hour, days = SHORT_DAYS) {
  const pad = (h) => String(h % 24).padStart(2, '0');
  return `${days[day]} ${pad(hour)}:00-${pad(hour + 1)}:00`;
}

/** A block of the week in words, as the server writes it: "Friday and Saturday 22:00-03:00". */
export function blockText(b, days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']) {
  if (!b) return '';
  const day = (k) => days[(b.day + k) % 7];
  const which = b.days === 7 ? 'every day' : b.days === 1 ? day(0) : b.days === 2 ? `${day(0)} and ${day(1)}` : `${day(0)} to ${day(b.days - 1)}`;
  if (b.hours === 24) return b.days === 7 ? 'at any time' : `${which}, all day`;
  const pad = (h) => String(h % 24).padStart(2, '0');
  return `${which} ${pad(b.hour)}:00-${pad(b.hour + b.hours)}:00`;
}

/** The busiest hour of the week in the answer's cells: {day, hour, value}, or null. */
export function busiestHour(cells) {
  let best = null;
  (cells || []).forEach((row, d) => (row || []).forEach((v, h) => {
    if (Number(v) > 0 && (!best || Number(v) > best.value)) best = { day: d, hour: h, value: Number(v) };
  }));
  return best;
}

/**
 * The panel's body for an answer of `/api/when`: a note for month-precision data; else the sentence (or "no
 * concentration beyond chance"), the heat table with each cell's figure for screen readers, and a line of facts.
 */
export function whenHtml(ans) {
  if (!ans) return '';
  if (ans.precision || !Array.isArray(ans.cells)) {
    const what = ans.precision === 'year' ? 'year' : 'month';
    return `<p class="when-note" data-testid="when-note"><strong>No times of day in these data.</strong> ${int(ans.coarse ?? ans.incidents ?? 0)} of the
      incidents are known only to the ${esc(what)} (police.uk publishes months, not days or times), so no hour or day of the
      week can be shown: a table would be a guess. Load data with dates and times (a force's own extract) to see when
      incidents happen.</p>`;
  }
  const days = Array.isArray(ans.days) && ans.days.length === 7 ? ans.days : SHORT_DAYS;
  const max = Math.max(0, ...ans.cells.flat().map(Number).filter(Number.isFinite));
  const whole = ans.cells.flat().every((v) => Math.abs(Number(v) - Math.round(Number(v))) < 1e-9);
  const fig = (v) => (whole ? int(v) : num(v, 1));
  const head = Array.from({ length: 24 }, (_, h) => `<th scope="col" class="h${h % 3 ? ' minor' : ''}">${h % 3 ? '' : String(h).padStart(2, '0')}</th>`).join('');
  const rows = ans.cells.map((row, d) => {
    const tds = row.map((v, h) => {
      const label = `${hourText(d, h, days)}: ${fig(v)}`;
      return `<td style="background:${cellColour(Number(v), max)}" title="${esc(label)}"><span class="visually-hidden">${esc(fig(v))}</span></td>`;
    }).join('');
    return `<tr><th scope="row">${esc(SHORT_DAYS[d])}</th>${tds}</tr>`;
  }).join('');
  const c = ans.concentration;
  const sentence = ans.sentence
    ? `<p class="when-sentence" data-testid="when-sentence"><strong>${esc(ans.sentence.charAt(0).toUpperCase() + ans.sentence.slice(1))}</strong>
        (${esc(num(100 * c.block.share, 0))}% of incidents in ${esc(num(100 * c.time_share, 0))}% of the week's hours).</p>`
    : c && Number(c.p) <= Number(c.alpha)
      ? `<p class="when-sentence none" data-testid="when-sentence">No time stands out enough to single out: half of the incidents fall
        ${esc(blockText(c.block, days))} (${esc(num(100 * c.time_share, 0))}% of the week's hours), more bunched than chance but at
        less than 1.5 times an even spread.</p>`
      : c
      ? `<p class="when-sentence none" data-testid="when-sentence">No time of the week stands out beyond chance: half of the incidents need
        ${esc(num(100 * c.time_share, 0))}% of the week's hours, which is not unusual for times spread evenly.</p>`
      : '<p class="when-sentence none" data-testid="when-sentence">No incidents of these types here in this window.</p>';
  const busy = busiestHour(ans.cells);
  const spread = Number(ans.spread) > 0 ? ` ${int(ans.spread)} known only to a time range are spread over it.` : '';
  return `${sentence}
    <div class="table-scroll"><table class="when-table" data-testid="when-table">
      <caption class="visually-hidden">Incidents by day of the week (rows) and hour of the day (columns)</caption>
      <thead><tr><th scope="col"><span class="visually-hidden">Day</span></th>${head}</tr></thead>
      <tbody>${rows}</tbody>
    </table></div>
    <p class="hint when-facts">${int(ans.incidents)} incidents${ans.place ? ` ${esc(ans.place === "the map's view" ? 'in the map view' : `in ${ans.place}`)}` : ''};
      ${!ans.timezone || ans.timezone === 'UTC' ? 'hours as the data records them' : `hours in ${esc(ans.timezone)}`}.${busy ? ` Busiest: ${esc(hourText(busy.day, busy.hour, days))} (${esc(fig(busy.value))}).` : ''}${esc(spread)}
      <span class="when-key"><span class="swatch" style="background:${cellColour(0, 1)}"></span>none
      <span class="swatch" style="background:${cellColour(1, 1)}"></span>${esc(fig(max))} (the busiest hour)</span></p>
    <p class="hint analyst-only">Concentration: the smallest block of days and hours holding half of the incidents, against
      ${c ? int(c.draws) : 0} weeks of the same incidents at uniform times (p = ${c ? esc(num(c.p, 3)) : '–'}; a sentence needs
      p &le; ${c ? esc(num(c.alpha, 2)) : '0.05'} and 1.5 times the block's share of the week).</p>`;
}

// ---------------------------------------------------------------- the page's side

/**
 * `own`: the store handle for `when`. `page`: the read-only page view. `ui`: showError, clearError, errorText,
 * abortable(name).
 */
export function makeWhenPanel(own, page, ui) {
  const $ = (id) => document.getElementById(id);
  const cur = () => own.get('when') || { scope: 'all', answer: null, loading: false, error: null };
  const update = (patch) => own.set({ when: { ...cur(), ...patch } });
  let asked = '';
  let moveTimer = null;
  own.set({ when: cur() });

  function build() {
    const box = $('when-panel');
    const sel = $('when-scope');
    sel.innerHTML = WHEN_SCOPES.map((s) => `<option value="${esc(s.value)}">${esc(s.label)}</option>`).join('');
    sel.value = cur().scope;
    sel.addEventListener('change', () => {
      update({ scope: sel.value });
      load();
    });
    box.addEventListener('toggle', () => load());
    page.store.subscribe(['selected'], () => {
      if (cur().scope === 'hotspot') load();
    });
    page.store.subscribe(['mode'], () => show());
    show();
  }

  /** Only in the hotspots mode: compare and tasking have windows of their own. */
  function show() {
    $('when-panel').hidden = page.mode !== 'map';
  }

  /** After the map has moved: a new view for the "map view" scope. */
  function onMoved() {
    if (cur().scope !== 'view') return;
    clearTimeout(moveTimer);
    moveTimer = setTimeout(load, 400);
  }

  function bbox() {
    const map = page.map;
    if (!map) return null;
    const b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  }

  async function load() {
    const box = $('when-panel');
    const body = $('when-body');
    if (!box || !box.open || box.hidden || page.mode !== 'map' || !page.query) return;
    const { scope } = cur();
    if (scope === 'hotspot' && !page.selectedId) {
      asked = '';
      update({ answer: null, error: null });
      body.innerHTML = '<p class="hint">Choose a hotspot in the list or on the map first.</p>';
      return;
    }
    const q = whenQuery(page.query, scope, { bbox: scope === 'view' ? bbox() : null, hotspot: page.selectedId });
    if (q === asked && cur().answer) return;
    asked = q;
    update({ loading: true, error: null });
    body.setAttribute('aria-busy', 'true');
    try {
      const ans = await page.client.json(`api/when?${q}`, { signal: ui.abortable('when') });
      ui.clearError('when');
      update({ answer: ans, loading: false });
      body.innerHTML = whenHtml(ans);
    } catch (err) {
      if (err.name === 'AbortError') return;
      asked = '';
      update({ answer: null, loading: false, error: ui.errorText(err) });
      body.innerHTML = '<p class="empty">The times could not load (see the message at the top).</p>';
      ui.showError('when', `The hour-of-week table could not load: ${ui.errorText(err)}`);
    } finally {
      body.removeAttribute('aria-busy');
    }
  }

  return { build, load, onMoved, show };
}
