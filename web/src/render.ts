// Draws the laid-out graph: SVG (focusable elements) up to SVG_LIMIT nodes, a canvas
// past that, where thousands of DOM nodes would make panning slow. Both share pan,
// zoom, click-to-select and arrow-key focus moves.
import { canvasMeasure, shortLabels, type Measure } from './labels';
import { NODE_H, NODE_W } from './layout';
import { STATUS_ICON, nodeNotes, type Edge, type ViewNode } from './model';

export const SVG_LIMIT = 300;
const SVG_NS = 'http://www.w3.org/2000/svg';
// one label font for SVG (explorer.css `.node text`) and canvas, so measured labels fit
const LABEL_FONT = '14px system-ui, sans-serif';
const LABEL_PAD = 10;
const MIN_K = 0.05;
const MAX_K = 1.2; // fitting never blows a three-node graph up past this

export interface DrawInput {
  nodes: ViewNode[];
  edges: Edge[];
  positions: Record<string, { x: number; y: number }>;
  root: string;
  selected: string | null;
  fresh: Set<string>;
  expandable: Map<string, Set<'UPSTREAM' | 'DOWNSTREAM'>>;
}
export interface Handlers {
  select(id: string): void;
  open(id: string): void;
  expand(id: string, side: 'UPSTREAM' | 'DOWNSTREAM'): void;
  unfold(id: string): void;
}

interface View {
  x: number;
  y: number;
  k: number;
}

export class GraphView {
  private svg: SVGSVGElement;
  private layer: SVGGElement;
  private canvas: HTMLCanvasElement;
  private input: DrawInput | null = null;
  private view: View = { x: 0, y: 0, k: 1 };
  private mode: 'svg' | 'canvas' = 'svg';
  private focusedId: string | null = null;
  private labels: Map<string, string> | null = null;
  private measure: Measure | null = null;
  // set by the user's wheel or drag; a redraw then keeps the view (fit on open only)
  private moved = false;

  constructor(private host: HTMLElement, private handlers: Handlers) {
    this.svg = document.createElementNS(SVG_NS, 'svg');
    this.svg.setAttribute('class', 'graph-svg');
    this.svg.setAttribute('role', 'group');
    this.svg.setAttribute('aria-label', 'lineage graph');
    this.layer = document.createElementNS(SVG_NS, 'g');
    this.svg.appendChild(this.layer);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('aria-label', 'lineage graph (arrow keys move, Enter selects)');
    host.append(this.svg, this.canvas);
    this.panZoom();
    this.canvas.addEventListener('click', (e) => {
      const id = this.hit(e);
      if (id) this.activate(id);
    });
    this.canvas.addEventListener('dblclick', (e) => {
      const id = this.hit(e);
      if (id && !id.startsWith('more:')) this.handlers.open(id);
    });
    this.canvas.addEventListener('keydown', (e) => this.key(e, this.focusedId));
    new ResizeObserver(() => this.mode === 'canvas' && this.paint()).observe(host);
  }

  get renderer(): string {
    return this.mode;
  }

  /** Whether the user has zoomed or panned since the graph was last fitted. */
  get userMoved(): boolean {
    return this.moved;
  }

  /** Fits the drawn graph to the panel again (the "Fit" button). */
  refit(): void {
    this.fit();
    this.applyView();
  }

  draw(input: DrawInput, fit: boolean): void {
    this.input = input;
    this.mode = input.nodes.length > SVG_LIMIT ? 'canvas' : 'svg';
    this.svg.style.display = this.mode === 'svg' ? '' : 'none';
    this.canvas.style.display = this.mode === 'canvas' ? '' : 'none';
    // the canvas draws labels only zoomed in: measure them then, not for every draw of
    // thousands of nodes
    this.labels = this.mode === 'svg' ? this.shorten(input.nodes) : null;
    if (fit) this.fit();
    if (this.mode === 'svg') this.buildSvg();
    else {
      this.layer.replaceChildren();
      this.paint();
    }
  }

  focusNode(id: string): void {
    this.focusedId = id;
    if (this.mode === 'svg') (this.layer.querySelector(`[data-graph-id="${CSS.escape(id)}"]`) as SVGGElement | null)?.focus();
    else {
      this.canvas.focus();
      this.paint();
    }
  }

  private activate(id: string): void {
    if (id.startsWith('more:')) this.handlers.unfold(id);
    else this.handlers.select(id);
  }

  private shorten(nodes: ViewNode[]): Map<string, string> {
    this.measure ??= canvasMeasure(LABEL_FONT);
    const short = shortLabels(nodes.map((n) => n.label), nodes.map(icon), NODE_W - 2 * LABEL_PAD, this.measure);
    return new Map(nodes.map((n, i) => [n.id, short[i]]));
  }

  private fit(): void {
    const input = this.input;
    if (!input || !input.nodes.length) return;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const n of input.nodes) {
      const p = input.positions[n.id];
      if (!p) continue;
      minX = Math.min(minX, p.x - NODE_W / 2);
      maxX = Math.max(maxX, p.x + NODE_W / 2);
      minY = Math.min(minY, p.y - NODE_H / 2);
      maxY = Math.max(maxY, p.y + NODE_H / 2);
    }
    const w = this.host.clientWidth || 800;
    const h = this.host.clientHeight || 500;
    const k = Math.max(MIN_K, Math.min(MAX_K, (w - 40) / (maxX - minX + 40), (h - 40) / (maxY - minY + 40)));
    this.moved = false;
    this.view = { k, x: w / 2 - ((minX + maxX) / 2) * k, y: h / 2 - ((minY + maxY) / 2) * k };
  }

  private applyView(): void {
    if (this.mode === 'svg') this.layer.setAttribute('transform', `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`);
    else this.paint();
  }

  private panZoom(): void {
    let drag: { x: number; y: number } | null = null;
    this.host.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = this.host.getBoundingClientRect();
      const f = Math.min(8 / this.view.k, Math.max(MIN_K / this.view.k, Math.exp(-e.deltaY * 0.0015)));
      this.moved = true;
      const mx = e.clientX - rect.left;
      const my = e.clientY - rect.top;
      this.view = { k: this.view.k * f, x: mx - (mx - this.view.x) * f, y: my - (my - this.view.y) * f };
      this.applyView();
    }, { passive: false });
    this.host.addEventListener('pointerdown', (e) => {
      if ((e.target as Element).closest('.node, .handle')) return;
      drag = { x: e.clientX, y: e.clientY };
    });
    window.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.moved = true;
      this.view.x += e.clientX - drag.x;
      this.view.y += e.clientY - drag.y;
      drag = { x: e.clientX, y: e.clientY };
      this.applyView();
    });
    window.addEventListener('pointerup', () => (drag = null));
  }

  private buildSvg(): void {
    const input = this.input as DrawInput;
    const parts: string[] = [];
    for (const e of input.edges) {
      const a = input.positions[e.source];
      const b = input.positions[e.target];
      if (!a || !b) continue;
      const x1 = a.x + NODE_W / 2, x2 = b.x - NODE_W / 2, mid = (x1 + x2) / 2;
      parts.push(`<path class="edge" d="M${x1},${a.y} C${mid},${a.y} ${mid},${b.y} ${x2},${b.y}" marker-end="url(#arrow)"/>`);
    }
    for (const n of input.nodes) {
      const p = input.positions[n.id];
      if (!p) continue;
      const cls = ['node', n.kind.toLowerCase(), n.id === input.root ? 'root' : '', n.id === input.selected ? 'selected' : '', input.fresh.has(n.id) ? 'new' : '', n.status ? `status-${n.status.toLowerCase()}` : '', n.stale ? 'stale' : ''].join(' ');
      const status = n.status ? `, ${n.status.toLowerCase()}` : '';
      const kind = n.kind === 'RUN' ? 'run' : n.kind === 'DOBJECT' ? 'dobject' : n.kind === 'VERSION' ? 'version' : 'folded nodes';
      const notes = nodeNotes(n);
      const said = notes.length ? `, ${notes.join(', ')}` : '';
      // top-right corner, above the label: "new", "stale", "3 versions"
      const badges = [
        ...(input.fresh.has(n.id) ? ['<tspan class="badge-new">new</tspan>'] : []),
        ...(n.stale ? ['<tspan class="badge-stale">stale</tspan>'] : []),
        ...(n.versions !== null && n.versions > 0 ? [`<tspan class="badge-versions">${esc(notes[0])}</tspan>`] : []),
      ];
      const label = this.labels?.get(n.id) ?? n.label;
      parts.push(
        `<g class="${cls}" data-graph-id="${esc(n.id)}" tabindex="0" role="button" aria-label="${esc(`${n.label} (${kind}${status}${said})`)}" transform="translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})">` +
          `<rect width="${NODE_W}" height="${NODE_H}" rx="${n.kind === 'RUN' ? 4 : n.kind === 'VERSION' ? 8 : 14}"/>` +
          `<text x="${LABEL_PAD}" y="${NODE_H / 2 + 5}">${esc(icon(n) + label)}</text>` +
          (badges.length ? `<text class="badge" x="${NODE_W - 10}" y="11" text-anchor="end">${badges.join(' ')}</text>` : '') +
          `<title>${esc(n.label)}${esc(status)}${esc(said)}</title></g>`,
      );
      for (const side of input.expandable.get(n.id) ?? []) {
        const hx = side === 'UPSTREAM' ? p.x - NODE_W / 2 - 9 : p.x + NODE_W / 2 + 9;
        parts.push(
          `<g class="handle" data-expand="${side}" data-expand-id="${esc(n.id)}" tabindex="0" role="button" aria-label="expand ${side.toLowerCase()} of ${esc(n.label)}" transform="translate(${hx},${p.y})"><circle r="8"/><text y="4" text-anchor="middle">+</text></g>`,
        );
      }
    }
    this.svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs><g>${parts.join('')}</g>`;
    this.layer = this.svg.lastChild as SVGGElement;
    this.applyView();
    this.layer.addEventListener('click', (e) => {
      const handle = (e.target as Element).closest('.handle');
      if (handle) {
        this.handlers.expand(handle.getAttribute('data-expand-id') ?? '', handle.getAttribute('data-expand') as 'UPSTREAM' | 'DOWNSTREAM');
        return;
      }
      const node = (e.target as Element).closest('.node');
      if (node) this.activate(node.getAttribute('data-graph-id') ?? '');
    });
    this.layer.addEventListener('dblclick', (e) => {
      const id = (e.target as Element).closest('.node')?.getAttribute('data-graph-id');
      if (id && !id.startsWith('more:')) this.handlers.open(id);
    });
    this.layer.addEventListener('keydown', (e) => {
      const el = (e.target as Element).closest('.node, .handle');
      if (el?.classList.contains('handle') && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.handlers.expand(el.getAttribute('data-expand-id') ?? '', el.getAttribute('data-expand') as 'UPSTREAM' | 'DOWNSTREAM');
        return;
      }
      this.key(e as KeyboardEvent, el?.getAttribute('data-graph-id') ?? null);
    });
  }

  /** Arrow keys move focus to the nearest node that way; Enter selects; o opens. */
  private key(e: KeyboardEvent, from: string | null): void {
    const input = this.input;
    if (!input || !from) {
      if (input?.nodes.length && e.key.startsWith('Arrow')) this.focusNode(input.root);
      return;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.activate(from);
      return;
    }
    if (e.key === 'o' && !from.startsWith('more:')) {
      this.handlers.open(from);
      return;
    }
    const dirs: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const d = dirs[e.key];
    if (!d) return;
    e.preventDefault();
    const p = input.positions[from];
    let best: string | null = null;
    let bestScore = Infinity;
    for (const n of input.nodes) {
      const q = input.positions[n.id];
      if (!q || n.id === from) continue;
      const dx = q.x - p.x, dy = q.y - p.y;
      const along = dx * d[0] + dy * d[1];
      if (along <= 0) continue;
      const across = Math.abs(dx * d[1]) + Math.abs(dy * d[0]);
      const score = along + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = n.id;
      }
    }
    if (best) this.focusNode(best);
  }

  private hit(e: MouseEvent): string | null {
    const input = this.input;
    if (!input) return null;
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left - this.view.x) / this.view.k;
    const y = (e.clientY - rect.top - this.view.y) / this.view.k;
    for (const n of input.nodes) {
      const p = input.positions[n.id];
      if (p && Math.abs(x - p.x) <= NODE_W / 2 && Math.abs(y - p.y) <= NODE_H / 2) return n.id;
    }
    return null;
  }

  private paint(): void {
    const input = this.input;
    if (!input) return;
    const dpr = window.devicePixelRatio || 1;
    const w = this.host.clientWidth, h = this.host.clientHeight;
    if (this.canvas.width !== w * dpr || this.canvas.height !== h * dpr) {
      this.canvas.width = w * dpr;
      this.canvas.height = h * dpr;
    }
    const ctx = this.canvas.getContext('2d') as CanvasRenderingContext2D;
    const { x, y, k } = this.view;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
    ctx.strokeStyle = '#8a94a6';
    ctx.lineWidth = 1 / k;
    ctx.beginPath();
    for (const e of input.edges) {
      const a = input.positions[e.source];
      const b = input.positions[e.target];
      if (!a || !b) continue;
      ctx.moveTo(a.x + NODE_W / 2, a.y);
      ctx.lineTo(b.x - NODE_W / 2, b.y);
    }
    ctx.stroke();
    const fills: Record<string, string> = { RUN: '#e8f0fe', DOBJECT: '#fff4e0', VERSION: '#fdf0d5', MORE: '#eeeeee' };
    for (const n of input.nodes) {
      const p = input.positions[n.id];
      if (!p) continue;
      ctx.fillStyle = input.fresh.has(n.id) ? '#d9f7d9' : fills[n.kind];
      ctx.fillRect(p.x - NODE_W / 2, p.y - NODE_H / 2, NODE_W, NODE_H);
      const strong = n.id === input.selected || n.id === this.focusedId || n.id === input.root;
      ctx.strokeStyle = strong ? '#1a56db' : n.stale ? '#b45309' : '#5f6b7a';
      ctx.lineWidth = (strong || n.stale ? 3 : 1) / k;
      ctx.strokeRect(p.x - NODE_W / 2, p.y - NODE_H / 2, NODE_W, NODE_H);
    }
    if (k > 0.45) {
      ctx.fillStyle = '#1f2933';
      ctx.font = LABEL_FONT;
      this.labels ??= this.shorten(input.nodes);
      for (const n of input.nodes) {
        const p = input.positions[n.id];
        if (!p) continue;
        ctx.fillText(icon(n) + (this.labels.get(n.id) ?? n.label), p.x - NODE_W / 2 + LABEL_PAD, p.y + 5);
      }
    }
  }
}

function icon(n: ViewNode): string {
  return n.kind === 'RUN' ? `${STATUS_ICON[n.status ?? ''] ?? '?'} ` : n.kind === 'DOBJECT' ? '▤ ' : '';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
