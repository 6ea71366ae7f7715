import { FORCED_PASSWORD } from './state';
import { expect, shot, test } from './fixtures';

test('a user with a generated password must change it at first login', async ({ page }) => {
  await page.goto('/engines');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Username').fill('forced');
  await page.getByLabel(/^Password/).fill(FORCED_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page).toHaveURL(/\/change-password$/);
  await expect(page.getByText('You must choose a new password')).toBeVisible();
  // other pages stay closed until the password is changed
  await page.goto('/engines');
  await expect(page).toHaveURL(/\/change-password$/);

  const next = 'forced-new-password-42';
  await page.getByLabel('Current password').fill(FORCED_PASSWORD);
  await page.getByLabel(/^New password/).fill(next);
  await page.getByLabel('Confirm new password').fill(next);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('heading', { name: 'Engines' })).toBeVisible();
  await page.screenshot({ path: shot('after-password-change'), fullPage: true });

  // sign out, then the new password works and the old one does not
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Username').fill('forced');
  await page.getByLabel(/^Password/).fill(FORCED_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel(/^Password/).fill(next);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Engines' })).toBeVisible();
});
