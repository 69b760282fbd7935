// The time window: a slider over the months (or weeks) the store holds, a window length, play/pause, the bars of
// the data held (clickable, to jump there), and exact dates under "Other dates". Owns the store keys `window`
// ({from, to}: Dates, to exclusive), `steps` (the periods held, from the API's all-time series), `lengthSteps` and
// `playing`. The pure functions at the top are tested by units.test.mjs.

import { addMonths, addDays, isoDay, parseDate, toInputValue, fromInputValue, periodLabel, windowText } from './dates.js';
import { int, esc } from './format.js';

/** The periods held: the API's series periods with at least one incident, as Dates, in order. */
export function stepsHeld(series) {
  return (series || [])
    .filter((p) => Number(p.count) > 0)
    .map((p) => ({ start: parseDate(p.period), count: Number(p.count), period: String(p.period) }))
    .filter((p) => p.start)
    .sort((a, b) => a.start - b.start);
}

/** The end (exclusive) of a period starting at `start`: a month or a week later. */
export function stepEnd(start, interval) {
  return interval === 'week' ? addDays(start, 7) : addMonths(start, 1);
}

/** The window of `n` steps ending with the period that starts at `endStart` (calendar months, or weeks). */
export function windowEndingAt(endStart, n, interval) {
  const to = stepEnd(endStart, interval);
  const from = interval === 'week' ? addDays(to, -7 * n) : addMonths(to, -n);
  return { from, to };
}

/** The window in words for legends: "in these 3 months" or "in these 12 weeks" or "in these 45 days". */
export function periodWords(w, interval = 'month') {
  if (!w) return '';
  const d = Math.round((w.to - w.from) / 86400000);
  const months = (w.to.getUTCFullYear() - w.from.getUTCFullYear()) * 12 + w.to.getUTCMonth() - w.from.getUTCMonth();
  if (interval !== 'week' && w.from.getUTCDate() === 1 && w.to.getUTCDate() === 1 && months > 0) {
    return months === 1 ? 'in this month' : `in these ${months} months`;
  }
  if (d % 7 === 0) return d === 7 ? 'in this week' : `in these ${d / 7} weeks`;
  return d === 1 ? 'on this day' : `in these ${d} days`;
}

/** Window lengths offered (in steps). */
export const LENGTHS = { month: [1, 3, 6, 12], week: [1, 4, 8, 13] };

/** The header's bars of the periods held, each a button that jumps the window's end there. */
export function barsHtml(steps, interval, window) {
  if (!steps.length) return '';
  const max = Math.max(1, ...steps.map((s) => s.count));
  const inWin = (s) => window && s.start >= window.from && s.start < window.to;
  const bars = steps
    .map((s, i) => {
      const h = Math.max(2, Math.round((s.count / max) * 30));
      const label = `${periodLabel(s.period, interval)}: ${int(s.count)} incidents`;
      return `<button type="button" class="bar${inWin(s) ? ' in' : ''}" data-step="${i}" title="${esc(label)}" aria-label="Show up to ${esc(periodLabel(s.period, interval))} (${int(s.count)} incidents)"><span style="height:${h}px"></span></button>`;
    })
    .join('');
  return `<div class="bars" role="group" aria-label="Incidents by ${interval} held; choose one to show up to it">${bars}</div>`;
}

/**
 * The time controls. `ui`: {summarySeries() -> Promise<{series, interval}>, onFrame(frame) -> Promise (resolves when
 * the frame has loaded)}. `store` is this module's store handle.
 */
export function makeTime(store, ui) {
  const $ = (id) => document.getElementById(id);
  let interval = 'month';
  let timer = null;

  function current() {
    return store.get('window');
  }

  function set(w, { fromSlider = false } = {}) {
    store.set({ window: { from: w.from, to: w.to } });
    sync(fromSlider);
  }

  /** The step index whose period ends the window (the last held period before `to`). */
  function endIndex(w) {
    const steps = store.get('steps') || [];
    let k = -1;
    steps.forEach((s, i) => {
      if (s.start < w.to) k = i;
    });
    return Math.max(0, k);
  }

  function sync(fromSlider = false) {
    const w = current();
    if (!w) return;
    const steps = store.get('steps') || [];
    const k = endIndex(w);
    if (!fromSlider && $('t-slider')) $('t-slider').value = String(k);
    $('from').value = isoDay(w.from);
    $('to').value = toInputValue(w.to);
    $('t-label').textContent = windowText(w.from, w.to);
    $('t-slider').setAttribute('aria-valuetext', windowText(w.from, w.to));
    $('held-bars').innerHTML = barsHtml(steps, interval, w);
  }

  function lengthSteps() {
    return Number($('t-length').value) || 3;
  }

  function goTo(k) {
    const steps = store.get('steps') || [];
    if (!steps[k]) return;
    set(windowEndingAt(steps[k].start, lengthSteps(), interval), { fromSlider: true });
  }

  async function build(defaultWindow) {
    const { series, interval: iv } = await ui.summarySeries();
    interval = iv === 'week' ? 'week' : 'month';
    const steps = stepsHeld(series);
    store.set({ steps, interval });
    const sel = $('t-length');
    sel.innerHTML = LENGTHS[interval].map((n) => `<option value="${n}">${n} ${interval}${n === 1 ? '' : 's'}</option>`).join('');
    sel.value = '3';
    const slider = $('t-slider');
    slider.min = '0';
    slider.max = String(Math.max(0, steps.length - 1));
    slider.step = '1';
    slider.disabled = steps.length < 2;
    const w = defaultWindow || (steps.length ? windowEndingAt(steps[steps.length - 1].start, 3, interval) : null);
    if (w) {
      // A window of whole steps given by the address keeps its length.
      const n = interval === 'month' && w.from.getUTCDate() === 1 && w.to.getUTCDate() === 1
        ? (w.to.getUTCFullYear() - w.from.getUTCFullYear()) * 12 + w.to.getUTCMonth() - w.from.getUTCMonth() : null;
      if (n && LENGTHS.month.includes(n)) sel.value = String(n);
      set(w);
    }
    slider.addEventListener('input', () => goTo(Number(slider.value)));
    sel.addEventListener('change', () => goTo(endIndex(current())));
    $('held-bars').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-step]');
      if (b) goTo(Number(b.dataset.step));
    });
    $('t-play').addEventListener('click', () => (store.get('playing') ? stop() : play()));
    const onDates = () => {
      const from = parseDate($('from').value);
      const to = fromInputValue($('to').value);
      if (from && to && from < to) set({ from, to });
    };
    $('from').addEventListener('change', onDates);
    $('to').addEventListener('change', onDates);
    const held = steps.length ? `${periodLabel(steps[0].period, interval)} to ${periodLabel(steps[steps.length - 1].period, interval)}` : '';
    const apiHeld = ui.heldText ? ui.heldText() : null;
    $('data-range').textContent = !steps.length
      ? 'The store holds no dated incidents.'
      : apiHeld
        ? `Data held: ${apiHeld} (${steps.length} ${interval}s with incidents).`
        : `Data held: ${steps.length} ${interval}s with incidents, ${held}.`;
    return w;
  }

  /** Step the window's end through the periods held, one frame at a time, each shown once it has loaded. */
  async function play() {
    const steps = store.get('steps') || [];
    if (steps.length < 2) return;
    store.set({ playing: true, frame: 0 });
    $('t-play').textContent = 'Pause';
    $('t-play').setAttribute('aria-pressed', 'true');
    let k = endIndex(current());
    if (k >= steps.length - 1) k = Math.min(steps.length - 1, lengthSteps() - 1); // from the start again
    else k += 1;
    while (store.get('playing') && k < steps.length) {
      goTo(k);
      store.set({ frame: (store.get('frame') || 0) + 1 });
      await ui.onFrame(current());
      if (!store.get('playing')) break;
      await new Promise((r) => {
        timer = setTimeout(r, 900);
      });
      k += 1;
    }
    stop();
  }

  function stop() {
    clearTimeout(timer);
    store.set({ playing: false });
    $('t-play').textContent = 'Play';
    $('t-play').setAttribute('aria-pressed', 'false');
  }

  return { build, set, sync, play, stop, interval: () => interval };
}
