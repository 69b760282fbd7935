// Tasking mode on the page: its controls (date, window, how many, separation, ranking), fetching `/api/tasking`,
// the list and its notes, and the candidates' outlines with rank badges on the map (a GeoJSON source, not tiles:
// the outlines come with the list). The HTML and the data shaping are the pure functions of tasking.js.

import {
  TASKING_DEFAULTS, WINDOW_CHOICES, parseWindowSpec, taskingWindow, taskingQuery, candidatesGeoJson, candidateBounds,
  candidateRowHtml, taskingHeadHtml, emptyListHtml, briefCommand, windowSpecText,
} from './tasking.js';
import { isoDay, parseDate, windowText } from './dates.js';
import { esc } from './format.js';

const SOURCE = 'tasking';
const COLOUR = '#5b1a8c';
const SELECTED = '#00a0e0';

/**
 * `own`: the store handle for the keys this module owns, `tasking` (the settings and the chosen place) and
 * `taskingAnswer` (the last /api/tasking answer); `app`: the read-only page view (its `tasking` is that answer).
 * `ui`: showError(key, text), clearError(key), errorText(err), onChange() (settings changed: refresh everything),
 * onSelect() (the chosen place changed: write the address), onLoaded(ans), setNotes(list), showLayer(name, on)
 * (near-repeat zones).
 */
export function makeTasking(own, app, ui) {
  const $ = (id) => document.getElementById(id);
  let abort = null;
  let seq = 0;
  let badges = [];
  let fitNext = true; // after entering the mode or changing the settings: show all the places
  own.set({ taskingAnswer: null }); // the last /api/tasking answer
  const t = () => own.get('tasking');
  const update = (patch) => own.set({ tasking: { ...t(), ...patch } });

  /** The settings at start (from the address, else the defaults). */
  function init(settings) {
    own.set({ tasking: { ...TASKING_DEFAULTS, candidate: null, ...settings } });
  }

  /** The tasking date: the one chosen, else the end of the data. */
  function at() {
    return t().at || app.span.end;
  }

  /** The window the list covers (so the summary and tile layers cover it too). */
  function window() {
    return taskingWindow(at(), t().window);
  }

  function setInputs() {
    const s = t();
    if (at()) $('t-at').value = isoDay(at());
    const known = WINDOW_CHOICES.some((c) => c.value === s.window);
    $('t-window').value = known ? s.window : 'custom';
    $('t-custom').hidden = known;
    if (!known) {
      const w = parseWindowSpec(s.window);
      $('t-custom-n').value = w.n;
      $('t-custom-unit').value = w.unit;
    }
    $('t-top').value = s.top;
    $('t-sep').value = s.separation;
    for (const r of document.querySelectorAll('input[name=t-weight]')) r.checked = r.value === s.weight;
    const w = window();
    document.querySelector('#tasking .tasking-range').textContent = w
      ? `The list covers ${windowSpecText(s.window)}: ${windowText(w.from, w.to)}.`
      : '';
  }

  function changed() {
    update({ candidate: null });
    fitNext = true;
    setInputs();
    ui.onChange();
  }

  function build(span) {
    if (span.from) $('t-at').min = isoDay(span.from);
    $('t-at').addEventListener('change', () => {
      const d = parseDate($('t-at').value);
      if (!d) {
        ui.showError('tasking-input', 'Enter the tasking date.');
        return;
      }
      ui.clearError('tasking-input');
      update({ at: span.end && d.getTime() === span.end.getTime() ? null : d }); // the end of the data stays "the end"
      changed();
    });
    const readWindow = () => {
      const v = $('t-window').value;
      $('t-custom').hidden = v !== 'custom';
      const spec = v === 'custom' ? `${Math.round(Number($('t-custom-n').value))}${$('t-custom-unit').value}` : v;
      if (!parseWindowSpec(spec)) {
        ui.showError('tasking-input', 'The window must be 1 to 999 days, weeks or months.');
        return;
      }
      ui.clearError('tasking-input');
      update({ window: spec });
      changed();
    };
    for (const id of ['t-window', 't-custom-n', 't-custom-unit']) $(id).addEventListener('change', readWindow);
    const readNumber = (id, key, lo, hi, what) => {
      const v = Number($(id).value);
      if (!Number.isFinite(v) || v < lo || v > hi || (key === 'top' && !Number.isInteger(v))) {
        ui.showError('tasking-input', `${what} must be from ${lo} to ${hi}.`);
        return;
      }
      ui.clearError('tasking-input');
      update({ [key]: v });
      changed();
    };
    $('t-top').addEventListener('change', () => readNumber('t-top', 'top', 1, 100, 'How many places'));
    $('t-sep').addEventListener('change', () => readNumber('t-sep', 'separation', 0, 10000, 'The separation'));
    for (const r of document.querySelectorAll('input[name=t-weight]')) {
      r.addEventListener('change', () => {
        if (r.checked) {
          update({ weight: r.value });
          changed();
        }
      });
    }
    $('tasking-print').addEventListener('click', () => globalThis.print());
    $('tasking-list').addEventListener('click', (e) => {
      const use = e.target.closest('[data-use-window]');
      if (use) {
        update({ window: use.dataset.useWindow });
        changed();
        return;
      }
      const row = e.target.closest('button.row');
      if (row) select(row.dataset.id, { fly: true });
    });
    setInputs();
  }

  async function load() {
    const mine = ++seq;
    if (abort) abort.abort();
    abort = new AbortController();
    const list = $('tasking-list');
    list.setAttribute('aria-busy', 'true');
    const s = t();
    const q = taskingQuery({ ...s, at: s.at }, app.state.categories);
    $('tasking-command').textContent = briefCommand({ ...s, at: at() }, app.state.categories);
    try {
      const ans = await app.client.json(`api/tasking?${q}`, { signal: abort.signal });
      if (mine !== seq) return;
      ui.clearError('tasking');
      own.set({ taskingAnswer: ans });
      const cands = Array.isArray(ans.candidates) ? ans.candidates : [];
      if (s.candidate && !cands.some((c) => c.id === s.candidate)) update({ candidate: null });
      const candidate = t().candidate;
      $('tasking-head').innerHTML = taskingHeadHtml(ans, { ...s, at: at() });
      list.innerHTML = cands.length
        ? cands.map((c) => `<li data-id="${esc(c.id)}">${candidateRowHtml(c, { weight: s.weight })}</li>`).join('')
        : emptyListHtml(s);
      draw();
      ui.nearRepeat?.(ans);
      select(candidate, { quiet: true });
      if (fitNext && cands.length && !candidate) fitAll();
      fitNext = false;
      ui.onLoaded(ans);
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      own.set({ taskingAnswer: null });
      $('tasking-head').innerHTML = '';
      list.innerHTML = '<li class="empty">The tasking list could not load (see the message at the top).</li>';
      draw();
      ui.nearRepeat?.(null);
      ui.showError('tasking', `The tasking list could not load: ${ui.errorText(err)}`);
    } finally {
      if (mine === seq) list.removeAttribute('aria-busy');
    }
  }

  /** The outlines (fill for clicks, a line, the chosen one thicker) and the rank badges; on top of the tile layers. */
  function draw() {
    const map = app.map;
    if (!map || !app.styleReady) return;
    const data = candidatesGeoJson(app.mode === 'tasking' ? app.tasking : null);
    if (!map.getSource(SOURCE)) {
      map.addSource(SOURCE, { type: 'geojson', data });
      map.addLayer({ id: `${SOURCE}:fill`, type: 'fill', source: SOURCE, paint: { 'fill-color': COLOUR, 'fill-opacity': 0.18 } });
      map.addLayer({ id: `${SOURCE}:casing`, type: 'line', source: SOURCE, paint: { 'line-color': '#ffffff', 'line-width': 5 } });
      map.addLayer({ id: `${SOURCE}:line`, type: 'line', source: SOURCE, paint: { 'line-color': COLOUR, 'line-width': 2.5 } });
      map.addLayer({
        id: `${SOURCE}:selected`,
        type: 'line',
        source: SOURCE,
        filter: ['==', ['get', 'id'], ''],
        paint: { 'line-color': SELECTED, 'line-width': 5 },
      });
    } else map.getSource(SOURCE).setData(data);
    for (const m of badges) m.remove();
    badges = [];
    if (app.mode !== 'tasking' || !app.tasking) return;
    for (const c of app.tasking.candidates || []) {
      const ctr = c.centroid_lonlat;
      if (!Array.isArray(ctr) || ctr.length !== 2) continue;
      const el = document.createElement('button');
      el.type = 'button';
      el.className = `rank-badge tasking-badge${c.id === t().candidate ? ' selected' : ''}`;
      el.dataset.id = c.id;
      el.textContent = c.rank;
      el.setAttribute('aria-label', `Place ${c.rank} on the map`);
      el.addEventListener('click', (ev) => {
        ev.stopPropagation();
        select(c.id, { fly: false });
      });
      badges.push(new globalThis.maplibregl.Marker({ element: el }).setLngLat(ctr).addTo(map));
    }
  }

  function fitAll() {
    const boxes = (app.tasking.candidates || []).map(candidateBounds).filter(Boolean);
    if (!boxes.length || !app.map) return;
    const b = [
      [Math.min(...boxes.map((x) => x[0][0])), Math.min(...boxes.map((x) => x[0][1]))],
      [Math.max(...boxes.map((x) => x[1][0])), Math.max(...boxes.map((x) => x[1][1]))],
    ];
    app.map.fitBounds(b, { padding: 60, maxZoom: 15, duration: 0 });
  }

  /** Choose a place: its row, outline and badge are marked; with `fly`, the map goes to it. */
  function select(id, { fly = false, quiet = false } = {}) {
    update({ candidate: id || null });
    if (app.map && app.map.getLayer(`${SOURCE}:selected`)) app.map.setFilter(`${SOURCE}:selected`, ['==', ['get', 'id'], id || '']);
    for (const li of document.querySelectorAll('#tasking-list li[data-id]')) {
      const on = li.dataset.id === id;
      li.classList.toggle('selected', on);
      li.querySelector('button.row').setAttribute('aria-pressed', String(on));
      if (on && !quiet) li.scrollIntoView({ block: 'nearest' });
    }
    for (const m of badges) m.getElement().classList.toggle('selected', m.getElement().dataset.id === id);
    const c = id && app.tasking ? (app.tasking.candidates || []).find((x) => x.id === id) : null;
    if (c && fly && app.map) {
      const b = candidateBounds(c);
      if (b) app.map.fitBounds(b, { padding: 90, maxZoom: 16, duration: 700 });
    }
    if (!quiet) ui.onSelect();
  }

  /** A click on the map: a place's outline chooses it (returns true so no other popup opens). */
  function clickAt(e) {
    if (app.mode !== 'tasking' || !app.map.getLayer(`${SOURCE}:fill`)) return false;
    const f = app.map.queryRenderedFeatures(e.point, { layers: [`${SOURCE}:fill`] })[0];
    if (!f) return false;
    select(f.properties.id);
    return true;
  }

  /** Entering or leaving the mode: the outlines and badges show only in tasking mode. */
  function show(on) {
    if (on) fitNext = true;
    else {
      seq++;
      if (abort) abort.abort();
    }
    draw();
  }

  return { init, build, setInputs, load, draw, select, clickAt, show, window, at, defaults: () => ({ ...TASKING_DEFAULTS, candidate: null }) };
}
