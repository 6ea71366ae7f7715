// The main path, in order: class in the playground -> engine on a free UDP port -> UDP logs
// from this test -> live chart and counters -> browse, filter, tail, CSV -> stop and delete a day.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, loginUI, shot, test } from './fixtures';

test.describe.configure({ mode: 'serial' });

const CLASS = 'e2e_fw';
const ENGINE = 'e2e-udp';

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

let page: Page;
let port = 0;
let sender: ReturnType<typeof setInterval> | undefined;
const sock = createSocket('udp4');
let sent = 0;

function startSending() {
  sender = setInterval(() => {
    for (let i = 0; i < 5; i++) {
      const user = sent % 2 === 0 ? 'alice' : 'bob';
      const line = `<13>fw01 action=accept user=${user} src=10.0.${sent % 250}.${(sent * 7) % 250}:5${String(sent % 1000).padStart(3, '0')} seq=${sent}`;
      sock.send(line, port, '127.0.0.1');
      sent++;
    }
  }, 100);
}

function stopSending() {
  if (sender) clearInterval(sender);
  sender = undefined;
}

test.beforeAll(async ({ browser, baseURL }) => {
  page = await browser.newPage({ baseURL });
  port = await freeUdpPort();
  await loginUI(page);
});

test.afterAll(async () => {
  stopSending();
  sock.close();
  await page.close();
});

test('create a class in the playground and see its columns fill', async () => {
  await page.goto('/classes/new');
  await page.getByLabel('Class name').fill(CLASS);
  await page.getByLabel('Key 1', { exact: true }).fill('user');
  await page.getByLabel('Regex 1').fill('user=(\\w+)');
  await page.getByRole('button', { name: 'Add key' }).click();
  await page.getByLabel('Key 2', { exact: true }).fill('src_ip');
  await page.getByLabel('Regex 2').fill('src=(\\S+)');
  await page.getByLabel('Sample lines').fill('<13>fw01 action=accept user=carol src=10.1.2.3:5000\n<13>fw01 action=drop src=10.9.9.9:443\n');
  const table = page.getByRole('table', { name: 'Extracted columns' });
  await expect(table.getByRole('columnheader', { name: 'src_port' })).toBeVisible();
  await expect(table.getByRole('cell', { name: 'carol' })).toBeVisible();
  await expect(table.getByRole('cell', { name: '10.1.2.3' })).toBeVisible();
  await expect(table.getByRole('cell', { name: '5000' })).toBeVisible();
  await expect(page.getByText(/matched 1\/2/)).toBeVisible();
  // a regex that does not compile is reported on its key
  await page.getByLabel('Regex 1').fill('user=(\\w+');
  await expect(page.getByTestId('key-row-0').locator('.Mui-error').first()).toBeVisible();
  await page.getByLabel('Regex 1').fill('user=(\\w+)');
  await expect(table.getByRole('cell', { name: 'carol' })).toBeVisible();
  await page.screenshot({ path: shot('class-playground'), fullPage: true });
  await page.getByRole('button', { name: 'Save class' }).click();
  await expect(page).toHaveURL(/\/classes$/);
  await expect(page.getByRole('link', { name: CLASS })).toBeVisible();
});

test('create an engine on a free UDP port; a taken port is reported on the port field', async () => {
  await page.goto('/engines');
  await page.getByRole('button', { name: 'Create engine' }).click();
  const dlg = page.getByRole('dialog');
  await dlg.getByLabel('Name').fill(ENGINE);
  await dlg.getByRole('combobox', { name: 'Class' }).click();
  await page.getByRole('option', { name: CLASS }).click();
  await dlg.getByLabel('Bind address').fill('127.0.0.1');
  await dlg.getByLabel('UDP port').fill(String(port));
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg).toHaveCount(0);
  const row = page.getByTestId(`engine-row-${ENGINE}`);
  await expect(row.getByTestId('state-chip')).toHaveText('running');

  await page.getByRole('button', { name: 'Create engine' }).click();
  await dlg.getByLabel('Name').fill('e2e-dup');
  await dlg.getByRole('combobox', { name: 'Class' }).click();
  await page.getByRole('option', { name: CLASS }).click();
  await dlg.getByLabel('Bind address').fill('127.0.0.1');
  await dlg.getByLabel('UDP port').fill(String(port));
  await dlg.getByRole('button', { name: 'Create' }).click();
  await expect(dlg.getByLabel('UDP port')).toHaveAttribute('aria-invalid', 'true');
  await page.screenshot({ path: shot('engine-port-conflict') });
  await dlg.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('engine-row-e2e-dup')).toHaveCount(0);
});

test('UDP logs move the live counters and the chart', async () => {
  startSending();
  await page.goto(`/engines/${ENGINE}`);
  const received = page.getByTestId('counter-received');
  const num = async () => Number((await received.textContent())?.replace(/\D/g, '') || '0');
  await expect.poll(num, { timeout: 30_000 }).toBeGreaterThan(0);
  const first = await num();
  await expect.poll(num, { timeout: 30_000 }).toBeGreaterThan(first);
  const chart = page.getByTestId('throughput');
  const points = async () => Number(await chart.getAttribute('data-points'));
  const p0 = await points();
  await expect.poll(points, { timeout: 30_000 }).toBeGreaterThan(p0);
  await expect.poll(async () => Number(await chart.getAttribute('data-last-in')), { timeout: 30_000 }).toBeGreaterThan(0);
  await page.screenshot({ path: shot('engine-detail'), fullPage: true });
});

test('browse shows rows, filters by column, tails live and downloads exactly the filtered CSV', async () => {
  await page.goto(`/engines/${ENGINE}`);
  await page.getByRole('link', { name: 'Browse logs' }).click();
  const logs = page.getByRole('table', { name: 'Logs' });
  await expect(logs.getByRole('cell', { name: 'alice', exact: true }).first()).toBeVisible();
  await expect(logs.getByRole('columnheader', { name: 'src_port' })).toBeVisible();

  await page.getByLabel('Filter user').fill('bob');
  await expect(logs.getByRole('cell', { name: 'alice', exact: true })).toHaveCount(0);
  await expect(logs.getByRole('cell', { name: 'bob', exact: true }).first()).toBeVisible();
  await page.screenshot({ path: shot('browse-filtered'), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${ENGINE}_\\d{4}-\\d{2}-\\d{2}\\.csv$`));
  const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
  const header = csv[0].split(',');
  expect(header).toEqual(expect.arrayContaining(['log_sender_ip', 'time', 'user', 'src_ip', 'src_port', 'original_log']));
  const userCol = header.indexOf('user');
  expect(csv.length).toBeGreaterThan(1);
  for (const line of csv.slice(1)) {
    expect(line.split(',')[userCol]).toBe('bob');
  }

  await page.getByLabel('Live tail').check();
  await expect(logs.getByRole('cell', { name: /^10\.0\./ }).first()).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('Live tail').uncheck();
});

test('search: word vs substring, exact filters, last 15 minutes, sort, expand, zoom, and all of it in the URL', async () => {
  await page.goto(`/engines/${ENGINE}/logs`);
  const logs = page.getByRole('table', { name: 'Logs' });
  await expect(logs.getByRole('cell', { name: 'alice', exact: true }).first()).toBeVisible();
  const count = page.getByTestId('match-count');
  await expect(count).toHaveText(/^(at least )?[\d,]+ match(es)?$/);

  // a whole word (the default) does not match inside a word; substring does
  await page.getByLabel('Search').fill('alic');
  await expect(page).toHaveURL(/[?&]q=alic&match=word/);
  await expect(logs.getByRole('cell', { name: 'No rows match.' })).toBeVisible();
  await expect(count).toHaveText('0 matches');
  await page.getByRole('button', { name: 'Substring' }).click();
  await expect(page).toHaveURL(/match=substring/);
  await expect(logs.getByRole('cell', { name: 'alice', exact: true }).first()).toBeVisible();
  await expect(logs.getByRole('cell', { name: 'bob', exact: true })).toHaveCount(0);
  await page.getByRole('button', { name: 'Clear filters' }).click();

  // exact column filter: "bo" is no user; as a substring it is bob
  await page.getByRole('button', { name: 'Exact match user' }).click();
  await page.getByLabel('Filter user').fill('bo');
  await expect(page).toHaveURL(/filter=user%3Dbo(&|$)/);
  await expect(logs.getByRole('cell', { name: 'No rows match.' })).toBeVisible();
  await page.getByRole('button', { name: 'Exact match user' }).click();
  await expect(page).toHaveURL(/filter=user%3Abo(&|$)/);
  await expect(logs.getByRole('cell', { name: 'bob', exact: true }).first()).toBeVisible();
  await expect(logs.getByRole('cell', { name: 'alice', exact: true })).toHaveCount(0);

  // a relative range: rows carry their day, the CSV link the same selection
  await page.getByRole('combobox', { name: 'Time' }).click();
  await page.getByRole('option', { name: 'Last 15 minutes' }).click();
  await expect(page).toHaveURL(/last=15m/);
  await expect(logs.getByRole('columnheader', { name: 'date', exact: true })).toBeVisible();
  await expect(logs.getByRole('cell', { name: 'bob', exact: true }).first()).toBeVisible();
  await expect(page.getByRole('link', { name: 'Download CSV' })).toHaveAttribute('href', /export\.csv\?last=15m&filter=user%3Abo$/);

  // oldest first: ids ascend down the page
  await page.getByRole('button', { name: 'Oldest first' }).click();
  await expect(page).toHaveURL(/order=asc/);
  const ids = async () => (await logs.locator('tbody tr[data-row]').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-row')?.split(':')[1])))).slice(0, 5);
  const ascending = async () => {
    const v = await ids();
    return v.length > 1 && v.every((x, i) => i === 0 || x > v[i - 1]);
  };
  await expect.poll(ascending).toBe(true);

  // one row expands to every value and its whole original log
  await logs.getByRole('button', { name: /^Show row / }).first().click();
  const details = page.getByLabel('Row details');
  await expect(details.getByText('original_log', { exact: true })).toBeVisible();
  await expect(details.getByText(/action=accept user=bob/)).toBeVisible();
  await page.screenshot({ path: shot('browse-search'), fullPage: true });

  // reload restores the whole search
  const url = page.url();
  await page.reload();
  expect(page.url()).toBe(url);
  await expect(page.getByLabel('Filter user')).toHaveValue('bo');
  await expect(logs.getByRole('cell', { name: 'bob', exact: true }).first()).toBeVisible();

  // drag across the histogram: the range becomes start/end; reset goes back to the last 15 minutes
  const chart = page.getByTestId('histogram');
  await expect(chart).toHaveAttribute('data-buckets', /^[1-9]/);
  const box = (await chart.locator('.u-over').boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(page).toHaveURL(/start=\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A00&end=/);
  await expect(logs.getByRole('cell', { name: 'bob', exact: true }).first()).toBeVisible();
  await page.getByRole('button', { name: 'Reset zoom' }).click();
  await expect(page).toHaveURL(/last=15m/);
});

test('stop the engine, then delete its day', async () => {
  stopSending();
  await page.goto(`/engines/${ENGINE}`);
  await page.getByRole('button', { name: `Stop ${ENGINE}` }).click();
  await expect(page.locator('main h1').getByTestId('state-chip')).toHaveText('stopped');
  const dayRow = page.getByRole('table', { name: 'Days' }).getByRole('row').filter({ has: page.getByRole('button', { name: /^Delete day/ }) }).first();
  await expect(dayRow).toBeVisible();
  const date = ((await dayRow.getByRole('cell').first().textContent()) ?? '').trim();
  await dayRow.getByRole('button', { name: `Delete day ${date}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByTestId(`day-${date}`)).toHaveCount(0);
});
