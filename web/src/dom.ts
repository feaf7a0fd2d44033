// Small DOM helpers of the details panel: elements, links that move the focus, tables.
import { STATUS_ICON, runName, type DObjectSummary, type RunSummary } from './model';
import type { GqlError } from './api';

export type Go = (href: string) => void;
export type Json = Record<string, unknown>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function link(label: string, href: string, go: Go): HTMLAnchorElement {
  const a = el('a', label);
  a.href = href;
  a.onclick = (e) => {
    e.preventDefault();
    go(href);
  };
  return a;
}

export function runLink(run: RunSummary, go: Go): HTMLElement {
  const span = el('span');
  span.append(link(runName(run), `/ui/run/${run.id}`, go), ` ${statusText(run.status)}`);
  return span;
}

export function dobjectLink(d: DObjectSummary, go: Go): HTMLAnchorElement {
  return link(d.name + d.suffix, `/ui/dobject/${d.id}`, go);
}

export function statusText(status: string): string {
  return `${STATUS_ICON[status] ?? '?'} ${status.toLowerCase()}`;
}

export function time(value: unknown): string {
  if (!value) return '—';
  const d = new Date(String(value));
  return `${d.toLocaleString()} (${String(value)})`;
}

export function table(rows: [string, string | Node][]): HTMLTableElement {
  const t = el('table', undefined, 'fields');
  for (const [k, v] of rows) {
    const tr = el('tr');
    const th = el('th', k);
    const td = el('td');
    td.append(v);
    tr.append(th, td);
    t.append(tr);
  }
  return t;
}

export function list(items: Node[], empty = 'none'): HTMLElement {
  if (!items.length) return el('span', empty, 'muted');
  const ul = el('ul');
  for (const i of items) {
    const li = el('li');
    li.append(i);
    ul.append(li);
  }
  return ul;
}

export function errorText(errors: GqlError[] | undefined): string {
  return (errors ?? []).map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ');
}

