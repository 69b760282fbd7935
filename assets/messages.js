// The page's error area (#messages, dismissable, one per key) and notices (#notices, warnings from the API).

const $ = (id) => document.getElementById(id);
const messages = new Map();

/** Show a message in the error area, replacing any earlier one with the same key. */
export function showError(key, text) {
  let p = messages.get(key);
  if (!p) {
    p = document.createElement('p');
    const span = document.createElement('span');
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'small';
    close.textContent = 'Dismiss';
    close.addEventListener('click', () => clearError(key));
    p.append(span, close);
    messages.set(key, p);
    $('messages').append(p);
  }
  p.firstChild.textContent = text;
}

export function clearError(key) {
  const p = messages.get(key);
  if (p) {
    p.remove();
    messages.delete(key);
  }
}

export function clearErrors(prefix) {
  for (const key of [...messages.keys()]) if (key.startsWith(prefix)) clearError(key);
}

export function errorText(err) {
  const param = err && err.parameter ? ` (the setting "${err.parameter}")` : '';
  return `${err && err.message ? err.message : err}${param}`;
}

export function showNotices(list) {
  const box = $('notices');
  box.replaceChildren(
    ...[...new Set(list)].map((w) => {
      const p = document.createElement('p');
      p.textContent = `Note: ${w}`;
      return p;
    }),
  );
}
