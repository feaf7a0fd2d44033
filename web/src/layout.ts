// Layered (left-to-right) layouts. dagre for graphs up to DAGRE_LIMIT nodes; past
// that a linear-time layering (longest path ranks, barycenter ordering sweeps),
// because dagre and ELK both took several seconds on 2,000 nodes here.
import dagre from '@dagrejs/dagre';

export const NODE_W = 190;
export const NODE_H = 40;
export const DAGRE_LIMIT = 150;

export interface LayoutRequest {
  nodes: { id: string }[];
  edges: { source: string; target: string }[];
  engine?: 'dagre' | 'layered' | 'auto';
}
export interface LayoutResult {
  positions: Record<string, { x: number; y: number }>; // node centres
  engine: string;
  ms: number;
}

export function layout(req: LayoutRequest): LayoutResult {
  const start = performance.now();
  const engine = req.engine === 'auto' || !req.engine ? (req.nodes.length <= DAGRE_LIMIT ? 'dagre' : 'layered') : req.engine;
  const positions = engine === 'dagre' ? dagreLayout(req) : layeredLayout(req);
  return { positions, engine, ms: performance.now() - start };
}

function dagreLayout(req: LayoutRequest): LayoutResult['positions'] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', ranker: 'tight-tree', nodesep: 14, ranksep: 36 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of req.nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of req.edges) if (e.source !== e.target) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const positions: LayoutResult['positions'] = {};
  for (const n of req.nodes) {
    const p = g.node(n.id) as { x: number; y: number };
    positions[n.id] = { x: p.x, y: p.y };
  }
  return positions;
}

function layeredLayout(req: LayoutRequest): LayoutResult['positions'] {
  const ids = req.nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const out: number[][] = ids.map(() => []);
  const inc: number[][] = ids.map(() => []);
  for (const e of req.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    out[s].push(t);
    inc[t].push(s);
  }
  // ranks: longest path from the sources (Kahn's order); nodes left on cycles go last
  const rank = new Array<number>(ids.length).fill(0);
  const indegree = inc.map((l) => l.length);
  const queue: number[] = [];
  indegree.forEach((d, i) => d === 0 && queue.push(i));
  const seen = new Array<boolean>(ids.length).fill(false);
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    seen[v] = true;
    for (const w of out[v]) {
      rank[w] = Math.max(rank[w], rank[v] + 1);
      if (--indegree[w] === 0) queue.push(w);
    }
  }
  const maxRank = Math.max(0, ...rank);
  seen.forEach((ok, i) => { if (!ok) rank[i] = maxRank + 1; });
  const layers: number[][] = [];
  rank.forEach((r, i) => (layers[r] ??= []).push(i));
  const pos = new Array<number>(ids.length).fill(0);
  const place = (): void => layers.forEach((layer) => layer?.forEach((v, i) => (pos[v] = i)));
  place();
  const bary = (v: number, nbrs: number[][]): number => {
    const l = nbrs[v];
    if (!l.length) return pos[v];
    let sum = 0;
    for (const w of l) sum += pos[w];
    return sum / l.length;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers : [...layers].reverse();
    for (const layer of order) {
      if (!layer) continue;
      const keys = new Map(layer.map((v) => [v, bary(v, down ? inc : out)]));
      layer.sort((a, b) => (keys.get(a) ?? 0) - (keys.get(b) ?? 0));
      layer.forEach((v, i) => (pos[v] = i));
    }
  }
  const positions: LayoutResult['positions'] = {};
  layers.forEach((layer, r) => {
    if (!layer) return;
    const offset = ((layer.length - 1) * (NODE_H + 16)) / 2;
    layer.forEach((v, i) => {
      positions[ids[v]] = { x: r * (NODE_W + 40), y: i * (NODE_H + 16) - offset };
    });
  });
  return positions;
}
