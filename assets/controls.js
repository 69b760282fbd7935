// The filters and the page's frame: the crime types, weighting by harm, the three modes (hotspots, compare,
// tasking) and what each shows, and on a phone the settings drawer and the list's bottom sheet. Owns the store
// keys `mode`, `categories` (null for all) and `harm`.

import { esc } from './format.js';
import { windowText } from './dates.js';

/**
 * `own`: the store handle for `mode`, `categories` and `harm`. `page`: the read-only page view. `hooks`:
 * onFilters() (the types or the weighting are about to change), onMode(mode, leavingTasking), resizeMap().
 */
export function makeControls(own, page, hooks) {
  const $ = (id) => document.getElementById(id);

  function init({ mode, categories, harm }) {
    own.set({ mode: mode || 'map', categories: categories || null, harm: Boolean(harm) });
  }

  function build() {
    const meta = page.meta;
    const { from, end } = page.span;
    const heldText = meta.coverage?.held_text;
    document.querySelector('#compare .data-range-copy').textContent = heldText
      ? `Data held: ${heldText}.`
      : end ? `Data held up to ${windowText(from || end, end)}.` : '';

    // Crime types.
    const list = $('cat-list');
    list.replaceChildren();
    const chosen = own.get('categories');
    meta.categories.forEach((name, i) => {
      const label = document.createElement('label');
      label.className = 'check';
      label.innerHTML = `<input type="checkbox" id="cat-${i}" value="${esc(name)}"><span>${esc(name)}</span>`;
      label.querySelector('input').checked = chosen === null || chosen.includes(name);
      list.append(label);
    });
    const boxes = () => [...list.querySelectorAll('input[type=checkbox]')];
    const syncAll = () => {
      const on = boxes().filter((b) => b.checked).length;
      $('cat-all').checked = on === boxes().length;
      $('cat-all').indeterminate = on > 0 && on < boxes().length;
    };
    const readCats = () => {
      const on = boxes().filter((b) => b.checked).map((b) => b.value);
      hooks.onFilters();
      syncAll();
      own.set({ categories: on.length === boxes().length ? null : on });
    };
    list.addEventListener('change', readCats);
    $('cat-all').addEventListener('change', () => {
      for (const b of boxes()) b.checked = $('cat-all').checked;
      readCats();
    });
    syncAll();

    $('harm').checked = Boolean(own.get('harm'));
    $('harm').addEventListener('change', () => {
      hooks.onFilters();
      own.set({ harm: $('harm').checked });
    });
    $('print').addEventListener('click', () => window.print());

    for (const b of document.querySelectorAll('[data-mode]')) {
      b.hidden = b.dataset.mode === 'compare' && !page.infos.some((l) => l.mode === 'compare');
      b.addEventListener('click', () => setMode(b.dataset.mode));
    }

    // Phone: the settings drawer and the list's bottom sheet.
    $('drawer-toggle').addEventListener('click', () => setDrawer(!document.body.classList.contains('drawer-open')));
    $('sheet-toggle').addEventListener('click', () => setSheet(!document.body.classList.contains('sheet-open')));
  }

  function setDrawer(open) {
    document.body.classList.toggle('drawer-open', open);
    $('drawer-toggle').setAttribute('aria-expanded', String(open));
    $('drawer-toggle').textContent = open ? 'Map' : 'Settings';
    setTimeout(() => hooks.resizeMap(), 0);
  }

  function setSheet(open) {
    document.body.classList.toggle('sheet-open', open);
    $('sheet-toggle').setAttribute('aria-expanded', String(open));
  }

  /** What each mode shows: its fieldsets, its panel, the list's title and hint. */
  function showMode() {
    const mode = page.mode;
    const on = mode === 'compare';
    const tasks = mode === 'tasking';
    document.body.classList.toggle('comparing', on);
    document.body.classList.toggle('tasking', tasks);
    for (const b of document.querySelectorAll('[data-mode]')) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    $('compare').hidden = !on;
    $('time').hidden = on || tasks;
    $('weighting').hidden = tasks;
    $('tasking').hidden = !tasks;
    $('compare-panel').hidden = !on;
    $('tasking-panel').hidden = !tasks;
    $('hotspots-section').hidden = tasks;
    $('hotspots-title').textContent = on ? 'Hotspots of the before period' : 'Top hotspots';
    $('hotspots-hint').textContent = on
      ? 'Choose one to make it the target: the table above then shows its change, the area around it and elsewhere.'
      : 'Choose one to see it on the map. Counts: this window, then the same length of time just before it.';
  }

  function setMode(mode) {
    if (mode === page.mode) return;
    const leaving = page.mode === 'tasking';
    own.set({ mode });
    hooks.onMode(mode, leaving);
  }

  return { init, build, showMode, setMode, setDrawer, setSheet };
}
