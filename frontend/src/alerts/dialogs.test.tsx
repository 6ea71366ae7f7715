import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Channel, Rule } from '../api/types';
import { ChannelDialog } from './ChannelDialog';
import { RuleDialog } from './RuleDialog';

// MUI dialogs render slowly in jsdom on a loaded machine (the rule dialog's create test
// takes ~10 s alone, 30 s with the machine's load at 10): give waits and tests room.
configure({ asyncUtilTimeout: 10_000 });
vi.setConfig({ testTimeout: 60_000 });

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

type Answer = (body: Record<string, unknown>) => Response;

// fakeServer answers the lists the dialogs load and records the bodies written; answer
// decides the reply to a write (201 echo by default).
function fakeServer(answer?: Answer) {
  const writes: { method: string; url: string; body: Record<string, unknown> }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (method === 'GET') {
        if (url === '/api/v1/engines') return json([{ name: 'fw', class: 'c1', syslog_header: 'auto', state: 'running' }]);
        if (url === '/api/v1/classes') return json([{ name: 'c1', patterns: {}, keys: ['user'], columns: ['user'], engines: ['fw'] }]);
        if (url === '/api/v1/alerts/channels') return json([{ name: 'ops-hook', type: 'webhook', enabled: true, url: 'http://x', secret_set: false }]);
        return json({ error: `unexpected GET ${url}` }, 404);
      }
      const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
      writes.push({ method, url, body });
      return answer ? answer(body) : json(body, method === 'POST' ? 201 : 200);
    }),
  );
  return writes;
}

function wrap(node: ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(<QueryClientProvider client={qc}>{node}</QueryClientProvider>);
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const field = (label: RegExp | string) => screen.getByLabelText(label) as HTMLInputElement;

describe('RuleDialog', () => {
  it('sends the rule built from the form', async () => {
    const writes = fakeServer();
    const onClose = vi.fn();
    wrap(<RuleDialog onClose={onClose} />);
    fireEvent.change(field(/^Name/), { target: { value: 'pppoe' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    fireEvent.change(field('Column 1'), { target: { value: 'user' } });
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Operator 1/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'is one of' }));
    fireEvent.change(field('Values 1'), { target: { value: 'alice\nbob' } });
    fireEvent.change(field(/^At least/), { target: { value: '3' } });
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Channels/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'ops-hook' }));
    fireEvent.keyDown(screen.getByRole('listbox'), { key: 'Escape' });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onClose).toHaveBeenCalledWith('pppoe'));
    expect(writes).toHaveLength(1);
    expect(writes[0].url).toBe('/api/v1/alerts/rules');
    expect(writes[0].body).toMatchObject({
      name: 'pppoe',
      engine: '',
      kind: 'log',
      when: [{ column: 'user', op: 'in', value: ['alice', 'bob'] }],
      count: 3,
      window_s: 60,
      channels: ['ops-hook'],
    });
  });

  it('shows a server error on the condition field it names', async () => {
    fakeServer(() => json({ error: 'unknown column "usr" of engine "fw"', field: 'when[1].column' }, 400));
    const rule: Rule = {
      name: 'r1',
      engine: 'fw',
      kind: 'log',
      when: [
        { column: 'user', op: 'equals', value: 'bob' },
        { column: 'usr', op: 'contains', value: 'x' },
      ],
      channels: [],
      firing: false,
      last_fired_at: null,
      fired_total: 0,
      suppressed_total: 0,
    };
    const onClose = vi.fn();
    wrap(<RuleDialog rule={rule} onClose={onClose} />);
    expect(field(/^Name/)).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const row = within(await screen.findByTestId('condition-1'));
    await waitFor(() => expect(row.getByLabelText('Column 2')).toHaveAttribute('aria-invalid', 'true'));
    // on the field only, not repeated above the form
    expect(screen.getByText('unknown column "usr" of engine "fw"')).toBeInTheDocument();
    expect(row.getByText('unknown column "usr" of engine "fw"')).toBeInTheDocument();
    expect(within(screen.getByTestId('condition-0')).getByLabelText('Column 1')).toHaveAttribute('aria-invalid', 'false');
    expect(onClose).not.toHaveBeenCalled();
  });

  it('does not send a form with problems and shows them', async () => {
    const writes = fakeServer();
    wrap(<RuleDialog onClose={vi.fn()} />);
    fireEvent.change(field(/^Name/), { target: { value: 'r1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('Add a condition or a word')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Add condition' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(field('Column 1')).toHaveAttribute('aria-invalid', 'true'));
    expect(field('Value 1')).toHaveAttribute('aria-invalid', 'true');
    expect(writes).toHaveLength(0);
  });
});

describe('ChannelDialog', () => {
  const hook: Channel = { name: 'ops-hook', type: 'webhook', enabled: true, url: 'http://127.0.0.1:1/x', headers: { 'X-Team': 'ops' }, secret_set: true };

  it('never shows a stored secret, says it is set, and keeps it when left empty', async () => {
    const writes = fakeServer();
    const onClose = vi.fn();
    wrap(<ChannelDialog channel={hook} onClose={onClose} />);
    expect(field(/^New secret/).value).toBe('');
    expect(screen.getByTestId('secret-state')).toHaveTextContent('set');
    expect(screen.getByRole('combobox', { name: /Type/ })).toHaveAttribute('aria-disabled', 'true');
    expect(field('Header 1 name').value).toBe('X-Team');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onClose).toHaveBeenCalledWith('ops-hook'));
    expect(writes[0]).toMatchObject({ method: 'PUT', url: '/api/v1/alerts/channels/ops-hook' });
    expect(writes[0].body).toEqual({ name: 'ops-hook', type: 'webhook', enabled: true, url: 'http://127.0.0.1:1/x', headers: { 'X-Team': 'ops' } });
  });

  it('sends a replaced secret and shows a server error on its field', async () => {
    const writes = fakeServer((b) => (b.url === 'http://bad' ? json({ error: 'url: host "bad" does not resolve', field: 'url' }, 400) : json(b)));
    const onClose = vi.fn();
    wrap(<ChannelDialog channel={hook} onClose={onClose} />);
    fireEvent.change(field(/^New secret/), { target: { value: 'n3w' } });
    fireEvent.change(field(/^URL/), { target: { value: 'http://bad' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(field(/^URL/)).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByText('url: host "bad" does not resolve')).toBeInTheDocument();
    expect(writes[0].body.secret).toBe('n3w');
    expect(onClose).not.toHaveBeenCalled();
  });

  it('shows the fields of the chosen type', async () => {
    const writes = fakeServer();
    const onClose = vi.fn();
    wrap(<ChannelDialog onClose={onClose} />);
    fireEvent.change(field(/^Name/), { target: { value: 'mail' } });
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Type/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'Email (SMTP)' }));
    expect(screen.queryByLabelText(/^URL/)).toBeNull();
    expect(field(/^Port/).value).toBe('587');
    fireEvent.change(field(/^SMTP host/), { target: { value: 'smtp.example.com' } });
    fireEvent.change(field(/^Password/), { target: { value: 'pw' } });
    fireEvent.change(field(/^From/), { target: { value: 'alerts@example.com' } });
    fireEvent.change(field(/^To/), { target: { value: 'a@example.com\nb@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(onClose).toHaveBeenCalledWith('mail'));
    expect(writes[0].body).toEqual({
      name: 'mail',
      type: 'email',
      enabled: true,
      host: 'smtp.example.com',
      port: 587,
      tls: 'starttls',
      username: '',
      password: 'pw',
      from: 'alerts@example.com',
      to: ['a@example.com', 'b@example.com'],
    });
  });
});
