import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, LiveSocket } from './liveSocket';

describe('backoffDelay', () => {
  it.each([
    [0, 500],
    [1, 1000],
    [3, 4000],
    [5, 15000],
    [50, 15000],
  ])('attempt %i waits %i ms', (n, want) => expect(backoffDelay(n)).toBe(want));
});

// A fake WebSocket: the test drives open and close by hand.
class FakeSocket {
  static instances: FakeSocket[] = [];
  static readonly OPEN = 1;
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  send(): void {}
  close(): void {}
}

describe('LiveSocket close codes', () => {
  const setup = () => {
    FakeSocket.instances = [];
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
    const s = new LiveSocket(() => 'ws://test/api/v1/ws');
    const told: number[] = [];
    s.onAuthClosed((code) => told.push(code));
    s.start();
    return { s, told };
  };
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it.each([4001, 1008])('does not reconnect after close code %i and reports it', (code) => {
    const { told } = setup();
    FakeSocket.instances[0].onclose?.({ code, reason: 'the session was logged out' });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    expect(told).toEqual([code]);
  });

  it.each([1001, 1006])('reconnects after close code %i', (code) => {
    const { told } = setup();
    FakeSocket.instances[0].onclose?.({ code, reason: '' });
    vi.advanceTimersByTime(backoffDelay(0));
    expect(FakeSocket.instances).toHaveLength(2);
    expect(told).toEqual([]);
  });
});
