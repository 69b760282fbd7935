// The emerging hot spots layer: each map square classed by how its Gi* hot or cold spots changed over time steps
// (months or weeks) and its Mann-Kendall trend. The pure pieces at the top (colours, style layers, legend, popup
// rows) are tested by tests/browser/units.test.mjs; `makeEmerging` wires the layer to the page: the period choice,
// `GET /api/emerging` for the classes present (and for a refusal such as weeks on monthly data, which is shown as
// the API words it), and the `emerging` tile source, which is pointed only at queries the API accepted.

import { int, num, esc } from './format.js';
import { periodLabel } from './dates.js';

/**
 * Every class in drawing and legend order: hot classes first, strongest (new, intensifying) darkest red; cold
 * classes in blues, strongest darkest. `what` is a short reading for the legend.
 */
export const EMERGING_CLASSES = [
  { code: 'new_hot', name: 'New hot spot', colour: '#7f0000', what: 'hot in the last step for the first time' },
  { code: 'intensifying_hot', name: 'Intensifying hot spot', colour: '#c4161c', what: 'hot nearly always, and getting hotter' },
  { code: 'consecutive_hot', name: 'Consecutive hot spot', colour: '#ec5a2c', what: 'one unbroken run of hot steps up to the last' },
  { code: 'persistent_hot', name: 'Persistent hot spot', colour: '#f68d45', what: 'hot nearly always, no clear trend' },
  { code: 'oscillating_hot', name: 'Oscillating hot spot', colour: '#f9b55a', what: 'hot in the last step, cold in some earlier' },
  { code: 'sporadic_hot', name: 'Sporadic hot spot', colour: '#fbd47f', what: 'hot on and off, never cold' },
  { code: 'diminishing_hot', name: 'Diminishing hot spot', colour: '#d7a97c', what: 'hot nearly always, but cooling' },
  { code: 'historical_hot', name: 'Historical hot spot', colour: '#e8d9c3', what: 'hot before, but not in the last step' },
  { code: 'new_cold', name: 'New cold spot', colour: '#08306b', what: '' },
  { code: 'intensifying_cold', name: 'Intensifying cold spot', colour: '#1c5ea8', what: '' },
  { code: 'consecutive_cold', name: 'Consecutive cold spot', colour: '#3a86c4', what: '' },
  { code: 'persistent_cold', name: 'Persistent cold spot', colour: '#6baed6', what: '' },
  { code: 'oscillating_cold', name: 'Oscillating cold spot', colour: '#94c4df', what: '' },
  { code: 'sporadic_cold', name: 'Sporadic cold spot', colour: '#b9d7ea', what: '' },
  { code: 'diminishing_cold', name: 'Diminishing cold spot', colour: '#a9b8cc', what: '' },
  { code: 'historical_cold', name: 'Historical cold spot', colour: '#d6e2ee', what: '' },
];

export const EMERGING_HELP =
  'How each square\'s hot or cold spots changed over the time steps of the window: new, intensifying, persistent, fading.';

const OTHER = '#bdbdbd';

/** The colour of a class code (grey for a code this page does not know). */
export function emergingColour(code) {
  const c = EMERGING_CLASSES.find((k) => k.code === code);
  return c ? c.colour : OTHER;
}

/** A MapLibre `match` expression: class -> colour. */
export function emergingColourExpr() {
  const expr = ['match', ['get', 'class']];
  for (const c of EMERGING_CLASSES) expr.push(c.code, c.colour);
  expr.push(OTHER);
  return expr;
}

export function emergingStyleLayers(layer) {
  const src = { source: layer, 'source-layer': layer };
  return [
    {
      id: `${layer}:fill`,
      type: 'fill',
      ...src,
      paint: { 'fill-color': emergingColourExpr(), 'fill-opacity': 0.72, 'fill-antialias': false },
    },
    {
      // The two strongest hot classes get a dark outline so they stand out from persistent ones.
      id: `${layer}:strong`,
      type: 'line',
      ...src,
      filter: ['match', ['get', 'class'], ['new_hot', 'intensifying_hot'], true, false],
      paint: { 'line-color': '#3b0000', 'line-width': 1.2 },
    },
  ];
}

/** The period parameter: "month", "week" or "Nd". */
export function periodWords(period, n = null) {
  const unit = period === 'week' ? 'week' : period === 'month' ? 'month' : String(period);
  return n === null ? `${unit}s` : `${int(n)} ${unit}${n === 1 ? '' : 's'}`;
}

/** "3 months: Jan 2024 to Mar 2024" from the API's steps (`FROM..TO` each). */
export function stepsText(answer) {
  const steps = (answer && Array.isArray(answer.steps) ? answer.steps : []).map((s) => String(s).split('..')[0]);
  if (!steps.length) return '';
  const interval = answer.period === 'month' ? 'month' : 'week';
  const first = periodLabel(steps[0], interval);
  const last = periodLabel(steps[steps.length - 1], interval);
  return `${periodWords(answer.period, steps.length)}: ${first}${steps.length > 1 ? ` to ${last}` : ''}`;
}

/**
 * The legend: each class present (from /api/emerging, with its number of squares), else every class; the steps;
 * the API's warnings; or the API's refusal. `info` = {answer, error, loading}.
 */
export function emergingLegendHtml(info = {}) {
  if (info.error) return `<p class="legend-error" data-testid="emerging-error">${esc(info.error)}</p>`;
  const a = info.answer;
  if (!a) return `<p class="legend-note">${info.loading ? 'Working out the classes…' : 'Classes appear when the layer has loaded.'}</p>`;
  const present = Array.isArray(a.classes) ? a.classes.filter((c) => Number(c.cells) > 0) : [];
  if (!present.length) {
    return `<p class="legend-note">No square is a hot or cold spot in any step${a.steps && a.steps.length ? ` (${esc(stepsText(a))})` : ''}.</p>`;
  }
  const order = (code) => {
    const i = EMERGING_CLASSES.findIndex((k) => k.code === code);
    return i < 0 ? 99 : i;
  };
  const rows = [...present]
    .sort((x, y) => order(x.class) - order(y.class))
    .map((c) => {
      const known = EMERGING_CLASSES.find((k) => k.code === c.class);
      const what = known && known.what ? ` <span class="legend-what">(${esc(known.what)})</span>` : '';
      return `<li data-class="${esc(c.class)}"><span class="swatch" style="background:${emergingColour(c.class)}" aria-hidden="true"></span>` +
        `<span>${esc(c.name || (known ? known.name : c.class))}: ${int(c.cells)} square${Number(c.cells) === 1 ? '' : 's'}${what}</span></li>`;
    })
    .join('');
  const size = Number(a.cell_m) > 0 ? `, squares of ${int(a.cell_m)} m, neighbourhood ${int(a.band_m)} m` : '';
  const warnings = (a.warnings || []).slice(0, 3).map((w) => `<li>${esc(w)}</li>`).join('');
  const more = (a.warnings || []).length > 3 ? `<li>and ${int(a.warnings.length - 3)} more</li>` : '';
  return `<p class="legend-note">Steps: ${esc(stepsText(a))}${esc(size)}</p>
    <ul class="legend legend-emerging" data-testid="emerging-legend">${rows}</ul>
    ${warnings ? `<ul class="legend-warnings">${warnings}${more}</ul>` : ''}`;
}

/** What a click on an emerging square says: [label, value] rows. */
export function emergingPopupRows(p, steps = null) {
  const rows = [];
  const of = Number(steps) > 0 ? ` of ${int(steps)}` : '';
  if (p.hot_steps !== undefined) rows.push(['Hot steps', `${int(p.hot_steps)}${of}`]);
  if (Number(p.cold_steps) > 0) rows.push(['Cold steps', `${int(p.cold_steps)}${of}`]);
  if (p.mk_z !== undefined) {
    const z = Number(p.mk_z);
    const dir = z > 0 ? 'getting hotter' : z < 0 ? 'cooling' : 'no trend';
    rows.push(['Trend z (Mann-Kendall)', `${num(z, 2)} (${dir})`]);
  }
  if (p.incidents !== undefined) rows.push(['Incidents (all steps)', int(p.incidents)]);
  return rows;
}

// ---------------------------------------------------------------- the page's side

/**
 * `own`: the store handle for the keys this module owns, `emergingPeriod` and `emerging` ({answer, error, query,
 * loading, asked}); `app`: the read-only page view. `ui`: showError(key, text), clearError(key), errorText(err),
 * ensureSource() (point the tile source at the accepted query), dropSource() (remove it), renderLegend(), setOff().
 */
export function makeEmerging(own, app, ui) {
  let abort = null;
  let seq = 0;
  own.set({ emerging: { answer: null, error: null, query: '', loading: false, asked: '' }, emergingPeriod: 'month' });
  const em = () => own.get('emerging');
  const update = (patch) => own.set({ emerging: { ...em(), ...patch } });

  /** The period at start (from the address). */
  function init(period) {
    own.set({ emergingPeriod: period || 'month' });
  }

  // The window and types of the page, the squares and band of the zoom (ui.scale()), the period chosen.
  const wanted = () => {
    const q = new URLSearchParams(app.query);
    q.delete('cell_m');
    q.delete('bandwidth_m');
    return `${q}&${ui.scale ? ui.scale() : ''}&period=${encodeURIComponent(app.state.emergingPeriod || 'month')}`;
  };

  /** The period choice, under the layer's toggle (shown while the layer is on). */
  function build() {
    const div = document.querySelector('.layer[data-layer="emerging"]');
    if (!div || div.querySelector('.layer-options')) return;
    const box = document.createElement('div');
    box.className = 'layer-options';
    box.innerHTML = `<label for="emerging-period">Time steps</label>
      <select id="emerging-period"><option value="month">Months</option><option value="week">Weeks</option></select>`;
    div.querySelector('.legend-box').before(box);
    const sel = box.querySelector('select');
    sel.value = app.state.emergingPeriod || 'month';
    sel.addEventListener('change', () => {
      own.set({ emergingPeriod: sel.value });
      load();
    });
  }

  function sync() {
    const sel = document.getElementById('emerging-period');
    if (sel) sel.value = app.state.emergingPeriod || 'month';
  }

  /** Ask /api/emerging for the current window and period; on success point the tiles there, else say why. */
  async function load() {
    sync();
    if (!app.state.visible.has('emerging') || !app.query) return;
    const q = wanted();
    if (q === em().asked && !em().loading) {
      ui.ensureSource();
      return;
    }
    const mine = ++seq;
    if (abort) abort.abort();
    abort = new AbortController();
    update({ asked: q, loading: true, error: null });
    ui.renderLegend();
    try {
      const ans = await app.client.json(`api/emerging?${q}`, { signal: abort.signal });
      if (mine !== seq) return;
      ui.clearError('emerging');
      // The tiles are pointed only at a query the API accepted and found meaningful.
      update({ answer: ans, error: null, query: ans.meaningful === false ? '' : q });
      if (ans.meaningful === false) {
        // Too few steps to tell a trend from chance: off, with the API's reason beside the toggle.
        if (ui.setOff) ui.setOff(ans.reason || 'too few time steps in this window');
        ui.dropSource();
        return;
      }
      if (ui.setOff) ui.setOff(null);
      ui.ensureSource();
    } catch (err) {
      if (err.name === 'AbortError' || mine !== seq) return;
      const text = ui.errorText(err);
      update({ answer: null, error: text, query: '' });
      ui.dropSource();
      ui.showError('emerging', `The emerging hot spots layer could not load: ${text}`);
    } finally {
      if (mine === seq) {
        update({ loading: false });
        ui.renderLegend();
      }
    }
  }

  function cancel() {
    seq++;
    if (abort) abort.abort();
    update({ loading: false, asked: '' });
  }

  return { init, build, load, cancel, sync };
}

/** The period from the address (`period=week`), else months. */
export function periodFromHash(h) {
  const p = h.get('period');
  return p === 'week' || /^\d{1,3}d$/.test(p || '') ? p : 'month';
}
