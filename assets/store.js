// The page's one state store: every module keeps its part of the page's state here and is told when the parts it
// reads change. A module writes only the keys it owns: `store.as(owner, keys)` gives it a handle whose `set` refuses
// any other key (so "who changed this?" always has one answer). The state and every plain object or array in it are
// frozen, so a module cannot change a value in place behind the store's back (in a module, which is strict code, such
// an assignment throws): it asks the owner's action instead. Pure (no DOM), tested by units.test.mjs.
//
//   const store = createStore({ window: null });
//   const time = store.as('time', ['window', 'playing']);
//   store.subscribe(['window'], (state, changed) => ...);   // called after each set that changes `window`
//   time.set({ window: { from, to } });

/** Freeze `v` and the plain objects and arrays it holds (Dates, Maps and class instances are left as they are). */
export function deepFreeze(v) {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v;
  Object.freeze(v);
  for (const k of Object.keys(v)) deepFreeze(v[k]);
  return v;
}

/** A store with `get(key?)`, `set(patch)`, `subscribe(keys, fn)` and `as(owner, keys)`. */
export function createStore(initial = {}) {
  let state = deepFreeze({ ...initial });
  const subscribers = [];
  const owners = new Map(); // key -> owner name

  function get(key) {
    return key === undefined ? state : state[key];
  }

  /** Merge `patch` into the state (its values frozen); subscribers of a key whose value changed (Object.is) are called once each. */
  function set(patch) {
    const changed = Object.keys(patch).filter((k) => !Object.is(state[k], patch[k]));
    if (!changed.length) return [];
    for (const k of changed) deepFreeze(patch[k]);
    state = Object.freeze({ ...state, ...patch });
    for (const s of [...subscribers]) {
      if (s.keys === null || s.keys.some((k) => changed.includes(k))) s.fn(state, changed);
    }
    return changed;
  }

  /** Call `fn(state, changedKeys)` after every `set` that changes one of `keys` (null: any). Returns an unsubscribe. */
  function subscribe(keys, fn) {
    const s = { keys: keys === null ? null : [].concat(keys), fn };
    subscribers.push(s);
    return () => {
      const i = subscribers.indexOf(s);
      if (i >= 0) subscribers.splice(i, 1);
    };
  }

  /** A module's handle: it owns `keys` (no other module may claim them) and its `set` writes only those. */
  function as(owner, keys) {
    for (const k of keys) {
      const had = owners.get(k);
      if (had && had !== owner) throw new Error(`store: '${k}' belongs to ${had}, not ${owner}`);
      owners.set(k, owner);
    }
    return {
      get,
      subscribe,
      set(patch) {
        for (const k of Object.keys(patch)) {
          if (owners.get(k) !== owner) throw new Error(`store: ${owner} may not write '${k}' (${owners.get(k) || 'nobody'} owns it)`);
        }
        return set(patch);
      },
    };
  }

  return { get, set, subscribe, as, owners: () => new Map(owners) };
}
