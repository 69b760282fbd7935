// The page's state discipline (no browser): every piece of shared state lives in the store, each key has one owner
// module, and no module writes another's fields. Checked two ways: at run time (the store refuses a write by a
// module that does not own the key, and its state is frozen, so a write in place throws), and by reading the
// modules' source (no assignment to a field of the shared page view or of a store value).
// node --test tests/browser/state.test.mjs
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createStore, deepFreeze } from '../../assets/store.js';
import { readHash, hashFor } from '../../assets/permalink.js';
import { defaultVisible, offeredIn, onlyParams } from '../../assets/layer-panel.js';
import { noticesFor } from '../../assets/summary-panel.js';
import { metresBetween } from '../../assets/hotspot-list.js';
import { parseDate, isoDay } from '../../assets/dates.js';
import { TASKING_DEFAULTS } from '../../assets/tasking.js';

const ASSETS = new URL('../../assets/', import.meta.url);
const modules = readdirSync(ASSETS).filter((f) => f.endsWith('.js'));
const source = (f) => readFileSync(new URL(f, ASSETS), 'utf8');

test('store: the state and the values in it are frozen, so a module cannot change one in place', () => {
  const store = createStore({ a: 1 });
  const cmp = store.as('compare', ['compare']);
  cmp.set({ compare: { before: { from: new Date(0), to: new Date(1) }, target: null, list: [1, 2] } });
  const got = store.get('compare');
  // Module code is strict: each of these writes throws instead of silently changing another module's state.
  assert.throws(() => {
    'use strict';
    got.target = 'h1';
  }, TypeError);
  assert.throws(() => {
    'use strict';
    got.before.from = null;
  }, TypeError);
  assert.throws(() => got.list.push(3), TypeError);
  assert.throws(() => {
    'use strict';
    store.get().compare = null;
  }, TypeError);
  assert.equal(store.get('compare').target, null);
  // The owner changes it through its handle; everybody else is refused.
  const other = store.as('list', ['selected']);
  assert.throws(() => other.set({ compare: {} }), /list may not write 'compare' \(compare owns it\)/);
  cmp.set({ compare: { ...got, target: 'h1' } });
  assert.equal(store.get('compare').target, 'h1');
  // Dates stay Dates; class instances are left alone.
  assert.ok(store.get('compare').before.from instanceof Date);
  const m = new Map();
  assert.equal(deepFreeze({ m }).m, m);
  assert.ok(!Object.isFrozen(m));
});

test('modules: each store key has one owner module (the store refuses a write by any other)', () => {
  const owners = new Map();
  for (const f of modules) {
    const code = source(f).split('\n').filter((l) => !/^\s*\/\//.test(l)).join('\n');
    for (const m of code.matchAll(/store\.as\('([\w-]+)', \[([^\]]*)\]\)/g)) {
      for (const key of m[2].split(',').map((k) => k.trim().replace(/'/g, '')).filter(Boolean)) {
        assert.ok(!owners.has(key), `'${key}' is claimed by ${owners.get(key)} and ${m[1]}`);
        owners.set(key, m[1]);
      }
    }
  }
  for (const key of ['window', 'mode', 'categories', 'harm', 'visible', 'selected', 'hotspots', 'compare', 'comparison', 'tasking',
    'taskingAnswer', 'emerging', 'emergingPeriod', 'query']) {
    assert.ok(owners.has(key), `no module owns '${key}'`);
  }
});

test('modules: none assigns to a field of the shared page view, of the store, or of a value read from the store', () => {
  // The page view is `page` in app.js and `app` in the modules it is handed to; `own.get(...)`/`store.get(...)`
  // values and the small helpers that return them (`t()`, `current()`, `em()`) are the store's, not to be edited.
  const writes = [
    /\b(app|page)\.[\w$.[\]'"]+\s*(=(?!=)|\+=|-=|\|\|=|&&=|\?\?=)/,
    /\b(own|store)\.get\([^)]*\)[\w$.?[\]'"]*\s*(=(?!=)|\+=|-=)/,
    /\b(t|current|em)\(\)\.[\w$.[\]'"]+\s*(=(?!=)|\+=|-=)/,
    /Object\.assign\(\s*(app|page)\b/,
    /\b(app|page)\.state\.\w+\.(add|delete|push|splice|clear)\(/,
  ];
  const found = [];
  for (const f of modules) {
    source(f).split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      for (const re of writes) if (re.test(code)) found.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
  // The modules that used to edit a shared `app` object now take their own store handle first.
  for (const [f, fn] of [['compare.js', 'makeCompare'], ['tasking-panel.js', 'makeTasking'], ['emerging.js', 'makeEmerging']]) {
    assert.match(source(f), new RegExp(`export function ${fn}\\(own, app, ui\\)`), f);
  }
});

test('modules: app.js is split into modules of a few hundred lines at most', () => {
  for (const f of modules) {
    const lines = source(f).split('\n').length;
    assert.ok(lines <= 460, `${f} has ${lines} lines`);
  }
});

test('permalink: the address read back gives the state written, and unknown names are dropped', () => {
  const infos = [
    { name: 'density', default_on: true, style: { kind: 'bands' } },
    { name: 'hotspots', default_on: true, style: { kind: 'outline' } },
    { name: 'change', mode: 'compare', default_on: true, style: { kind: 'diverging' } },
    { name: 'areas-lsoas', style: { kind: 'areas' } },
  ];
  const st = {
    window: { from: parseDate('2024-01-01'), to: parseDate('2024-04-01') },
    categories: ['Burglary'],
    harm: true,
    mode: 'compare',
    visible: ['change', 'hotspots'],
    shade: ['areas-lsoas'],
    compare: { before: { from: parseDate('2023-10-01'), to: parseDate('2024-01-01') }, after: { from: parseDate('2024-01-01'), to: parseDate('2024-04-01') }, target: 'h3' },
    tasking: { ...TASKING_DEFAULTS, candidate: null },
    emergingPeriod: 'week',
  };
  const hash = hashFor(st, 'map=14/50.7/-1.9');
  assert.match(hash, /&map=14\/50.7\/-1.9$/);
  const back = readHash(hash, { categories: ['Burglary', 'Robbery'], infos });
  assert.deepEqual([isoDay(back.window.from), isoDay(back.window.to)], ['2024-01-01', '2024-04-01']);
  assert.deepEqual(back.categories, ['Burglary']);
  assert.equal(back.harm, true);
  assert.equal(back.mode, 'compare');
  assert.deepEqual(back.visible, ['change', 'hotspots']);
  assert.deepEqual(back.shade, ['areas-lsoas']);
  assert.equal(back.compare.target, 'h3');
  assert.equal(isoDay(back.compare.before.from), '2023-10-01');
  assert.equal(back.emergingPeriod, 'week');
  // A category the store does not hold, a layer of another mode, a shade of a layer that is not a boundary layer.
  const odd = readHash('from=2024-01-01&to=2024-02-01&category=Nope&layers=change,density&shade=density', { categories: ['Burglary'], infos });
  assert.equal(odd.categories, undefined);
  assert.deepEqual(odd.visible, ['density']);
  assert.deepEqual(odd.shade, []);
  assert.equal(hashFor({ ...st, window: null }), null);
  // Writing never changes the (frozen) state it reads.
  assert.doesNotThrow(() => hashFor(deepFreeze({ ...st, mode: 'tasking' })));
});

test('layer panel: what each mode offers and switches on; a layer query keeps only the parameters it reads', () => {
  const infos = [
    { name: 'density', default_on: true, style: { kind: 'bands' } },
    { name: 'hotspots', default_on: true, style: { kind: 'outline' } },
    { name: 'labels', default_on: true, style: { kind: 'labels' } },
    { name: 'change', mode: 'compare', default_on: true, style: { kind: 'diverging' } },
  ];
  assert.deepEqual(defaultVisible(infos, 'map'), ['density', 'hotspots', 'labels']);
  assert.deepEqual(defaultVisible(infos, 'compare'), ['hotspots', 'labels', 'change']);
  assert.deepEqual(defaultVisible(infos, 'tasking'), ['density', 'labels']);
  assert.deepEqual(defaultVisible(infos, 'map', true), ['density', 'hotspots']);
  assert.equal(offeredIn(infos[3], 'map'), false);
  assert.equal(offeredIn(undefined, 'map'), false);
  assert.equal(onlyParams('from=a&to=b&category=x&category=y&weight=harm', ['from', 'category']), 'from=a&category=x&category=y');
});

test('notices by mode, and distances for the nearest hotspot', () => {
  const n = { summary: ['s'], hotspots: ['h'], compare: ['c'] };
  assert.deepEqual(noticesFor('map', n), ['s', 'h']);
  assert.deepEqual(noticesFor('compare', n), ['c', 'h']);
  assert.deepEqual(noticesFor('tasking', n), ['s']);
  // One degree of latitude is about 111.2 km.
  assert.ok(Math.abs(metresBetween([-1.9, 50], [-1.9, 51]) - 111195) < 10);
});
