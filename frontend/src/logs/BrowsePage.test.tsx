import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { live } from '../common/liveSocket';
import BrowsePage from './BrowsePage';
import { wallSeconds } from './histogramData';

configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

// Count every render of a log row: the real (memoized) LogRow, with a counter in its body.
const rowRenders = vi.hoisted(() => ({ n: 0 }));
vi.mock('./LogRow', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./LogRow')>();
  const { memo } = await import('react');
  type Props = import('./LogRow').LogRowProps;
  const m = actual.LogRow as unknown as { type?: (p: Props) => ReactNode; compare?: (a: Props, b: Props) => boolean };
  const body = m.type ?? (actual.LogRow as unknown as (p: Props) => ReactNode);
  const counted = (p: Props) => {
    rowRenders.n++;
    return body(p);
  };
  return { ...actual, LogRow: m.type ? memo(counted, m.compare) : counted };
});

// uPlot needs a canvas jsdom lacks: the chart is a button that "drags" from 14:05:20 to 14:07:10.
vi.mock('./HistogramChart', () => ({
  HistogramChart: ({ onSelect, data }: { onSelect: (a: number, b: number) => void; data: [number[], number[]] }) => (
    <button data-testid="histogram" data-buckets={data[0].length} onClick={() => onSelect(wallSeconds('2026-12-02T14:05:20'), wallSeconds('2026-12-02T14:07:10'))}>
      drag
    </button>
  ),
}));

class FakeSocket {
  static last: FakeSocket | null = null;
  static readonly OPEN = 1;
  readyState = 1;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(): void {}
  close(): void {}
}

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

const rangePage = {
  columns: ['id', 'date', 'time', 'user', 'original_log'],
  rows: [
    ['3', '2026-12-02', '14:06:01', 'alice', 'user=alice from 10.0.0.5 ' + 'x'.repeat(300)],
    ['2', '2026-12-02', '14:05:30', 'bob', 'user=bob'],
    ['2', '2026-12-01', '23:59:59', 'carol', 'user=carol'],
  ],
  next_cursor: null,
};

// fakeServer answers the page's requests and records the query string of each /logs and /histogram call.
function fakeServer() {
  const calls = { logs: [] as string[], histogram: [] as string[] };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      const [path, qs = ''] = url.split('?');
      if (path === '/api/v1/engines/e1') return json({ name: 'e1', timezone: 'Europe/Berlin', state: 'running' });
      if (path === '/api/v1/engines/e1/days') return json([{ date: '2026-12-02', rows: 3, bytes: 4096 }]);
      if (path === '/api/v1/engines/e1/logs') {
        calls.logs.push(qs);
        return json(rangePage);
      }
      if (path === '/api/v1/engines/e1/histogram') {
        calls.histogram.push(qs);
        return json({ bucket_s: 60, buckets: [{ t: '2026-12-02T14:05', n: 12344 }, { t: '2026-12-02T14:06', n: 1 }], total: 12345, complete: false });
      }
      return new Response(JSON.stringify({ error: `unexpected ${url}` }), { status: 404 });
    }),
  );
  return calls;
}

function Where() {
  return <output data-testid="search">{useLocation().search}</output>;
}

function renderPage(search = '') {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[`/engines/e1/logs${search}`]}>
        <Routes>
          <Route
            path="/engines/:name/logs"
            element={
              <>
                <BrowsePage />
                <Where />
              </>
            }
          />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const table = () => screen.getByRole('table', { name: 'Logs' });
const rowsShown = async () => within(await screen.findByRole('table', { name: 'Logs' })).findByText('carol');

beforeEach(() => {
  rowRenders.n = 0;
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  cleanup();
  live.stop();
  vi.unstubAllGlobals();
});

describe('BrowsePage rendering', () => {
  it('does not render the rows again on a live stats tick; only the rate changes', async () => {
    fakeServer();
    live.start();
    act(() => FakeSocket.last?.onopen?.());
    renderPage('?last=24h');
    await rowsShown();
    const before = rowRenders.n;
    expect(before).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 3; i++) {
      const engines = { e1: { stored_per_s: 1000 + i, in_per_s: 1000 + i } };
      act(() => FakeSocket.last?.onmessage?.({ data: JSON.stringify({ type: 'stats', t: 1000 * i, engines }) }));
    }
    await waitFor(() => expect(screen.getByTestId('ingest-rate')).toHaveTextContent('1k/s'));
    expect(rowRenders.n).toBe(before);
  });

  it('expands one row to every value and the whole original log, rendering only that row', async () => {
    fakeServer();
    renderPage('?last=24h');
    await rowsShown();
    const before = rowRenders.n;
    fireEvent.click(screen.getByRole('button', { name: 'Show row 2026-12-02:3' }));
    const details = await screen.findByLabelText('Row details');
    expect(within(details).getByText(rangePage.rows[0][4] as string, { selector: 'dd' })).toBeInTheDocument();
    expect(within(details).getByText('date')).toBeInTheDocument();
    expect(rowRenders.n).toBe(before + 1);
  });
});

describe('BrowsePage URL state', () => {
  it('restores a shared search from the URL and asks logs, histogram and CSV for the same selection', async () => {
    const calls = fakeServer();
    renderPage('?last=24h&q=alice&match=word&filter=user%3Dbob&order=asc&limit=500');
    await rowsShown();
    const sel = 'last=24h&q=alice&match=word&filter=user%3Dbob';
    expect(calls.logs).toEqual([`${sel}&order=asc&limit=500`]);
    expect(calls.histogram).toEqual([sel]);
    expect(screen.getByRole('link', { name: 'Download CSV' })).toHaveAttribute('href', `/api/v1/engines/e1/export.csv?${sel}`);
    expect(screen.getByLabelText('Search')).toHaveValue('alice');
    expect(screen.getByLabelText('Filter user')).toHaveValue('bob');
    expect(screen.getByTestId('match-count')).toHaveTextContent('at least 12,345 matches');
    expect(within(table()).getByRole('columnheader', { name: 'date' })).toBeInTheDocument();
  });

  it('keeps an old ?date=&q= link working with its substring meaning', async () => {
    const calls = fakeServer();
    renderPage('?date=2026-12-01&q=alice');
    await rowsShown();
    expect(calls.logs).toEqual(['date=2026-12-01&q=alice&match=substring&limit=100']);
  });

  it('writes typed filters to the URL, and zooms to the dragged buckets and back', async () => {
    const calls = fakeServer();
    renderPage('?date=2026-12-02');
    await rowsShown();
    fireEvent.change(screen.getByLabelText('Filter user'), { target: { value: 'bob' } });
    fireEvent.click(screen.getByRole('button', { name: 'Exact match user' }));
    await waitFor(() => expect(screen.getByTestId('search')).toHaveTextContent('?date=2026-12-02&filter=user%3Dbob'));
    await waitFor(() => expect(calls.logs.at(-1)).toBe('date=2026-12-02&filter=user%3Dbob&limit=100'));

    fireEvent.click(screen.getByTestId('histogram'));
    await waitFor(() => expect(calls.logs.at(-1)).toBe('start=2026-12-02T14%3A05%3A00&end=2026-12-02T14%3A07%3A59&filter=user%3Dbob&limit=100'));
    expect(calls.histogram.at(-1)).toBe('start=2026-12-02T14%3A05%3A00&end=2026-12-02T14%3A07%3A59&filter=user%3Dbob');
    fireEvent.click(screen.getByRole('button', { name: 'Reset zoom' }));
    await waitFor(() => expect(screen.getByTestId('search')).toHaveTextContent('?date=2026-12-02&filter=user%3Dbob'));
    expect(screen.queryByRole('button', { name: 'Reset zoom' })).toBeNull();
  });

  it('picks a relative range, then a date-time range over two days, from the Time select', async () => {
    const calls = fakeServer();
    renderPage();
    await rowsShown();
    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Time' }));
    fireEvent.click(await screen.findByRole('option', { name: 'Last 15 minutes' }));
    await waitFor(() => expect(calls.logs.at(-1)).toBe('last=15m&limit=100'));
    fireEvent.mouseDown(screen.getByRole('combobox', { name: 'Time' }));
    fireEvent.click(await screen.findByRole('option', { name: 'Date-time range' }));
    await waitFor(() => expect(screen.getByTestId('search')).toHaveTextContent('?start=2026-12-02T00%3A00&end=2026-12-02T23%3A59'));
    fireEvent.change(screen.getByLabelText('End'), { target: { value: '2026-12-03T06:30' } });
    await waitFor(() => expect(calls.logs.at(-1)).toBe('start=2026-12-02T00%3A00&end=2026-12-03T06%3A30&limit=100'));
  });

  it('searches words by default, substrings on request, and sorts oldest first', async () => {
    const calls = fakeServer();
    renderPage();
    await rowsShown();
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'alice' } });
    await waitFor(() => expect(calls.logs.at(-1)).toBe('q=alice&match=word&limit=100'));
    fireEvent.click(screen.getByRole('button', { name: 'Substring' }));
    await waitFor(() => expect(calls.logs.at(-1)).toBe('q=alice&match=substring&limit=100'));
    fireEvent.click(screen.getByRole('button', { name: 'Oldest first' }));
    await waitFor(() => expect(calls.logs.at(-1)).toBe('q=alice&match=substring&order=asc&limit=100'));
    expect(calls.histogram.at(-1)).toBe('q=alice&match=substring');
    expect(screen.getByTestId('search')).toHaveTextContent('?q=alice&match=substring&order=asc');
  });
});
