// One websocket to /api/v1/ws shared by the whole app: keeps the latest `stats` message,
// fans out `tail` and `event` messages, re-subscribes the tail and reconnects with backoff.
import type { WsMessage, WsStats, WsTail, WsEvent } from '../api/types';

/** backoffDelay is the wait before reconnect attempt n (0-based): 500 ms doubling, capped at 15 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(15000, 500 * 2 ** Math.max(0, attempt));
}

type Fn = () => void;

/** Close codes the server uses when the socket's credentials ended (logout, password or
 * role change, deleted user: 4001; a pending password change: 1008). Reconnecting cannot
 * help: the session has to be checked again. */
export const AUTH_CLOSE_CODES: readonly number[] = [4001, 1008];

export class LiveSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private tailEngine: string | null = null;
  private latest: WsStats | null = null;
  private connected = false;
  private readonly changeListeners = new Set<Fn>();
  private readonly statsListeners = new Set<(m: WsStats) => void>();
  private readonly tailListeners = new Set<(m: WsTail) => void>();
  private readonly eventListeners = new Set<(m: WsEvent) => void>();
  private readonly authListeners = new Set<(code: number, reason: string) => void>();

  constructor(private readonly url: () => string) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    this.setConnected(false);
    this.latest = null;
    this.emitChange();
  }

  private open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setConnected(true);
      if (this.tailEngine) this.send({ type: 'tail', engine: this.tailEngine });
    };
    ws.onmessage = (ev) => {
      let msg: WsMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WsMessage;
      } catch {
        return;
      }
      this.dispatch(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      this.ws = null;
      this.setConnected(false);
      if (AUTH_CLOSE_CODES.includes(ev.code)) {
        // The server ended the session: stop here and let the app check who is signed in.
        this.running = false;
        this.latest = null;
        this.emitChange();
        this.authListeners.forEach((f) => f(ev.code, ev.reason));
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    const delay = backoffDelay(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.running) this.open();
    }, delay);
  }

  private dispatch(msg: WsMessage): void {
    switch (msg.type) {
      case 'stats':
        this.latest = msg;
        this.statsListeners.forEach((f) => f(msg));
        this.emitChange();
        break;
      case 'tail':
        this.tailListeners.forEach((f) => f(msg));
        break;
      case 'event':
        this.eventListeners.forEach((f) => f(msg));
        break;
    }
  }

  private send(m: unknown): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  /** tail subscribes to live rows of one engine (null unsubscribes). Survives reconnects. */
  tail(engine: string | null): void {
    this.tailEngine = engine;
    this.send(engine ? { type: 'tail', engine } : { type: 'untail' });
  }

  private setConnected(v: boolean): void {
    if (this.connected !== v) {
      this.connected = v;
      this.emitChange();
    }
  }

  private emitChange(): void {
    this.changeListeners.forEach((f) => f());
  }

  getLatest = (): WsStats | null => this.latest;
  isConnected = (): boolean => this.connected;

  subscribe = (f: Fn): (() => void) => {
    this.changeListeners.add(f);
    return () => this.changeListeners.delete(f);
  };
  onStats(f: (m: WsStats) => void): () => void {
    this.statsListeners.add(f);
    return () => this.statsListeners.delete(f);
  }
  onTail(f: (m: WsTail) => void): () => void {
    this.tailListeners.add(f);
    return () => this.tailListeners.delete(f);
  }
  /** onAuthClosed is told when the server closed the socket because its credentials ended;
   * the socket then stays closed until start() is called again. */
  onAuthClosed(f: (code: number, reason: string) => void): () => void {
    this.authListeners.add(f);
    return () => this.authListeners.delete(f);
  }
  onEvent(f: (m: WsEvent) => void): () => void {
    this.eventListeners.add(f);
    return () => this.eventListeners.delete(f);
  }
}

function wsUrl(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/v1/ws`;
}

/** live is the app's one socket; LiveProvider starts it once the user is signed in. */
export const live = new LiveSocket(wsUrl);
