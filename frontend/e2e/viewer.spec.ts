import { apiToken, expect, shot, test } from './fixtures';

test('a viewer sees a read-only dashboard', async ({ page, request }) => {
  const token = await apiToken(request);
  const r = await request.post('/api/v1/users', {
    headers: { Authorization: `Bearer ${token}` },
    data: { username: 'watcher', password: 'watcher-password-1', role: 'viewer', must_change_password: false },
  });
  expect([201, 200, 409]).toContain(r.status());

  await page.goto('/login');
  await page.getByLabel('Username').fill('watcher');
  await page.getByLabel(/^Password/).fill('watcher-password-1');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Engines' })).toBeVisible();

  await expect(page.getByRole('button', { name: 'Create engine' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^(Start|Stop|Restart|Edit|Delete) / })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);

  await page.goto('/classes');
  await expect(page.getByRole('heading', { name: 'Classes' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create class' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Delete class/ })).toHaveCount(0);
  await page.getByRole('button', { name: 'View class mikrotik' }).click();
  await expect(page.getByLabel('Key 1', { exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Save class' })).toHaveCount(0);

  await page.goto('/settings');
  await expect(page.getByText('Only an admin can change settings.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save settings' })).toHaveCount(0);

  await page.goto('/users');
  await expect(page).toHaveURL(/\/engines$/);
  await page.screenshot({ path: shot('viewer-engines'), fullPage: true });
});
