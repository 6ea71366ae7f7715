import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, configure, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionsCard } from './ConnectionsCard';

configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('ConnectionsCard', () => {
  it('lists the open connections with peer, since, messages and bytes', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/v1/engines/edge/connections'
          ? new Response(JSON.stringify([{ peer: '10.0.0.7:51234', since: Date.UTC(2026, 0, 2, 3, 4, 5), messages: 12345, bytes: 2048 }]), {
              status: 200,
              headers: { 'Content-Type': 'application/json' },
            })
          : new Response('{"error":"no"}', { status: 404 }),
      ),
    );
    const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={qc}>
        <ConnectionsCard name="edge" timeZone="UTC" />
      </QueryClientProvider>,
    );
    const row = (await screen.findByText('10.0.0.7:51234')).closest('tr');
    expect(row).toHaveTextContent('03:04:05');
    expect(row).toHaveTextContent(/12[,.\s]?345/);
    expect(row).toHaveTextContent(/2(\.0)? KiB|2 KB|2,048/);
  });
});
