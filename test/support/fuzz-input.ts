/**
 * Random and hostile input for the fuzzers: JSON built as a tree that can hold what a plain object
 * cannot (an own `__proto__` key, duplicate keys, number text such as 1e309), then written out.
 */

/** A seeded generator (mulberry32), so every failure can be replayed from its seed. */
export interface Rng {
  (): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function seededRandom(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  });
}

/** The seed of case `index` in a run started with `seed`: each case can be replayed alone. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 2654435761) + Math.imul(index + 1, 40503)) >>> 0;
}

/** Every member name of Object.prototype: `constructor`, `__proto__`, `toString`, `hasOwnProperty`, ... */
export const PROTO_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);

/** A JSON value; `Obj` keeps keys in order and may repeat them, `Num` is number text written verbatim. */
export type Json = null | boolean | number | string | Json[] | Obj | Num;
export class Obj {
  constructor(readonly entries: [string, Json][]) {}
}
export class Num {
  constructor(readonly text: string) {}
}

export const obj = (o: Record<string, Json>): Obj => new Obj(Object.entries(o));

export const STRANGE_NUMBERS = ['1e309', '-1e309', '-0', '0e0', '1e-400', '-0.0', '123456789012345678901234567890', '9007199254740993', '1E+2', '0.1e1', '5e-324', '1.7976931348623157e308'];
export const STRANGE_STRINGS = ['NaN', 'Infinity', '-Infinity', '-0', '1e309', '', ' ', '\u0000', '\ud800', '\udfff\ud800', '\u202e', '\ufeff', '💥', '../../etc/passwd', 'C:\\Windows', '%s%n', '\r\n', ' job '];

/** Writes a tree as JSON text; iterative, so 10,000 levels do not overflow the stack. */
export function toText(root: Json): string {
  const out: string[] = [];
  const stack: (Json | { raw: string })[] = [root];
  while (stack.length) {
    const v = stack.pop()!;
    if (v !== null && typeof v === 'object' && 'raw' in v) out.push(v.raw);
    else if (v instanceof Num) out.push(v.text);
    else if (v instanceof Obj) {
      stack.push({ raw: '}' });
      for (let i = v.entries.length - 1; i >= 0; i--) {
        stack.push(v.entries[i]![1], { raw: `${i > 0 ? ',' : ''}${JSON.stringify(v.entries[i]![0])}:` });
      }
      stack.push({ raw: '{' });
    } else if (Array.isArray(v)) {
      stack.push({ raw: ']' });
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]!, { raw: i > 0 ? ',' : '' });
      stack.push({ raw: '[' });
    } else out.push(JSON.stringify(v));
  }
  return out.join('');
}

/** `levels` nested arrays or objects around `inner`. */
export function deepNest(levels: number, inner: Json = 1, kind: 'array' | 'object' = 'array'): Json {
  let v = inner;
  for (let i = 0; i < levels; i++) v = kind === 'array' ? [v] : new Obj([['a', v]]);
  return v;
}

export function randomString(r: Rng): string {
  switch (r.int(6)) {
    case 0: return r.pick(STRANGE_STRINGS);
    case 1: return r.pick(PROTO_NAMES);
    case 2: return 'x'.repeat(r.int(300));
    case 3: return String.fromCharCode(...Array.from({ length: r.int(20) }, () => r.int(0x10000)));
    case 4: return r.chance(0.02) ? 'y'.repeat(256 * 1024 + r.int(1024 * 1024)) : `id-${r.int(1000)}`;
    default: return r.pick(['shell', 'powershell', 'python', 'claude_task', 'command', 'auth_ok', 'result', 'text', 'tool_use', 'init']);
  }
}

export function randomValue(r: Rng, keys: readonly string[], depth = 0): Json {
  switch (r.int(depth > 4 ? 6 : 9)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.int(2e9) - 1e9;
    case 3: return new Num(r.pick(STRANGE_NUMBERS));
    case 4: case 5: return randomString(r);
    case 6: return Array.from({ length: r.int(4) }, () => randomValue(r, keys, depth + 1));
    default: return randomObject(r, keys, depth + 1);
  }
}

export function randomObject(r: Rng, keys: readonly string[], depth = 0): Obj {
  const entries: [string, Json][] = [];
  for (let i = r.int(5); i > 0; i--) entries.push([r.chance(0.3) ? r.pick(PROTO_NAMES) : r.pick(keys), randomValue(r, keys, depth)]);
  return new Obj(entries);
}

/** Adds a prototype-named key (or several) to every object in the tree, at every level. */
export function withProtoKeys(r: Rng, v: Json, keys: readonly string[]): Json {
  if (v instanceof Obj) {
    const entries = v.entries.map(([k, x]): [string, Json] => [k, withProtoKeys(r, x, keys)]);
    for (let i = 1 + r.int(2); i > 0; i--) entries.splice(r.int(entries.length + 1), 0, [r.pick(PROTO_NAMES), randomValue(r, keys, 3)]);
    return new Obj(entries);
  }
  return Array.isArray(v) ? v.map((x) => withProtoKeys(r, x, keys)) : v;
}

/** Replaces, drops, duplicates or adds entries somewhere in the tree. */
export function mutateTree(r: Rng, v: Json, keys: readonly string[]): Json {
  if (v instanceof Obj) {
    const entries = v.entries.map(([k, x]): [string, Json] => [k, r.chance(0.3) ? mutateTree(r, x, keys) : x]);
    const i = r.int(entries.length + 1);
    switch (r.int(5)) {
      case 0: entries.splice(i, 1); break;
      case 1: if (entries[i]) entries[i] = [entries[i]![0], randomValue(r, keys, 2)]; break;
      case 2: if (entries[i]) entries.push(entries[i]!); break;
      case 3: entries.splice(i, 0, [r.pick(keys), randomValue(r, keys, 2)]); break;
      default: if (entries[i]) entries[i] = [r.pick(PROTO_NAMES), entries[i]![1]];
    }
    return new Obj(entries);
  }
  if (Array.isArray(v)) return v.map((x) => (r.chance(0.3) ? mutateTree(r, x, keys) : x));
  return r.chance(0.5) ? randomValue(r, keys, 3) : v;
}

/** Edits the text itself: flips, inserts, deletes and truncations, so most results are not JSON. */
export function mutateText(r: Rng, text: string): string {
  let t = text;
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(t.length + 1);
    switch (r.int(6)) {
      case 0: t = t.slice(0, at); break;
      case 1: t = t.slice(0, at) + t.slice(at + 1 + r.int(8)); break;
      case 2: t = t.slice(0, at) + r.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '\\u', '\\ud800', '\u0000', '\ud800', 'e309', '-', 'null']) + t.slice(at); break;
      case 3: t = t.slice(0, at) + t.slice(r.int(t.length)); break;
      case 4: t = t.slice(0, at) + String.fromCharCode(r.int(0x10000)) + t.slice(at + 1); break;
      default: t = `${t.slice(0, at)}"${r.pick(PROTO_NAMES)}":${t.slice(at)}`;
    }
  }
  return t;
}

/** Bytes that are not valid UTF-8: lone continuation bytes, overlong forms, surrogates, truncated sequences. */
export function invalidUtf8(r: Rng): Buffer {
  const bad = [[0x80], [0xbf], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe], [0xe2, 0x82], [0xf0, 0x9f, 0x92]];
  const parts: number[] = [];
  for (let i = 1 + r.int(6); i > 0; i--) parts.push(...r.pick(bad), ...Buffer.from(r.pick(['a', '"', '{', '\n', ' ', '}'])));
  return Buffer.from(parts);
}
