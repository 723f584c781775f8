import { describe, expect, it } from 'vitest';
import { displayUrl, redact, splitCredentials } from './url-credentials.js';

describe('displayUrl', () => {
  it.each([
    ['http://user:secret@127.0.0.1:8000/v1', 'http://127.0.0.1:8000/v1'],
    ['http://user:secret@proxy', 'http://proxy'],
    ['https://user:secret@proxy/', 'https://proxy/'],
    ['postgres://postgres:secret@db:5432/threadline', 'postgres://db:5432/threadline'],
    ['redis://:secret@cache:6379', 'redis://cache:6379'],
    ['https://token@proxy/v1', 'https://proxy/v1'],
    ['http://user:p@ss@proxy/v1', 'http://proxy/v1'],
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
  ])('%s → %s', (url, shown) => {
    expect(displayUrl(url)).toBe(shown);
  });

  it('removes the credentials of every URL in a text, and leaves e-mail addresses and queries alone', () => {
    expect(displayUrl('cannot reach http://u:s@a:1/v1 nor redis://:s@b:2 (ops@example.com, http://c/?to=x@y)')).toBe(
      'cannot reach http://a:1/v1 nor redis://b:2 (ops@example.com, http://c/?to=x@y)',
    );
  });
});

describe('splitCredentials', () => {
  it('gives the URL without them, a Basic header and the secrets, percent-decoded', () => {
    const token = Buffer.from('me:p@ss-word').toString('base64');
    expect(splitCredentials('https://me:p%40ss-word@gpu-box.example/v1')).toEqual({
      url: 'https://gpu-box.example/v1',
      headers: { authorization: `Basic ${token}` },
      secrets: ['p@ss-word', token],
    });
  });

  it('takes a lone user name for the secret, and leaves a URL without credentials as it is', () => {
    expect(splitCredentials('https://sk-live-123@proxy').secrets[0]).toBe('sk-live-123');
    expect(splitCredentials('http://127.0.0.1:8000/v1')).toEqual({ url: 'http://127.0.0.1:8000/v1', headers: {}, secrets: [] });
  });
});

describe('redact', () => {
  it('cuts out every secret and every URL credential', () => {
    expect(redact('key sk-123456 at http://u:pw@h/v1, again sk-123456', ['sk-123456'])).toBe('key [redacted] at http://h/v1, again [redacted]');
  });
});
