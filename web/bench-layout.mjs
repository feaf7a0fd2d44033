// Layout libraries compared on the same lineage-shaped graphs, in Node's V8 (the
// engine Chromium runs): dagre (tight-tree ranker), ELK layered, and the explorer's
// own linear-time layering. Used by bench/bench_explorer.py; prints JSON lines.
import { build } from 'esbuild';
import dagre from '@dagrejs/dagre';
import ELK from 'elkjs/lib/elk.bundled.js';

const bundled = await build({ entryPoints: ['src/layout.ts'], bundle: true, format: 'esm', write: false, platform: 'node', logLevel: 'warning' });
const { layout } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

export function lineageGraph(n, seed = 7) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), s / 2147483648);
  const nodes = [], edges = [], dobjects = [];
  for (let i = 0; i < 5; i++) { const id = `d${nodes.length}`; nodes.push(id); dobjects.push(id); }
  while (nodes.length < n) {
    const run = `r${nodes.length}`;
    nodes.push(run);
    for (let j = 0, k = 1 + Math.floor(rnd() * 3); j < k; j++) edges.push([dobjects[Math.max(0, dobjects.length - 1 - Math.floor(rnd() * 20))], run]);
    for (let j = 0, k = 1 + Math.floor(rnd() * 2); j < k && nodes.length < n; j++) { const d = `d${nodes.length}`; nodes.push(d); dobjects.push(d); edges.push([run, d]); }
  }
  return { nodes, edges };
}

const sizes = process.argv.slice(2).map(Number);
const elkLimit = 2000;
for (const n of sizes.length ? sizes : [50, 500, 2000]) {
  const g = lineageGraph(n);
  const req = { nodes: g.nodes.map((id) => ({ id })), edges: g.edges.map(([source, target]) => ({ source, target })) };
  for (const engine of ['layered', 'dagre']) {
    const r = layout({ ...req, engine });
    console.log(JSON.stringify({ n, engine, ms: r.ms }));
  }
  if (n <= elkLimit) {
    const t = performance.now();
    await new ELK().layout({ id: 'root', layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT' }, children: g.nodes.map((id) => ({ id, width: 190, height: 40 })), edges: g.edges.map(([a, b], i) => ({ id: `e${i}`, sources: [a], targets: [b] })) });
    console.log(JSON.stringify({ n, engine: 'elk', ms: performance.now() - t }));
  }
}
