import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineDialog } from './EngineDialog';

// MUI dialogs render slowly in jsdom on a loaded machine: give waits and tests room.
configure({ asyncUtilTimeout: 5000 });
vi.setConfig({ testTimeout: 30_000 });

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const tlsInfo = {
  source: 'self-signed',
  subject: 'CN=logsieve-host,O=logsieve self-signed',
  fingerprint_sha256: 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  not_before: '2026-01-01T00:00:00Z',
  not_after: '2036-01-01T00:00:00Z',
};

// fakeServer answers the dialog's requests and records the bodies of POST /engines; a
// POST whose tls_client_ca is "bad.pem" gets the server's 400 naming the field.
function fakeServer(settings: { status: number; body: unknown }) {
  const posts: Record<string, unknown>[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (url === '/api/v1/settings' && method === 'GET') return json(settings.body, settings.status);
      if (url === '/api/v1/classes' && method === 'GET') return json([{ name: 't1', patterns: { msg: 'msg=(\\S+)' }, keys: ['msg'], columns: [], engines: [] }]);
      if (url === '/api/v1/tls' && method === 'GET') return json(tlsInfo);
      if (url === '/api/v1/engines' && method === 'POST') {
        const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
        posts.push(body);
        if (body.tls_client_ca === 'bad.pem') return json({ error: 'client CA file "bad.pem" holds no PEM certificate', field: 'tls_client_ca' }, 400);
        return json({ ...body, state: 'running' }, 201);
      }
      return json({ error: `unexpected ${method} ${url}` }, 404);
    }),
  );
  return posts;
}

function renderDialog(onClose = vi.fn()) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <EngineDialog open onClose={onClose} />
    </QueryClientProvider>,
  );
  return onClose;
}

async function fillRequired() {
  fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'edge' } });
  fireEvent.mouseDown(screen.getByRole('combobox', { name: /Class/ }));
  fireEvent.click(await screen.findByRole('option', { name: 't1' }));
  fireEvent.change(screen.getByLabelText(/^UDP port/), { target: { value: '5514' } });
}

const retentionField = () => screen.getByLabelText(/^Retention days/) as HTMLInputElement;
const keepForever = () => screen.getByLabelText('Keep logs forever') as HTMLInputElement;

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('EngineDialog retention', () => {
  it('shows the server default and sends it', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30, min_free_percent: 5 } });
    const onClose = renderDialog();
    await waitFor(() => expect(retentionField().value).toBe('30'));
    expect(keepForever().checked).toBe(false);
    expect(screen.queryByTestId('keep-forever-warning')).toBeNull();
    await fillRequired();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).toMatchObject({ name: 'edge', class: 't1', port: 5514, retention_days: 30 });
    await waitFor(() => expect(onClose).toHaveBeenCalledWith('edge'));
  });

  it('sends 0 only when keep-forever is chosen, and warns about it', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await waitFor(() => expect(retentionField().value).toBe('30'));
    await fillRequired();
    fireEvent.click(keepForever());
    expect(keepForever().checked).toBe(true);
    expect(screen.getByTestId('keep-forever-warning')).toHaveTextContent(/never deleted/);
    expect(retentionField()).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].retention_days).toBe(0);
  });

  it('turning keep-forever off again restores a number of days and hides the warning', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await waitFor(() => expect(retentionField().value).toBe('30'));
    await fillRequired();
    fireEvent.click(keepForever());
    fireEvent.click(keepForever());
    expect(screen.queryByTestId('keep-forever-warning')).toBeNull();
    expect(retentionField().value).toBe('30');
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].retention_days).toBe(30);
  });

  it('does not take a typed 0 or an empty field as keep-forever', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await waitFor(() => expect(retentionField().value).toBe('30'));
    await fillRequired();
    const create = screen.getByRole('button', { name: 'Create' });
    for (const v of ['0', '']) {
      fireEvent.change(retentionField(), { target: { value: v } });
      expect(retentionField()).toHaveAttribute('aria-invalid', 'true');
      expect(create).toBeDisabled();
    }
    fireEvent.change(retentionField(), { target: { value: '7' } });
    expect(create).toBeEnabled();
    fireEvent.click(create);
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].retention_days).toBe(7);
  });

  it('leaves retention to the server when the settings cannot be read', async () => {
    const posts = fakeServer({ status: 500, body: { error: 'boom' } });
    renderDialog();
    await screen.findByText(/server default applies/);
    await fillRequired();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).not.toHaveProperty('retention_days');
  });

  it('shows a server default of keep-forever with the warning', async () => {
    fakeServer({ status: 200, body: { default_retention_days: 0 } });
    renderDialog();
    await waitFor(() => expect(keepForever().checked).toBe(true));
    expect(screen.getByTestId('keep-forever-warning')).toBeVisible();
  });
});

describe('EngineDialog protocol', () => {
  it('creates a udp engine without the tcp limits by default', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await fillRequired();
    expect(screen.queryByTestId('tcp-limits')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].protocol).toBe('udp');
    expect(posts[0]).not.toHaveProperty('max_connections');
  });

  it('sends tcp with its limits, and refuses nonsense limits', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await fillRequired();
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Protocol/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'TCP' }));
    expect(screen.getByLabelText(/^TCP port/)).toHaveValue(5514);
    const bytes = screen.getByLabelText(/^Max message bytes/) as HTMLInputElement;
    const conns = screen.getByLabelText(/^Max connections/) as HTMLInputElement;
    expect(bytes.value).toBe('65536');
    expect(conns.value).toBe('1024');
    const create = screen.getByRole('button', { name: 'Create' });
    fireEvent.change(conns, { target: { value: '0' } });
    expect(conns).toHaveAttribute('aria-invalid', 'true');
    expect(create).toBeDisabled();
    fireEvent.change(conns, { target: { value: '20' } });
    fireEvent.change(bytes, { target: { value: '100' } });
    expect(create).toBeDisabled();
    fireEvent.change(bytes, { target: { value: '8192' } });
    expect(create).toBeEnabled();
    fireEvent.click(create);
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).toMatchObject({ protocol: 'tcp', port: 5514, max_message_bytes: 8192, max_connections: 20 });
  });
});

describe('EngineDialog TLS', () => {
  it('asks for the client CA, shows the server fingerprint with a copy button and sends tls', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderDialog();
    await fillRequired();
    expect(screen.queryByTestId('tls-fields')).toBeNull();
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Protocol/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'TLS' }));
    expect(screen.getByTestId('tcp-limits')).toBeVisible(); // a stream like tcp
    expect(await screen.findByText(tlsInfo.fingerprint_sha256)).toBeVisible();
    expect(screen.getByTestId('tls-certificate')).toHaveTextContent(/self-signed.*2036-01-01/);
    fireEvent.click(screen.getByRole('button', { name: 'Copy fingerprint' }));
    expect(writeText).toHaveBeenCalledWith(tlsInfo.fingerprint_sha256);
    const ca = screen.getByLabelText(/^Client CA file/);
    fireEvent.change(ca, { target: { value: 'bad.pem' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText(/holds no PEM certificate/)).toBeVisible();
    expect(ca).toHaveAttribute('aria-invalid', 'true');
    fireEvent.change(ca, { target: { value: ' /etc/logsieve/senders-ca.pem ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(2));
    expect(posts[1]).toMatchObject({ protocol: 'tls', port: 5514, tls_client_ca: '/etc/logsieve/senders-ca.pem', max_connections: 1024 });
  });

  it('sends no tls_client_ca for udp', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await fillRequired();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0]).not.toHaveProperty('tls_client_ca');
  });
});

describe('EngineDialog syslog header', () => {
  it('creates an engine with syslog_header auto by default and explains the mode', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await fillRequired();
    const header = screen.getByRole('combobox', { name: /Syslog header/ });
    expect(header).toHaveTextContent('Auto');
    expect(screen.getByText(/RFC 5424, else RFC 3164/)).toBeVisible();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].syslog_header).toBe('auto');
  });

  it('sends the chosen mode, with its help text', async () => {
    const posts = fakeServer({ status: 200, body: { default_retention_days: 30 } });
    renderDialog();
    await fillRequired();
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Syslog header/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'None' }));
    expect(screen.getByText(/No header columns/)).toBeVisible();
    fireEvent.mouseDown(screen.getByRole('combobox', { name: /Syslog header/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'RFC 5424' }));
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].syslog_header).toBe('rfc5424');
  });

  it('puts a 400 on syslog_header under the select', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init?: RequestInit) => {
        const method = init?.method ?? 'GET';
        if (url === '/api/v1/settings') return json({ default_retention_days: 30 });
        if (url === '/api/v1/classes') return json([{ name: 't1', patterns: { host: 'h=(\\S+)' }, keys: ['host'], columns: [], engines: [] }]);
        if (url === '/api/v1/engines' && method === 'POST')
          return json({ error: 'class "t1" has key "host", which is a syslog header column', field: 'syslog_header' }, 400);
        return json({ error: `unexpected ${method} ${url}` }, 404);
      }),
    );
    const onClose = renderDialog();
    await fillRequired();
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText(/which is a syslog header column/)).toBeVisible();
    expect(screen.getByRole('combobox', { name: /Syslog header/ })).toHaveAttribute('aria-invalid', 'true');
    expect(onClose).not.toHaveBeenCalled();
  });
});
