// Layout off the main thread: the page posts {seq, request}, gets {seq, result}.
import { layout, type LayoutRequest } from './layout';

self.onmessage = (event: MessageEvent<{ seq: number; request: LayoutRequest }>) => {
  const { seq, request } = event.data;
  (self as unknown as Worker).postMessage({ seq, result: layout(request) });
};
