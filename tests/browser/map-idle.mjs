// Waiting for the page's map to settle, shared by the browser tests.

/** Resolve once the map has loaded, every tile in view is in and nothing moves, then two frames more (so what was
 * drawn is on screen); reject after `timeoutMs`. */
export async function idle(page, timeoutMs) {
  await page.waitForFunction(() => {
    const m = window.hotspotsApp && window.hotspotsApp.map;
    return Boolean(m && m.loaded() && m.areTilesLoaded() && !m.isMoving());
  }, null, { timeout: timeoutMs, polling: 250 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
