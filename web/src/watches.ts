// The durable watches page (/ui/watches): every watch with its delivery counts and last
// failure, and a watch's latest deliveries on demand (the admin fields `watches` and
// `watchDeliveries` of docs/reference/watches.md). A token without the `admin` scope gets
// FORBIDDEN: the page says so and offers to use another token.
import { gql, isSchemaGap, replaceToken, type GqlError } from './api';
import { dobjectLink, el, errorText, runLink, type Go } from './dom';
import type { DObjectSummary, RunSummary } from './model';
import { WATCHES, WATCH_DELIVERIES } from './queries';

interface Failure {
  at: string;
  error: string;
  httpStatus: number | null;
  deliveryId: string;
  givenUp: boolean;
}
interface Watch {
  id: string;
  name: string;
  rootKind: 'DOBJECT' | 'RUN';
  rootId: string;
  direction: string;
  depth: number;
  kinds: string[];
  url: string;
  createdAt: string;
  delivered: number;
  pending: number;
  failed: number;
  lastFailure: Failure | null;
  dobject: DObjectSummary | null;
  run: RunSummary | null;
}
interface Delivery {
  id: string;
  state: string;
  attempts: number;
  lastError: string | null;
  finishedAt: string | null;
  change: { kind: string; sequence: string | number; occurredAt: string; distance: number; dobject: DObjectSummary | null; run: RunSummary | null };
}

const SHOWN_DELIVERIES = 20;
const ALL_KINDS = 6;

function when(value: string): HTMLTimeElement {
  const t = el('time', new Date(value).toLocaleString());
  t.dateTime = value;
  t.title = value;
  return t;
}

function rootCell(w: Watch, go: Go): Node {
  if (w.dobject) return dobjectLink(w.dobject, go);
  if (w.run) return runLink(w.run, go);
  return el('span', `${w.rootKind.toLowerCase()} ${w.rootId.slice(0, 8)} (gone)`, 'muted');
}

function failureCell(f: Failure | null): Node {
  if (!f) return el('span', 'none', 'muted');
  const cell = el('span', undefined, 'watch-failure');
  cell.append(el('strong', f.error), ' ', el('span', f.givenUp ? 'given up' : 'retrying', f.givenUp ? 'gave-up' : 'retrying'), el('br'), when(f.at));
  return cell;
}

function number(n: number, cls: string): HTMLTableCellElement {
  const td = el('td', String(n), `count ${cls}`);
  if (n > 0) td.classList.add('nonzero');
  return td;
}

function row(w: Watch, go: Go, open: (w: Watch) => void): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset.watch = w.name;
  if (w.failed > 0 || w.lastFailure) tr.classList.add('failing');
  const name = el('td');
  name.append(el('strong', w.name));
  const root = el('td');
  root.append(rootCell(w, go));
  const scope = el('td', `${w.direction.toLowerCase()}, depth ${w.depth}`);
  const kinds = el('td', w.kinds.length === ALL_KINDS ? 'all' : w.kinds.map((k) => k.toLowerCase().replace('_', ' ')).join(', '));
  const url = el('td', w.url, 'url');
  const failure = el('td');
  failure.append(failureCell(w.lastFailure));
  const actions = el('td');
  const button = el('button', 'Deliveries');
  button.type = 'button';
  button.className = 'deliveries-button';
  button.onclick = () => open(w);
  actions.append(button);
  tr.append(name, root, scope, kinds, url, number(w.delivered, 'delivered'), number(w.pending, 'pending'), number(w.failed, 'failed'), failure, actions);
  return tr;
}

async function showDeliveries(panel: HTMLElement, w: Watch, go: Go): Promise<void> {
  panel.hidden = false;
  panel.dataset.watch = w.name;
  panel.replaceChildren(el('h2', `Latest deliveries of ${w.name}`), el('p', 'loading…', 'muted'));
  const r = await gql<{ watchDeliveries: Delivery[] }>(WATCH_DELIVERIES, { watchId: w.id, last: SHOWN_DELIVERIES });
  if (panel.dataset.watch !== w.name) return;
  const found = r.data?.watchDeliveries;
  if (!found) {
    panel.replaceChildren(el('h2', `Latest deliveries of ${w.name}`), el('p', `Could not load them: ${errorText(r.errors)}`));
    return;
  }
  const t = el('table', undefined, 'deliveries');
  const head = el('tr');
  for (const h of ['sequence', 'change', 'node', 'state', 'attempts', 'error', 'finished']) head.append(el('th', h));
  t.append(head);
  for (const d of found) {
    const tr = el('tr');
    tr.dataset.state = d.state;
    const node = el('td');
    if (d.change.dobject) node.append(dobjectLink(d.change.dobject, go));
    else if (d.change.run) node.append(runLink(d.change.run, go));
    const finished = el('td');
    if (d.finishedAt) finished.append(when(d.finishedAt));
    tr.append(
      el('td', String(d.change.sequence)),
      el('td', d.change.kind.toLowerCase().replace('_', ' ')),
      node,
      el('td', d.state.toLowerCase(), `state-${d.state.toLowerCase()}`),
      el('td', String(d.attempts)),
      el('td', d.lastError ?? '', 'error'),
      finished,
    );
    t.append(tr);
  }
  const note = el('p', found.length ? `The latest ${found.length}, newest first.` : 'No deliveries yet.', 'muted');
  panel.replaceChildren(el('h2', `Latest deliveries of ${w.name}`), note, t);
}

function refusal(page: HTMLElement, errors: GqlError[] | undefined, retry: () => void): void {
  const note = page.querySelector<HTMLElement>('#watches-note');
  const forbidden = errors?.some((e) => e.extensions?.code === 'FORBIDDEN');
  if (note) {
    note.dataset.kind = forbidden ? 'forbidden' : 'error';
    if (!forbidden) {
      note.textContent = isSchemaGap(errors) ? 'This service has no watches API (an older version).' : `Could not load the watches: ${errorText(errors)}`;
    } else {
      note.replaceChildren(
        'Durable watches are shown to admin tokens only, and this token lacks the admin scope. Use a token made with ',
        el('code', 'lineage token create NAME --scope admin'),
        '.',
      );
      const other = el('button', 'Use another token');
      other.type = 'button';
      other.onclick = () => void replaceToken().then(retry);
      note.append(' ', other);
    }
  }
}

/** Fills the watches page (its section is shown by the caller). */
export async function showWatchesPage(page: HTMLElement, go: Go): Promise<void> {
  const note = page.querySelector('#watches-note') as HTMLElement;
  const body = page.querySelector('#watches-body') as HTMLElement;
  const panel = page.querySelector('#watch-deliveries') as HTMLElement;
  const tableBox = page.querySelector('#watches-table') as HTMLElement;
  note.textContent = 'loading…';
  delete note.dataset.kind;
  panel.hidden = true;
  const r = await gql<{ watches: Watch[] }>(WATCHES);
  const watches = r.data?.watches;
  if (!watches) {
    tableBox.hidden = true;
    body.replaceChildren();
    refusal(page, r.errors, () => void showWatchesPage(page, go));
    return;
  }
  tableBox.hidden = watches.length === 0;
  const failing = watches.filter((w) => w.failed > 0).length;
  note.textContent = watches.length
    ? `${watches.length} watch${watches.length === 1 ? '' : 'es'}${failing ? `, ${failing} with failed deliveries` : ''}.`
    : 'No durable watches yet: make one with `lineage watch create`.';
  const open = (x: Watch): void => {
    for (const tr of body.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.watch === x.name);
    void showDeliveries(panel, x, go);
  };
  body.replaceChildren(...watches.map((w) => row(w, go, open)));
}

