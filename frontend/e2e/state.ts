// Shared state between the global setup and the specs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const artifacts = join(dirname(fileURLToPath(import.meta.url)), 'artifacts');
export const STATE_FILE = join(artifacts, 'state.json');
export const ADMIN_PASSWORD = 'e2e-admin-password-1';
export const FORCED_PASSWORD = 'forced-initial-pass';

export interface E2EState {
  baseURL: string;
  dataDir: string;
  initialPassword: string;
}

export function e2eState(): E2EState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as E2EState;
}
