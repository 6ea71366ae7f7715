// Test fixture: baseURL of the server started by the global setup, plus login helpers.
import { test as base, expect, type APIRequestContext, type Page } from '@playwright/test';
import { join } from 'node:path';
import { ADMIN_PASSWORD, artifacts, e2eState } from './state';

export const test = base.extend({
  baseURL: async ({}, use) => {
    // the global setup exports E2E_BASE_URL to the workers; the state file is the fallback
    await use(process.env.E2E_BASE_URL || e2eState().baseURL);
  },
});
export { expect };

/** apiToken logs in through the API and returns a bearer token. */
export async function apiToken(request: APIRequestContext, username = 'admin', password = ADMIN_PASSWORD): Promise<string> {
  const r = await request.post('/api/v1/auth/login', { data: { username, password } });
  expect(r.status(), await r.text()).toBe(200);
  return (await r.json()).token;
}

/** loginUI signs in through the login form and waits for the engines page. */
export async function loginUI(page: Page, username = 'admin', password = ADMIN_PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Engines' })).toBeVisible();
}

export function shot(name: string) {
  return join(artifacts, `${name}.png`);
}
