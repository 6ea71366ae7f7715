import { describe, expect, it } from 'vitest';
import type { Channel } from '../api/types';
import { channelTarget, channelToForm, formToChannel, newHeader, secretState, splitAddresses, validateChannel, type ChannelForm } from './channelForm';

const hook: Channel = {
  name: 'ops-hook',
  type: 'webhook',
  enabled: true,
  url: 'https://hooks.example.com/a',
  headers: { 'X-Team': 'ops', Authorization: 'Bearer abc' },
  secret_set: true,
};
const tg: Channel = { name: 'tg', type: 'telegram', enabled: true, chat_id: '-100123', api_url: 'http://127.0.0.1:9999', token_set: true };
const mail: Channel = {
  name: 'mail',
  type: 'email',
  enabled: false,
  host: 'smtp.example.com',
  port: 465,
  tls: 'tls',
  username: 'alerts',
  from: 'alerts@example.com',
  to: ['a@example.com', 'b@example.com'],
  password_set: false,
};

const form = (patch: Partial<ChannelForm>): ChannelForm => ({ ...channelToForm(), name: 'c1', ...patch });

describe('channel form', () => {
  it('never prefills a secret, and leaves an empty one out so the server keeps it', () => {
    for (const c of [hook, tg, mail]) {
      const f = channelToForm(c);
      expect([f.secret, f.token, f.password]).toEqual(['', '', '']);
      const body = formToChannel(f);
      expect(body).not.toHaveProperty('secret');
      expect(body).not.toHaveProperty('token');
      expect(body).not.toHaveProperty('password');
    }
  });

  it('round-trips a webhook with its headers, and sends a typed secret', () => {
    const f = channelToForm(hook);
    expect(formToChannel(f)).toEqual({ name: 'ops-hook', type: 'webhook', enabled: true, url: hook.url, headers: hook.headers });
    f.secret = 's3cret';
    f.headers = [...f.headers, newHeader('', ''), newHeader(' X-Env ', 'prod')];
    expect(formToChannel(f)).toMatchObject({ secret: 's3cret', headers: { 'X-Team': 'ops', Authorization: 'Bearer abc', 'X-Env': 'prod' } });
  });

  it('round-trips telegram and email with the fields of their type only', () => {
    expect(formToChannel(channelToForm(tg))).toEqual({ name: 'tg', type: 'telegram', enabled: true, chat_id: '-100123', api_url: 'http://127.0.0.1:9999' });
    expect(formToChannel(channelToForm(mail))).toEqual({
      name: 'mail',
      type: 'email',
      enabled: false,
      host: 'smtp.example.com',
      port: 465,
      tls: 'tls',
      username: 'alerts',
      from: 'alerts@example.com',
      to: ['a@example.com', 'b@example.com'],
    });
  });

  it('starts a new channel with the defaults', () => {
    const f = channelToForm();
    expect(f).toMatchObject({ type: 'webhook', enabled: true, api_url: 'https://api.telegram.org', tls: 'starttls', port: '587' });
    expect(formToChannel({ ...f, name: 'x', type: 'telegram', token: ' 123:abc ', chat_id: '42', api_url: '' })).toEqual({
      name: 'x',
      type: 'telegram',
      enabled: true,
      token: '123:abc',
      chat_id: '42',
      api_url: 'https://api.telegram.org',
    });
  });

  it('splits addresses on lines, commas and semicolons', () => {
    expect(splitAddresses('a@x.org, b@x.org\n\n c@x.org;d@x.org ')).toEqual(['a@x.org', 'b@x.org', 'c@x.org', 'd@x.org']);
  });
});

describe('channel validation', () => {
  it('checks a webhook URL and header names', () => {
    expect(validateChannel(form({ url: 'http://127.0.0.1:8099/hook' }))).toEqual({});
    expect(validateChannel(form({ url: 'ftp://x' }))).toHaveProperty('url');
    const p = validateChannel(form({ url: 'https://x.org', headers: [newHeader('Bad Name', 'v'), newHeader('', 'orphan'), newHeader('Ok', '')] }));
    expect(Object.keys(p).sort()).toEqual(['headers[0]', 'headers[1]']);
  });

  it('needs a Telegram token unless one is stored', () => {
    expect(validateChannel(form({ type: 'telegram', chat_id: '1' }))).toHaveProperty('token');
    expect(validateChannel(channelToForm(tg), tg)).toEqual({});
    expect(validateChannel({ ...channelToForm(tg), chat_id: '' }, tg)).toHaveProperty('chat_id');
  });

  it('checks the email server, port and addresses', () => {
    expect(validateChannel(channelToForm(mail), mail)).toEqual({});
    const p = validateChannel(form({ type: 'email', host: '', port: '70000', from: 'nobody', to: 'a@x.org\nnot-an-address' }));
    expect(Object.keys(p).sort()).toEqual(['from', 'host', 'port', 'to']);
    expect(p.to).toMatch(/not-an-address/);
    expect(validateChannel(form({ type: 'email', host: 'h', from: 'a@x.org', to: '' }))).toHaveProperty('to');
  });

  it('checks the name only on create', () => {
    expect(validateChannel(form({ name: '', url: 'https://x.org' }))).toHaveProperty('name');
    expect(validateChannel({ ...channelToForm(hook), name: '' }, hook)).toEqual({});
  });
});

describe('channel text', () => {
  it('says where a channel delivers and whether its secret is set', () => {
    expect(channelTarget(hook)).toBe('https://hooks.example.com/a');
    expect(channelTarget(tg)).toBe('chat -100123 via http://127.0.0.1:9999');
    expect(channelTarget(mail)).toBe('a@example.com, b@example.com via smtp.example.com:465');
    expect(secretState(hook)).toEqual([{ label: 'secret', set: true }]);
    expect(secretState(mail)).toEqual([{ label: 'password', set: false }]);
  });
});
