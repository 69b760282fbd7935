// The hotspot list and what hangs on it: `/api/hotspots` for the window, the ranked rows, the rank badges on the
// map, choosing a hotspot (row, outline, badge, popup, the camera), popups of any clicked feature, and after a
// search the place marked with the nearest hotspot offered. Owns the store keys `hotspots` (the list's answer),
// `selected` (the chosen hotspot's id) and `hotspotNotes` (the answer's warnings).

import { esc } from './format.js';
import { popupHtml } from './layers.js';
import { hotspotRowHtml, hotspotPopupHtml, hotspotProps, hotspotPlace } from './panels.js';
import { featureBounds } from './mapbits.js';
import { showError, clearError, errorText } from './messages.js';
import { periodWords } from './time.js';
import { phone } from './map-view.js';

/** Distance in metres between two lon/lat points (equirectangular: fine at these scales). */
export function metresBetween(a, b) {
  const k = Math.PI / 180;
  const x = (b[0] - a[0]) * Math.cos(((a[1] + b[1]) / 2) * k) * 6371000 * k;
  const y = (b[1] - a[1]) * 6371000 * k;
  return Math.hypot(x, y);
}

/** A hotspot's centre: its centroid from the API, else the middle of its bounds. */
function centreOf(f) {
  const c = hotspotProps(f.properties).centroid_lonlat;
  if (Array.isArray(c) && c.length === 2) return c;
  const b = featureBounds(f.geometry);
  return b ? [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] : null;
}

/**
 * `own`: the store handle for the keys above. `page`: the read-only page view. `hooks`: isCurrent(gen),
 * abortable(name), onList() (the list arrived: the other panels follow), layers (the layer panel's actions),
 * setTarget(id) (compare mode), clickTasking(e), setSheet(open), setDrawer(open).
 */
export function makeHotspotList(own, page, hooks) {
  const maplibregl = window.maplibregl;
  const $ = (id) => document.getElementById(id);
  let badges = [];
  let popup = null;
  let popupHotspotId = null;
  let focusMarker = null;
  const features = () => page.hotspots;
  const outlineLayer = () => page.infos.find((l) => l.style.kind === 'outline');

  async function load(gen) {
    const q = page.query;
    const list = $('hotspot-list');
    list.setAttribute('aria-busy', 'true');
    try {
      const fc = await page.client.json(`api/hotspots?${q}&top=10`, { signal: hooks.abortable('hotspots') });
      if (!hooks.isCurrent(gen)) return;
      clearError('hotspots');
      own.set({ hotspots: fc, hotspotNotes: Array.isArray(fc.warnings) ? fc.warnings.map(String) : [] });
      render();
      updateBadges();
      refreshOpenPopup();
      hooks.onList();
      showNearest();
    } catch (err) {
      if (err.name === 'AbortError') return;
      list.innerHTML = '<li class="empty">The list could not load (see the message at the top).</li>';
      showError('hotspots', `The hotspot list could not load: ${errorText(err)}`);
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  function render() {
    const list = $('hotspot-list');
    if (!features().length) {
      list.innerHTML = '<li class="empty">No hotspots in this window for these types.</li>';
      return;
    }
    list.innerHTML = features()
      .map((f) => {
        const p = hotspotProps(f.properties);
        const sel = p.id === page.selectedId;
        return `<li data-id="${esc(p.id)}"${sel ? ' class="selected"' : ''}>${hotspotRowHtml(p, { harm: page.state.harm })}</li>`;
      })
      .join('');
    for (const b of list.querySelectorAll('button.row')) {
      b.setAttribute('aria-pressed', String(b.dataset.id === page.selectedId));
      b.addEventListener('click', () => {
        const outline = outlineLayer();
        if (outline && !page.state.visible.has(outline.name)) hooks.layers.setVisible(outline.name, true);
        select(b.dataset.id, { fly: true });
      });
    }
  }

  function updateBadges() {
    for (const m of badges) m.remove();
    badges = [];
    const outline = outlineLayer();
    if (!page.map || !outline || !page.state.visible.has(outline.name)) return;
    for (const f of features()) {
      const p = f.properties;
      const c = centreOf(f);
      if (!c) continue;
      const el = document.createElement('button');
      el.type = 'button';
      el.className = `rank-badge${p.id === page.selectedId ? ' selected' : ''}`;
      el.dataset.id = p.id;
      el.textContent = p.rank;
      el.setAttribute('aria-label', `Hotspot ${p.rank}: ${p.name || ''}`);
      el.addEventListener('click', (ev) => {
        ev.stopPropagation();
        select(p.id, {});
      });
      badges.push(new maplibregl.Marker({ element: el }).setLngLat(c).addTo(page.map));
    }
  }

  /** Choose hotspot `id`: its row, outline and badge are marked; with `fly` the map goes there; a popup opens. */
  async function select(id, { fly = false, at = null, props = null } = {}) {
    const map = page.map;
    own.set({ selected: id });
    for (const l of page.infos.filter((x) => x.style.kind === 'outline')) {
      if (map.getLayer(`${l.name}:selected`)) map.setFilter(`${l.name}:selected`, ['==', ['get', 'id'], id]);
    }
    for (const li of document.querySelectorAll('#hotspot-list li')) {
      const on = li.dataset.id === id;
      li.classList.toggle('selected', on);
      li.querySelector('button').setAttribute('aria-pressed', String(on));
      if (on && !phone()) li.scrollIntoView({ block: 'nearest' });
    }
    for (const m of badges) m.getElement().classList.toggle('selected', m.getElement().dataset.id === id);
    const feature = features().find((h) => h.properties.id === id);
    const p = feature ? hotspotProps(feature.properties) : props;
    if (!p) return;
    if (phone()) hooks.setSheet(false); // picking a hotspot shows it on the map
    const centroid = Array.isArray(p.centroid_lonlat) ? p.centroid_lonlat : null;
    const comparing = page.mode === 'compare';
    if (fly && feature) {
      const b = featureBounds(feature.geometry);
      if (b && phone() && !comparing && centroid) {
        // On a phone the popup opens above the hotspot's centre: put that centre below the middle of the map.
        const cam = map.cameraForBounds(b, { padding: 30, maxZoom: 16 });
        map.easeTo({ center: centroid, zoom: cam ? cam.zoom : map.getZoom(), offset: [0, map.getContainer().clientHeight * 0.22], duration: 700 });
      } else if (b) {
        map.fitBounds(b, { padding: comparing ? 160 : 80, maxZoom: comparing ? 14 : 16, duration: 700 });
      }
    }
    if (comparing) {
      closePopup();
      hooks.setTarget(id);
      return;
    }
    const c = Array.isArray(p.centroid_lonlat) ? p.centroid_lonlat : null;
    const where = at || (c ? { lng: c[0], lat: c[1] } : null);
    if (!where) return;
    const opened = openPopup(where, hotspotPopupHtml(p, { harm: page.state.harm }), id);
    if (!feature && !('previous_incidents' in p) && Number(p.rank) > 0 && Number(p.rank) <= 200) {
      try {
        const fc = await page.client.json(`api/hotspots?${page.query}&top=${Math.min(1000, Number(p.rank) + 20)}`);
        const full = (fc.features || []).find((h) => h.properties.id === id);
        if (full && popup === opened) opened.setHTML(hotspotPopupHtml(hotspotProps(full.properties), { harm: page.state.harm }));
      } catch (err) {
        showError('popup', `Could not load that hotspot's details: ${errorText(err)}`);
      }
    }
  }

  function refreshOpenPopup() {
    if (!popup || !popup.isOpen() || !popupHotspotId) return;
    const f = features().find((h) => h.properties.id === popupHotspotId);
    if (f) popup.setHTML(hotspotPopupHtml(hotspotProps(f.properties), { harm: page.state.harm }));
    else popup.remove();
  }

  function openPopup(lngLat, html, hotspotId = null) {
    popupHotspotId = hotspotId;
    if (popup) popup.remove();
    popup = new maplibregl.Popup({ maxWidth: phone() ? '92vw' : '340px', focusAfterOpen: false, anchor: phone() ? 'bottom' : undefined })
      .setLngLat(lngLat).setHTML(html).addTo(page.map);
    return popup;
  }

  function closePopup() {
    if (popup) popup.remove();
  }

  /** A click on the map: a tasking place, a hotspot outline (chooses it), or any other feature (its popup). */
  function onMapClick(e) {
    if (hooks.clickTasking(e)) return;
    const feats = page.map.queryRenderedFeatures(e.point, { layers: hooks.layers.interactiveLayers() });
    if (!feats.length) return;
    const layerOf = (f) => f.layer.id.split(':')[0];
    // Top of the drawing order first; a shaded area covers what is under it.
    const rank = (n) => -(page.state.shade.has(n) ? 65 : hooks.layers.info(n)?.order ?? 0);
    feats.sort((a, b) => rank(layerOf(a)) - rank(layerOf(b)));
    const f = feats[0];
    const name = layerOf(f);
    if (hooks.layers.kind(name) === 'outline' && f.properties.id) {
      const id = f.properties.id;
      const known = features().find((h) => h.properties.id === id);
      select(id, { at: e.lngLat, props: known ? null : hotspotProps(f.properties) });
      return;
    }
    const html = popupHtml(hooks.layers.info(name), f.properties, {
      analyst: page.store.get('analyst'),
      weight: page.harmOn() ? 'harm' : 'count',
      period: periodWords(hooks.layers.windowOf(name), page.store.get('interval')),
      steps: page.emerging?.answer?.steps?.length,
    });
    openPopup(e.lngLat, html);
  }

  /** After a search: fly there, mark the place, and offer the nearest hotspot of the list. */
  function onFocus(focus) {
    const map = page.map;
    if (!focus || !map) return;
    const [w, s, e, n] = focus.bbox;
    const pad = 0.002;
    map.fitBounds([[w - pad, s - pad], [e + pad, n + pad]], { padding: phone() ? 30 : 60, maxZoom: 16, duration: 600 });
    if (focusMarker) focusMarker.remove();
    const el = document.createElement('div');
    el.className = 'focus-marker';
    el.textContent = focus.name;
    focusMarker = new maplibregl.Marker({ element: el, anchor: 'bottom' }).setLngLat([focus.lon, focus.lat]).addTo(map);
    showNearest();
    if (phone()) hooks.setDrawer(false);
  }

  function showNearest() {
    const focus = page.store.get('focus');
    const box = $('near');
    if (!focus || !features().length || page.mode !== 'map') {
      box.hidden = true;
      return;
    }
    const near = features()
      .map((f) => ({ f, d: metresBetween([focus.lon, focus.lat], centreOf(f) || [0, 0]) }))
      .sort((a, b) => a.d - b.d)[0];
    const p = near.f.properties;
    const d = near.d < 1000 ? `${Math.round(near.d / 10) * 10} m` : `${(near.d / 1000).toFixed(1)} km`;
    box.innerHTML = `<button type="button" id="near-open" data-id="${esc(p.id)}">Nearest hotspot (${esc(d)}): <strong>${esc(p.name || hotspotPlace(hotspotProps(p)))}</strong></button>`;
    box.hidden = false;
    $('near-open').addEventListener('click', () => select(p.id, { fly: true }));
  }

  /** "hotspot 3, Old Christchurch Road": a hotspot of the list in words. */
  function placeOf(id) {
    const f = features().find((h) => h.properties.id === id);
    return f ? `hotspot ${f.properties.rank}, ${f.properties.name || hotspotPlace(hotspotProps(f.properties))}` : `hotspot ${id}`;
  }

  /** Mark a hotspot chosen without opening anything (a compare target read from the address). */
  function preselect(id) {
    own.set({ selected: id });
  }

  return { load, updateBadges, select, preselect, onMapClick, onFocus, closePopup, placeOf, popup: () => popup };
}
