// Labels that fit their node box and still tell nodes apart. Names from pipelines share
// long prefixes ("rc_dbt/jaffle.main.jaffle.stg_customers v1 run", "...stg_orders v1
// run"): cutting the end leaves them all the same, so the shared prefix (and, if still
// too long, a shared suffix) is dropped first, and only then is the middle cut. The full
// name stays in the node's title (hover), its aria-label and the text list.

// where a shared prefix may end: path and dotted-name parts, words; not '_' or '-',
// which sit inside names (stg_orders)
const SEPARATOR = /[/.: ]/;
const ELLIPSIS = '…';

export type Measure = (text: string) => number;

/** Width of text in the graph's label font, measured by a canvas of the page. */
export function canvasMeasure(font: string): Measure {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return (text) => text.length * 8;
  ctx.font = font;
  const cache = new Map<string, number>();
  return (text) => {
    let w = cache.get(text);
    if (w === undefined) {
      w = ctx.measureText(text).width;
      cache.set(text, w);
    }
    return w;
  };
}

/** Length of the longest common prefix of a and b. */
function common(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** For each label, how many leading characters it shares with some other label, cut
 * back to just after a separator (so "jaffle.main." not "jaffle.main.s"). Sorting makes
 * it O(n log n): a string's longest common prefix with any other is with a neighbour. */
function sharedPrefixes(labels: string[]): number[] {
  const order = labels.map((_, i) => i).sort((a, b) => (labels[a] < labels[b] ? -1 : labels[a] > labels[b] ? 1 : 0));
  const out = new Array<number>(labels.length).fill(0);
  for (let k = 0; k < order.length; k++) {
    const s = labels[order[k]];
    const before = k > 0 && labels[order[k - 1]] !== s ? common(s, labels[order[k - 1]]) : 0;
    const after = k + 1 < order.length && labels[order[k + 1]] !== s ? common(s, labels[order[k + 1]]) : 0;
    let n = Math.max(before, after);
    while (n > 0 && !SEPARATOR.test(s[n - 1])) n--;
    out[order[k]] = n;
  }
  return out;
}

/** Like sharedPrefixes, for the ends: a shared suffix (" v1 run") starts at a separator.
 * Reversed by UTF-16 units: only the lengths are used. */
function sharedSuffixes(labels: string[]): number[] {
  return sharedPrefixes(labels.map((s) => s.split('').reverse().join('')));
}

/** The longest head + "…" + tail of `text` (tail the larger part: names differ at
 * their ends more often) that fits in `width` after `icon`. */
function cutMiddle(text: string, icon: string, width: number, measure: Measure): string {
  const chars = [...text];
  let lo = 0, hi = chars.length;
  const build = (n: number): string => {
    const head = Math.floor(n * 0.4);
    return chars.slice(0, head).join('') + ELLIPSIS + chars.slice(chars.length - (n - head)).join('');
  };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(icon + build(mid)) <= width) lo = mid;
    else hi = mid - 1;
  }
  return build(lo);
}

/**
 * Short labels for `labels` (the icon drawn before each is `icons[i]`), each fitting in
 * `width` by `measure`. Tried in order: the full name; without the prefix it shares with
 * another label; without that prefix and a shared suffix; without its first parts; the
 * middle cut of what is left.
 */
export function shortLabels(labels: string[], icons: string[], width: number, measure: Measure): string[] {
  const fits = (i: number, s: string): boolean => measure(icons[i] + s) <= width;
  const tooLong = labels.map((s, i) => !fits(i, s));
  if (!tooLong.some(Boolean)) return labels;
  // on distinct names, so runs of one transform (the same name) are cut alike
  const distinct = [...new Set(labels)];
  const at = new Map(distinct.map((l, i) => [l, i]));
  const p0 = sharedPrefixes(distinct), s0 = sharedSuffixes(distinct);
  const prefixes = labels.map((l) => p0[at.get(l) ?? 0]);
  const suffixes = labels.map((l) => s0[at.get(l) ?? 0]);
  // a prefix dropped from one label is dropped from every label it starts, so siblings
  // read alike ("…stg_orders" beside "…stg_customers", not the full name beside it)
  const dropped = new Set(labels.flatMap((full, i) => (tooLong[i] && prefixes[i] >= 3 ? [full.slice(0, prefixes[i])] : [])));
  const out = labels.map((full, i) => {
    const p = prefixes[i] >= 3 && prefixes[i] < full.length ? prefixes[i] : 0;
    if (!tooLong[i] && !(p && dropped.has(full.slice(0, p)))) return full;
    const rest = full.slice(p);
    const lead = p ? ELLIPSIS : '';
    if (p && fits(i, lead + rest)) return lead + rest;
    const s = suffixes[i] >= 3 && p + suffixes[i] < full.length ? suffixes[i] : 0;
    const core = s ? full.slice(p, full.length - s) : rest;
    const trail = s ? ELLIPSIS : '';
    if (fits(i, lead + core + trail)) return lead + core + trail;
    // leading parts ("shop/", "jaffle.") tell less than the end: drop whole ones first,
    // as long as most of the name is left
    const text = full.slice(p);
    for (let cut = 1; cut < text.length * 0.4; cut++) {
      if (SEPARATOR.test(text[cut - 1]) && fits(i, ELLIPSIS + text.slice(cut))) return ELLIPSIS + text.slice(cut);
    }
    return cutMiddle(lead + core, icons[i], width, measure);
  });
  // two different names that came out the same: cut those from their full names instead
  const seen = new Map<string, string>();
  const clash = new Set<string>();
  out.forEach((s, i) => {
    const other = seen.get(s);
    if (other !== undefined && other !== labels[i]) clash.add(s);
    seen.set(s, labels[i]);
  });
  return clash.size ? out.map((s, i) => (clash.has(s) ? cutMiddle(labels[i], icons[i], width, measure) : s)) : out;
}
