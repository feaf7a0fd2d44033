// The graph as the page shows it: nodes with display names, edges in data-flow
// direction, and many leaf siblings of one node folded into a "+N more" node.

// VERSION: a version of a dobject, the nodes of a version-pinned walk (docs/reference/versions.md)
export type Kind = 'RUN' | 'DOBJECT' | 'VERSION' | 'MORE';

export interface RunSummary {
  id: string;
  name: string | null;
  status: string;
  startedAt: string | null;
  transform: { name: string; version: string } | null;
}
export interface DObjectSummary {
  id: string;
  name: string;
  suffix: string;
  createdAt: string;
}
export interface VersionSummary {
  id: string;
  number: number;
  createdAt: string;
  stale: boolean;
}
export interface ApiNode {
  id: string;
  kind: 'RUN' | 'DOBJECT' | 'DOBJECT_VERSION';
  depth: number;
  run: RunSummary | null;
  // stale and versions only from a server with versions
  dobject: (DObjectSummary & { stale?: boolean; versions?: { totalCount: number } }) | null;
  version?: VersionSummary | null;
}
export interface ApiGraph {
  root: string;
  truncated: boolean;
  nodes: ApiNode[];
  edges: Edge[];
}
export interface Edge {
  source: string;
  target: string;
}
export interface ViewNode {
  id: string;
  kind: Kind;
  label: string;
  status: string | null;
  time: string | null;
  depth: number;
  hidden: string[]; // for MORE: the folded nodes
  versions: number | null; // a dobject's version count, when the server has versions
  stale: boolean;
}
export interface ViewGraph {
  nodes: ViewNode[];
  edges: Edge[];
}

export function runName(run: RunSummary): string {
  if (!run.transform) return `run ${run.id.slice(0, 8)}`;
  const base = `${run.transform.name} v${run.transform.version} run`;
  return run.name ? `${base} ${run.name}` : base;
}

export function displayName(node: ApiNode): string {
  if (node.kind === 'DOBJECT_VERSION' && node.dobject && node.version) return `${node.dobject.name}${node.dobject.suffix} v${node.version.number}`;
  if (node.kind !== 'RUN' && node.dobject) return node.dobject.name + node.dobject.suffix;
  if (node.run) return runName(node.run);
  return node.id;
}

export const STATUS_ICON: Record<string, string> = { COMPLETED: '✓', STARTED: '▶', FAILED: '✗' };

export function toView(node: ApiNode): ViewNode {
  return {
    id: node.id,
    kind: node.kind === 'DOBJECT_VERSION' ? 'VERSION' : node.kind,
    label: displayName(node),
    status: node.run?.status ?? null,
    time: node.run?.startedAt ?? node.version?.createdAt ?? node.dobject?.createdAt ?? null,
    depth: node.depth,
    hidden: [],
    versions: node.kind === 'DOBJECT' ? (node.dobject?.versions?.totalCount ?? null) : null,
    stale: node.kind === 'DOBJECT_VERSION' ? node.version?.stale === true : node.dobject?.stale === true,
  };
}

/** The deep link of a node: /ui/run/<id>, /ui/dobject/<id> or /ui/version/<id>. */
export function nodePath(node: { id: string; kind: string }): string {
  const kind = node.kind === 'RUN' ? 'run' : node.kind === 'DOBJECT_VERSION' || node.kind === 'VERSION' ? 'version' : 'dobject';
  return `/ui/${kind}/${node.id}`;
}

/** "3 versions", "stale": what a node says about versions, in the list and the graph. */
export function nodeNotes(n: ViewNode): string[] {
  const notes: string[] = [];
  if (n.versions !== null && n.versions > 0) notes.push(`${n.versions} version${n.versions === 1 ? '' : 's'}`);
  if (n.stale) notes.push('stale');
  return notes;
}

export const FOLD_LIMIT = 6; // more leaf siblings than this on one side fold into "+N more"

/**
 * Folds leaf neighbours (connected only to `owner`, not the root) of one side of a
 * node when there are more than FOLD_LIMIT; keeps the first FOLD_LIMIT - 1 by name.
 * `unfolded` holds the ids of "+N more" nodes the user opened.
 */
export function fold(nodes: ViewNode[], edges: Edge[], root: string, unfolded: Set<string>): ViewGraph {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const degree = new Map<string, number>();
  for (const e of edges) {
    degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
    degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
  }
  // neighbours by side, built once: folding is linear in the graph's size
  const outs = new Map<string, string[]>();
  const ins = new Map<string, string[]>();
  for (const e of edges) {
    (outs.get(e.source) ?? outs.set(e.source, []).get(e.source))?.push(e.target);
    (ins.get(e.target) ?? ins.set(e.target, []).get(e.target))?.push(e.source);
  }
  const hidden = new Set<string>();
  const more: ViewNode[] = [];
  const moreEdges: Edge[] = [];
  for (const owner of nodes) {
    for (const side of ['out', 'in'] as const) {
      const key = `more:${owner.id}:${side}`;
      const neighbours = (side === 'out' ? outs : ins).get(owner.id) ?? [];
      if (neighbours.length <= FOLD_LIMIT || unfolded.has(key)) continue;
      const leaves = neighbours
        .filter((id) => id !== root && degree.get(id) === 1 && !hidden.has(id))
        .map((id) => byId.get(id))
        .filter((n): n is ViewNode => n !== undefined)
        .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
      if (leaves.length <= FOLD_LIMIT) continue;
      const folded = leaves.slice(FOLD_LIMIT - 1);
      for (const n of folded) hidden.add(n.id);
      more.push({ id: key, kind: 'MORE', label: `+${folded.length} more`, status: null, time: null, depth: owner.depth + 1, hidden: folded.map((n) => n.id), versions: null, stale: false });
      moreEdges.push(side === 'out' ? { source: owner.id, target: key } : { source: key, target: owner.id });
    }
  }
  if (!hidden.size) return { nodes, edges };
  return {
    nodes: [...nodes.filter((n) => !hidden.has(n.id)), ...more],
    edges: [...edges.filter((e) => !hidden.has(e.source) && !hidden.has(e.target)), ...moreEdges],
  };
}

/** Merges a graph fetched for an expanded node into the one shown. */
export function merge(into: Map<string, ApiNode>, edges: Map<string, Edge>, graph: ApiGraph, depthOffset: number): void {
  for (const n of graph.nodes) {
    if (!into.has(n.id)) into.set(n.id, { ...n, depth: n.depth + depthOffset });
  }
  for (const e of graph.edges) edges.set(`${e.source}>${e.target}`, e);
}
