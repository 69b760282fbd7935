// The summary strip (`/api/summary` for the window: totals, harm, the series), the notices line (the warnings of
// the summary, the hotspot list and the comparison, by mode) and "Settings used". Owns the store keys `summary`
// (the last answer) and `summaryNotes`; it reads `hotspotNotes` and `compareNotes`, which their modules own.

import { summaryHtml, parametersHtml } from './panels.js';
import { compareParametersHtml } from './compare.js';
import { taskingParametersHtml } from './tasking.js';
import { showError, clearError, errorText, showNotices } from './messages.js';

/** The notices shown in a mode: compare mode the comparison's, tasking mode the summary's, else summary and list. */
export function noticesFor(mode, { summary = [], hotspots = [], compare = [] } = {}) {
  const first = mode === 'compare' ? compare : summary;
  return mode === 'tasking' ? first : [...first, ...hotspots];
}

/**
 * `own`: the store handle for `summary` and `summaryNotes`. `page`: the read-only page view. `hooks`:
 * isCurrent(gen), abortable(name), taskingWindow(), taskingAt().
 */
export function makeSummary(own, page, hooks) {
  const $ = (id) => document.getElementById(id);

  function updateNotices() {
    const st = page.store.get();
    showNotices(noticesFor(page.mode, { summary: st.summaryNotes || [], hotspots: st.hotspotNotes || [], compare: st.compareNotes || [] }));
  }
  page.store.subscribe(['summaryNotes', 'hotspotNotes', 'compareNotes'], updateNotices);

  async function load(gen) {
    const q = page.query;
    const tw = page.mode === 'tasking' ? hooks.taskingWindow() : null;
    const state = { from: page.state.from, to: page.state.to, harm: page.harmOn(), ...(tw ? { from: tw.from, to: tw.to } : {}) };
    try {
      const s = await page.client.json(`api/summary?${q}`, { signal: hooks.abortable('summary') });
      if (!hooks.isCurrent(gen)) return;
      clearError('summary');
      $('summary').innerHTML = `<h2 id="summary-title" class="visually-hidden">Summary of the selected incidents</h2>${summaryHtml(s, state)}`;
      const notes = Array.isArray(s.warnings) ? s.warnings.map(String) : [];
      if (Number(s.incidents) === 0) notes.unshift('no incidents of the chosen types in this window. Widen the window or choose more types.');
      own.set({ summary: s, summaryNotes: notes });
      renderParameters();
    } catch (err) {
      if (err.name === 'AbortError') return;
      showError('summary', `The summary could not load: ${errorText(err)}`);
    }
  }

  /** A new mode: the last summary's settings no longer describe what is shown. */
  function forget() {
    own.set({ summary: null });
  }

  function renderParameters() {
    if (page.mode === 'tasking') {
      $('parameter-list').innerHTML = page.tasking ? taskingParametersHtml(page.tasking, { ...page.state.tasking, at: hooks.taskingAt() }) : '';
      return;
    }
    const fc = page.hotspotAnswer || {};
    const params = { ...(own.get('summary')?.parameters || {}), ...(fc.parameters || {}) };
    const compareItems = page.mode === 'compare' ? compareParametersHtml(page.state.compare, page.comparison) : '';
    $('parameter-list').innerHTML = compareItems + parametersHtml(params, {
      from: page.state.from,
      to: page.state.to,
      rule: fc.rule,
      rank_by: fc.rank_by,
      threshold: fc.density_threshold_per_km2,
    });
  }

  return { load, forget, renderParameters, updateNotices };
}
