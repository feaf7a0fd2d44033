// The explorer talks to the API only through the public GraphQL schema: POST /graphql
// for queries, graphql-transport-ws on /graphql for lineageEvents. With tokens on, a
// 401 (or a WebSocket closed with 4401) asks for a token, kept in sessionStorage.

import { askToken } from './token';

export interface GqlError {
  message: string;
  extensions?: { code?: string };
}
export interface GqlResult<T> {
  data: T | null;
  errors?: GqlError[];
}

const TOKEN_KEY = 'lineage.token';

// The tab's sessionStorage; a page framed by another site (a notebook's output cell)
// may be denied storage, and then keeps the token in memory for as long as it lives.
let memoryToken: string | null = null;
function tabStorage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function storedToken(): string | null {
  return tabStorage()?.getItem(TOKEN_KEY) ?? memoryToken;
}

function keepToken(token: string): void {
  memoryToken = token;
  tabStorage()?.setItem(TOKEN_KEY, token);
}

function authHeaders(): Record<string, string> {
  const token = storedToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Asks for another token (one without a scope a page needs) and keeps it. */
export async function replaceToken(): Promise<void> {
  keepToken(await askToken(false, 'Enter a token with the scope this page needs.'));
}

/** One GraphQL request; on 401 asks for a token and tries again with it. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, minSequence?: number): Promise<GqlResult<T>> {
  // read-your-writes: answered once the projection has applied that stream sequence
  const wait: Record<string, string> = minSequence ? { 'x-lineage-min-sequence': String(minSequence) } : {};
  for (;;) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...wait, ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
    if (response.status === 401) {
      const token = await askToken(storedToken() !== null);
      keepToken(token);
      continue;
    }
    return (await response.json()) as GqlResult<T>;
  }
}

/** Whether errors say the server's schema lacks a field or argument (an older server). */
export function isSchemaGap(errors: GqlError[] | undefined): boolean {
  return (errors ?? []).some((e) => /Cannot query field|Unknown argument|Unknown type/.test(e.message));
}

/**
 * Runs `build(true)` (the query with the fields of docs/reference/questions.md); if the server does not know
 * them, `build(false)` from then on. Lets the page work before and after the upgrade.
 */
const gaps = new Map<string, boolean>();
export async function gqlWithFallback<T>(
  key: string,
  build: (full: boolean) => string,
  variables: Record<string, unknown>,
): Promise<GqlResult<T> & { full: boolean }> {
  if (gaps.get(key) !== true) {
    const first = await gql<T>(build(true), variables);
    if (!isSchemaGap(first.errors)) return { ...first, full: true };
    gaps.set(key, true);
  }
  return { ...(await gql<T>(build(false), variables)), full: false };
}

type Sink = (data: unknown) => void;

/** A graphql-transport-ws subscription that reconnects; returns a function that ends it.
 * `onError` gets the errors of an `error` frame (the server refused the subscription:
 * then it is not retried). */
export function subscribe(
  query: string,
  variables: Record<string, unknown>,
  onNext: Sink,
  onState: (s: string) => void,
  onError?: (errors: GqlError[]) => void,
): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let retry: number | undefined;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

  const open = (): void => {
    socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => {
      const token = storedToken();
      socket?.send(JSON.stringify({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} }));
    };
    socket.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as { type: string; payload?: { data?: unknown } | GqlError[] };
      if (frame.type === 'connection_ack') {
        onState('live');
        socket?.send(JSON.stringify({ id: 'events', type: 'subscribe', payload: { query, variables } }));
      } else if (frame.type === 'next') {
        onNext((frame.payload as { data?: unknown } | undefined)?.data);
      } else if (frame.type === 'error') {
        stopped = true; // a refused subscription would be refused again
        onError?.(Array.isArray(frame.payload) ? frame.payload : []);
        socket?.close();
      } else if (frame.type === 'ping') {
        socket?.send(JSON.stringify({ type: 'pong' }));
      }
    };
    socket.onclose = (event) => {
      onState('offline');
      if (stopped) return;
      if (event.code === 4401) {
        void askToken(true).then((token) => {
          keepToken(token);
          open();
        });
        return;
      }
      retry = window.setTimeout(open, 2000);
    };
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(retry);
    socket?.close();
  };
}
