// Dataset versions in the details panel (docs/reference/versions.md): a dobject's
// versions with what changed in their fields, a run's input and output versions, and a
// version of its own. A server without versions answers with a schema error: then the
// sections stay empty and the rest of the panel is as before.
import { gql, isSchemaGap } from './api';
import { dobjectLink, el, errorText, link, list, runLink, table, time, type Go, type Json } from './dom';
import { runName, type DObjectSummary, type RunSummary } from './model';
import { VERSIONS_SHOWN, VERSION_DETAILS, dobjectVersionsQuery, runVersionsQuery } from './queries';

interface Field {
  name: string;
  type: string | null;
}
interface VersionRow {
  id: string;
  number: number;
  createdAt: string;
  hash: string | null;
  size: number | string | null;
  label: string | null;
  stale: boolean;
  fields: Field[];
  run: RunSummary;
}
interface OutputVersion {
  id: string;
  number: number;
  stale: boolean;
  dobject: DObjectSummary;
}
interface InputVersion {
  dobject: DObjectSummary;
  version: { id: string; number: number; stale?: boolean } | null;
  loadedAt: string;
}

function versionLink(name: string, v: { id: string; number: number }, go: Go): HTMLAnchorElement {
  return link(`${name} v${v.number}`, `/ui/version/${v.id}`, go);
}

/** "+customer −amount ~id: int→bigint": the fields added, removed and retyped since
 * `before`; by name, as a reader compares two schemas. */
export function fieldChanges(before: Field[] | null, after: Field[]): HTMLElement {
  const span = el('span', undefined, 'field-changes');
  if (!after.length) {
    span.append(el('span', before === null ? '—' : 'no fields sent', 'muted'));
    return span;
  }
  if (before === null || !before.length) {
    span.append(el('span', `${after.length} field${after.length === 1 ? '' : 's'}`, 'muted'));
    span.title = after.map((f) => f.name).join(', ');
    return span;
  }
  const old = new Map(before.map((f) => [f.name, f.type]));
  const now = new Map(after.map((f) => [f.name, f.type]));
  const parts: HTMLElement[] = [];
  for (const f of after) {
    if (!old.has(f.name)) parts.push(el('span', `+${f.name}`, 'added'));
    else if ((old.get(f.name) ?? null) !== f.type) parts.push(el('span', `~${f.name}: ${old.get(f.name) ?? '?'}→${f.type ?? '?'}`, 'changed'));
  }
  for (const f of before) if (!now.has(f.name)) parts.push(el('span', `−${f.name}`, 'removed'));
  if (!parts.length) span.append(el('span', 'same fields', 'muted'));
  parts.forEach((p, i) => span.append(...(i ? [' ', p] : [p])));
  return span;
}

function shortHash(hash: string | null): HTMLElement {
  const s = el('span', hash ? (hash.length > 12 ? `${hash.slice(0, 12)}…` : hash) : '—');
  if (hash) s.title = hash;
  return s;
}

function staleNote(inputs: InputVersion[], go: Go): HTMLElement {
  const p = el('p', 'Stale: ', 'stale-note');
  p.append('made from ');
  inputs.forEach((i, k) => {
    if (k) p.append(', ');
    p.append(i.version ? versionLink(i.dobject.name + i.dobject.suffix, i.version, go) : dobjectLink(i.dobject, go));
  });
  p.append(inputs.length === 1 ? ', which is no longer the current version.' : ', which are no longer the current versions.');
  return p;
}

/** The versions of a dobject: number, run, time, hash, size, field changes. */
export async function dobjectVersions(box: HTMLElement, id: string, asOf: string | null, go: Go): Promise<void> {
  type Data = {
    dobject: {
      name?: string;
      stale: boolean;
      currentVersion: { id: string; number: number; staleInputs: InputVersion[] } | null;
      versions: { totalCount: number; nodes: VersionRow[] };
    } | null;
  };
  const r = await gql<Data>(dobjectVersionsQuery(asOf !== null), asOf ? { id, asOf } : { id });
  if (isSchemaGap(r.errors)) return;
  const d = r.data?.dobject;
  if (!d) {
    if (r.errors) box.replaceChildren(el('p', errorText(r.errors), 'muted'));
    return;
  }
  const total = d.versions.totalCount;
  const rows = d.versions.nodes; // newest first, one more than shown
  const shown = rows.slice(0, VERSIONS_SHOWN);
  const out: Node[] = [el('h3', total ? `Versions (${total})` : 'Versions')];
  if (d.stale && d.currentVersion) out.push(staleNote(d.currentVersion.staleInputs, go));
  if (!total) {
    out.push(el('p', 'No run has written it: it is only read.', 'muted'));
    box.replaceChildren(...out);
    return;
  }
  const t = el('table', undefined, 'versions');
  const head = el('tr');
  for (const h of ['#', 'run', 'created', 'hash', 'size', 'fields']) head.append(el('th', h));
  t.append(head);
  shown.forEach((v, i) => {
    const tr = el('tr');
    tr.dataset.versionId = v.id;
    const current = d.currentVersion?.id === v.id;
    if (current) tr.className = 'current';
    const num = el('td');
    num.append(link(`v${v.number}`, `/ui/version/${v.id}`, go));
    if (current) num.append(el('span', ' current', 'muted'));
    if (v.stale) num.append(el('span', ' stale', 'stale-note'));
    if (v.label) num.append(el('span', ` ${v.label}`, 'muted'));
    const run = el('td');
    run.append(link(runName(v.run), `/ui/run/${v.run.id}`, go)); // the status would crowd the column
    const created = el('td', new Date(v.createdAt).toLocaleString());
    created.title = v.createdAt;
    const hash = el('td');
    hash.append(shortHash(v.hash));
    const size = el('td', v.size === null ? '—' : `${String(v.size)} B`);
    const fields = el('td');
    const before = rows[i + 1] ?? null;
    fields.append(fieldChanges(before && before.number === v.number - 1 ? before.fields : null, v.fields));
    tr.append(num, run, created, hash, size, fields);
    t.append(tr);
  });
  out.push(t);
  if (total > shown.length) out.push(el('p', `and ${total - shown.length} older versions`, 'muted'));
  box.replaceChildren(...out);
}

/** A run's bound input versions and the versions it produced. */
export async function runVersions(box: HTMLElement, id: string, asOf: string | null, go: Go): Promise<void> {
  type Data = { run: { inputVersions: InputVersion[]; outputVersions: OutputVersion[] } | null };
  const r = await gql<Data>(runVersionsQuery(asOf !== null), asOf ? { id, asOf } : { id });
  if (isSchemaGap(r.errors) || !r.data?.run) return;
  const run = r.data.run;
  const input = (i: InputVersion): Node => {
    const s = el('span');
    s.append(i.version ? versionLink(i.dobject.name + i.dobject.suffix, i.version, go) : dobjectLink(i.dobject, go));
    if (!i.version) s.append(el('span', ' (no version)', 'muted'));
    return s;
  };
  const output = (v: OutputVersion): Node => {
    const s = el('span');
    s.append(versionLink(v.dobject.name + v.dobject.suffix, v, go));
    if (v.stale) s.append(el('span', ' stale', 'stale-note'));
    return s;
  };
  box.replaceChildren(
    table([
      ['read versions', list(run.inputVersions.map(input))],
      ['wrote versions', list(run.outputVersions.map(output))],
    ]),
  );
}

/** A version of its own (a node of a version-pinned graph). A version does not change,
 * so asOf only decides whether it existed, which the graph already says. */
export async function showVersion(panel: HTMLElement, id: string, go: Go): Promise<void> {
  panel.replaceChildren(el('p', 'loading…', 'muted'));
  type Data = {
    dobjectVersion:
      | (Omit<VersionRow, 'fields'> & {
          fields: (Field & { description: string | null })[];
          staleInputs: InputVersion[];
          dobject: DObjectSummary & { currentVersion: { id: string; number: number } | null };
        })
      | null;
  };
  const r = await gql<Data>(VERSION_DETAILS, { id });
  const v = r.data?.dobjectVersion;
  if (!v) {
    panel.replaceChildren(el('p', r.errors ? errorText(r.errors) : 'not found', 'muted'));
    return;
  }
  const name = v.dobject.name + v.dobject.suffix;
  const current = v.dobject.currentVersion;
  const rows: [string, string | Node][] = [
    ['kind', 'version'],
    ['id', v.id],
    ['dobject', dobjectLink(v.dobject, go)],
    ['number', current ? `${v.number} (current: v${current.number}${current.id === v.id ? ', this one' : ''})` : String(v.number)],
    ['run', runLink(v.run, go)],
    ['created', time(v.createdAt)],
    ['hash', v.hash ?? '—'],
    ['size', v.size === null ? '—' : `${String(v.size)} bytes`],
    ['label', v.label ?? '—'],
    ['stale', v.stale ? el('span', 'yes', 'stale-note') : 'no'],
    ['fields', list(v.fields.map((f) => el('span', `${f.name}${f.type ? `: ${f.type}` : ''}${f.description ? ` — ${f.description}` : ''}`)))],
  ];
  const body: Node[] = [el('h2', `${name} v${v.number}`), table(rows)];
  if (v.stale) body.push(staleNote(v.staleInputs, go));
  const actions = el('div', undefined, 'actions');
  const focus = link('Focus the graph here', `/ui/version/${v.id}`, go);
  focus.className = 'button';
  const whole = link('All versions of the dobject', `/ui/dobject/${v.dobject.id}`, go);
  whole.className = 'button';
  actions.append(focus, whole);
  const raw = el('details');
  raw.append(el('summary', 'All fields as JSON'), el('pre', JSON.stringify(v as unknown as Json, null, 2)));
  panel.replaceChildren(...body, actions, raw);
}
