// Loads the hotspots map page in Debian's Chromium (no downloaded browser) and checks that it really works:
//   (a) the map draws something: the map's pixels (controls and HTML markers hidden) are not a flat background;
//   (b) vector tiles were requested and at least one came back 200 (204 = empty tile is fine), none failed;
//   (c) the ranked hotspot list has at least one entry, and the page shows no error message;
//   (d) choosing only "Anti-social behaviour" makes new tile and API requests carrying that category;
//   (e) clicking the first listed hotspot selects it and opens its popup with its counts and trend;
//   (f) outside compare mode the change layer is not offered; compare mode's table equals /api/compare (default
//       windows, then the "last month vs the month before" preset), with the API's and the page's notes shown;
//   (g) compare mode draws change tiles (200/204) and the map is not blank;
//   (h) clicking the first hotspot makes it the target: the target table with gross/net effect, WDQ and WDD;
//   (i) the address reproduces compare mode (windows and target) in a new tab; back in the normal view no
//       change tiles are asked for;
//   (j) the emerging hot spots layer: its toggle loads emerging tiles (200), its legend names the classes of
//       /api/emerging, a click on a square says its class, hot steps, trend and incidents; weeks on this monthly
//       data show the API's 400 message and ask for no week tiles;
//   (k) tasking mode (3 months): the list has as many entries as /api/tasking has candidates for the same
//       settings, the first entry's incidents, place and class are the API's; the previous-window note is shown
//       once and no entry shows a change; the outlines are drawn with rank badges; a chosen entry is marked and
//       the map goes to it;
//   (l) the address reproduces tasking mode and the chosen place in a new tab; back in the normal view the
//       places' outlines are gone;
//   (m) the boundary layer's "Shade by incidents" box (off by default: outlines only) fills the areas by their
//       counts with the class breaks in the legend, is kept in the address (and restored from it in a new tab),
//       leaves the area popup working; unticked, the areas are outlines only again.
// Usage: node tests/browser/page.test.mjs http://127.0.0.1:PORT/
// Writes target/browser/page.png (the whole page, for a person to look at), target/browser/map.png,
// target/browser/compare.png (compare mode with a target), target/browser/emerging.png, target/browser/tasking.png
// (the tasking list and its places), target/browser/tasking-selected.png and target/browser/areas.png (the
// boundary shaded by incidents).
// Environment: CHROMIUM (default /usr/bin/chromium), BROWSER_TEST_TIMEOUT_MS (default 90000 per wait).

import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const outDir = path.join(repo, 'target', 'browser');
const base = process.argv[2];
const WAIT = Number(process.env.BROWSER_TEST_TIMEOUT_MS || 90000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGL without a GPU: Chromium's software renderer, which it no longer falls back to on its own.
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

if (!base) {
  console.error('usage: node tests/browser/page.test.mjs http://127.0.0.1:PORT/');
  process.exit(2);
}

const results = [];
const consoleLines = [];
const pageErrors = [];
const tiles = []; // {url, status, seq}
const apiCalls = []; // {url, status}
let seq = 0;

class CheckFailed extends Error {}
function check(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
  if (!ok) throw new CheckFailed(`${name}: ${detail}`);
}

async function waitForMapIdle(page, what) {
  try {
    await page.waitForFunction(
      () => {
        const m = window.hotspotsApp && window.hotspotsApp.map;
        return Boolean(m && m.loaded() && m.areTilesLoaded() && !m.isMoving());
      },
      null,
      { timeout: WAIT, polling: 250 },
    );
    // Settle: one more animation frame after the last tile, so the canvas shows it.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  } catch (e) {
    throw new CheckFailed(`the map did not finish loading ${what} within ${WAIT} ms (${e.message.split('\n')[0]})`);
  }
}

async function pageMessages(page) {
  return page.evaluate(() => [...document.querySelectorAll('#messages p span')].map((s) => s.textContent));
}

/** Luminance variance and the share of pixels unlike the map's background, computed by the page on a PNG. */
async function pixelStats(page, png) {
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    // The most common colour is taken as the background.
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4 * 7) {
      const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      counts.set(k, (counts.get(k) || 0) + 1);
    }
    let bg = 0;
    let best = -1;
    for (const [k, n] of counts) if (n > best) [bg, best] = [k, n];
    const [br, bgc, bb] = [(bg >> 16) & 255, (bg >> 8) & 255, bg & 255];
    let n = 0;
    let sum = 0;
    let sum2 = 0;
    let differ = 0;
    for (let i = 0; i < d.length; i += 4) {
      const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += y;
      sum2 += y * y;
      n++;
      if (Math.abs(d[i] - br) + Math.abs(d[i + 1] - bgc) + Math.abs(d[i + 2] - bb) > 24) differ++;
    }
    const mean = sum / n;
    return {
      width: c.width,
      height: c.height,
      variance: sum2 / n - mean * mean,
      nonBackgroundShare: differ / n,
      distinctColours: counts.size,
      background: `rgb(${br},${bgc},${bb})`,
    };
  }, png.toString('base64'));
}

async function main() {
  await fs.mkdir(outDir, { recursive: true });
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hotspots-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
      deviceScaleFactor: 1,
    });
  } catch (e) {
    await fs.rm(userDataDir, { recursive: true, force: true });
    throw new CheckFailed(`could not start Chromium at ${CHROMIUM}: ${e.message.split('\n')[0]}`);
  }
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !/GL Driver Message/.test(m.text())) consoleLines.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));
    page.on('response', (r) => {
      const url = r.url();
      if (/\/tiles\/[^?]+\.mvt(\?|$)/.test(url)) tiles.push({ url, status: r.status(), seq: ++seq });
      else if (/\/api\/|\/tiles\/[^/?]+\.json/.test(url)) apiCalls.push({ url, status: r.status(), seq: ++seq });
    });
    page.on('requestfailed', (r) => {
      const url = r.url();
      const reason = r.failure() ? r.failure().errorText : 'failed';
      if (/\/tiles\/[^?]+\.mvt/.test(url) && reason !== 'net::ERR_ABORTED') tiles.push({ url, status: reason, seq: ++seq });
    });

    const res = await page.goto(base, { waitUntil: 'load', timeout: WAIT });
    check('page loads', res && res.ok(), `${res ? res.status() : 'no answer'} for ${base}`);

    // The page marks itself ready once the map is idle with the list loaded, or marks an error.
    try {
      await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: WAIT });
    } catch {
      throw new CheckFailed(`the page never became ready within ${WAIT} ms; messages: ${JSON.stringify(await pageMessages(page))}`);
    }
    const state = await page.evaluate(() => document.body.dataset.state);
    check('page starts', state === 'ready', state === 'ready' ? '' : `page says: ${JSON.stringify(await pageMessages(page))}`);
    await waitForMapIdle(page, 'its first view');

    // (a) The map is not blank: measure the map's own pixels with controls and markers hidden.
    await page.addStyleTag({
      content: '.maplibregl-control-container, .maplibregl-marker, .map-status, .maplibregl-popup { visibility: hidden !important; }',
    });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const mapPng = await page.locator('#map').screenshot();
    await fs.writeFile(path.join(outDir, 'map.png'), mapPng);
    await page.evaluate(() => document.querySelectorAll('style').forEach((s) => {
      if (s.textContent.includes('.maplibregl-control-container, .maplibregl-marker')) s.remove();
    }));
    await page.screenshot({ path: path.join(outDir, 'page.png') });
    const px = await pixelStats(page, mapPng);
    check(
      '(a) the map draws data, not a blank background',
      px.variance > 15 && px.nonBackgroundShare > 0.01,
      `${px.width}x${px.height} px, luminance variance ${px.variance.toFixed(1)} (need > 15), ` +
        `${(px.nonBackgroundShare * 100).toFixed(1)}% of pixels unlike the background ${px.background} (need > 1%), ` +
        `${px.distinctColours} colours sampled`,
    );

    // (b) Tiles were fetched; some had data; none failed.
    const ok200 = tiles.filter((t) => t.status === 200).length;
    const empty204 = tiles.filter((t) => t.status === 204).length;
    const bad = tiles.filter((t) => ![200, 204, 304].includes(t.status));
    const layers = [...new Set(tiles.map((t) => /\/tiles\/([^/]+)\//.exec(t.url)?.[1]))].join(', ');
    check(
      '(b) vector tiles requested and served',
      tiles.length > 0 && ok200 > 0 && bad.length === 0,
      `${tiles.length} tile responses (layers ${layers || 'none'}): ${ok200} x 200, ${empty204} x 204` +
        (bad.length ? `; failed: ${bad.slice(0, 5).map((t) => `${t.status} ${t.url}`).join(' | ')}` : ''),
    );
    // Layers that cannot show at this zoom (street names start at 14) send nothing yet.
    const shown = await page.evaluate(() => {
      const a = window.hotspotsApp;
      return [...a.state.visible].filter((l) => (a.infos.find((i) => i.name === l)?.minzoom || 0) <= Math.floor(a.map.getZoom()));
    });
    const silent = shown.filter((l) => !tiles.some((t) => t.status === 200 && t.url.includes(`/tiles/${l}/`)));
    check(
      '    every layer switched on sent tiles with data',
      shown.length > 0 && silent.length === 0,
      `on: ${shown.join(', ')}` + (silent.length ? `; no 200 tile from ${silent.join(', ')}` : ''),
    );

    // (c) The ranked list has entries, and no error is on screen.
    const rows = await page.locator('#hotspot-list li button.row').count();
    check('(c) the hotspot list has entries', rows >= 1, `${rows} listed`);
    const msgs = await pageMessages(page);
    check('    no error message on the page', msgs.length === 0, msgs.length ? JSON.stringify(msgs) : 'none');
    const totalBefore = await page.locator('[data-testid=total-incidents]').innerText();

    // (d) Only "Anti-social behaviour": new tile requests and a new list, with that category in the query.
    const mark = seq;
    const asbApi = page.waitForResponse((r) => /\/api\/hotspots\?/.test(r.url()) && /category=Anti-social/.test(r.url()), {
      timeout: WAIT,
    });
    const asbTile = page.waitForResponse((r) => /\/tiles\/[^?]+\.mvt\?/.test(r.url()) && /category=Anti-social/.test(r.url()), {
      timeout: WAIT,
    });
    await page.locator('#cat-all').uncheck();
    await page.getByRole('checkbox', { name: /^Anti-social behaviour/ }).check();
    try {
      await Promise.all([asbApi, asbTile]);
    } catch (e) {
      throw new CheckFailed(`(d) no request with category=Anti-social… after choosing it: ${e.message.split('\n')[0]}`);
    }
    await waitForMapIdle(page, 'after choosing Anti-social behaviour');
    await page.waitForFunction((before) => {
      const t = document.querySelector('[data-testid=total-incidents]');
      return t && t.innerText !== before;
    }, totalBefore, { timeout: WAIT }).catch(() => {});
    // Layers whose tiles read the crime types (street names read nothing, and are not fetched again).
    const typed = await page.evaluate(() => window.hotspotsApp.infos.filter((i) => i.params.includes('category')).map((i) => i.name));
    const after = tiles.filter((t) => t.seq > mark && typed.includes(/\/tiles\/([^/]+)\//.exec(t.url)?.[1]));
    const withCat = after.filter((t) => /category=Anti-social/.test(t.url));
    const without = after.filter((t) => !/category=Anti-social/.test(t.url));
    const badAfter = after.filter((t) => ![200, 204, 304].includes(t.status));
    check(
      '(d) choosing only Anti-social behaviour reloads the tiles with that category',
      withCat.length > 0 && without.length === 0 && badAfter.length === 0,
      `${withCat.length} new tile responses carry category=Anti-social…` +
        (without.length ? `, ${without.length} do not (e.g. ${without[0].url})` : '') +
        (badAfter.length ? `; failed: ${badAfter.slice(0, 3).map((t) => `${t.status} ${t.url}`).join(' | ')}` : '') +
        `; total ${totalBefore.split('\n')[0]} -> ${(await page.locator('[data-testid=total-incidents]').innerText()).split('\n')[0]}`,
    );
    const msgs2 = await pageMessages(page);
    check('    still no error message', msgs2.length === 0, msgs2.length ? JSON.stringify(msgs2) : 'none');

    // (e) The list and the map are in step: a row opens its hotspot's popup and is marked selected.
    const rows2 = await page.locator('#hotspot-list li button.row').count();
    check('(e) the list has entries for Anti-social behaviour', rows2 >= 1, `${rows2} listed`);
    await page.locator('#hotspot-list li button.row').first().click();
    try {
      await page.locator('.maplibregl-popup').waitFor({ timeout: WAIT });
    } catch {
      throw new CheckFailed('(e) clicking the first hotspot opened no popup');
    }
    const popup = await page.locator('.maplibregl-popup').innerText();
    const selected = await page.locator('#hotspot-list li.selected').count();
    check(
      '(e) clicking a listed hotspot selects it and shows its counts and trend',
      selected === 1 && /Incidents/.test(popup) && /(was \d|no earlier data)/.test(popup),
      `${selected} row selected; popup: ${JSON.stringify(popup.replace(/\s+/g, ' ').slice(0, 160))}`,
    );
    await waitForMapIdle(page, 'after flying to the hotspot');
    await page.screenshot({ path: path.join(outDir, 'page-selected.png') });

    await areaChecks(context, page);
    await compareChecks(context, page);
    await emergingChecks(page);
    await taskingChecks(context, page);

    check('no uncaught errors in the page', pageErrors.length === 0, pageErrors.length ? pageErrors.join(' | ') : 'none');
  } finally {
    await context.close().catch(() => {});
    await fs.rm(userDataDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** The compare table's figures as shown: {before, after, text} of the totals row. */
async function shownTotals(page) {
  return page.evaluate(() => {
    const tds = [...document.querySelectorAll('[data-testid=compare-total] td')].map((td) => td.textContent.trim());
    return { before: tds[0], after: tds[1], text: tds[2] };
  });
}

/** /api/compare for the windows and types in the page's address, fetched by the test itself. */
async function apiCompare(page, extra = '') {
  const h = new URLSearchParams(new URL(page.url()).hash.slice(1));
  const q = new URLSearchParams({ before: h.get('before'), after: h.get('after') });
  for (const c of h.getAll('category')) q.append('category', c);
  const res = await fetch(new URL(`api/compare?${q}${extra}`, base));
  if (!res.ok) throw new CheckFailed(`/api/compare?${q}${extra} answered ${res.status}: ${await res.text()}`);
  return { body: await res.json(), hash: h };
}

const nf = new Intl.NumberFormat('en-GB');
const fmt = (v) => nf.format(Math.round(Number(v)));

async function waitCompareTable(page, hashBefore, what) {
  try {
    await page.waitForFunction(
      (b) => {
        const h = new URLSearchParams(location.hash.slice(1));
        const panel = document.getElementById('compare-body');
        return h.get('before') === b && !panel.hasAttribute('aria-busy') && document.querySelector('[data-testid=compare-total]')
          && window.hotspotsApp.comparison && window.hotspotsApp.comparison.before_window.startsWith(b.split('..')[0]);
      },
      hashBefore,
      { timeout: WAIT, polling: 200 },
    );
  } catch {
    throw new CheckFailed(`the compare table did not appear ${what}; messages: ${JSON.stringify(await pageMessages(page))}`);
  }
}

async function checkTotals(page, name) {
  const { body, hash } = await apiCompare(page);
  const shown = await shownTotals(page);
  const want = { before: fmt(body.total.before), after: fmt(body.total.after), text: body.total.text };
  const harmRow = await page.locator('[data-testid=compare-harm] td').nth(2).innerText();
  const catRows = await page.locator('.compare-table tr.cat').count();
  check(
    name,
    JSON.stringify(shown) === JSON.stringify(want) && harmRow.trim() === body.harm.text && catRows === body.categories.length,
    `before=${hash.get('before')} after=${hash.get('after')}: page ${JSON.stringify(shown)}, API ${JSON.stringify(want)}; ` +
      `harm ${JSON.stringify(harmRow.trim())} vs ${JSON.stringify(body.harm.text)}; ${catRows} type rows vs ${body.categories.length}`,
  );
  return body;
}

async function compareChecks(context, page) {
  // Back to all types, so the comparison covers everything; analyst detail on (WDQ, WDD and the test behind the
  // outlines are statistics).
  await page.locator('#cat-all').check();
  await page.locator('#analyst').check();
  await waitForMapIdle(page, 'after choosing all types again');

  // (f) The change layer is not offered outside compare mode, and nothing asked for its tiles.
  const offeredOutside = await page.locator('.layer[data-layer=change]').isVisible().catch(() => false);
  const changeTilesSoFar = tiles.filter((t) => t.url.includes('/tiles/change/')).length;
  check(
    '(f) outside compare mode the change layer is not offered',
    !offeredOutside && changeTilesSoFar === 0,
    `toggle visible: ${offeredOutside}; change tiles requested: ${changeTilesSoFar}`,
  );

  // (f) Compare mode with its default windows (the last 3 whole months against the 3 before, or the last month
  // against the one before when the store does not hold the 3 before).
  const compareMark = seq;
  await page.getByRole('button', { name: 'Compare two periods' }).click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('mode') === 'compare', null, { timeout: WAIT });
  const defBefore = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('before');
  await waitCompareTable(page, defBefore, 'with the default windows');
  const first = await checkTotals(page, '(f) compare table (default windows) equals /api/compare');
  const offeredInside = await page.locator('.layer[data-layer=change]').isVisible();
  const legend = await page.locator('#layer-change-legend').innerText().catch(() => '');
  check(
    '    the change layer is on, with a legend that explains colours and significance',
    offeredInside && /Rose/.test(legend) && /Fell/.test(legend) && /false discovery rate/.test(legend),
    `toggle visible: ${offeredInside}; legend ${JSON.stringify(legend.replace(/\s+/g, ' ').slice(0, 120))}…`,
  );
  if (Number(first.total.before) === 0) {
    const notes = await page.locator('#notices').innerText();
    check('    an empty before window is said so on the page', /before window .* has no incidents/.test(notes), JSON.stringify(notes.slice(0, 200)));
  }

  // (f, g) A preset with data on both sides: the last month against the month before. (When the store does not hold
  // the 3 months before the last 3, as with the fixtures' gap between years, this is already the default.)
  let mark = seq;
  const lastMonth = page.getByRole('button', { name: 'Last month vs the month before' });
  const already = (await lastMonth.getAttribute('aria-pressed')) === 'true';
  if (already) mark = compareMark;
  else {
    await lastMonth.click();
    await page.waitForFunction((b) => new URLSearchParams(location.hash.slice(1)).get('before') !== b, defBefore, { timeout: WAIT });
  }
  const newBefore = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('before');
  await waitCompareTable(page, newBefore, 'after the "last month" preset');
  await waitForMapIdle(page, 'in compare mode');
  const body = await checkTotals(page, '(f) compare table ("last month vs the month before") equals /api/compare');
  const warnShown = await page.locator('#notices').innerText();
  check(
    '    the API\'s warnings are on the page',
    body.warnings.every((w) => warnShown.includes(w)),
    `${body.warnings.length} warnings: ${JSON.stringify(body.warnings)}`,
  );
  const cmText = await page.locator('[data-testid=compare-change-map]').innerText();
  const cm = body.change_map;
  check(
    '    the change-map summary gives the cells that fell and rose, the cell size and q',
    cm && cmText.includes(`${fmt(cm.cells_fell)} fell`) && cmText.includes(`${fmt(cm.cells_rose)} rose`) && cmText.includes(`q = ${cm.fdr_q}`),
    JSON.stringify(cmText),
  );
  const changeTiles = tiles.filter((t) => t.seq > mark && t.url.includes('/tiles/change/'));
  const changeOk = changeTiles.filter((t) => t.status === 200).length;
  const changeBad = changeTiles.filter((t) => ![200, 204, 304].includes(t.status));
  const carry = changeTiles.every((t) => t.url.includes(`before=${encodeURIComponent(newBefore.split('..')[0])}`) || t.url.includes('before='));
  check(
    '(g) change tiles requested and served (200/204)',
    changeTiles.length > 0 && changeOk > 0 && changeBad.length === 0 && carry,
    `${changeTiles.length} change tile responses: ${changeOk} x 200` +
      (changeBad.length ? `; failed: ${changeBad.slice(0, 3).map((t) => `${t.status} ${t.url}`).join(' | ')}` : ''),
  );
  await page.addStyleTag({
    content: '.maplibregl-control-container, .maplibregl-marker, .map-status, .maplibregl-popup { visibility: hidden !important; }',
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const px = await pixelStats(page, await page.locator('#map').screenshot());
  await page.evaluate(() => document.querySelectorAll('style').forEach((s) => {
    if (s.textContent.includes('.maplibregl-control-container, .maplibregl-marker')) s.remove();
  }));
  await page.screenshot({ path: path.join(outDir, 'compare-windows.png') });
  check(
    '(g) the compare map draws data, not a blank background',
    px.variance > 15 && px.nonBackgroundShare > 0.01,
    `luminance variance ${px.variance.toFixed(1)}, ${(px.nonBackgroundShare * 100).toFixed(1)}% of pixels unlike ${px.background}`,
  );

  // (h) The first hotspot (of the before window) as the target.
  const row = page.locator('#hotspot-list li button.row').first();
  const id = await row.getAttribute('data-id');
  const targetApi = page.waitForResponse((r) => /\/api\/compare\?/.test(r.url()) && r.url().includes(`hotspot=${encodeURIComponent(id)}`), { timeout: WAIT });
  await row.click();
  const tr = await targetApi.catch(() => null);
  try {
    await page.locator('[data-testid=target-table]').waitFor({ timeout: WAIT });
  } catch {
    throw new CheckFailed(`(h) no target table after clicking hotspot ${id}; messages: ${JSON.stringify(await pageMessages(page))}`);
  }
  const wdd = await page.locator('[data-testid=wdd]').innerText();
  const wdq = await page.locator('[data-testid=wdq]').innerText();
  const net = await page.locator('[data-testid=net-effect]').innerText();
  const { body: withTarget } = await apiCompare(page, `&hotspot=${encodeURIComponent(id)}`);
  const a = withTarget.areas;
  const targetRow = (await page.locator('[data-testid=target-target] td').allInnerTexts()).map((t) => t.trim());
  check(
    '(h) clicking the first hotspot shows the target table with WDD, WDQ and net effect',
    tr && tr.status() === 200 && a &&
      JSON.stringify(targetRow) === JSON.stringify([fmt(a.target.before), fmt(a.target.after)]) &&
      (/z = -?[\d.]+, p = [\d.]+/.test(wdd) || /undefined/.test(wdd)) && /95% interval/.test(wdd) &&
      (wdq.includes(a.wdq.reading)) && (a.net_effect ? net.includes(a.net_effect.text) : /^undefined: /.test(net)),
    `hotspot ${id}: target ${JSON.stringify(targetRow)}; WDD ${JSON.stringify(wdd)}; WDQ ${JSON.stringify(wdq)}; net ${JSON.stringify(net)}`,
  );
  const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
  check('    the address holds the mode, both windows and the target', hash.get('mode') === 'compare' && hash.get('target') === id && hash.has('after'), page.url());
  await waitForMapIdle(page, 'after flying to the target');
  await page.screenshot({ path: path.join(outDir, 'compare.png') });
  const msgs = await pageMessages(page);
  check('    no error message in compare mode', msgs.length === 0, msgs.length ? JSON.stringify(msgs) : 'none');

  // (i) The link reproduces the view in a new tab.
  const url = page.url();
  const tab = await context.newPage();
  try {
    await tab.goto(url, { waitUntil: 'load', timeout: WAIT });
    await tab.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: WAIT });
    await tab.locator('[data-testid=target-table]').waitFor({ timeout: WAIT });
    const wdd2 = await tab.locator('[data-testid=wdd]').innerText();
    const shown2 = await shownTotals(tab);
    const shown1 = await shownTotals(page);
    check(
      '(i) the address reproduces compare mode, windows and target in a new tab',
      wdd2 === wdd && JSON.stringify(shown2) === JSON.stringify(shown1),
      `totals ${JSON.stringify(shown2)}; WDD ${JSON.stringify(wdd2)}`,
    );
  } finally {
    await tab.close();
  }

  // (i) Back to the normal view: the change toggle goes, the summary strip returns, no more change tiles.
  await page.getByRole('button', { name: 'Hotspots', exact: true }).click();
  await page.locator('[data-testid=total-incidents]').waitFor({ timeout: WAIT });
  const back = seq;
  await page.mouse.move(640, 400);
  await page.mouse.wheel(0, -300);
  await waitForMapIdle(page, 'back in the normal view');
  const changeAfter = tiles.filter((t) => t.seq > back && t.url.includes('/tiles/change/')).length;
  const offeredAgain = await page.locator('.layer[data-layer=change]').isVisible();
  check(
    '(i) back in the normal view the change layer is not offered and not fetched',
    !offeredAgain && changeAfter === 0 && !new URL(page.url()).hash.includes('mode=compare'),
    `toggle visible: ${offeredAgain}; change tiles after switching back: ${changeAfter}`,
  );
}

/** The boundary layer's fill as the map has it, its shading state, its legend and the counts in its tiles. */
async function areaState(page, layer) {
  return page.evaluate((l) => {
    const app = window.hotspotsApp;
    const m = app.map;
    const legend = document.getElementById(`layer-${l}-legend`);
    return {
      opacity: m.getPaintProperty(`${l}:fill`, 'fill-opacity'),
      colour: m.getPaintProperty(`${l}:fill`, 'fill-color'),
      lineVisible: m.getLayoutProperty(`${l}:line`, 'visibility') !== 'none',
      shade: app.areaShade[l] || null,
      counts: [...new Set(m.querySourceFeatures(l, { sourceLayer: l }).map((f) => Number(f.properties.count)))],
      rendered: m.queryRenderedFeatures({ layers: [`${l}:fill`] }).length,
      rows: [...legend.querySelectorAll('[data-testid=area-shade-legend] li')].map((li) => ({ brk: li.dataset.break, text: li.textContent.trim() })),
      legend: legend.textContent.replace(/\s+/g, ' ').trim(),
      box: document.querySelector(`input[data-shade="${l}"]`)?.checked,
    };
  }, layer);
}

async function areaChecks(context, page) {
  // (m) Boundaries shaded by incidents. The popup of the hotspot chosen in (e) goes first.
  await page.evaluate(() => window.hotspotsApp.popup && window.hotspotsApp.popup.remove());
  const layer = await page.evaluate(() => window.hotspotsApp.layers.find((l) => l.startsWith('areas-')));
  const before = layer ? await areaState(page, layer) : null;
  check(
    '(m) the boundary layer has a "Shade by incidents" box, off by default: outlines only',
    Boolean(layer) && before.box === false && before.opacity === 0 && before.lineVisible &&
      (await page.locator(`input[data-shade="${layer}"]`).isVisible()) && !/shade=/.test(new URL(page.url()).hash),
    `${layer}: box ${before && before.box}, fill-opacity ${before && before.opacity}`,
  );
  // Frame the boundary the server was given, so its areas are in the loaded tiles (the view comes back at the end).
  const view = await page.evaluate(() => {
    const m = window.hotspotsApp.map;
    return { center: m.getCenter().toArray(), zoom: m.getZoom() };
  });
  const gj = JSON.parse(await fs.readFile(path.join(repo, 'fixtures', 'boundaries', 'boundary_poole.geojson'), 'utf8'));
  const xs = [];
  const ys = [];
  const walk = (c) => (typeof c[0] === 'number' ? (xs.push(c[0]), ys.push(c[1])) : c.forEach(walk));
  for (const f of gj.features) walk(f.geometry.coordinates);
  const bounds = [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]];
  await page.evaluate((b) => window.hotspotsApp.map.fitBounds(b, { padding: 40, duration: 0 }), bounds);
  await waitForMapIdle(page, 'framing the boundary');

  await page.locator(`input[data-shade="${layer}"]`).check();
  await waitForMapIdle(page, 'with the boundary shaded');
  try {
    await page.locator(`#layer-${layer}-legend [data-testid=area-shade-legend]`).waitFor({ timeout: WAIT });
  } catch {
    throw new CheckFailed(`(m) no shading legend after ticking "Shade by incidents": ${JSON.stringify(await areaState(page, layer))}`);
  }
  const on = await areaState(page, layer);
  const positive = on.counts.filter((c) => c > 0);
  const breaks = on.shade ? on.shade.breaks : [];
  const colourText = JSON.stringify(on.colour);
  check(
    '(m) ticked: the areas are filled by their counts (a colour expression on `count`), areas with 0 left clear',
    on.opacity > 0 && Array.isArray(on.colour) && on.colour[0] === 'case' && colourText.includes('"count"') &&
      colourText.includes('rgba(0,0,0,0)') && on.rendered > 0 && on.lineVisible,
    `fill-opacity ${on.opacity}; fill-color ${colourText.slice(0, 160)}; ${on.rendered} areas drawn; counts in the tiles ${JSON.stringify(on.counts)}`,
  );
  check(
    '(m) the breaks fit the counts present, and the legend shows each of them',
    positive.length > 0 && breaks.length >= 1 && breaks[0] === Math.min(...positive) && breaks.every((b) => b <= Math.max(...positive)) &&
      on.rows.length === breaks.length + 1 && breaks.every((b, i) => on.rows[i].brk === String(b) && on.rows[i].text.startsWith(fmt(b))) &&
      /incidents per area/.test(on.legend),
    `breaks ${JSON.stringify(breaks)} for counts ${JSON.stringify(positive)}; legend ${JSON.stringify(on.rows.map((r) => r.text))}`,
  );
  const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
  check('    the address keeps the shading', hash.get('shade') === layer, `shade=${hash.get('shade')}`);
  await page.screenshot({ path: path.join(outDir, 'areas.png') });

  // A click inside a shaded area (away from hotspots and incidents, which answer first) opens the area's popup with
  // its count, not the heat map's it covers.
  const spot = await page.evaluate((l) => {
    const m = window.hotspotsApp.map;
    const c = m.getCanvas();
    const mine = (f) => f.layer.id === `${l}:fill`;
    for (let y = 40; y < c.clientHeight - 40; y += 17) {
      for (let x = 40; x < c.clientWidth - 40; x += 17) {
        const f = m.queryRenderedFeatures([x, y]).filter((g) => !g.layer.id.startsWith('tasking'));
        if (f.some(mine) && !f.some((g) => /^(hotspots|incidents):/.test(g.layer.id))) {
          const a = f.find(mine).properties;
          return { x, y, count: Number(a.count), name: a.name || a.key, under: f.filter((g) => !mine(g)).map((g) => g.layer.id) };
        }
      }
    }
    return null;
  }, layer);
  check('    a shaded area away from hotspots is on screen', Boolean(spot), JSON.stringify(spot));
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + spot.x, box.y + spot.y);
  await page.locator('.maplibregl-popup').waitFor({ timeout: WAIT });
  const pop = (await page.locator('.maplibregl-popup').innerText()).replace(/\s+/g, ' ');
  check(
    '(m) a click on a shaded area opens its popup with its name and count (over the heat map under it)',
    pop.includes(spot.name) && pop.includes(`Incidents in the window ${fmt(spot.count)}`),
    `clicked over ${JSON.stringify(spot.under)}: ${JSON.stringify(pop.slice(0, 160))}`,
  );
  await page.evaluate(() => window.hotspotsApp.popup && window.hotspotsApp.popup.remove());

  // The address reproduces the shading in a new tab.
  const tab = await context.newPage();
  try {
    await tab.goto(page.url(), { waitUntil: 'load', timeout: WAIT });
    await tab.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: WAIT });
    await waitForMapIdle(tab, 'in a new tab with the shading');
    await tab.locator(`#layer-${layer}-legend [data-testid=area-shade-legend]`).waitFor({ timeout: WAIT });
    const again = await areaState(tab, layer);
    check(
      '(m) the address reproduces the shading in a new tab',
      again.box === true && again.opacity === on.opacity && JSON.stringify(again.shade) === JSON.stringify(on.shade),
      `box ${again.box}, fill-opacity ${again.opacity}, breaks ${JSON.stringify(again.shade && again.shade.breaks)}`,
    );
  } finally {
    await tab.close();
  }

  await page.locator(`input[data-shade="${layer}"]`).uncheck();
  await waitForMapIdle(page, 'with the shading off');
  const off = await areaState(page, layer);
  check(
    '(m) unticked: outlines only again, no shading legend, the address forgets it',
    off.opacity === 0 && typeof off.colour === 'string' && off.lineVisible && off.rows.length === 0 &&
      !/incidents per area/.test(off.legend) && !new URLSearchParams(new URL(page.url()).hash.slice(1)).has('shade'),
    `fill-opacity ${off.opacity}, fill-color ${JSON.stringify(off.colour)}, legend ${JSON.stringify(off.legend)}`,
  );
  await page.evaluate((v) => window.hotspotsApp.map.jumpTo(v), view);
  await waitForMapIdle(page, 'back at the view before the boundary checks');
}

/** Hide the map's controls and markers, measure its pixels, show them again. */
async function mapPixels(page) {
  await page.addStyleTag({
    content: '.maplibregl-control-container, .maplibregl-marker, .map-status, .maplibregl-popup { visibility: hidden !important; }',
  });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const px = await pixelStats(page, await page.locator('#map').screenshot());
  await page.evaluate(() => document.querySelectorAll('style').forEach((s) => {
    if (s.textContent.includes('.maplibregl-control-container, .maplibregl-marker')) s.remove();
  }));
  return px;
}

async function emergingChecks(page) {
  // (j) The emerging layer, in the normal view, months by default.
  const offered = await page.locator('.layer[data-layer=emerging]').isVisible();
  check('(j) the emerging layer is offered in the normal view', offered, `toggle visible: ${offered}`);
  // Three months are too few steps to tell a trend from chance: the layer stays off and says why.
  const few = page.waitForResponse((r) => /\/api\/emerging\?/.test(r.url()), { timeout: WAIT });
  const fewMark = seq;
  await page.locator('#layer-emerging').click(); // (the page unticks it again when the API says why)
  const fewBody = await (await few).json();
  await page.locator('#layer-emerging-off:not([hidden])').waitFor({ timeout: WAIT });
  const offText = await page.locator('#layer-emerging-off').innerText();
  const stillOn = await page.locator('#layer-emerging').isChecked();
  const fewTiles = tiles.filter((t) => t.seq > fewMark && t.url.includes('/tiles/emerging/')).length;
  check(
    '(j) with 3 months the emerging layer is off, with the API\'s reason shown, and no tiles asked for',
    fewBody.meaningful === false && offText.includes(fewBody.reason) && !stillOn && fewTiles === 0,
    `${JSON.stringify(offText)}; API ${JSON.stringify(fewBody.reason)}; box ticked ${stillOn}; ${fewTiles} emerging tiles`,
  );
  // The five months held from October 2018 to February 2019 (no earlier month is held, and the API refuses a trend
  // over missing months): the month's bar in the header, then the first day under "Other dates".
  await page.locator('#t-length').selectOption('6');
  await page.locator('#held-bars button[aria-label^="Show up to Feb 2019"]').click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('to') === '2019-03-01', null, { timeout: WAIT });
  await page.locator('.other-dates summary').click();
  await page.locator('#from').fill('2018-10-01');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('from') === '2018-10-01', null, { timeout: WAIT });
  await waitForMapIdle(page, 'after choosing October 2018 to February 2019');
  const mark = seq;
  const api = page.waitForResponse((r) => /\/api\/emerging\?/.test(r.url()), { timeout: WAIT });
  await page.locator('#layer-emerging').check();
  const ans = await api;
  const body = await ans.json();
  await page.locator('[data-testid=emerging-legend]').waitFor({ timeout: WAIT });
  await waitForMapIdle(page, 'with the emerging layer on');
  const em = tiles.filter((t) => t.seq > mark && t.url.includes('/tiles/emerging/'));
  const em200 = em.filter((t) => t.status === 200).length;
  const emBad = em.filter((t) => ![200, 204, 304].includes(t.status));
  check(
    '(j) the emerging toggle loads emerging tiles (200), months by default',
    // (A month is the default period: the tiles' canonical query leaves it out.)
    ans.status() === 200 && /period=month/.test(ans.url()) && em200 > 0 && emBad.length === 0 && em.every((t) => !/period=week/.test(t.url)),
    `/api/emerging ${ans.status()}; ${em.length} emerging tile responses: ${em200} x 200` +
      (emBad.length ? `; failed: ${emBad.slice(0, 3).map((t) => `${t.status} ${t.url}`).join(' | ')}` : ''),
  );
  const legendNames = await page.locator('[data-testid=emerging-legend] li').allInnerTexts();
  const want = body.classes.map((c) => c.name);
  check(
    '    the legend names each class /api/emerging found, with its squares',
    want.length > 0 && legendNames.length === want.length && want.every((n) => legendNames.some((l) => l.startsWith(`${n}:`))),
    `API ${JSON.stringify(want)}; legend ${JSON.stringify(legendNames.map((l) => l.split(':')[0]))}`,
  );
  // A click on an emerging square (where no hotspot or incident is on top) opens its popup.
  const spot = await page.evaluate(() => {
    const m = window.hotspotsApp.map;
    const c = m.getCanvas();
    for (let y = 40; y < c.clientHeight - 40; y += 23) {
      for (let x = 40; x < c.clientWidth - 40; x += 23) {
        const f = m.queryRenderedFeatures([x, y]);
        if (f.length && f[0].layer.id === 'emerging:fill' && !f.some((g) => /^(hotspots|incidents):/.test(g.layer.id))) return { x, y };
      }
    }
    return null;
  });
  check('    an emerging square is on screen', Boolean(spot), JSON.stringify(spot));
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + spot.x, box.y + spot.y);
  await page.locator('.maplibregl-popup').waitFor({ timeout: WAIT });
  const pop = (await page.locator('.maplibregl-popup').innerText()).replace(/\s+/g, ' ');
  check(
    '(j) a click on an emerging square says its class, hot steps, trend z and incidents',
    /(hot|cold) spot/i.test(pop) && /Hot steps \d+ of \d+/.test(pop) && /Trend z/.test(pop) && /Incidents/.test(pop),
    JSON.stringify(pop.slice(0, 200)),
  );
  await page.screenshot({ path: path.join(outDir, 'emerging.png') });
  await page.keyboard.press('Escape');
  await page.evaluate(() => window.hotspotsApp.popup && window.hotspotsApp.popup.remove());

  // Weeks on monthly data: the API's 400 message on the page, and no week tiles asked for.
  const wmark = seq;
  const wk = page.waitForResponse((r) => /\/api\/emerging\?.*period=week/.test(r.url()), { timeout: WAIT });
  await page.locator('#emerging-period').selectOption('week');
  const wres = await wk;
  const werr = await wres.json();
  await page.locator('[data-testid=emerging-error]').waitFor({ timeout: WAIT });
  const msgs = await pageMessages(page);
  const weekTiles = tiles.filter((t) => t.seq > wmark && /\/tiles\/emerging\/.*period=week/.test(t.url)).length;
  check(
    '(j) weeks on monthly data: the API\'s 400 message is shown, no week tiles are asked for',
    wres.status() === 400 && werr.parameter === 'period' && msgs.some((m) => m.includes(werr.error)) &&
      (await page.locator('[data-testid=emerging-error]').innerText()).includes(werr.error) && weekTiles === 0 &&
      new URL(page.url()).hash.includes('period=week'),
    `${wres.status()} ${JSON.stringify(werr)}; messages ${JSON.stringify(msgs)}; week tiles ${weekTiles}`,
  );
  await page.locator('#emerging-period').selectOption('month');
  await page.locator('[data-testid=emerging-legend]').waitFor({ timeout: WAIT });
  await page.waitForFunction(() => !document.querySelector('#messages p'), null, { timeout: WAIT });
  await page.locator('#layer-emerging').uncheck();
  // Back to the last 3 months.
  await page.locator('#t-length').selectOption('3');
  await page.locator('#held-bars button').last().click();
  await waitForMapIdle(page, 'after the emerging layer');
}

/** /api/tasking for the settings in the page's address, fetched by the test itself. */
async function apiTasking(page) {
  const h = new URLSearchParams(new URL(page.url()).hash.slice(1));
  const q = new URLSearchParams();
  if (h.get('at')) q.set('at', h.get('at'));
  q.set('window', h.get('window'));
  q.set('top', h.get('top'));
  q.set('min_separation_m', h.get('separation'));
  q.set('weight', h.get('rank'));
  for (const c of h.getAll('category')) q.append('category', c);
  const res = await fetch(new URL(`api/tasking?${q}`, base));
  if (!res.ok) throw new CheckFailed(`/api/tasking?${q} answered ${res.status}: ${await res.text()}`);
  return { body: await res.json(), query: q.toString() };
}

async function waitTaskingList(page, what) {
  try {
    await page.waitForFunction(() => {
      const l = document.getElementById('tasking-list');
      return l && !l.hasAttribute('aria-busy') && l.querySelector('li') && window.hotspotsApp.tasking;
    }, null, { timeout: WAIT, polling: 200 });
  } catch {
    throw new CheckFailed(`the tasking list did not appear ${what}; messages: ${JSON.stringify(await pageMessages(page))}`);
  }
}

async function shownTasking(page) {
  return page.evaluate(() => [...document.querySelectorAll('#tasking-list li[data-id]')].map((li) => ({
    id: li.dataset.id,
    rank: li.querySelector('.rank').textContent.trim(),
    where: li.querySelector('.where').textContent.trim(),
    incidents: li.querySelector('[data-testid=cand-incidents]').textContent.trim(),
    cls: li.querySelector('.cls').textContent.trim(),
    selected: li.classList.contains('selected'),
  })));
}

async function taskingChecks(context, page) {
  // (k) Tasking mode, then 3 months before the end of the data (the store has nothing before 2024 but 2018-12).
  await page.getByRole('button', { name: 'Tasking', exact: true }).click();
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('mode') === 'tasking', null, { timeout: WAIT });
  await waitTaskingList(page, 'on entering tasking mode');
  const three = page.waitForResponse((r) => /\/api\/tasking\?.*window=3m/.test(r.url()), { timeout: WAIT });
  await page.locator('#t-window').selectOption('3m');
  const tr = await three;
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('window') === '3m', null, { timeout: WAIT });
  await waitTaskingList(page, 'for 3 months');
  await page.waitForFunction(() => window.hotspotsApp.tasking && window.hotspotsApp.tasking.window_text === '3 months', null, { timeout: WAIT });
  await waitForMapIdle(page, 'in tasking mode');
  const { body, query } = await apiTasking(page);
  const shown = await shownTasking(page);
  const c0 = body.candidates[0];
  check(
    '(k) the tasking list equals /api/tasking for the same settings',
    tr.status() === 200 && body.candidates.length > 0 && shown.length === body.candidates.length &&
      shown[0].incidents === fmt(c0.incidents) && shown[0].rank === String(c0.rank) && shown[0].id === c0.id &&
      shown[0].where === c0.name && c0.name.length > 0 &&
      shown[0].cls === (c0.emerging_name || 'No emerging class'),
    `${query}: page ${shown.length} entries, API ${body.candidates.length}; first: page ${JSON.stringify(shown[0])}, ` +
      `API incidents ${c0 && c0.incidents}, class ${c0 && c0.emerging_name}`,
  );
  const note = await page.locator('[data-testid=previous-note]').allInnerTexts();
  const changes = await page.locator('[data-testid=cand-change]').count();
  const listText = await page.locator('#tasking-list').innerText();
  check(
    '(k) the previous-window note is shown once, and no entry shows a change',
    body.previous_note && note.length === 1 && note[0].includes(body.previous_note) && changes === 0 && !/\b0(\.0)?%/.test(listText) &&
      body.candidates.every((c) => c.change === null),
    `note ${JSON.stringify(note)}; ${changes} change lines`,
  );
  const warned = await page.locator('[data-testid=tasking-notes]').innerText();
  check('    the API\'s warnings and emerging note are in the panel', body.warnings.every((w) => warned.includes(w)) && warned.includes(body.emerging_note),
    `${body.warnings.length} warnings`);
  const drawn = await page.evaluate(() => ({
    lines: window.hotspotsApp.map.queryRenderedFeatures({ layers: ['tasking:line'] }).length,
    ranks: [...new Set(window.hotspotsApp.map.queryRenderedFeatures({ layers: ['tasking:line'] }).map((f) => f.properties.rank))].length,
    badges: document.querySelectorAll('.tasking-badge').length,
  }));
  const px = await mapPixels(page);
  await page.screenshot({ path: path.join(outDir, 'tasking.png') });
  check(
    '(k) the places\' outlines are drawn with rank badges, and the map is not blank',
    drawn.ranks === body.candidates.length && drawn.badges === body.candidates.length && px.variance > 15 && px.nonBackgroundShare > 0.01,
    `${drawn.ranks} outlined places on screen, ${drawn.badges} badges; luminance variance ${px.variance.toFixed(1)}, ` +
      `${(px.nonBackgroundShare * 100).toFixed(1)}% of pixels unlike ${px.background}`,
  );

  // Choosing the second place: marked in the list and on the map, the map goes there, the address keeps it.
  const pick = body.candidates[Math.min(1, body.candidates.length - 1)];
  const zoomBefore = await page.evaluate(() => window.hotspotsApp.map.getZoom());
  await page.locator(`#tasking-list li[data-id="${pick.id}"] button.row`).click();
  await page.waitForFunction(() => window.hotspotsApp.map.isMoving(), null, { timeout: 5000 }).catch(() => {});
  await waitForMapIdle(page, 'after choosing a place');
  const after = await page.evaluate((id) => {
    const m = window.hotspotsApp.map;
    const c = m.getCenter();
    return {
      zoom: m.getZoom(),
      center: [c.lng, c.lat],
      filter: JSON.stringify(m.getFilter('tasking:selected')),
      badge: document.querySelector('.tasking-badge.selected')?.dataset.id,
      selectedDrawn: m.queryRenderedFeatures({ layers: ['tasking:selected'] }).filter((f) => f.properties.id === id).length,
    };
  }, pick.id);
  const sel = (await shownTasking(page)).filter((r) => r.selected).map((r) => r.id);
  const [lon, lat] = pick.centroid_lonlat;
  check(
    '(k) choosing a place marks it and flies the map to it',
    JSON.stringify(sel) === JSON.stringify([pick.id]) && after.badge === pick.id && after.selectedDrawn > 0 && after.zoom > zoomBefore &&
      Math.abs(after.center[0] - lon) < 0.01 && Math.abs(after.center[1] - lat) < 0.01 &&
      new URLSearchParams(new URL(page.url()).hash.slice(1)).get('candidate') === pick.id,
    `rank ${pick.rank} (${pick.id}): selected rows ${JSON.stringify(sel)}, badge ${after.badge}, zoom ${zoomBefore.toFixed(1)} -> ` +
      `${after.zoom.toFixed(1)}, centre ${after.center.map((v) => v.toFixed(4))} vs ${[lon, lat].map((v) => v.toFixed(4))}`,
  );
  await page.screenshot({ path: path.join(outDir, 'tasking-selected.png') });
  const msgs = await pageMessages(page);
  check('    no error message in tasking mode', msgs.length === 0, msgs.length ? JSON.stringify(msgs) : 'none');

  // (l) The address reproduces the list and the chosen place.
  const tab = await context.newPage();
  try {
    await tab.goto(page.url(), { waitUntil: 'load', timeout: WAIT });
    await tab.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: WAIT });
    await waitTaskingList(tab, 'in a new tab');
    const shown2 = await shownTasking(tab);
    check(
      '(l) the address reproduces tasking mode, its settings and the chosen place in a new tab',
      JSON.stringify(shown2) === JSON.stringify(await shownTasking(page)),
      `${shown2.length} entries, chosen ${JSON.stringify(shown2.filter((r) => r.selected).map((r) => r.rank))}`,
    );
  } finally {
    await tab.close();
  }

  // Back to the normal view: the places and their badges go, the hotspot list returns.
  await page.getByRole('button', { name: 'Hotspots', exact: true }).click();
  await page.locator('#hotspot-list li button.row').first().waitFor({ timeout: WAIT });
  await waitForMapIdle(page, 'back from tasking mode');
  const gone = await page.evaluate(() => ({
    lines: window.hotspotsApp.map.queryRenderedFeatures({ layers: ['tasking:line'] }).length,
    badges: document.querySelectorAll('.tasking-badge').length,
    panel: !document.getElementById('tasking-panel').hidden,
  }));
  check(
    '(l) back in the normal view the places are not drawn and the tasking panel is hidden',
    gone.lines === 0 && gone.badges === 0 && !gone.panel && !new URL(page.url()).hash.includes('mode=tasking'),
    JSON.stringify(gone),
  );
}

const guard = setTimeout(() => {
  console.error(`browser test FAILED: gave up after ${(WAIT * 6) / 1000} s`);
  process.exit(1);
}, WAIT * 6);

main()
  .then(() => {
    clearTimeout(guard);
    const tileLayers = [...new Set(tiles.map((t) => /\/tiles\/([^/]+)\//.exec(t.url)?.[1]))];
    console.log(
      `browser test passed: ${tiles.length} tile responses from ${tileLayers.join(', ')}, ` +
        `${apiCalls.length} API/TileJSON calls; screenshots in ${path.relative(process.cwd(), outDir) || outDir}/`,
    );
    console.log(`browser: ${results.filter((r) => r.ok).length} passed, 0 failed`);
  })
  .catch((e) => {
    clearTimeout(guard);
    console.error(`\nbrowser test FAILED: ${e instanceof CheckFailed ? e.message : e && e.stack ? e.stack : e}`);
    if (pageErrors.length) console.error(`page errors:\n  ${pageErrors.join('\n  ')}`);
    if (consoleLines.length) console.error(`browser console (errors and warnings):\n  ${consoleLines.slice(0, 20).join('\n  ')}`);
    const failedApi = apiCalls.filter((c) => c.status >= 400);
    if (failedApi.length) console.error(`failed API calls:\n  ${failedApi.map((c) => `${c.status} ${c.url}`).join('\n  ')}`);
    console.error(`screenshots (if taken) in ${outDir}`);
    console.log(`browser: ${results.filter((r) => r.ok).length} passed, 1 failed`);
    process.exit(1);
  });
