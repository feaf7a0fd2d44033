// One search box over dobjects, runs and transforms. Results are links; arrow keys
// move through them, Enter opens the active one (the first by default).
import { gql } from './api';
import { runName, type DObjectSummary, type RunSummary } from './model';
import { SEARCH_INDEX, searchQuery } from './queries';

interface Hit {
  kind: 'dobject' | 'run' | 'transform';
  label: string;
  href: string;
}
interface Transform {
  id: string;
  name: string;
  version: string;
  runs: { id: string }[];
}
interface Index {
  dobjects: { nodes: DObjectSummary[] };
  runs: { nodes: RunSummary[] };
  notebooks: { nodes: Transform[] };
  pipelines: { nodes: Transform[] };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function setUpSearch(input: HTMLInputElement, list: HTMLElement, go: (href: string) => void): void {
  let index: Promise<Index | null> | null = null;
  let active = 0;
  let hits: Hit[] = [];
  let hitsFor = '';
  let seq = 0;
  let indexAt = 0;
  // names to match parts of; refreshed when older than a few seconds so new ones show
  const loadIndex = (): Promise<Index | null> => {
    if (!index || performance.now() - indexAt > 5000) {
      indexAt = performance.now();
      index = gql<Index>(SEARCH_INDEX).then((r) => r.data);
    }
    return index;
  };

  const show = (): void => {
    list.replaceChildren(
      ...hits.map((hit, i) => {
        const li = document.createElement('li');
        li.setAttribute('role', 'option');
        li.id = `search-hit-${i}`;
        li.setAttribute('aria-selected', String(i === active));
        const a = document.createElement('a');
        a.href = hit.href;
        a.className = `hit hit-${hit.kind}`;
        a.textContent = hit.label;
        const kind = document.createElement('span');
        kind.className = 'hit-kind';
        kind.textContent = hit.kind;
        a.append(' ', kind);
        a.onclick = (e) => {
          e.preventDefault();
          close();
          go(hit.href);
        };
        li.append(a);
        return li;
      }),
    );
    list.hidden = hits.length === 0 && !input.value.trim();
    if (!hits.length && input.value.trim()) {
      const li = document.createElement('li');
      li.className = 'no-hits';
      li.textContent = 'no match';
      list.replaceChildren(li);
    }
    input.setAttribute('aria-activedescendant', hits.length ? `search-hit-${active}` : '');
  };
  const close = (): void => {
    hits = [];
    list.hidden = true;
  };

  const run = async (): Promise<void> => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) {
      close();
      return;
    }
    const dot = q.indexOf('.');
    const stem = dot > 0 ? q.slice(0, dot) : q;
    const suffix = dot > 0 ? q.slice(dot) : '';
    const [exact, idx] = await Promise.all([
      gql<Record<string, { nodes: (DObjectSummary | RunSummary)[] }>>(searchQuery(UUID.test(q)), UUID.test(q) ? { q, stem, suffix, id: q } : { q, stem, suffix }),
      loadIndex(),
    ]);
    if (mine !== seq) return;
    const found = new Map<string, Hit>();
    const addDObject = (d: DObjectSummary): void => {
      found.set(d.id, { kind: 'dobject', label: d.name + d.suffix, href: `/ui/dobject/${d.id}` });
    };
    const addRun = (r: RunSummary): void => {
      found.set(r.id, { kind: 'run', label: runName(r), href: `/ui/run/${r.id}` });
    };
    for (const [alias, conn] of Object.entries(exact.data ?? {})) {
      for (const n of conn?.nodes ?? []) (alias.startsWith('run') ? addRun(n as RunSummary) : addDObject(n as DObjectSummary));
    }
    const needle = q.toLowerCase();
    if (idx) {
      for (const d of idx.dobjects.nodes) if ((d.name + d.suffix).toLowerCase().includes(needle)) addDObject(d);
      for (const r of idx.runs.nodes) if (runName(r).toLowerCase().includes(needle)) addRun(r);
      for (const t of [...idx.notebooks.nodes, ...idx.pipelines.nodes]) {
        const last = t.runs[t.runs.length - 1];
        if (last && `${t.name} v${t.version}`.toLowerCase().includes(needle)) {
          found.set(t.id, { kind: 'transform', label: `${t.name} v${t.version} (latest run)`, href: `/ui/run/${last.id}` });
        }
      }
    }
    // exact names first, then shorter names: the likeliest meaning on top
    hits = [...found.values()]
      .sort((a, b) => Number(b.label.toLowerCase().startsWith(needle)) - Number(a.label.toLowerCase().startsWith(needle)) || a.label.length - b.label.length)
      .slice(0, 20);
    active = 0;
    hitsFor = q;
    show();
  };

  let timer: number | undefined;
  input.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void run(), 150);
  });
  input.addEventListener('focus', () => void loadIndex());
  input.addEventListener('keydown', async (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!hits.length) return;
      active = (active + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % hits.length;
      show();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      window.clearTimeout(timer);
      if (hitsFor !== input.value.trim()) await run();
      const hit = hits[active];
      if (hit) {
        close();
        go(hit.href);
      }
    } else if (e.key === 'Escape') {
      close();
    }
  });
}
