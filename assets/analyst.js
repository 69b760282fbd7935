// The "Analyst detail" switch: plain words by default; the statistics (PAI, Gi* z, WDQ, WDD, p-values, codes, raw
// settings) shown when on, remembered in localStorage. Owns the store key `analyst`; the page marks the statistics
// with the class `analyst-only`, hidden by style.css unless <body> has the class `analyst`.

const KEY = 'hotspots.analyst';

export function readAnalyst(storage = globalThis.localStorage) {
  try {
    return storage?.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export function makeAnalyst(store, storage = globalThis.localStorage) {
  const box = document.getElementById('analyst');
  function apply(on) {
    document.body.classList.toggle('analyst', on);
    box.checked = on;
  }
  function build() {
    const on = readAnalyst(storage);
    store.set({ analyst: on });
    apply(on);
    box.addEventListener('change', () => {
      try {
        storage?.setItem(KEY, box.checked ? '1' : '0');
      } catch {
        /* private mode: not remembered */
      }
      store.set({ analyst: box.checked });
      apply(box.checked);
    });
  }
  return { build };
}
