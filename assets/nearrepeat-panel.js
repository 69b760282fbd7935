// Near-repeat zones in tasking mode: a short section under the tasking list (per category: how many zones, the risk
// neighbourhood, the soonest and latest expiry, the most recent zones, the record), and the `nearrepeat` tile layer
// turned on, as of the list's date. The zones come with `/api/tasking` (`near_repeat`); the layer's tiles are the
// same cached zones on the server.

import { esc } from './format.js';

/** `2017-07-14 21:30` from an ISO instant. */
function when(iso) {
  return String(iso || '').replace('T', ' ').replace(/:00Z$|Z$/, '');
}

/** Zones listed per category (the most recent first). */
export const ZONES_LISTED = 5;

/** The section's HTML for a tasking answer's `near_repeat` (pure: the browser unit tests call it). */
export function nearRepeatHtml(nr) {
  if (!nr) return '';
  const head = `<h3>Near-repeat zones</h3>`;
  if (nr.reason) return `${head}<p class="nr-none" data-testid="nr-reason">None: ${esc(nr.reason)}.</p>`;
  const parts = (nr.categories || []).map((c) => {
    const title = `<h4>${esc(c.category)}</h4>`;
    if (c.reason) return `${title}<p class="nr-none">No zones: ${esc(c.reason)}.</p>`;
    const zones = c.zones || [];
    const expiries = zones.map((z) => z.expires).sort();
    const km2 = (Number(c.total_area_m2) / 1e6).toFixed(2);
    const summary = `<p class="nr-summary" data-testid="nr-count">${zones.length} zone${zones.length === 1 ? '' : 's'} (${km2} km²): \
neighbours within ${esc(c.radius_m)} m at raised risk for ${esc(c.risk_days)} days after each incident of the last \
${esc(nr.nr_days)} days. First expiry ${esc(when(expiries[0]))}, last ${esc(when(expiries[expiries.length - 1]))}.</p>`;
    const rows = zones.slice(0, ZONES_LISTED).map((z) => `<li data-zone="${esc(z.id)}"><span class="nr-place">${esc(z.name || z.id)}</span> \
<span class="nr-facts">${esc(z.incidents)} incident${z.incidents === 1 ? '' : 's'}, ${esc(z.addresses_worth)} addresses-worth; until \
${esc(when(z.expires))} (${Number(z.days_left).toFixed(1)} days)${z.candidate ? `, in place ${esc(z.candidate)}` : ''}</span></li>`);
    const more = zones.length > ZONES_LISTED ? `<p class="nr-more">and ${zones.length - ZONES_LISTED} more on the map.</p>` : '';
    const record = c.validation ? `<p class="nr-record">Record: ${esc(c.validation.sentence)}.</p>` : '';
    return `${title}${summary}<ol class="nr-zones">${rows.join('')}</ol>${more}${record}`;
  });
  return head + parts.join('');
}

/** The layer's query: the list's "as of", its categories (as the list asked) and `nr_days`. */
export function nearRepeatQuery(nr, categories = []) {
  const q = new URLSearchParams();
  q.set('at', nr.as_of);
  for (const c of categories) q.append('category', c);
  q.set('nr_days', String(nr.nr_days));
  return q.toString();
}

/**
 * `own`: the store handle for the key this module owns, `nrQuery` (the `nearrepeat` layer's query in tasking mode,
 * '' without zones); `page`: the read-only page view; `ui.showLayer(name, on)` turns a tile layer on or off.
 */
export function makeNearRepeat(own, page, ui) {
  own.set({ nrQuery: '' });
  function section() {
    let el = document.getElementById('nr-section');
    if (!el) {
      el = document.createElement('section');
      el.id = 'nr-section';
      el.className = 'nr-section';
      el.dataset.testid = 'nr-section';
      el.setAttribute('aria-live', 'polite');
      document.getElementById('tasking-list')?.after(el);
    }
    return el;
  }

  /** Show a tasking answer's zones (or nothing), and the layer with them. */
  function render(ans) {
    const nr = ans && ans.near_repeat;
    const el = section();
    el.innerHTML = nearRepeatHtml(nr);
    el.hidden = !nr;
    const zones = nr && !nr.reason && (nr.categories || []).some((c) => (c.zones || []).length);
    const cats = Array.isArray(page.state.categories) ? page.state.categories : [];
    own.set({ nrQuery: zones ? nearRepeatQuery(nr, cats) : '' });
    if (zones && page.mode === 'tasking') ui.showLayer('nearrepeat', true);
  }

  return { render };
}
