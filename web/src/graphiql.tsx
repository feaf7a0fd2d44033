// GraphiQL served from the package (no CDN): React, GraphiQL and the explorer plugin
// are bundled. The Authorization header is prefilled from the explorer's token.
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';

interface Params {
  query: string;
  variables?: unknown;
  operationName?: string | null;
}
type Headers = Record<string, string>;

let token: string | null = null;
try {
  token = sessionStorage.getItem('lineage.token');
} catch {
  // storage denied (a framed page): no token to prefill
}
const defaultHeaders = token ? JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2) : undefined;

function isSubscription(query: string, operationName?: string | null): boolean {
  const ops = [...query.matchAll(/\b(query|mutation|subscription)\s+(\w+)?/g)];
  const op = ops.find((m) => !operationName || m[2] === operationName);
  return op?.[1] === 'subscription';
}

async function* overWebSocket(params: Params, headers: Headers): AsyncGenerator<unknown> {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`, 'graphql-transport-ws');
  const queue: unknown[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const push = (item: unknown): void => {
    queue.push(item);
    wake?.();
  };
  socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: headers }));
  socket.onmessage = (m) => {
    const frame = JSON.parse(String(m.data)) as { type: string; payload?: unknown };
    if (frame.type === 'connection_ack') socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: params }));
    else if (frame.type === 'next') push(frame.payload);
    else if (frame.type === 'error') push({ errors: frame.payload });
    else if (frame.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    else if (frame.type === 'complete') socket.close();
  };
  socket.onclose = (e) => {
    if (e.code !== 1000) push({ errors: [{ message: `socket closed: ${e.code} ${e.reason}` }] });
    done = true;
    wake?.();
  };
  try {
    for (;;) {
      while (queue.length) yield queue.shift();
      if (done) return;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    socket.close();
  }
}

async function fetcher(params: Params, opts?: { headers?: Headers }): Promise<unknown> {
  // the explorer's token also for GraphiQL's own requests (schema introspection),
  // unless the Headers tab says otherwise
  const given = opts?.headers ?? {};
  const headers: Headers = Object.keys(given).some((k) => k.toLowerCase() === 'authorization') || !token ? given : { ...given, Authorization: `Bearer ${token}` };
  if (isSubscription(params.query, params.operationName)) return overWebSocket(params, headers);
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(params),
  });
  if (response.status === 401) return { errors: [{ message: 'UNAUTHENTICATED: add "Authorization": "Bearer <token>" in the Headers tab' }] };
  return response.json();
}

const plugins = [explorerPlugin()];
createRoot(document.getElementById('graphiql') as HTMLElement).render(
  <GraphiQL fetcher={fetcher as never} plugins={plugins} defaultHeaders={defaultHeaders} shouldPersistHeaders={false} />,
);
