// Starts the real logsieve server for the e2e suite and prepares two admins:
// `admin` (password changed via the API to a known one) and `forced` (must change
// its password at first login, for the forced-change spec).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_PASSWORD, FORCED_PASSWORD, STATE_FILE, artifacts, type E2EState } from './state';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last ?? '')}`);
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(base + '/api/v1' + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export default async function globalSetup() {
  const bin = process.env.LOGSIEVE_BIN;
  if (!bin) throw new Error('LOGSIEVE_BIN must be the absolute path of the built logsieve binary (make test-e2e sets it)');
  mkdirSync(artifacts, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'logsieve-e2e-'));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = { ...process.env, LOGSIEVE_DEMO: '0' };
  delete env.LOGSIEVE_ADMIN_PASSWORD;
  delete env.LOGSIEVE_CONFIG;
  delete env.LOGSIEVE_DATA;
  delete env.LOGSIEVE_HTTP_ADDR;
  const log = createWriteStream(join(artifacts, `server-${port}.log`));
  const proc = spawn(bin, ['serve', '--data', data, '--http', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  let exited: string | null = null;
  proc.on('exit', (code, sig) => {
    exited = `server exited (code ${code}, signal ${sig}); see e2e/artifacts/server-${port}.log`;
  });

  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          proc.kill('SIGKILL');
          r(null);
        }, 10_000);
        proc.once('exit', () => {
          clearTimeout(t);
          r(null);
        });
      });
    }
    rmSync(data, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'GET /healthz',
      async () => {
        if (exited) throw new Error(exited);
        const r = await fetch(baseURL + '/healthz');
        return r.ok ? true : undefined;
      },
      60_000,
    );
    const initial = readFileSync(join(data, 'initial-admin-password'), 'utf8').trim();
    const login = await call(baseURL, 'POST', '/auth/login', { username: 'admin', password: initial });
    if (!login.user?.must_change_password) throw new Error('admin with a generated password must have must_change_password');
    const changed = await call(baseURL, 'POST', '/auth/password', { current: initial, new: ADMIN_PASSWORD }, login.token);
    const token = changed?.token ?? (await call(baseURL, 'POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD })).token;
    await call(baseURL, 'POST', '/users', { username: 'forced', password: FORCED_PASSWORD, role: 'admin', must_change_password: true }, token);
    const state: E2EState = { baseURL, dataDir: data, initialPassword: initial };
    writeFileSync(STATE_FILE, JSON.stringify(state));
    process.env.E2E_BASE_URL = baseURL;
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}
