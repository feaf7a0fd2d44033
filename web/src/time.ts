// The time control: a slider over the moments the page has seen (each node's start or
// creation), a date-time field, and "Now". It sets `asOf`; the URL keeps it.
import type { ApiNode } from './model';

export interface TimeControl {
  show(asOf: string | null): void;
  learn(nodes: ApiNode[]): void;
}

export function startTimeControl(onChange: (asOf: string | null) => void): TimeControl {
  const range = document.getElementById('asof-range') as HTMLInputElement;
  const field = document.getElementById('asof-input') as HTMLInputElement;
  const now = document.getElementById('asof-now') as HTMLButtonElement;
  const label = document.getElementById('asof-label') as HTMLElement;
  // the API's own strings, so asOf keeps their microseconds (a Date keeps milliseconds)
  const moments = new Map<string, number>();
  let current: string | null = null;
  let timer: number | undefined;

  const sorted = (): string[] => [...moments.keys()].sort((a, b) => (moments.get(a) ?? 0) - (moments.get(b) ?? 0));
  const render = (): void => {
    const times = sorted();
    range.max = String(times.length);
    const at = current === null ? times.length : Math.max(0, times.findIndex((t) => (moments.get(t) ?? 0) >= Date.parse(current ?? '')));
    range.value = String(current !== null && at === -1 ? times.length : at);
    label.textContent = current === null ? 'now (live)' : new Date(current).toLocaleString();
    range.setAttribute('aria-valuetext', label.textContent);
    now.disabled = current === null;
    const d = current === null ? null : new Date(current);
    field.value = d ? new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19) : '';
  };

  range.addEventListener('input', () => {
    const times = sorted();
    const i = Number(range.value);
    current = i >= times.length ? null : times[i];
    render();
    window.clearTimeout(timer);
    timer = window.setTimeout(() => onChange(current), 250);
  });
  field.addEventListener('change', () => {
    if (!field.value) return;
    const d = new Date(field.value); // local time, as typed
    if (Number.isNaN(d.getTime())) return;
    current = d.toISOString();
    render();
    onChange(current);
  });
  now.addEventListener('click', () => {
    current = null;
    render();
    onChange(null);
  });

  return {
    show(asOf) {
      current = asOf;
      if (asOf && !moments.has(asOf) && !Number.isNaN(Date.parse(asOf))) moments.set(asOf, Date.parse(asOf));
      render();
    },
    learn(nodes) {
      for (const n of nodes) {
        const t = n.run?.startedAt ?? n.version?.createdAt ?? n.dobject?.createdAt;
        if (t) moments.set(t, Date.parse(t));
      }
      render();
    },
  };
}
