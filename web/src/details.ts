// The details panel: every field of the selected run or dobject, and one click to
// "what is downstream" (impact) or "compare with another run" (runDiff).
import { gql, gqlWithFallback, isSchemaGap } from './api';
import { dobjectLink, el, errorText, link, list, runLink, statusText, table, time, type Go, type Json } from './dom';
import { nodePath, runName, type DObjectSummary, type RunSummary } from './model';
import { RUN_CANDIDATES, RUN_DIFF, dobjectDetailsQuery, impactQuery, runDetailsQuery } from './queries';
import { dobjectVersions, runVersions, showVersion } from './versions';

export { statusText };

export async function showDetails(panel: HTMLElement, id: string, kind: 'RUN' | 'DOBJECT' | 'DOBJECT_VERSION', asOf: string | null, go: Go): Promise<void> {
  if (kind === 'DOBJECT_VERSION') return showVersion(panel, id, go);
  panel.replaceChildren(el('p', 'loading…', 'muted'));
  const vars: Json = asOf ? { id, asOf } : { id };
  const result =
    kind === 'RUN'
      ? await gqlWithFallback<{ run: Json | null }>('run', (full) => runDetailsQuery(full, asOf !== null), vars)
      : await gqlWithFallback<{ dobject: Json | null }>('dobject', (full) => dobjectDetailsQuery(full, asOf !== null), vars);
  const data = (result.data as Json | null)?.[kind === 'RUN' ? 'run' : 'dobject'] as Json | null | undefined;
  if (!data) {
    panel.replaceChildren(el('p', result.errors ? errorText(result.errors) : 'not found (at this time)', 'muted'));
    return;
  }
  const head = el('h2');
  const body: Node[] = [];
  if (kind === 'RUN') {
    const run = data as unknown as RunSummary & Json;
    head.textContent = runName(run);
    const transform = data.transform as Json | null;
    body.push(
      table([
        ['kind', 'run'],
        ['id', run.id],
        ['name', run.name ?? '—'],
        ['status', el('span', statusText(run.status), `status status-${run.status.toLowerCase()}`)],
        ['started', time(run.startedAt)],
        ['finished', time(data.finishedAt)],
        ['transform', transform ? `${String(transform.name)} v${String(transform.version)} (${String(transform.type).toLowerCase()})` : 'not known yet'],
        ...(transform?.title ? [['title', String(transform.title)] as [string, string]] : []),
        ...(transform?.reference ? [['reference', String(transform.reference)] as [string, string]] : []),
        ['inputs', list((data.inputs as DObjectSummary[]).map((d) => dobjectLink(d, go)))],
        ['outputs', list((data.outputs as DObjectSummary[]).map((d) => dobjectLink(d, go)))],
        ...(result.full
          ? ([
              ['parent', data.parent ? runLink(data.parent as RunSummary, go) : el('span', 'none', 'muted')],
              ['children', list((data.children as RunSummary[]).map((r) => runLink(r, go)))],
            ] as [string, Node][])
          : []),
      ]),
    );
  } else {
    const d = data as unknown as DObjectSummary & Json;
    head.textContent = d.name + d.suffix;
    const fields = (data.fields as { name: string; type: string | null; description: string | null }[] | undefined) ?? null;
    body.push(
      table([
        ['kind', 'dobject'],
        ['id', d.id],
        ['name', d.name],
        ['suffix', d.suffix || '—'],
        ['size', data.size === null ? '—' : `${String(data.size)} bytes`],
        ['hash', String(data.hash ?? '—')],
        ['uri', String(data.uri ?? '—')],
        ['created', time(d.createdAt)],
        ['source', data.source ? runLink(data.source as RunSummary, go) : el('span', 'none', 'muted')],
        ['targets', list((data.targets as RunSummary[]).map((r) => runLink(r, go)))],
        ...(fields ? ([['fields', list(fields.map((f) => el('span', `${f.name}${f.type ? `: ${f.type}` : ''}${f.description ? ` — ${f.description}` : ''}`)))]] as [string, Node][]) : []),
      ]),
    );
  }
  // versions (docs/reference/versions.md) come in a query of their own, so a server
  // without them still shows the rest
  const versions = el('div', undefined, 'versions-box');
  body.push(versions);
  void (kind === 'RUN' ? runVersions(versions, id, asOf, go) : dobjectVersions(versions, id, asOf, go));
  const actions = el('div', undefined, 'actions');
  const open = link('Focus the graph here', nodePath({ id, kind }), go);
  open.className = 'button';
  const impact = el('button', 'What is downstream?');
  impact.type = 'button';
  impact.className = 'impact-button';
  const out = el('div', undefined, 'action-result');
  impact.onclick = () => void showImpact(out, id, kind, asOf, go);
  actions.append(open, impact);
  // main opens the watch panel with the view's direction and depth
  const watch = el('button', 'Watch changes');
  watch.type = 'button';
  watch.className = 'watch-button';
  watch.onclick = () => document.dispatchEvent(new CustomEvent('watch-node', { detail: { id, kind, label: head.textContent ?? id } }));
  actions.append(watch);
  if (kind === 'RUN') {
    const diff = el('button', 'Compare with another run');
    diff.type = 'button';
    diff.className = 'diff-button';
    diff.onclick = () => void chooseRunToCompare(out, id, go);
    actions.append(diff);
  }
  const raw = el('details');
  raw.append(el('summary', 'All fields as JSON'), el('pre', JSON.stringify(data, null, 2)));
  panel.replaceChildren(head, ...body, actions, out, raw);
}

async function showImpact(out: HTMLElement, id: string, kind: 'RUN' | 'DOBJECT', asOf: string | null, go: Go): Promise<void> {
  out.replaceChildren(el('p', 'walking downstream…', 'muted'));
  const vars: Json = kind === 'RUN' ? { runId: id } : { dobjectId: id };
  if (asOf) vars.asOf = asOf;
  type ImpactData = {
    impact: {
      totalRuns: number;
      totalDObjects: number;
      truncated: boolean;
      runs: { distance: number; run: RunSummary }[];
      dobjects: { distance: number; dobject: DObjectSummary }[];
      rerunOrder: RunSummary[];
    };
  };
  const r = await gql<ImpactData>(impactQuery(asOf !== null), vars);
  if (!r.data?.impact) {
    out.replaceChildren(el('p', isSchemaGap(r.errors) ? 'This server does not answer impact questions yet.' : errorText(r.errors), 'muted'));
    return;
  }
  const i = r.data.impact;
  const h = el('h3', `Downstream: ${i.totalRuns} runs, ${i.totalDObjects} dobjects${i.truncated ? ' (cut at the cap)' : ''}`);
  out.replaceChildren(
    h,
    el('h4', 'Dobjects (nearest first)'),
    list(i.dobjects.map((x) => { const s = el('span'); s.append(dobjectLink(x.dobject, go), ` · ${x.distance} hops`); return s; })),
    el('h4', 'Runs to re-run, in order'),
    list(i.rerunOrder.map((run) => runLink(run, go))),
  );
  out.classList.add('impact');
}

async function chooseRunToCompare(out: HTMLElement, id: string, go: Go): Promise<void> {
  const r = await gql<{ run: { transform: { runs: RunSummary[] } | null } | null }>(RUN_CANDIDATES, { id });
  const runs = (r.data?.run?.transform?.runs ?? []).filter((x) => x.id !== id);
  const form = el('form', undefined, 'compare');
  const label = el('label', 'Compare with ');
  const select = el('select');
  for (const x of runs) {
    const o = el('option', `${runName(x)} (${x.startedAt ?? x.id.slice(0, 8)})`);
    o.value = x.id;
    select.append(o);
  }
  const other = el('option', 'another run id…');
  other.value = '';
  select.append(other);
  const idInput = el('input');
  idInput.placeholder = 'run id';
  idInput.hidden = runs.length > 0;
  select.onchange = () => (idInput.hidden = select.value !== '');
  label.append(select);
  const submit = el('button', 'Compare');
  submit.type = 'submit';
  const result = el('div', undefined, 'diff');
  form.append(label, idInput, submit);
  form.onsubmit = (e) => {
    e.preventDefault();
    const before = select.value || idInput.value.trim();
    if (before) void showDiff(result, before, id, go);
  };
  out.replaceChildren(form, result);
}

async function showDiff(out: HTMLElement, before: string, after: string, go: Go): Promise<void> {
  type SetDiff = { added: DObjectSummary[]; removed: DObjectSummary[]; changed: { name: string; suffix: string }[]; unchanged: DObjectSummary[] };
  type Diff = { runDiff: { transformChanged: boolean; before: RunSummary; after: RunSummary; inputs: SetDiff; outputs: SetDiff } };
  const r = await gql<Diff>(RUN_DIFF, { before, after });
  if (!r.data?.runDiff) {
    out.replaceChildren(el('p', isSchemaGap(r.errors) ? 'This server does not compare runs yet.' : errorText(r.errors), 'muted'));
    return;
  }
  const d = r.data.runDiff;
  const side = (title: string, s: SetDiff): Node[] => [
    el('h4', title),
    table([
      ['added', list(s.added.map((x) => dobjectLink(x, go)))],
      ['removed', list(s.removed.map((x) => dobjectLink(x, go)))],
      ['changed', list(s.changed.map((x) => el('span', x.name + x.suffix)))],
      ['unchanged', list(s.unchanged.map((x) => dobjectLink(x, go)))],
    ]),
  ];
  const head = el('p');
  head.append(runLink(d.before, go), ' → ', runLink(d.after, go), d.transformChanged ? ' (transform changed)' : ' (same transform)');
  out.replaceChildren(head, ...side('Inputs', d.inputs), ...side('Outputs', d.outputs));
}
