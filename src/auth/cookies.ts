import type { Plugin } from 'graphql-yoga';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';

// Browsers log in with an httpOnly cookie instead of a bearer token (API.md part 2). The cookie is
// SameSite=Lax (Secure in production); requests it authenticates must also pass Yoga's CSRF
// prevention: the `x-graphql-csrf` header, or a content type a form cannot send.

export const LOGIN_COOKIE = 'booking_token';
export const CSRF_HEADER = 'x-graphql-csrf';

let secure = false;

/** Secure cookies in production (set once at start). */
export function configureCookies(options: { secure: boolean }): void {
  secure = options.secure;
}

/** The login cookie's value in a `Cookie` header, if any. */
export function loginCookieOf(cookieHeader: string | null | undefined): string | null {
  if (!cookieHeader) return null;
  for (const part of cookieHeader.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === LOGIN_COOKIE) {
      const value = part.slice(separator + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

interface CookieStore {
  set(cookie: { name: string; value: string; expires?: number; path?: string; sameSite?: 'lax'; secure?: boolean; httpOnly?: boolean }): Promise<void>;
  delete(cookie: { name: string; path?: string }): Promise<void>;
}

/** `useCookies()` gives every request a cookie store whose changes become Set-Cookie headers. */
function cookieStoreOf(request: Request | undefined): CookieStore | null {
  return ((request as (Request & { cookieStore?: CookieStore }) | undefined)?.cookieStore ?? null) as CookieStore | null;
}

export async function setLoginCookie(request: Request | undefined, token: string, expiresAt: Date): Promise<void> {
  await cookieStoreOf(request)?.set({
    name: LOGIN_COOKIE,
    value: token,
    expires: expiresAt.getTime(),
    path: '/',
    sameSite: 'lax',
    secure,
    httpOnly: true,
  });
}

export async function clearLoginCookie(request: Request | undefined): Promise<void> {
  await cookieStoreOf(request)?.delete({ name: LOGIN_COOKIE, path: '/' });
}

/**
 * Yoga's CSRF prevention, applied to the requests the login cookie would authenticate (a bearer
 * token cannot be sent by another site, so those need no header).
 */
export function useCookieCsrfPrevention(): Plugin {
  const csrf = useCSRFPrevention({ requestHeaders: [CSRF_HEADER] });
  return {
    onRequestParse(payload) {
      const { headers } = payload.request;
      if (headers.has('authorization') || !loginCookieOf(headers.get('cookie'))) return;
      return csrf.onRequestParse?.(payload);
    },
  };
}

/**
 * Whether a WebSocket upgrade from this page may log in with the cookie. Browsers send cookies on
 * upgrades, which no CORS check or CSRF header guards: a page of another origin (a sibling
 * subdomain, where SameSite=Lax does not help) could otherwise open a logged-in socket. Allowed: no
 * Origin (not a browser), this server's own origin, PUBLIC_URL's, and the CORS_ORIGINS list.
 */
export function upgradeOriginMayUseCookie(origin: string | null, host: string | null, trusted: readonly string[]): boolean {
  if (!origin) return true;
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return trusted.includes(origin);
}
