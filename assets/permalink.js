// The address as the page's permalink: what the hash holds (window, types, weighting, mode, layers, shading, the
// compare windows and target, the tasking settings, the emerging period) read into a start state, and written back
// from the store's state whenever it changes. Pure (no DOM): tested by units.test.mjs.

import { parseDate, windowParam, parseWindowParam } from './dates.js';
import { buildQuery } from './client.js';
import { taskingFromHash, taskingToHash } from './tasking.js';
import { periodFromHash } from './emerging.js';
import { offeredIn } from './layer-panel.js';

/** The start state in the address `hash` (without '#'), keeping only what `meta` and the layers `infos` know. */
export function readHash(hash, { categories = [], infos = [] } = {}) {
  const h = new URLSearchParams(hash);
  const info = (name) => infos.find((l) => l.name === name);
  const out = {};
  const from = parseDate(h.get('from'));
  const to = parseDate(h.get('to'));
  if (from && to && from < to) out.window = { from, to };
  const cats = h.getAll('category').filter((c) => categories.includes(c));
  if (cats.length) out.categories = cats;
  if (h.get('weight') === 'harm') out.harm = true;
  if (h.get('mode') === 'compare' && infos.some((l) => l.mode === 'compare')) out.mode = 'compare';
  if (h.get('mode') === 'tasking') out.mode = 'tasking';
  out.tasking = taskingFromHash(h);
  out.emergingPeriod = periodFromHash(h);
  out.shade = (h.get('shade') || '').split(',').filter((l) => info(l)?.style?.kind === 'areas');
  const mode = out.mode || 'map';
  if (h.has('layers')) out.visible = h.get('layers').split(',').filter((l) => offeredIn(info(l), mode));
  const before = parseWindowParam(h.get('before'));
  const after = parseWindowParam(h.get('after'));
  if (before && after) out.compare = { before, after, target: h.get('target') || null };
  return out;
}

/**
 * The hash for a state: `st` = {window, categories, harm, mode, visible (the mode's layers), shade, compare,
 * tasking, emergingPeriod}; `view` is the map's own `map=` part, kept as it is. Null while there is no window.
 */
export function hashFor(st, view = null) {
  if (!st.window || !st.window.from || !st.window.to) return null;
  const mode = st.mode || 'map';
  const h = new URLSearchParams(buildQuery({ from: st.window.from, to: st.window.to, categories: st.categories ?? null, harm: Boolean(st.harm) }));
  h.delete('rank_by');
  h.set('layers', [...(st.visible || [])].join(','));
  const c = st.compare || {};
  if (mode === 'compare') h.set('mode', 'compare');
  if (c.before && c.after) {
    h.set('before', windowParam(c.before));
    h.set('after', windowParam(c.after));
  }
  if (mode === 'compare' && c.target) h.set('target', c.target);
  if (mode === 'tasking' && st.tasking) {
    h.set('mode', 'tasking');
    taskingToHash(st.tasking, h);
  }
  if (st.emergingPeriod && st.emergingPeriod !== 'month') h.set('period', st.emergingPeriod);
  if (st.shade && st.shade.length) h.set('shade', [...st.shade].join(','));
  return `${h.toString()}${view ? `&${view}` : ''}`;
}
