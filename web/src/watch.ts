// The watch panel: one node's lineage changes as they happen, over the `lineageChanges`
// subscription (docs/reference/watches.md). One watch at a time; closing it (or watching
// another node) ends the subscription.
import { isSchemaGap, subscribe } from './api';
import { dobjectLink, el, link, runLink, type Go } from './dom';
import type { DObjectSummary, RunSummary } from './model';
import { watchQuery } from './queries';

export interface WatchRoot {
  id: string;
  kind: 'RUN' | 'DOBJECT';
  label: string;
}
interface Change {
  kind: string;
  sequence: number | string;
  occurredAt: string;
  distance: number;
  dobject: DObjectSummary | null;
  run: RunSummary | null;
  version?: { id: string; number: number } | null;
}

const KIND_TEXT: Record<string, string> = {
  NEW_VERSION: 'new version',
  SCHEMA_CHANGED: 'schema changed',
  BECAME_STALE: 'became stale',
  RUN_STARTED: 'run started',
  RUN_COMPLETED: 'run completed',
  RUN_FAILED: 'run failed',
};
const KEEP = 200; // changes listed; older ones drop off the end

let stop: (() => void) | null = null;
let generation = 0; // callbacks of an ended subscription change nothing

function entry(c: Change, go: Go): HTMLLIElement {
  const li = el('li');
  li.dataset.kind = c.kind;
  li.dataset.sequence = String(c.sequence);
  const when = el('time', new Date(c.occurredAt).toLocaleTimeString());
  when.dateTime = c.occurredAt;
  when.title = c.occurredAt;
  li.append(when, ' ', el('span', KIND_TEXT[c.kind] ?? c.kind, `change-kind kind-${c.kind.toLowerCase()}`), ' ');
  if (c.dobject) {
    li.append(dobjectLink(c.dobject, go));
    if (c.version) li.append(' ', link(`v${c.version.number}`, `/ui/version/${c.version.id}`, go));
    if (c.run && c.kind !== 'BECAME_STALE') li.append(el('span', ' by ', 'muted'), runLink(c.run, go));
  } else if (c.run) {
    li.append(runLink(c.run, go));
  }
  li.append(el('span', c.distance === 0 ? ' · this node' : ` · ${c.distance} hop${c.distance === 1 ? '' : 's'} away`, 'muted'));
  return li;
}

/** Opens (or moves) the watch panel onto `root`, watching `direction` to `depth`. */
export function openWatch(panel: HTMLElement, root: WatchRoot, direction: string, depth: number, go: Go): void {
  generation++;
  stop?.();
  const status = el('span', '○ connecting', 'watch-status');
  const close = el('button', 'Close');
  close.type = 'button';
  close.className = 'watch-close';
  const head = el('div', undefined, 'watch-head');
  const title = el('h2', `Watching ${root.label}`);
  title.title = root.label;
  head.append(title, status, close);
  const scope = el('p', `Changes ${direction.toLowerCase()}, ${depth} hop${depth === 1 ? '' : 's'} deep, as they become queryable.`, 'muted');
  const changes = el('ol', undefined, 'watch-changes');
  const waiting = el('p', 'Nothing has changed since the watch began.', 'muted watch-empty');
  panel.replaceChildren(head, scope, waiting, changes);
  panel.dataset.rootId = root.id;
  panel.hidden = false;
  const variables = { [root.kind === 'RUN' ? 'runId' : 'dobjectId']: root.id, direction, depth };
  const start = (withVersion: boolean): void => {
    const mine = ++generation;
    stop = subscribe(
      watchQuery(withVersion),
      variables,
      (data) => {
        const c = (data as { lineageChanges?: Change } | null)?.lineageChanges;
        if (!c || mine !== generation) return;
        waiting.hidden = true;
        changes.prepend(entry(c, go));
        while (changes.children.length > KEEP) changes.lastElementChild?.remove();
      },
      (s) => {
        if (mine !== generation) return;
        status.textContent = s === 'live' ? '● live' : '○ offline';
        panel.dataset.live = s;
      },
      (errors) => {
        if (mine !== generation) return;
        // a server without dataset versions has no LineageChange.version
        if (withVersion && isSchemaGap(errors)) start(false);
        else {
          generation++; // the socket's close must not overwrite this
          status.textContent = `refused: ${errors.map((e) => e.message).join('; ') || 'unknown error'}`;
        }
      },
    );
  };
  start(true);
  close.onclick = () => closeWatch(panel);
}

export function closeWatch(panel: HTMLElement): void {
  generation++;
  stop?.();
  stop = null;
  panel.hidden = true;
  panel.replaceChildren();
  delete panel.dataset.rootId;
}
