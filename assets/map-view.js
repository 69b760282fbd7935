// The map itself: MapLibre set up over the server's basemap (a local PMTiles file, a style URL, raster tiles or a
// plain background), its controls, the zoom's scale for layers that follow it, the first view, the "zoom in to
// see" note, tile errors named by layer, the incident clusters' labels, and "wait for the next idle". Holds the
// map instance (not state: MapLibre owns its own); other modules reach the map read-only through the page view.

import { absolute, errorFromBody } from './client.js';
import { BACKGROUND } from './layers.js';
import { baseStyle, featureBounds, makeClusterLabels } from './mapbits.js';
import { showError, clearErrors, errorText } from './messages.js';

/**
 * Cell and band sizes that follow the zoom, for layers whose tiles read `band_m` (Gi*) or `period` (emerging):
 * squares a street block wide at street zoom, a neighbourhood wide further out.
 */
export function scaleFor(zoom) {
  const cell = zoom >= 15 ? 50 : zoom >= 14 ? 100 : zoom >= 13 ? 150 : zoom >= 12 ? 250 : 400;
  return { cell_m: cell, band_m: cell * 3 };
}

export const phone = () => window.matchMedia('(max-width: 699px)').matches;

/**
 * `page`: the read-only page view. `hooks`: client(), onStyle() (the style loaded: add the sources), onScale() (the
 * zoom's scale changed), onClick(e), onMoved(), onIdle() (the layers' idle work), interactiveLayers(), info(name), kind(name),
 * visible() (the layers on now).
 */
export function makeMapView(page, hooks) {
  const maplibregl = window.maplibregl;
  const $ = (id) => document.getElementById(id);
  let map = null;
  let styleReady = false;
  let ready = false;
  let viewChecked = false;
  let viewFromHash = false;
  let lastScale = null;
  let idleWaiters = [];
  let mapErrorLayers = {};
  const clusters = makeClusterLabels(page);

  function build(meta) {
    viewFromHash = /(^|&)map=/.test(location.hash.slice(1));
    const basemap = meta.basemap;
    let style;
    if (basemap && typeof basemap === 'object' && basemap.pmtiles && window.pmtiles && window.basemaps) {
      // A local PMTiles basemap served by this server, drawn with the protomaps style (no glyphs or sprites from
      // anywhere: MapLibre draws the text with the system's fonts, and icons are left out).
      const protocol = new window.pmtiles.Protocol();
      maplibregl.addProtocol('pmtiles', protocol.tile);
      const layers = window.basemaps.layers('protomaps', window.basemaps.namedFlavor('light'), { lang: 'en' })
        .filter((l) => !(l.layout && 'icon-image' in l.layout && !('text-field' in l.layout)))
        .map((l) => (l.layout && 'icon-image' in l.layout ? { ...l, layout: { ...l.layout, 'icon-image': '' } } : l));
      style = {
        version: 8,
        sources: { protomaps: { type: 'vector', url: `pmtiles://${absolute(basemap.pmtiles)}`, attribution: 'Basemap: local PMTiles' } },
        layers,
      };
    } else {
      style = baseStyle(typeof basemap === 'string' && basemap.trim() ? basemap.trim() : null, BACKGROUND);
    }
    const b = Array.isArray(meta.bbox) && meta.bbox.length === 4 && meta.bbox.every(Number.isFinite) ? meta.bbox : null;
    map = new maplibregl.Map({
      container: 'map',
      style,
      ...(b ? { bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 20, maxZoom: 15 } } : { center: [0, 0], zoom: 1 }),
      maxZoom: 19,
      transformRequest: (url) => hooks.client().transformRequest(url),
      canvasContextAttributes: { preserveDrawingBuffer: true },
      attributionControl: basemap ? { compact: true } : false,
      dragRotate: false,
      hash: 'map',
      pitchWithRotate: false,
    });
    map.touchZoomRotate.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    map.on('styleimagemissing', (e) => {
      if (!map.hasImage(e.id)) map.addImage(e.id, { width: 1, height: 1, data: new Uint8Array(4) });
    });
    map.on('load', () => {
      styleReady = true;
      hooks.onStyle();
      map.getCanvas().setAttribute('aria-label', 'Map of hotspots: arrow keys pan, plus and minus zoom');
    });
    map.on('dataloading', () => {
      $('map-status').textContent = 'Loading map…';
    });
    map.on('idle', onIdle);
    map.on('zoomend', () => {
      // Layers whose scale follows the zoom get their new query.
      if (scaleQuery() !== lastScale) {
        lastScale = scaleQuery();
        hooks.onScale();
      }
    });
    const fit = () => {
      map.resize();
      map.redraw();
    };
    window.addEventListener('beforeprint', fit);
    window.addEventListener('afterprint', fit);
    map.on('error', onMapError);
    map.on('click', (e) => hooks.onClick(e));
    map.on('moveend', () => hooks.onMoved());
    map.on('mousemove', (e) => {
      const hit = map.queryRenderedFeatures(e.point, { layers: hooks.interactiveLayers() }).length > 0;
      map.getCanvas().style.cursor = hit ? 'pointer' : '';
    });
  }

  function scaleQuery() {
    const z = map ? Math.floor(map.getZoom()) : 12;
    const s = scaleFor(z);
    return `cell_m=${s.cell_m}&band_m=${s.band_m}`;
  }

  async function onMapError(e) {
    const err = e && e.error ? e.error : e;
    if (err && err.name === 'AbortError') return;
    const layer = e.sourceId || (err && err.url && /\/tiles\/([^/.?]+)/.exec(err.url)?.[1]) || '';
    if (layer === 'protomaps') {
      showError('basemap', `The basemap could not load: ${err && err.message ? err.message : err}`);
      return;
    }
    let text = err && err.message ? err.message : String(err);
    if (err && err.status) {
      let body = '';
      try {
        body = err.body && typeof err.body.text === 'function' ? await err.body.text() : '';
      } catch {
        /* keep the status */
      }
      text = errorText(errorFromBody(err.status, err.statusText, body, err.url));
    }
    const key = `map:${text}`;
    const layers = (mapErrorLayers[key] ||= new Set());
    if (layer) layers.add(hooks.info(layer)?.title || layer);
    const where = layers.size === 0 ? 'The map' : layers.size === 1 ? `The map layer "${[...layers][0]}"` : `The map layers ${[...layers].map((l) => `"${l}"`).join(', ')}`;
    showError(key, `${where} could not load: ${text}`);
  }

  /** A new question: the tile errors of the last one no longer apply. */
  function clearMapErrors() {
    clearErrors('map:');
    mapErrorLayers = {};
  }

  function onIdle() {
    updateZoomHint();
    hooks.onIdle();
    clusters.update();
    const w = idleWaiters;
    idleWaiters = [];
    for (const r of w) r();
    if (!ready && page.hotspotAnswer) {
      if (!viewChecked) {
        viewChecked = true;
        if (fixInitialView()) return;
      }
      ready = true;
      document.body.dataset.state = 'ready';
    }
  }

  /** After the first list: run the idle work now if the map is already idle (it sends no second event). */
  function kick() {
    if (map && map.loaded() && !map.isMoving() && !ready) onIdle();
  }

  function hiddenByZoom() {
    const z = map.getZoom();
    return [...hooks.visible()].filter((l) => {
      const src = map.getSource(l);
      return src && src.minzoom > 0 && Math.floor(z + 1e-9) < src.minzoom && hooks.info(l)?.style.kind !== 'labels';
    });
  }

  function updateZoomHint() {
    const h = hiddenByZoom();
    $('map-status').textContent = h.length ? `Zoom in to see: ${h.map((l) => hooks.info(l)?.title || l).join(', ')}` : '';
  }

  /** The first view: the listed hotspots, never further out than the surfaces switched on can show. */
  function fixInitialView() {
    if (viewFromHash) return false;
    const surfaces = [...hooks.visible()].filter((l) => ['bands', 'sequential', 'classes', 'diverging'].includes(hooks.kind(l)));
    const need = Math.max(0, ...surfaces.map((l) => map.getSource(l)?.minzoom || hooks.info(l)?.minzoom || 0));
    let center = map.getCenter();
    let zoom = map.getZoom();
    const boxes = page.hotspots.map((f) => featureBounds(f.geometry)).filter(Boolean);
    if (boxes.length) {
      const union = [
        [Math.min(...boxes.map((b) => b[0][0])), Math.min(...boxes.map((b) => b[0][1]))],
        [Math.max(...boxes.map((b) => b[1][0])), Math.max(...boxes.map((b) => b[1][1]))],
      ];
      const cam = map.cameraForBounds(union, { padding: phone() ? 20 : 50, maxZoom: 14 });
      if (cam) {
        center = cam.center;
        zoom = cam.zoom;
      }
    }
    zoom = Math.max(zoom, need);
    const same = Math.abs(zoom - map.getZoom()) < 0.01 && map.project(center).dist(map.project(map.getCenter())) < 2;
    if (same) return false;
    map.jumpTo({ center, zoom });
    return true;
  }

  /** Resolves at the next idle of the map (after tiles have loaded). */
  function nextIdle() {
    return new Promise((r) => {
      idleWaiters.push(r);
    });
  }

  return {
    build,
    map: () => map,
    styleReady: () => styleReady,
    scaleQuery,
    clearMapErrors,
    kick,
    nextIdle,
    clearClusters: () => clusters.clear(),
  };
}
