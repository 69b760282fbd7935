// The search box: streets and areas by name (`GET /api/search?q=`), results as a list; choosing one sets the store
// key `focus` ({name, kind, lon, lat, bbox}), which the map flies to. Owns `focus`.

import { esc, int } from './format.js';

/** A result line: name, what it is, incidents. */
export function resultHtml(r, i) {
  const what = r.kind === 'street' ? `street${r.area ? `, ${r.area}` : ''}` : `area${r.layer ? ` (${r.layer})` : ''}`;
  return `<li role="option" id="search-opt-${i}" data-i="${i}"><button type="button" data-i="${i}"><strong>${esc(r.name)}</strong>` +
    ` <span class="what">${esc(what)}, ${int(r.incidents)} incidents</span></button></li>`;
}

export function makeSearch(store, client, ui) {
  const $ = (id) => document.getElementById(id);
  let results = [];
  let seq = 0;

  function choose(i) {
    const r = results[i];
    if (!r) return;
    $('search-results').hidden = true;
    $('search-input').value = r.name;
    store.set({ focus: { ...r, at: Date.now() } });
  }

  async function run(q, pickFirst = false) {
    const mine = ++seq;
    if (q.trim().length < 2) {
      $('search-results').hidden = true;
      return;
    }
    try {
      const ans = await client.json(`api/search?q=${encodeURIComponent(q)}&limit=8`);
      if (mine !== seq) return;
      results = ans.results || [];
      const box = $('search-results');
      box.innerHTML = results.length ? results.map(resultHtml).join('') : '<li class="empty">No street or area of that name.</li>';
      box.hidden = false;
      if (pickFirst && results.length) choose(0);
    } catch (err) {
      ui.showError('search', `Search failed: ${ui.errorText(err)}`);
    }
  }

  function build() {
    let t = null;
    $('search-input').addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(() => run($('search-input').value), 200);
    });
    $('search-form').addEventListener('submit', (e) => {
      e.preventDefault();
      clearTimeout(t);
      run($('search-input').value, true);
    });
    $('search-results').addEventListener('click', (e) => {
      const b = e.target.closest('[data-i]');
      if (b) choose(Number(b.dataset.i));
    });
  }

  return { build, run };
}
