// Talking to the map server: URLs, the access token, the query string, and errors that say what went wrong.

/** The access token from the page's own URL (`?token=...`), or null. */
export function pageToken(loc = globalThis.location) {
  try {
    return new URLSearchParams(loc.search).get('token') || null;
  } catch {
    return null;
  }
}

/** An absolute URL for a path relative to the page (so the page also works behind a path prefix). */
export function absolute(path, base = globalThis.document?.baseURI) {
  return new URL(path, base).href;
}

/** An error from the API: `{"error", "parameter"}` bodies keep both. */
export class ApiError extends Error {
  constructor(message, { status = 0, parameter = null, url = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.parameter = parameter;
    this.url = url;
  }
}

/** Turn a failed response's body into an ApiError. */
export async function errorFromResponse(res, url) {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* the body is gone: keep the status */
  }
  return errorFromBody(res.status, res.statusText, text, url);
}

export function errorFromBody(status, statusText, text, url) {
  let message = '';
  let parameter = null;
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object') {
      message = body.error ? String(body.error) : '';
      parameter = body.parameter ?? null;
    }
  } catch {
    message = (text || '').trim().slice(0, 300);
  }
  if (!message) message = `${status} ${statusText || ''}`.trim();
  if (status === 401) {
    message = `the server needs an access token (${message}). Open the page with ?token=YOUR_TOKEN at the end of its address.`;
  } else if (status === 503) {
    message = `the server is busy or the calculation took too long (${message}); try again, or choose a shorter window.`;
  }
  return new ApiError(message, { status, parameter, url });
}

/**
 * The query that the API and the tiles share: from, to, category (repeated, left out for "all"), weight/rank_by.
 * `state.from`/`state.to` are Dates ([from, to), to exclusive), `state.categories` null for all or an array.
 */
export function buildQuery(state) {
  const q = new URLSearchParams();
  q.set('from', state.from.toISOString().slice(0, 10));
  q.set('to', state.to.toISOString().slice(0, 10));
  if (Array.isArray(state.categories)) for (const c of state.categories) q.append('category', c);
  if (state.harm) {
    q.set('weight', 'harm');
    q.set('rank_by', 'harm');
  }
  return q.toString();
}

/** A small client: every request carries the token when there is one, and failures become ApiErrors. */
export function makeClient(token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    token,
    headers,
    async json(path, { signal } = {}) {
      const url = absolute(path);
      let res;
      try {
        res = await fetch(url, { headers, signal });
      } catch (e) {
        if (e && e.name === 'AbortError') throw e;
        throw new ApiError(`could not reach the server (${e && e.message ? e.message : e})`, { url });
      }
      if (!res.ok) throw await errorFromResponse(res, url);
      try {
        return await res.json();
      } catch (e) {
        throw new ApiError(`the server's answer was not JSON (${e.message})`, { status: res.status, url });
      }
    },
    /** MapLibre's transformRequest: absolute URLs (tiles load in a worker, where "/tiles/.." means nothing) plus the token. */
    transformRequest(url) {
      // Other schemes (pmtiles://, the basemap's own protocol) are left as they are.
      if (/^[a-z][a-z0-9+.-]*:/i.test(url) && !/^https?:/i.test(url)) return { url };
      let abs = url;
      try {
        abs = absolute(url);
      } catch {
        return { url };
      }
      const sameOrigin = new URL(abs).origin === globalThis.location.origin;
      return token && sameOrigin ? { url: abs, headers } : { url: abs };
    },
  };
}
