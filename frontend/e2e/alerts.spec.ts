// Alerts end to end against the real server: a webhook channel pointed at a receiver in this
// test (signature checked), "Send test", a rule whose unknown column is reported on its
// field, UDP logs that fire the rule -> history row with its delivery, firing state and
// counts, the badge on the engines list and engine page, the browse link; then a viewer
// sees it all read-only.
import { createHmac } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { APIRequestContext, Page } from '@playwright/test';
import { apiToken, expect, loginUI, shot, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const CLASS = 'e2e_alert';
const ENGINE = 'e2e-alert';
const CHANNEL = 'e2e-hook';
const RULE = 'e2e-panic';
const SECRET = 'e2e-webhook-secret';
const VIEWER = { username: 'alert-watcher', password: 'alert-watcher-pass-1' };

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const received: Received[] = [];
let receiver: Server;
let hookURL = '';
let udpPort = 0;
let page: Page;
let auth: Record<string, string> = {};
const sock = createSocket('udp4');
let sender: ReturnType<typeof setInterval> | undefined;

function startReceiver(): Promise<Server> {
  return new Promise((resolve) => {
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

const signature = (body: string) => 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');

/** signedAlerts are the received POSTs with a valid signature whose body is an alert of RULE. */
function signedAlerts(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const r of received) {
    if (r.headers['x-logsieve-signature'] !== signature(r.body)) continue;
    try {
      const b = JSON.parse(r.body) as Record<string, unknown>;
      if (b.rule === RULE) out.push(b);
    } catch {
      // not JSON: not an alert
    }
  }
  return out;
}

async function apiDelete(request: APIRequestContext, path: string) {
  await request.delete(`/api/v1${path}`, { headers: auth }).catch(() => undefined);
}

test.beforeAll(async ({ browser, baseURL, request }) => {
  receiver = await startReceiver();
  const addr = receiver.address();
  hookURL = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  udpPort = await freeUdpPort();
  auth = { Authorization: `Bearer ${await apiToken(request)}` };
  let r = await request.post('/api/v1/classes', { headers: auth, data: { name: CLASS, patterns: { user: 'user=(\\w+)' } } });
  expect(r.status(), await r.text()).toBe(201);
  r = await request.post('/api/v1/engines', { headers: auth, data: { name: ENGINE, class: CLASS, bind: '127.0.0.1', port: udpPort, timezone: 'UTC' } });
  expect(r.status(), await r.text()).toBe(201);
  r = await request.post('/api/v1/users', { headers: auth, data: { ...VIEWER, role: 'viewer', must_change_password: false } });
  expect([200, 201, 409]).toContain(r.status());
  page = await browser.newPage({ baseURL });
  await loginUI(page);
});

test.afterAll(async ({ request }) => {
  if (sender) clearInterval(sender);
  sock.close();
  await page?.close();
  await apiDelete(request, `/alerts/rules/${RULE}`);
  await apiDelete(request, `/alerts/channels/${CHANNEL}`);
  await apiDelete(request, `/engines/${ENGINE}?purge=true`);
  await apiDelete(request, `/classes/${CLASS}`);
  await new Promise((r) => receiver?.close(r));
});

test('admin creates a webhook channel; the secret is write-only and "Send test" reaches the receiver signed', async () => {
  await page.getByRole('link', { name: 'Alerts' }).click();
  await expect(page.getByRole('heading', { name: 'Alerts' })).toBeVisible();
  await page.getByRole('tab', { name: 'Channels' }).click();
  await expect(page).toHaveURL(/\/alerts\/channels$/);
  await page.getByRole('button', { name: 'Create channel' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('Name').fill(CHANNEL);
  await dlg.getByLabel('URL').fill(hookURL);
  await dlg.getByLabel('Secret').fill(SECRET);
  await dlg.getByRole('button', { name: 'Add header' }).click();
  await dlg.getByLabel('Header 1 name').fill('X-E2E');
  await dlg.getByLabel('Header 1 value').fill('alerts');
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg).toHaveCount(0);
  const row = page.getByTestId(`channel-row-${CHANNEL}`);
  await expect(row).toContainText(hookURL);
  await expect(row.getByTestId('secret-state')).toHaveText('secret set');

  // editing shows only that a secret is set, never the secret
  await row.getByRole('button', { name: `Edit channel ${CHANNEL}` }).click();
  await expect(dlg.getByLabel('New secret')).toHaveValue('');
  await expect(dlg.getByTestId('secret-state')).toHaveText('set');
  await expect(dlg.getByLabel('Header 1 value')).toHaveValue('alerts');
  expect(await page.content()).not.toContain(SECRET);
  await dlg.getByRole('button', { name: 'Cancel' }).click();

  const before = received.length;
  await row.getByRole('button', { name: `Send test to ${CHANNEL}` }).click();
  await expect(page.getByTestId('test-result')).toContainText(`Test of ${CHANNEL}: sent`, { timeout: 30_000 });
  await expect.poll(() => received.length).toBeGreaterThan(before);
  const probe = received[received.length - 1];
  expect(probe.headers['x-logsieve-signature']).toBe(signature(probe.body));
  expect(probe.headers['x-e2e']).toBe('alerts');
  await page.screenshot({ path: shot('alerts-channels'), fullPage: true });
});

test('a rule on an unknown column is reported on that column; the fixed rule is listed', async () => {
  await page.getByRole('tab', { name: 'Rules' }).click();
  await page.getByRole('button', { name: 'Create rule' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('Name').fill(RULE);
  await dlg.getByRole('combobox', { name: 'Engine' }).click();
  await page.getByRole('option', { name: ENGINE, exact: true }).click();
  await dlg.getByRole('button', { name: 'Add condition' }).click();
  await dlg.getByLabel('Column 1').fill('no_such_column');
  await dlg.getByLabel('Value 1').fill('x');
  await dlg.getByLabel('Word').fill('panic');
  await dlg.getByLabel('At least (rows)').fill('3');
  await dlg.getByLabel('Cooldown (s)').fill('600');
  await dlg.getByRole('combobox', { name: 'Channels' }).click();
  await page.getByRole('option', { name: CHANNEL }).click();
  await page.keyboard.press('Escape');
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg.getByLabel('Column 1')).toHaveAttribute('aria-invalid', 'true');
  await page.screenshot({ path: shot('alerts-rule-field-error') });

  // the word alone, grouped by user
  await dlg.getByRole('button', { name: 'Remove condition 1' }).click();
  await dlg.getByLabel('Group by').fill('user');
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg).toHaveCount(0);
  const row = page.getByTestId(`rule-row-${RULE}`);
  await expect(row).toContainText('word "panic"');
  await expect(row).toContainText('≥ 3 in 60 s per user');
  await expect(row.getByTestId('rule-state')).toHaveText('ok');
});

test('a health rule takes its condition and threshold; it is switched off and deleted from the list', async () => {
  const name = 'e2e-disk';
  await page.getByRole('button', { name: 'Create rule' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('Name').fill(name);
  await dlg.getByRole('combobox', { name: 'Kind' }).click();
  await page.getByRole('option', { name: 'Health rule' }).click();
  await expect(dlg.getByLabel('Word')).toHaveCount(0);
  await dlg.getByRole('combobox', { name: 'Condition' }).click();
  await page.getByRole('option', { name: 'Disk free below' }).click();
  await dlg.getByLabel('Disk free below (%)').fill('1');
  await dlg.getByRole('combobox', { name: 'Channels' }).click();
  await page.getByRole('option', { name: CHANNEL }).click();
  await page.keyboard.press('Escape');
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg).toHaveCount(0);
  const row = page.getByTestId(`rule-row-${name}`);
  await expect(row).toContainText('Disk free below 1 %');
  await expect(row).toContainText('all');

  await row.getByRole('switch', { name: `Enable rule ${name}` }).uncheck();
  await expect(row.getByTestId('rule-state')).toHaveText('disabled');
  await row.getByRole('button', { name: `Edit rule ${name}` }).click();
  await expect(dlg.getByLabel('Disk free below (%)')).toHaveValue('1');
  await expect(dlg.getByLabel('Enabled')).not.toBeChecked();
  await dlg.getByRole('button', { name: 'Cancel' }).click();

  await row.getByRole('button', { name: `Delete rule ${name}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(row).toHaveCount(0);
});

test('UDP logs fire the rule: signed webhook, history row, firing state, engine badges, browse link', async () => {
  let seq = 0;
  sender = setInterval(() => {
    for (let i = 0; i < 3; i++) sock.send(`<11>e2e kernel panic user=alice seq=${seq++}`, udpPort, '127.0.0.1');
    sock.send(`<14>e2e all good user=bob seq=${seq++}`, udpPort, '127.0.0.1');
  }, 500);

  await expect.poll(() => signedAlerts().length, { timeout: 60_000 }).toBeGreaterThan(0);
  const alert = signedAlerts()[0];
  expect(alert).toMatchObject({ rule: RULE, engine: ENGINE, group: 'alice' });
  expect(Number(alert.count)).toBeGreaterThanOrEqual(3);

  await page.getByRole('tab', { name: 'History' }).click();
  const hist = page.getByRole('table', { name: 'Alert history' });
  const first = hist.getByTestId('history-row').filter({ hasText: RULE }).first();
  await expect(first).toBeVisible({ timeout: 30_000 });
  await expect(first).toContainText(ENGINE);
  await expect(first).toContainText('alice');
  await expect(first.getByTestId('alert-delivery')).toContainText(`${CHANNEL}: sent`, { timeout: 30_000 });
  await first.getByRole('button', { name: /^Rows of alert / }).click();
  await expect(hist.getByText(/kernel panic user=alice/).first()).toBeVisible();
  await page.screenshot({ path: shot('alerts-history'), fullPage: true });

  // one alert per cooldown per group: more matching rows are suppressed, not sent
  await page.getByRole('tab', { name: 'Rules' }).click();
  const row = page.getByTestId(`rule-row-${RULE}`);
  await expect(row.getByTestId('rule-state')).toHaveText('firing');
  await expect(row.getByTestId('fired-total')).toHaveText('1');

  await page.getByRole('link', { name: 'Engines' }).click();
  await expect(page.getByTestId(`engine-row-${ENGINE}`).getByTestId('alert-badge')).toHaveText('1 firing');
  await page.goto(`/engines/${ENGINE}`);
  await expect(page.locator('main h1').getByTestId('alert-badge')).toBeVisible();
  await page.screenshot({ path: shot('alerts-engine-badge'), fullPage: true });

  // the badge leads to the engine's history; its browse link to the rows
  await page.locator('main h1').getByTestId('alert-badge').click();
  await expect(page).toHaveURL(new RegExp(`/alerts/history\\?engine=${ENGINE}$`));
  await page.getByRole('link', { name: /^Browse logs of alert / }).first().click();
  await expect(page).toHaveURL(new RegExp(`/engines/${ENGINE}/logs\\?`));
  await expect(page.getByRole('table', { name: 'Logs' }).getByRole('cell', { name: 'alice', exact: true }).first()).toBeVisible();
  clearInterval(sender);
  sender = undefined;

  // the deliveries of the channel list the alert's attempt
  await page.goto('/alerts/channels');
  await page.getByRole('button', { name: `Deliveries of channel ${CHANNEL}` }).click();
  const deliveries = page.getByRole('table', { name: `Deliveries of ${CHANNEL}` });
  await expect(deliveries.getByRole('row').filter({ hasText: RULE }).first()).toContainText('sent');
});

test('a viewer sees rules, channels and history read-only', async ({ browser, baseURL }) => {
  const viewer = await browser.newPage({ baseURL });
  await loginUI(viewer, VIEWER.username, VIEWER.password);
  await expect(viewer.getByTestId(`engine-row-${ENGINE}`).getByTestId('alert-badge')).toBeVisible();
  await viewer.goto('/alerts/rules');
  await expect(viewer.getByTestId(`rule-row-${RULE}`)).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Create rule' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /^(Edit|Delete) rule / })).toHaveCount(0);
  await expect(viewer.getByRole('switch', { name: /^Enable rule / })).toHaveCount(0);

  await viewer.getByRole('tab', { name: 'Channels' }).click();
  await expect(viewer.getByTestId(`channel-row-${CHANNEL}`)).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Create channel' })).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /^(Edit channel|Delete channel|Send test to) / })).toHaveCount(0);
  await viewer.getByRole('button', { name: `Deliveries of channel ${CHANNEL}` }).click();
  await expect(viewer.getByRole('table', { name: `Deliveries of ${CHANNEL}` })).toBeVisible();

  await viewer.getByRole('tab', { name: 'History' }).click();
  await expect(viewer.getByTestId('history-row').filter({ hasText: RULE }).first()).toBeVisible();
  await viewer.screenshot({ path: shot('alerts-viewer'), fullPage: true });
  await viewer.close();
});

test('at 375 px wide the alerts pages do not scroll horizontally', async () => {
  await page.setViewportSize({ width: 375, height: 800 });
  for (const path of ['/alerts/rules', '/alerts/channels', '/alerts/history']) {
    await page.goto(path);
    await expect(page.locator('main h1')).toBeVisible();
    await page.waitForLoadState('networkidle').catch(() => {});
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
    expect(scroll, `horizontal scroll on ${path}`).toBeLessThanOrEqual(inner);
  }
});
