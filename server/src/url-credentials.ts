/**
 * Credentials in a configured URL (`https://user:secret@proxy/v1`, for a server behind an
 * authenticating proxy) are configuration, never output. `displayUrl` is how every URL is shown
 * (system.info, logs, errors); `splitCredentials` turns them into the `Authorization: Basic` header
 * a request carries instead (Node's fetch refuses a URL with credentials, and its error quotes the
 * URL); `redact` cuts secrets out of any text a server or a library produced.
 */

/** `scheme://user:password@` (or `scheme://token@`) anywhere in a text; the last `@` before the host ends it. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** The URL (or any text holding URLs) without the `user:password@` of each one. */
export function displayUrl(text: string): string {
  if (!URL.canParse(text)) return text.replace(USERINFO, '$1');
  const url = new URL(text);
  if (!url.username && !url.password) return text;
  url.username = '';
  url.password = '';
  // `href` adds a `/` to a bare origin; keep the URL as it was written.
  return text.endsWith('/') ? url.href : url.href.replace(/\/$/, '');
}

/** A URL split into what may be shown and the credentials it carried. */
export interface UrlCredentials {
  /** The URL without its credentials, otherwise as given. */
  url: string;
  /** `{ authorization: 'Basic …' }` when the URL carried credentials, else empty. */
  headers: Record<string, string>;
  /** The password (the user name when there is none) and the Basic token, for `redact`; shorter than 4 characters is too common to cut out. */
  secrets: string[];
}

/** Takes the credentials out of `url` (percent-decoded, as the user meant them). */
export function splitCredentials(url: string): UrlCredentials {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, headers: {}, secrets: [] };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const token = Buffer.from(`${username}:${password}`).toString('base64');
  const secrets = [password || username, token].filter((secret) => secret.length >= 4);
  return { url: displayUrl(url), headers: { authorization: `Basic ${token}` }, secrets };
}

/** `text` with every secret replaced by `[redacted]` and every URL's credentials removed. */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => (secret ? result.split(secret).join('[redacted]') : result), displayUrl(text));
}
