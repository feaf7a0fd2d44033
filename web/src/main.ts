// The lineage explorer: one focused node and its neighbourhood, from the URL
// (/ui/dobject/<id>, /ui/run/<id>, /ui/version/<id>, ?direction=&depth=&asOf=), kept live.
import { gql, isSchemaGap, subscribe, type GqlError } from './api';
import { showDetails } from './details';
import { fold, merge, nodeNotes, nodePath, toView, type ApiGraph, type ApiNode, type DObjectSummary, type Edge, type ViewNode } from './model';
import { EVENTS, lineageQuery } from './queries';
import { GraphView } from './render';
import { setUpSearch } from './search';
import { statusText } from './details';
import { startTimeControl, type TimeControl } from './time';
import { openWatch, type WatchRoot } from './watch';
import { showWatchesPage } from './watches';
import type { LayoutResult } from './layout';

type Direction = 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';
type PlaceKind = 'dobject' | 'run' | 'version';
interface Place {
  kind: PlaceKind | null;
  id: string | null;
  direction: Direction;
  depth: number;
  asOf: string | null;
}

const FRESH_MS = 6000;
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const state = {
  place: readPlace(),
  nodes: new Map<string, ApiNode>(),
  edges: new Map<string, Edge>(),
  truncated: false,
  unfolded: new Set<string>(),
  expanded: new Set<string>(),
  selected: null as string | null,
  fresh: new Map<string, number>(),
  loadSeq: 0,
};

// what the benchmark and the tests read: when the graph was last drawn and how
const probe = { drawnAt: 0, layoutMs: 0, engine: '', renderer: '', nodes: 0, draws: 0, foldMs: 0, drawMs: 0, listMs: 0 };
(window as unknown as { __explorer: typeof probe }).__explorer = probe;

function readPlace(): Place {
  const m = /^\/ui\/(dobject|run|version)\/([^/]+)\/?$/.exec(location.pathname);
  const q = new URLSearchParams(location.search);
  const dir = (q.get('direction') ?? 'BOTH').toUpperCase();
  const depth = Number(q.get('depth') ?? '2');
  return {
    kind: m ? (m[1] as PlaceKind) : null,
    id: m ? decodeURIComponent(m[2]) : null,
    direction: (['UPSTREAM', 'DOWNSTREAM', 'BOTH'].includes(dir) ? dir : 'BOTH') as Direction,
    depth: Number.isInteger(depth) && depth >= 1 && depth <= 50 ? depth : 2,
    asOf: q.get('asOf'),
  };
}

function placeUrl(p: Place): string {
  const q = new URLSearchParams();
  if (p.direction !== 'BOTH') q.set('direction', p.direction);
  if (p.depth !== 2) q.set('depth', String(p.depth));
  if (p.asOf) q.set('asOf', p.asOf);
  const path = p.kind && p.id ? `/ui/${p.kind}/${encodeURIComponent(p.id)}` : '/ui/';
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Opens a link of the app (pushState) and loads its view. */
function go(href: string): void {
  const url = new URL(href, location.href);
  const keep = new URLSearchParams(location.search);
  // the view settings follow the user from node to node
  for (const k of ['direction', 'depth', 'asOf']) if (!url.searchParams.has(k) && keep.has(k)) url.searchParams.set(k, keep.get(k) ?? '');
  history.pushState(null, '', url.pathname + url.search);
  state.place = readPlace();
  void load(true);
}

function setView(change: Partial<Place>): void {
  state.place = { ...state.place, ...change };
  history.replaceState(null, '', placeUrl(state.place));
  void load(true);
}

const worker = new Worker('/ui/static/layout-worker.js');
let layoutSeq = 0;
const layoutWaiters = new Map<number, (r: LayoutResult) => void>();
worker.onmessage = (e: MessageEvent<{ seq: number; result: LayoutResult }>) => {
  layoutWaiters.get(e.data.seq)?.(e.data.result);
  layoutWaiters.delete(e.data.seq);
};
function layoutOffThread(nodes: ViewNode[], edges: Edge[]): Promise<LayoutResult> {
  const seq = ++layoutSeq;
  return new Promise((resolve) => {
    layoutWaiters.set(seq, resolve);
    worker.postMessage({ seq, request: { nodes: nodes.map((n) => ({ id: n.id })), edges } });
  });
}

const graph = new GraphView($('graph'), {
  select: (id) => select(id),
  open: (id) => {
    const n = state.nodes.get(id);
    if (n) go(nodePath(n));
  },
  expand: (id, side) => void expand(id, side),
  unfold: (id) => {
    state.unfolded.add(id);
    void draw(false);
  },
});

let time: TimeControl;

function message(text: string): void {
  $('message').textContent = text;
}

function errorsText(errors: GqlError[] | undefined): string {
  return (errors ?? []).map((e) => e.message).join('; ');
}

// whether the server has dataset versions (docs/reference/versions.md); until one
// answer says it has not, the page asks for them
let serverHasVersions = true;

async function fetchLineage(id: string, kind: PlaceKind, direction: Direction, depth: number, minSequence?: number): Promise<{ graph: ApiGraph | null; errors?: GqlError[] }> {
  const vars: Record<string, unknown> = { direction, depth, [`${kind}Id`]: id };
  if (state.place.asOf) vars.asOf = state.place.asOf;
  const ask = (versions: boolean): Promise<{ data: { lineage: ApiGraph } | null; errors?: GqlError[] }> =>
    gql<{ lineage: ApiGraph }>(lineageQuery({ asOf: state.place.asOf !== null, versions, byVersion: kind === 'version' }), vars, minSequence);
  let r = await ask(serverHasVersions || kind === 'version');
  if (kind !== 'version' && serverHasVersions && isSchemaGap(r.errors)) {
    serverHasVersions = false;
    r = await ask(false);
  }
  return { graph: r.data?.lineage ?? null, errors: r.errors };
}

function placeOf(node: ApiNode): PlaceKind {
  return node.kind === 'RUN' ? 'run' : node.kind === 'DOBJECT_VERSION' ? 'version' : 'dobject';
}

async function load(fresh: boolean): Promise<void> {
  const p = state.place;
  const mine = ++state.loadSeq;
  ($('direction') as HTMLSelectElement).value = p.direction;
  ($('depth') as HTMLInputElement).value = String(p.depth);
  time.show(p.asOf);
  if (onWatchesPage()) {
    await showWatches();
    return;
  }
  document.title = 'Lineage explorer';
  if (!p.kind || !p.id) {
    await showHome();
    return;
  }
  $('home').hidden = true;
  $('watches-page').hidden = true;
  $('explorer').hidden = false;
  message('loading…');
  const r = await fetchLineage(p.id, p.kind, p.direction, p.depth);
  if (mine !== state.loadSeq) return;
  if (!r.graph) {
    state.nodes.clear();
    state.edges.clear();
    const code = r.errors?.[0]?.extensions?.code;
    message(code === 'NOT_FOUND' && p.asOf ? `This ${p.kind} did not exist yet at ${p.asOf}.` : `Could not load the lineage: ${errorsText(r.errors) || 'not found'}`);
    await draw(true);
    return;
  }
  if (fresh) {
    state.nodes.clear();
    state.edges.clear();
    state.unfolded.clear();
    state.expanded.clear();
    state.selected = r.graph.root;
  }
  merge(state.nodes, state.edges, r.graph, 0);
  state.truncated = r.graph.truncated;
  time.learn([...state.nodes.values()]);
  message(r.graph.truncated ? 'More lineage lies beyond this view: use the + handles to expand.' : '');
  await draw(fresh);
  if (state.selected) void showDetails($('details'), state.selected, state.nodes.get(state.selected)?.kind ?? 'DOBJECT', p.asOf, go);
}

/** Sides of boundary nodes that may have more lineage behind them. */
function expandable(): Map<string, Set<'UPSTREAM' | 'DOWNSTREAM'>> {
  const out = new Map<string, Set<'UPSTREAM' | 'DOWNSTREAM'>>();
  const root = state.place.id ?? '';
  const add = (id: string, side: 'UPSTREAM' | 'DOWNSTREAM'): void => {
    if (state.expanded.has(`${id}:${side}`)) return;
    (out.get(id) ?? out.set(id, new Set()).get(id))?.add(side);
  };
  if (state.place.direction === 'UPSTREAM') add(root, 'DOWNSTREAM');
  if (state.place.direction === 'DOWNSTREAM') add(root, 'UPSTREAM');
  if (!state.truncated) return out;
  const forward = reach(root, true);
  const backward = reach(root, false);
  for (const n of state.nodes.values()) {
    if (n.depth < state.place.depth) continue;
    if (backward.has(n.id)) add(n.id, 'UPSTREAM');
    if (forward.has(n.id)) add(n.id, 'DOWNSTREAM');
  }
  return out;
}

function reach(from: string, forward: boolean): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of state.edges.values()) {
    const [a, b] = forward ? [e.source, e.target] : [e.target, e.source];
    (next.get(a) ?? next.set(a, []).get(a))?.push(b);
  }
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length) {
    for (const b of next.get(todo.pop() as string) ?? []) {
      if (!seen.has(b)) {
        seen.add(b);
        todo.push(b);
      }
    }
  }
  return seen;
}

async function expand(id: string, side: 'UPSTREAM' | 'DOWNSTREAM'): Promise<void> {
  const node = state.nodes.get(id);
  if (!node) return;
  state.expanded.add(`${id}:${side}`);
  const r = await fetchLineage(id, placeOf(node), side, 2);
  if (!r.graph) {
    message(`Could not expand: ${errorsText(r.errors)}`);
    return;
  }
  const before = new Set(state.nodes.keys());
  merge(state.nodes, state.edges, r.graph, node.depth);
  state.truncated = state.truncated || r.graph.truncated;
  const added = [...state.nodes.keys()].filter((k) => !before.has(k));
  message(added.length ? `${added.length} more nodes ${side.toLowerCase()} of ${toView(node).label}.` : `Nothing more ${side.toLowerCase()} of ${toView(node).label}.`);
  time.learn([...state.nodes.values()]);
  await draw(false);
}

async function draw(fit: boolean): Promise<void> {
  const now = Date.now();
  for (const [id, until] of state.fresh) if (until <= now) state.fresh.delete(id);
  const t0 = performance.now();
  const view = fold([...state.nodes.values()].map(toView), [...state.edges.values()], state.place.id ?? '', state.unfolded);
  const foldMs = performance.now() - t0;
  const result = view.nodes.length ? await layoutOffThread(view.nodes, view.edges) : { positions: {}, engine: 'none', ms: 0 };
  const fresh = new Set(state.fresh.keys());
  // fit on open; new nodes (expanded, unfolded, live) may lie outside the view, so fit
  // again then too, unless the user has zoomed or panned: then the view is theirs
  const refit = fit || (view.nodes.length !== probe.nodes && !graph.userMoved);
  const t1 = performance.now();
  graph.draw({ nodes: view.nodes, edges: view.edges, positions: result.positions, root: state.place.id ?? '', selected: state.selected, fresh, expandable: expandable() }, refit);
  const t2 = performance.now();
  renderList(view.nodes, fresh);
  const t3 = performance.now();
  Object.assign(probe, { drawnAt: t3, layoutMs: result.ms, engine: result.engine, renderer: graph.renderer, nodes: view.nodes.length, draws: probe.draws + 1, foldMs, drawMs: t2 - t1, listMs: t3 - t2 });
  $('stats').textContent = `${view.nodes.length} nodes · layout ${result.engine} ${result.ms.toFixed(0)} ms · ${graph.renderer}`;
  document.body.dataset.state = 'ready';
}

// One HTML string and one delegated listener: thousands of items in a few milliseconds.
function renderList(nodes: ViewNode[], fresh: Set<string>): void {
  const sorted = [...nodes].sort((a, b) => a.depth - b.depth || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const html = sorted.map((n) => {
    if (n.kind === 'MORE') return `<li data-more-id="${esc(n.id)}"><button type="button">${esc(n.label)} (show them)</button></li>`;
    const cls = [n.id === state.selected ? 'selected' : '', fresh.has(n.id) ? 'new' : '', n.id === state.place.id ? 'root' : '', n.stale ? 'stale' : ''].join(' ').trim();
    const kind = [n.kind === 'RUN' ? `run · ${statusText(n.status ?? '')}` : n.kind === 'VERSION' ? 'version' : 'dobject', ...nodeNotes(n)].join(' · ');
    const badge = fresh.has(n.id) ? ' <span class="badge">new</span>' : '';
    return `<li data-node-id="${esc(n.id)}" class="${cls}"><button type="button"><span class="node-name">${esc(n.label)}</span> <span class="node-kind">${esc(kind)}</span>${badge}</button></li>`;
  });
  const list = $('node-list');
  list.classList.toggle('long', html.length > LIST_CHUNK);
  // the browser's style and layout of thousands of items is one long task: the first
  // chunk now, the rest in later tasks, so the page answers input in between
  const generation = ++listGeneration;
  list.innerHTML = html.slice(0, LIST_CHUNK).join('');
  const more = (from: number): void => {
    if (generation !== listGeneration || from >= html.length) return;
    list.insertAdjacentHTML('beforeend', html.slice(from, from + LIST_CHUNK).join(''));
    window.setTimeout(() => more(from + LIST_CHUNK), 0);
  };
  window.setTimeout(() => more(LIST_CHUNK), 0);
}

const LIST_CHUNK = 250;
let listGeneration = 0;

function listTarget(e: Event): HTMLElement | null {
  return (e.target as HTMLElement).closest('#node-list li');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function select(id: string): void {
  state.selected = id;
  const node = state.nodes.get(id);
  if (!node) return;
  for (const li of document.querySelectorAll<HTMLElement>('#node-list li')) li.classList.toggle('selected', li.dataset.nodeId === id);
  for (const g of document.querySelectorAll<SVGGElement>('.graph-svg .node')) g.classList.toggle('selected', g.dataset.graphId === id);
  void showDetails($('details'), id, node.kind, state.place.asOf, go);
}

function onWatchesPage(): boolean {
  return /^\/ui\/watches\/?$/.test(location.pathname);
}

async function showWatches(): Promise<void> {
  $('home').hidden = true;
  $('explorer').hidden = true;
  $('watches-page').hidden = false;
  document.title = 'Durable watches · Lineage explorer';
  await showWatchesPage($('watches-page'), go);
  document.body.dataset.state = 'ready';
}

async function showHome(): Promise<void> {
  $('home').hidden = false;
  $('explorer').hidden = true;
  $('watches-page').hidden = true;
  const r = await gql<{ dobjects: { nodes: DObjectSummary[] } }>('query ExplorerHome { dobjects(first: 50) { nodes { id name suffix createdAt } } }');
  const items = (r.data?.dobjects.nodes ?? []).map((d) => {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `/ui/dobject/${d.id}`;
    a.textContent = d.name + d.suffix;
    a.onclick = (e) => {
      e.preventDefault();
      go(a.href);
    };
    li.append(a);
    return li;
  });
  $('home-list').replaceChildren(...items);
  document.body.dataset.state = 'ready';
}

// Live: every projected event may touch the view; refetch (read-your-writes on the
// event's sequence) and mark what is new. A view fixed in time (asOf) stays still.
let liveTimer: number | undefined;
let liveSequence = 0;
function onEvent(data: unknown): void {
  const event = (data as { lineageEvents?: { sequence: number } } | null)?.lineageEvents;
  if (!event || state.place.asOf || !state.place.id) return;
  liveSequence = Math.max(liveSequence, Number(event.sequence));
  window.clearTimeout(liveTimer);
  liveTimer = window.setTimeout(() => void refreshLive(), 200);
}

async function refreshLive(): Promise<void> {
  const p = state.place;
  if (!p.kind || !p.id || p.asOf) return;
  const r = await fetchLineage(p.id, p.kind, p.direction, p.depth, liveSequence);
  if (!r.graph) {
    if (r.errors?.[0]?.extensions?.code === 'PROJECTION_LAG') liveTimer = window.setTimeout(() => void refreshLive(), 1000);
    return;
  }
  const before = new Set(state.nodes.keys());
  merge(state.nodes, state.edges, r.graph, 0);
  state.truncated = state.truncated || r.graph.truncated;
  const added = [...state.nodes.keys()].filter((k) => !before.has(k));
  const until = Date.now() + FRESH_MS;
  for (const id of added) state.fresh.set(id, until);
  time.learn([...state.nodes.values()]);
  await draw(false);
  if (added.length) window.setTimeout(() => void draw(false), FRESH_MS + 50);
}

function start(): void {
  time = startTimeControl((asOf) => setView({ asOf }));
  ($('direction') as HTMLSelectElement).onchange = (e) => setView({ direction: (e.target as HTMLSelectElement).value as Direction });
  ($('depth') as HTMLInputElement).onchange = (e) => {
    const d = Number((e.target as HTMLInputElement).value);
    if (Number.isInteger(d) && d >= 1 && d <= 50) setView({ depth: d });
  };
  $('fit').onclick = () => graph.refit();
  $('watches-refresh').onclick = () => void showWatches();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.watches-link')) {
    a.onclick = (e) => {
      e.preventDefault();
      go(a.href);
    };
  }
  document.addEventListener('watch-node', (e) => {
    const root = (e as CustomEvent<WatchRoot>).detail;
    openWatch($('watch-panel'), root, state.place.direction, state.place.depth, go);
  });
  setUpSearch($('search'), $('search-results'), go);
  $('node-list').addEventListener('click', (e) => {
    const li = listTarget(e);
    if (li?.dataset.moreId) {
      state.unfolded.add(li.dataset.moreId);
      void draw(false);
    } else if (li?.dataset.nodeId) select(li.dataset.nodeId);
  });
  $('node-list').addEventListener('keydown', (e) => {
    const id = listTarget(e)?.dataset.nodeId;
    const node = id ? state.nodes.get(id) : undefined;
    if (e.key === 'o' && node) go(nodePath(node));
  });
  window.addEventListener('popstate', () => {
    state.place = readPlace();
    void load(true);
  });
  subscribe(EVENTS, {}, onEvent, (s) => {
    $('live').textContent = s === 'live' ? '● live' : '○ offline';
    document.body.dataset.live = s;
  });
  void load(true);
}

start();
