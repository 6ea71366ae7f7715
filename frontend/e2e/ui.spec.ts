import { expect, loginUI, shot, test } from './fixtures';

test('dark mode toggles, follows the choice after reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await loginUI(page);
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await bg();
  await page.getByRole('button', { name: 'Switch to dark mode' }).click();
  await expect(page.getByRole('button', { name: 'Switch to light mode' })).toBeVisible();
  await expect.poll(bg).not.toBe(light);
  const dark = await bg();
  await page.screenshot({ path: shot('dark-engines'), fullPage: true });
  await page.reload();
  await expect(page.getByRole('button', { name: 'Switch to light mode' })).toBeVisible();
  await expect.poll(bg).toBe(dark);
  await page.getByRole('button', { name: 'Switch to light mode' }).click();
  await expect.poll(bg).toBe(light);
});

test('at 375 px wide no page scrolls horizontally and the nav is a drawer', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await loginUI(page);
  for (const path of ['/engines', '/classes', '/classes/mikrotik', '/system', '/users', '/settings']) {
    await page.goto(path);
    await expect(page.locator('main h1')).toBeVisible();
    await page.waitForLoadState('networkidle').catch(() => {});
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, inner: window.innerWidth }));
    expect(scroll, `horizontal scroll on ${path}`).toBeLessThanOrEqual(inner);
    await page.screenshot({ path: shot(`375${path.replace(/\//g, '_')}`), fullPage: true });
  }
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('link', { name: 'System' }).click();
  await expect(page.getByRole('heading', { name: 'System' })).toBeVisible();
  await expect(page.getByText(/NTP (not )?synchronised/)).toBeVisible();
});
