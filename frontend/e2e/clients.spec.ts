// Known senders: add a client on the engine page, then see senders it does not match
// rejected and counted, the matched rows counted per client, and engine events live.
import { createSocket, type Socket } from 'node:dgram';
import { apiToken, expect, loginUI, shot, test } from './fixtures';

const CLASS = 'e2e_clients';
const ENGINE = 'e2e-clients';

function bound(address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => resolve(s));
  });
}

function freeUdpPort(): Promise<number> {
  return bound('127.0.0.1').then(
    (s) =>
      new Promise((resolve) => {
        const port = s.address().port;
        s.close(() => resolve(port));
      }),
  );
}

function send(s: Socket, port: number, lines: string[]): Promise<void> {
  return Promise.all(lines.map((l) => new Promise<void>((res, rej) => s.send(l, port, '127.0.0.1', (e) => (e ? rej(e) : res()))))).then(() => undefined);
}

test('add a client and see unknown senders rejected and counted', async ({ page, request }) => {
  const token = await apiToken(request);
  const auth = { Authorization: `Bearer ${token}` };
  const port = await freeUdpPort();
  let r = await request.post('/api/v1/classes', { headers: auth, data: { name: CLASS, patterns: { msg: 'msg=(\\S+)' } } });
  expect(r.status(), await r.text()).toBe(201);
  r = await request.post('/api/v1/engines', { headers: auth, data: { name: ENGINE, class: CLASS, bind: '127.0.0.1', port, timezone: 'UTC' } });
  expect(r.status(), await r.text()).toBe(201);

  await loginUI(page);
  await page.goto(`/engines/${ENGINE}`);
  const card = page.getByTestId('clients-card');
  await expect(card.getByText('No clients: every sender is accepted.')).toBeVisible();

  // A bad match is reported on its field; then a good one is added.
  const form = card.getByRole('form', { name: 'Add client' });
  await form.getByLabel('Client name').fill('local');
  await form.getByLabel('Match').fill('127.0.0.0/99');
  await form.getByRole('button', { name: 'Add client' }).click();
  await expect(form.getByText(/invalid match/)).toBeVisible();
  await form.getByLabel('Match').fill('127.0.0.1');
  await expect(form.getByText('one address')).toBeVisible();
  await form.getByRole('button', { name: 'Add client' }).click();
  await expect(card.getByTestId('client-local')).toContainText('127.0.0.1');

  const known = await bound('127.0.0.1');
  const unknown = await bound('127.0.0.2');
  try {
    await send(known, port, ['a msg=k1', 'a msg=k2', 'a msg=k3']);
    await send(unknown, port, ['a msg=u1', 'a msg=u2']);
    await expect(page.getByTestId('counter-rejected')).toHaveText('2');
    await expect(page.getByTestId('counter-stored')).toHaveText('3');
    await expect(card.getByTestId('client-local').getByRole('link')).toHaveText('3', { timeout: 30_000 });
  } finally {
    known.close();
    unknown.close();
  }

  // The rows link opens the browse page filtered on that client.
  await card.getByTestId('client-local').getByRole('link').click();
  await expect(page).toHaveURL(/\/logs\?client=local/);
  await expect(page.getByRole('cell', { name: 'k1', exact: true })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'u1', exact: true })).toHaveCount(0);

  // Engine events arrive live: stopping the engine shows its event without a reload.
  await page.goto(`/engines/${ENGINE}`);
  const events = page.getByRole('table', { name: 'Events' });
  await expect(events.getByText(/^started on udp/)).toBeVisible();
  r = await request.post(`/api/v1/engines/${ENGINE}/stop`, { headers: auth });
  expect(r.status()).toBe(200);
  await expect(events.getByText(/^stopped \(received 5, stored 3, rejected 2/)).toBeVisible({ timeout: 5_000 });
  await page.screenshot({ path: shot('clients'), fullPage: true });
});
