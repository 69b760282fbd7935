// Compare mode: two windows (before and after) side by side. The HTML builders at the top are pure (no DOM, tested
// by tests/browser/units.test.mjs); `makeCompare` at the bottom wires them to the page (controls, fetching, panel).
// The API is `GET /api/compare` and the `change` tile layer (README "Map server").

import { int, num, metres } from './format.js';
import { COMPARE_PRESETS, isoDay, toInputValue, fromInputValue, parseDate, windowParam, windowText, windowDays } from './dates.js';
import { esc } from './layers.js';

/** The query of `/api/compare`: both windows, the crime types, and the weighting (so a hotspot id matches the list's). */
export function compareApiQuery(cmp, state) {
  const q = new URLSearchParams();
  q.set('before', windowParam(cmp.before));
  q.set('after', windowParam(cmp.after));
  if (Array.isArray(state.categories)) for (const c of state.categories) q.append('category', c);
  if (state.harm) {
    q.set('weight', 'harm');
    q.set('rank_by', 'harm');
  }
  return q.toString();
}

/** The query of the `change` tiles: both windows and the crime types (the change map counts incidents). */
export function changeTileQuery(cmp, state) {
  const q = new URLSearchParams();
  q.set('before', windowParam(cmp.before));
  q.set('after', windowParam(cmp.after));
  if (Array.isArray(state.categories)) for (const c of state.categories) q.append('category', c);
  return q.toString();
}

/** "up", "down" or "same" for a Change from the API (for colouring: rises red, falls blue). */
export function changeDirection(ch) {
  const a = Number(ch && ch.absolute);
  return !Number.isFinite(a) || a === 0 ? 'same' : a > 0 ? 'up' : 'down';
}

/** Counts are whole; harm and scaled figures may not be. */
function figure(v, digits = 0) {
  return Number.isInteger(Number(v)) ? int(v) : num(v, digits);
}

function changeRow(label, ch, { cls = '', digits = 0, testid = '' } = {}) {
  const dir = changeDirection(ch);
  const tid = testid ? ` data-testid="${esc(testid)}"` : '';
  return `<tr class="${cls}"${tid}><th scope="row">${esc(label)}</th><td class="n">${esc(figure(ch.before, digits))}</td>
    <td class="n">${esc(figure(ch.after, digits))}</td><td class="change ${dir}">${esc(ch.text)}</td></tr>`;
}

/**
 * Page-side notes about a comparison, besides the API's warnings: an empty window ("every count is new"), and
 * windows outside the data held (`span` = {from, to} of the data, or null).
 */
export function compareNotes(ans, cmp, span = null) {
  const notes = [];
  const t = ans && ans.total;
  if (t && Number(t.before) === 0) {
    notes.push(`the before window (${windowText(cmp.before.from, cmp.before.to)}) has no incidents of the chosen types, so every count after it is "new". Choose another before window.`);
  }
  if (t && Number(t.after) === 0) {
    notes.push(`the after window (${windowText(cmp.after.from, cmp.after.to)}) has no incidents of the chosen types.`);
  }
  if (span && span.from && span.to) {
    for (const [name, w] of [['before', cmp.before], ['after', cmp.after]]) {
      if (w.from < span.from || w.to > span.to) {
        notes.push(`the ${name} window reaches outside the data held (${windowText(span.from, span.to)}); days without data count as zero.`);
      }
    }
  }
  return notes;
}

/** The header strip in compare mode: the two totals and the change. */
export function compareStripHtml(ans, cmp) {
  const t = ans.total;
  return `
    <div class="total" data-testid="compare-strip-before">${int(t.before)}<small>before: ${esc(windowText(cmp.before.from, cmp.before.to))}</small></div>
    <div class="total arrow" aria-hidden="true">→</div>
    <div class="total" data-testid="compare-strip-after">${int(t.after)}<small>after: ${esc(windowText(cmp.after.from, cmp.after.to))}</small></div>
    <div class="total change ${changeDirection(t)}">${esc(t.text)}<small>change in incidents${Number(ans.length_ratio) !== 1 ? ' (per day, in the after window\'s length)' : ''}</small></div>`;
}

/** The change-map summary in words. */
export function changeMapText(cm) {
  if (!cm) return 'No change map: neither window has incidents of the chosen types.';
  const n = Number(cm.cells_with_incidents);
  return `Of ${int(n)} map squares of ${metres(cm.cell_m)} with incidents in either window, ${int(cm.cells_fell)} fell and ` +
    `${int(cm.cells_rose)} rose significantly (exact test per square, false discovery rate q = ${num(cm.fdr_q, 3)}).`;
}

/** The comparison table: totals, harm, one row per crime type, the change-map summary and the warnings. */
export function comparisonHtml(ans, cmp) {
  const days = (w) => `${int(windowDays(w))} days`;
  const cats = (ans.categories || []).map((r) => changeRow(r.category, r.change, { cls: 'cat' })).join('');
  const warnings = (ans.warnings || []).map((w) => `<li>${esc(w)}</li>`).join('');
  return `
    <p class="windows"><span><strong>Before</strong> ${esc(windowText(cmp.before.from, cmp.before.to))} (${days(cmp.before)})</span>
      <span><strong>After</strong> ${esc(windowText(cmp.after.from, cmp.after.to))} (${days(cmp.after)})</span></p>
    ${warnings ? `<ul class="compare-warnings" data-testid="compare-warnings">${warnings}</ul>` : ''}
    <div class="table-scroll"><table class="compare-table" data-testid="compare-table">
      <caption class="visually-hidden">Incidents before and after, and the change</caption>
      <thead><tr><th scope="col">What</th><th scope="col" class="n">Before</th><th scope="col" class="n">After</th><th scope="col">Change</th></tr></thead>
      <tbody>
        ${changeRow('All incidents', ans.total, { cls: 'total-row', testid: 'compare-total' })}
        ${ans.harm ? changeRow('Harm (crime harm index)', ans.harm, { cls: 'harm-row', testid: 'compare-harm' }) : ''}
        ${cats}
      </tbody>
    </table></div>
    <p class="change-map" data-testid="compare-change-map">${esc(changeMapText(ans.change_map))}</p>`;
}

function pairRow(label, pair, testid) {
  return `<tr data-testid="${testid}"><th scope="row">${esc(label)}</th><td class="n">${esc(figure(pair.before))}</td><td class="n">${esc(figure(pair.after))}</td></tr>`;
}

/** A WDD in words: total, its parts, z, p and the 95% interval, and what it means. */
export function wddText(w) {
  if (!w) return 'undefined: no figures';
  const s = (v) => `${Number(v) > 0 ? '+' : ''}${num(v, 1)}`;
  const zp = w.z === null || w.z === undefined ? 'z and p undefined (every count is 0)' : `z = ${num(w.z, 2)}, ${Number(w.p) < 0.001 ? 'p < 0.001' : `p = ${num(w.p, 3)}`}`;
  let reading;
  if (Number(w.high95) < 0) reading = 'a fall beyond the control area\'s trend';
  else if (Number(w.low95) > 0) reading = 'a rise beyond the control area\'s trend';
  else reading = 'not distinguishable from the control area\'s trend (the interval includes 0)';
  return `${s(w.total)} (local ${s(w.local)}, displacement ${s(w.displacement)}); ${zp}; 95% interval ${s(w.low95)} to ${s(w.high95)}: ${reading}`;
}

/** The target table: target, buffer and control before and after, gross and net effect, WDQ and WDD. */
export function targetHtml(a, { place = '' } = {}) {
  const net = a.net_effect
    ? `<span class="${changeDirection(a.net_effect)}">${esc(a.net_effect.text)}</span>`
    : `undefined: ${esc(a.net_effect_reason || 'no reason given')}`;
  const wdq = a.wdq || {};
  const wdqText = wdq.wdq === null || wdq.wdq === undefined
    ? esc(/^undefined/.test(wdq.reading || '') ? wdq.reading : `undefined: ${wdq.reading || 'no reason given'}`)
    : `${esc(num(wdq.wdq, 2))}: ${esc(wdq.reading || '')}`;
  return `
    <h3>Target: ${esc(place || a.description)}</h3>
    <table class="compare-table target-table" data-testid="target-table">
      <caption class="visually-hidden">Incidents in the target, its buffer and the control area</caption>
      <thead><tr><th scope="col">Area</th><th scope="col" class="n">Before</th><th scope="col" class="n">After</th></tr></thead>
      <tbody>
        ${pairRow('Target (the hotspot)', a.target, 'target-target')}
        ${pairRow(`Buffer (${metres(a.buffer_m)} around it)`, a.buffer, 'target-buffer')}
        ${pairRow('Control (everywhere else)', a.control, 'target-control')}
      </tbody>
    </table>
    <dl class="effects">
      <dt>Gross effect (target)</dt><dd class="${changeDirection(a.gross_effect)}" data-testid="gross-effect">${esc(a.gross_effect.text)}</dd>
      <dt>Net effect (target against the control's trend)</dt><dd data-testid="net-effect">${net}</dd>
      <dt class="analyst-only">Displacement or diffusion (WDQ)</dt><dd class="analyst-only" data-testid="wdq">${wdqText}</dd>
      <dt class="analyst-only">Weighted displacement difference (WDD)</dt><dd class="analyst-only" data-testid="wdd">${esc(wddText(a.wdd))}</dd>
    </dl>
    <p class="hint">Gross: the change in the hotspot itself. Net: the change beyond what happened elsewhere over the same
      time, so a hotspot can rise (gross) while falling against the trend around it (net).</p>
    <p class="hint analyst-only">Negative WDD: fewer incidents in the target and buffer than the control's trend predicts. The target is
      the hotspot as found over the before window.</p>`;
}

/** The comparison's settings for "Settings used": both windows, the change map's cell and q, the target. */
export function compareParametersHtml(c, ans) {
  if (!c || !c.before || !c.after) return '';
  const cm = ans ? ans.change_map : null;
  const target = c.target && ans && ans.areas ? `; target hotspot ${c.target}, buffer ${metres(ans.areas.buffer_m)}` : '';
  const map = cm ? `; change map squares ${metres(cm.cell_m)}, false discovery rate q = ${cm.fdr_q}` : '';
  return `<dt>Compared</dt><dd>before=${esc(windowParam(c.before))}, after=${esc(windowParam(c.after))} (ends not included)${esc(map)}${esc(target)}</dd>`;
}

// ---------------------------------------------------------------- the page's side

/**
 * Compare mode's controls and panel. `own`: the store handle for the keys this module owns, `compare` ({before,
 * after, target}), `comparison` (the last /api/compare answer) and `compareNotes`; `app`: the read-only page view.
 * `ui` gives the page's helpers: showError(key, text), clearError(key), errorText(err), onChange() (the windows
 * changed: refresh everything), onLoaded(ans), placeOf(id).
 */
export function makeCompare(own, app, ui) {
  const $ = (id) => document.getElementById(id);
  const current = () => own.get('compare') || { before: null, after: null, target: null };
  const update = (patch) => own.set({ compare: { ...current(), ...patch } });
  own.set({ compare: current() });
  let abort = null;
  let seq = 0;
  let scrollToTarget = false; // after a hotspot is chosen, bring its table into view

  function setInputs(cmp, preset = null) {
    $('before-from').value = isoDay(cmp.before.from);
    $('before-to').value = toInputValue(cmp.before.to);
    $('after-from').value = isoDay(cmp.after.from);
    $('after-to').value = toInputValue(cmp.after.to);
    for (const b of document.querySelectorAll('[data-compare-preset]')) {
      b.setAttribute('aria-pressed', String(b.dataset.comparePreset === preset));
    }
  }

  function readInputs() {
    const w = (a, b) => {
      const from = parseDate($(a).value);
      const to = fromInputValue($(b).value);
      return from && to && from < to ? { from, to } : null;
    };
    return { before: w('before-from', 'before-to'), after: w('after-from', 'after-to') };
  }

  function build(span) {
    const onDates = () => {
      const { before, after } = readInputs();
      if (!before || !after) {
        ui.showError('compare-window', 'Enter both days of each window; the first day must be on or before the last.');
        return;
      }
      ui.clearError('compare-window');
      set({ before, after }, null, { keepTarget: false });
    };
    for (const id of ['before-from', 'before-to', 'after-from', 'after-to']) {
      $(id).addEventListener('change', onDates);
      if (span.from) $(id).min = isoDay(span.from);
    }
    for (const b of document.querySelectorAll('[data-compare-preset]')) {
      b.addEventListener('click', () => {
        if (!span.end) return;
        const w = COMPARE_PRESETS[b.dataset.comparePreset].window(span.end, span.from, app.state.compare);
        set(w, b.dataset.comparePreset, { keepTarget: false });
      });
    }
  }

  /** New windows: a new before window means new hotspots, so the target (a hotspot id) is dropped. */
  function set(w, preset, { keepTarget = false } = {}) {
    const c = current();
    const sameBefore = c.before && isoDay(c.before.from) === isoDay(w.before.from) && isoDay(c.before.to) === isoDay(w.before.to);
    update({ before: w.before, after: w.after, target: !keepTarget && !sameBefore ? null : c.target });
    setInputs(current(), preset);
    ui.onChange();
  }

  /** The windows (and target) at start: from the address, else the default comparison. */
  function init(cmp) {
    own.set({ compare: { before: cmp.before, after: cmp.after, target: cmp.target || null } });
  }

  /** The types or the weighting changed: the hotspots change, so the target (a hotspot id) is dropped. */
  function dropTarget() {
    if (current().target) update({ target: null });
  }

  /** Fetch the comparison (with the target when there is one) and show it. */
  async function load() {
    const c = current();
    const mine = ++seq;
    if (abort) abort.abort();
    abort = new AbortController();
    const panel = $('compare-body');
    panel.setAttribute('aria-busy', 'true');
    const base = compareApiQuery(c, app.state);
    const url = `api/compare?${base}${c.target ? `&hotspot=${encodeURIComponent(c.target)}` : ''}`;
    try {
      let ans;
      try {
        ans = await app.client.json(url, { signal: abort.signal });
      } catch (err) {
        if (err.name === 'AbortError' || !c.target || err.parameter !== 'hotspot') throw err;
        // The target is not a hotspot of this before window (any more): say so, and compare without it.
        ui.showError('compare-target', `That hotspot cannot be the target: ${ui.errorText(err)}`);
        update({ target: null });
        ans = await app.client.json(`api/compare?${base}`, { signal: abort.signal });
      }
      if (mine !== seq) return;
      ui.clearError('compare');
      own.set({ comparison: ans });
      $('summary').innerHTML = `<h2 id="summary-title" class="visually-hidden">Comparison of the two windows</h2>${compareStripHtml(ans, c)}`;
      panel.innerHTML = comparisonHtml(ans, c);
      renderTarget();
      if (scrollToTarget && ans.areas) $('target-body').scrollIntoView({ block: 'nearest' });
      scrollToTarget = false;
      own.set({ compareNotes: [...(ans.warnings || []).map(String), ...compareNotes(ans, c, { from: app.span.from, to: app.span.end })] });
      ui.onLoaded(ans);
    } catch (err) {
      if (err.name === 'AbortError') return;
      panel.innerHTML = '<p class="empty">The comparison could not load (see the message at the top).</p>';
      $('target-body').innerHTML = '';
      ui.showError('compare', `The comparison could not load: ${ui.errorText(err)}`);
    } finally {
      if (mine === seq) panel.removeAttribute('aria-busy');
    }
  }

  function renderTarget() {
    const box = $('target-body');
    const ans = own.get('comparison');
    const c = current();
    if (c.target && ans && ans.areas) {
      box.innerHTML = targetHtml(ans.areas, { place: ui.placeOf(c.target) });
    } else if (c.target) {
      box.innerHTML = '<p class="hint">Loading the target…</p>';
    } else {
      box.innerHTML = '<p class="hint">Choose a hotspot in the list below (or on the map) to measure the change in it, in the area just around it and in the control area.</p>';
    }
  }

  /** Make hotspot `id` (of the before window) the target and reload the comparison. */
  function setTarget(id) {
    const ans = own.get('comparison');
    if (current().target === id && ans && ans.areas) return;
    update({ target: id });
    scrollToTarget = true;
    ui.clearError('compare-target');
    renderTarget();
    load();
  }

  function cancel() {
    seq++;
    if (abort) abort.abort();
  }

  return { build, init, setInputs, load, setTarget, dropTarget, renderTarget, cancel };
}
