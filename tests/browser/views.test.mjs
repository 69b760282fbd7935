// The page as its users meet it, in Debian's Chromium (run by .ci/browser-test after page.test.mjs):
//   (p) a phone (390x844): the map is in view at first paint; a PCSO types a street, flies there, opens the nearest
//       hotspot and reads its name, crime mix and change in 4 actions; visible touch targets are at least 44 px;
//   (s) a desktop (1440x900): the time slider plays 6 frames, each with its tiles loaded, the legend unchanged;
//   (w) tile sizes on the Dorset data: no density tile over 100 KB, a phone's first view (API and tiles) under
//       300 KB; printed;
//   (n) a layer the page has never heard of (added to /api/meta by the test) appears in the list with its legend;
//   (b) with `serve --basemap FILE.pmtiles` (a small protomaps-schema basemap the test built), the basemap is read
//       by byte ranges and drawn: roads and names on screen.
// Usage: node tests/browser/views.test.mjs http://127.0.0.1:PORT/ http://127.0.0.1:PORT2/  (the second serves a basemap)
// Screenshots: target/browser/phone-*.png, desktop-*.png, slider-*.png, basemap.png.

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idle as idleFor } from './map-idle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', '..', 'target', 'browser');
const [base, baseBasemap] = process.argv.slice(2);
const WAIT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 90000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'];
const KB = 1024;

const results = [];
class CheckFailed extends Error {}
function check(name, ok, detail) {
  results.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) throw new CheckFailed(`${name}: ${detail}`);
}

/** A new page with console errors, API calls and tile sizes recorded. */
async function open(context, url, { viewport, before } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const log = { errors: [], responses: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' && !/GL Driver Message/.test(m.text())) log.errors.push(m.text());
  });
  page.on('pageerror', (e) => log.errors.push(String(e)));
  page.on('requestfinished', async (req) => {
    try {
      const res = await req.response();
      const sizes = await req.sizes();
      log.responses.push({ url: req.url(), status: res ? res.status() : 0, bytes: sizes.responseBodySize + sizes.responseHeadersSize, at: Date.now() });
    } catch {
      /* the page went away */
    }
  });
  if (before) await before(page);
  await page.goto(url, { waitUntil: 'load', timeout: WAIT });
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: WAIT });
  const state = await page.evaluate(() => document.body.dataset.state);
  const msgs = await page.evaluate(() => [...document.querySelectorAll('#messages p span')].map((s) => s.textContent));
  check(`page ready at ${viewport ? `${viewport.width}x${viewport.height}` : 'default size'}`, state === 'ready', JSON.stringify(msgs));
  await idle(page);
  return { page, log };
}

const idle = (page) => idleFor(page, WAIT);

const isTile = (u, layer = '[^/]+') => new RegExp(`/tiles/${layer}/\\d+/\\d+/\\d+\\.mvt`).test(u);
const isData = (u) => /\/api\/|\/tiles\//.test(u);

async function phoneChecks(context) {
  const { page, log } = await open(context, base, { viewport: { width: 390, height: 844 } });
  await page.screenshot({ path: path.join(outDir, 'phone-first.png') });
  const map = await page.locator('#map').boundingBox();
  check('(p) phone: the map is in view at first paint', map && map.y < 200 && map.height > 450 && map.width >= 380,
    `map at y=${map && map.y.toFixed(0)}, ${map && map.width.toFixed(0)}x${map && map.height.toFixed(0)} px`);

  // Touch targets: every visible control outside the map canvas is at least 44 px tall (and badges 32 px).
  const small = await page.evaluate(() => [...document.querySelectorAll('button, input, select, summary, a[href]')]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth &&
        !el.closest('.maplibregl-marker') && el.type !== 'hidden';
    })
    .map((el) => {
      const r = el.getBoundingClientRect();
      const box = el.type === 'checkbox' || el.type === 'radio' ? el.closest('label')?.getBoundingClientRect() || r : r;
      return { what: el.id || el.textContent.trim().slice(0, 20) || el.className || el.tagName, h: Math.round(box.height) };
    })
    .filter((x) => x.h < 44));
  check('(p) phone: visible touch targets are at least 44 px tall', small.length === 0, small.length ? JSON.stringify(small) : 'all >= 44 px');

  // First view's data: the API answers and tiles fetched until ready.
  const dataBytes = log.responses.filter((r) => isData(r.url)).reduce((a, r) => a + r.bytes, 0);
  const assetBytes = log.responses.filter((r) => !isData(r.url)).reduce((a, r) => a + r.bytes, 0);
  console.log(`     phone first view: ${(dataBytes / KB).toFixed(1)} KB of API answers and tiles ` +
    `(${log.responses.filter((r) => isTile(r.url)).length} tiles), ${(assetBytes / KB).toFixed(1)} KB of page and library files (cached after the first visit)`);
  check('(w) a phone\'s first view fetches under 300 KB of data', dataBytes < 300 * KB, `${(dataBytes / KB).toFixed(1)} KB`);

  // The search path: a street of the first listed hotspot.
  const fc = await (await fetch(new URL('api/hotspots?top=3', base))).json();
  const generic = /^(Parking Area|Supermarket|Shopping Area|Nightclub|Petrol Station|Sports\/Recreation Area|Hospital|Police Station|Further\/Higher Educational Building|Theatre\/Concert Hall|Bus\/Coach Station|Pedestrian Subway|Park\/Open Space)$/;
  const target = fc.features.find((f) => f.properties.top_locations.some((l) => !generic.test(l.name.replace(/^On or near /, ''))));
  const street = target.properties.top_locations.map((l) => l.name.replace(/^On or near /, '')).find((n) => !generic.test(n));
  let actions = 0;
  await page.locator('#search-input').fill(street);
  actions++; // 1: type
  await page.locator('#search-input').press('Enter');
  actions++; // 2: go there
  await page.locator('#near-open').waitFor({ timeout: WAIT });
  await idle(page);
  await page.screenshot({ path: path.join(outDir, 'phone-search.png') });
  await page.locator('#near-open').click();
  actions++; // 3: open the nearest hotspot
  await page.locator('.maplibregl-popup [data-testid=hotspot-name]').waitFor({ timeout: WAIT });
  await idle(page);
  const pop = (await page.locator('.maplibregl-popup').innerText()).replace(/\s+/g, ' ');
  actions++; // 4: read it
  await page.screenshot({ path: path.join(outDir, 'phone-hotspot.png') });
  const nearId = await page.evaluate(() => window.hotspotsApp.selectedId);
  const chosen = (await (await fetch(new URL(`api/hotspots?${await page.evaluate(() => window.hotspotsApp.query)}&top=10`, base))).json())
    .features.find((f) => f.properties.id === nearId);
  const name = chosen && chosen.properties.name;
  const mix = chosen && chosen.properties.categories[0].name;
  check(
    '(p) search to hotspot in 4 actions: type a street, go, open the nearest hotspot, read its name, crime mix and change',
    actions <= 4 && Boolean(name) && pop.includes(name) && pop.includes(mix) && /\(was [\d,]+\)|no earlier data/.test(pop) && !/On or near/.test(pop),
    `searched "${street}"; popup ${JSON.stringify(pop.slice(0, 220))}`,
  );
  const inView = await page.evaluate(() => {
    const m = window.hotspotsApp.map;
    const el = document.querySelector('.maplibregl-popup');
    const r = el.getBoundingClientRect();
    const c = m.getContainer().getBoundingClientRect();
    return r.left >= c.left - 1 && r.right <= c.right + 1 && r.top >= c.top - 1 && r.bottom <= c.bottom + 1;
  });
  check('(p) the popup fits on the phone\'s map', inView, '');
  check('    no console errors on the phone', log.errors.length === 0, log.errors.slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function sliderChecks(context) {
  const { page, log } = await open(context, base, { viewport: { width: 1440, height: 900 } });
  await page.screenshot({ path: path.join(outDir, 'desktop.png') });
  // Density tiles of the first view: none over 100 KB.
  const density = log.responses.filter((r) => isTile(r.url, 'density'));
  const biggest = density.reduce((a, r) => Math.max(a, r.bytes), 0);
  console.log(`     desktop first view: ${density.length} density tiles, largest ${(biggest / KB).toFixed(1)} KB, ` +
    `total ${(density.reduce((a, r) => a + r.bytes, 0) / KB).toFixed(1)} KB`);
  const steps = await page.evaluate(() => window.hotspotsApp.store.get('steps').map((s) => s.period));
  await page.locator('#t-play').click();
  try {
    await page.waitForFunction(() => window.hotspotsApp.frames.length >= 6 || !window.hotspotsApp.store.get('playing'), null, { timeout: WAIT * 3, polling: 500 });
  } catch {
    throw new CheckFailed(`(s) the slider did not play 6 frames: ${JSON.stringify(await page.evaluate(() => window.hotspotsApp.frames.map((f) => f.window)))}`);
  }
  await page.locator('#t-play').click().catch(() => {});
  const frames = await page.evaluate(() => window.hotspotsApp.frames);
  await page.screenshot({ path: path.join(outDir, 'slider-last.png') });
  const windows = new Set(frames.map((f) => f.window.join('..')));
  check(
    '(s) the slider plays 6 frames over the months held, each with its tiles loaded and one legend',
    frames.length >= 6 && windows.size >= 6 && frames.every((f) => f.tilesLoaded) && new Set(frames.map((f) => f.legend)).size === 1 && frames[0].legend.includes('hotspot level'),
    `months held ${steps.join(', ')}; frames ${frames.map((f) => f.window.join('..')).join(' | ')}`,
  );
  const all = log.responses.filter((r) => isTile(r.url, 'density'));
  const over = all.filter((r) => r.bytes > 100 * KB);
  console.log(`     density tiles over the playback: ${all.length}, largest ${(all.reduce((a, r) => Math.max(a, r.bytes), 0) / KB).toFixed(1)} KB`);
  check('(w) no density tile over 100 KB', over.length === 0, over.slice(0, 3).map((r) => `${(r.bytes / KB).toFixed(0)} KB ${r.url}`).join(' | ') || `${all.length} tiles`);
  const labels = log.responses.filter((r) => isTile(r.url, 'labels'));
  const labelUrls = new Set(labels.map((r) => r.url));
  check('    street-name tiles are not fetched again when the window changes', labels.length === labelUrls.size, `${labels.length} label tile responses, ${labelUrls.size} distinct`);
  check('    no console errors on the desktop', log.errors.length === 0, log.errors.slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function unknownLayerChecks(context) {
  const layer = {
    name: 'footfall', title: 'Footfall (people counted)', help: 'People counted by the council\'s sensors.', minzoom: 0, maxzoom: 20,
    fields: { people: 'Number' }, params: ['from', 'to'], mode: 'map', order: 15, default_on: false,
    style: { kind: 'classes', property: 'busy', classes: [{ value: 1, colour: '#6baed6', label: 'Busy' }, { value: 2, colour: '#08519c', label: 'Very busy' }],
      popup: [{ field: 'people', label: 'People counted', format: 'int' }] },
  };
  const before = async (page) => {
    await page.route(/\/api\/meta$/, async (route) => {
      const res = await route.fetch();
      const meta = await res.json();
      meta.layers.push(layer);
      await route.fulfill({ response: res, json: meta });
    });
    await page.route(/\/tiles\/footfall/, (route) => (/\.json/.test(route.request().url())
      ? route.fulfill({ json: { tilejson: '3.0.0', tiles: [new URL('tiles/footfall/{z}/{x}/{y}.mvt', base).href], minzoom: 0, maxzoom: 20, vector_layers: [{ id: 'footfall', fields: {} }] } })
      : route.fulfill({ status: 204 })));
  };
  const { page } = await open(context, base, { viewport: { width: 1440, height: 900 }, before });
  const item = page.locator('.layer[data-layer=footfall]');
  await page.locator('#layer-footfall').check();
  await idle(page);
  const text = (await item.innerText()).replace(/\s+/g, ' ');
  check('(n) a layer the page never heard of is in the layer list with its title, help and legend',
    (await item.isVisible()) && text.includes(layer.title) && text.includes(layer.help) && text.includes('Busy') && text.includes('Very busy') &&
      (await page.evaluate(() => Boolean(window.hotspotsApp.map.getLayer('footfall:fill')))),
    JSON.stringify(text.slice(0, 200)));
  await page.close();
}

async function basemapChecks(context) {
  const { page, log } = await open(context, baseBasemap, { viewport: { width: 1440, height: 900 } });
  await page.evaluate(() => window.hotspotsApp.map.jumpTo({ center: [-1.975, 50.718], zoom: 15.5 }));
  await idle(page);
  await page.screenshot({ path: path.join(outDir, 'basemap.png') });
  const seen = await page.evaluate(() => {
    const m = window.hotspotsApp.map;
    const ids = m.getStyle().layers.filter((l) => l.source === 'protomaps').map((l) => l.id);
    return {
      ids: ids.length,
      roads: m.queryRenderedFeatures({ layers: ids.filter((i) => /^roads/.test(i)) }).length,
      names: m.queryRenderedFeatures({ layers: ids.filter((i) => /labels|places/.test(i)) }).length,
    };
  });
  const ranges = log.responses.filter((r) => /\/basemap\.pmtiles/.test(r.url));
  check('(b) the PMTiles basemap is read by byte ranges from this server and drawn (roads and names on screen)',
    ranges.length > 0 && ranges.every((r) => r.status === 206) && seen.ids > 10 && seen.roads > 0 && seen.names > 0 &&
      log.responses.every((r) => r.url.startsWith(new URL(baseBasemap).origin) || r.url.startsWith('data:') || r.url.startsWith('blob:')),
    `${ranges.length} range requests (${[...new Set(ranges.map((r) => r.status))].join(', ')}); ${seen.ids} basemap style layers, ${seen.roads} road and ${seen.names} label features on screen`);
  check('    no console errors with the basemap', log.errors.length === 0, log.errors.slice(0, 3).join(' | ') || 'none');
  await page.close();
}

async function main() {
  await fs.mkdir(outDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotspots-chromium-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: ARGS, deviceScaleFactor: 1 });
  try {
    await phoneChecks(context);
    await sliderChecks(context);
    await unknownLayerChecks(context);
    if (baseBasemap) await basemapChecks(context);
  } finally {
    await context.close().catch(() => {});
    await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

main()
  .then(() => console.log(`views: ${results.length} passed, 0 failed`))
  .catch((e) => {
    console.error(`\nviews test FAILED: ${e instanceof CheckFailed ? e.message : e && e.stack ? e.stack : e}`);
    console.log(`views: ${results.filter((r) => r.ok).length} passed, 1 failed`);
    process.exit(1);
  });
