import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, configure, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ClusterNodesCard } from './ClusterNodesCard';

configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderWith(stats: object) {
  const fetch = vi.fn(async () => new Response(JSON.stringify(stats), { status: 200, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fetch);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <ClusterNodesCard name="fw" />
    </QueryClientProvider>,
  );
  return fetch;
}

const node = (name: string, state: string, received: number) => ({
  node: name,
  role: 'ingest',
  state,
  received,
  stored: received,
  unmatched: 0,
  rejected: 0,
  dropped: 0,
  refused: 0,
  kernel_drops: 0,
  write_errors: 0,
  queue_depth: 0,
  in_per_s: 0,
  stored_per_s: 0,
  connections: 0,
});

describe('ClusterNodesCard', () => {
  it("lists each ingest node's state of the engine", async () => {
    renderWith({ state: 'running', received: 30, nodes: [node('in1', 'running', 10), node('in2', 'failed', 20)] });
    const row = (await screen.findByText('in2')).closest('tr');
    expect(row).toHaveTextContent('failed');
    expect(row).toHaveTextContent('20');
    expect(screen.getByText('in1').closest('tr')).toHaveTextContent('running');
  });
  it('shows nothing on a single box', async () => {
    const fetch = renderWith({ state: 'running', received: 30 });
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(screen.queryByRole('table', { name: 'Nodes' })).toBeNull();
  });
});
