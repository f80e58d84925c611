import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { createMember, type TestMember } from '../support/factories.js';

// Browsers log in with an httpOnly cookie (issue 9). Requests it authenticates must pass Yoga's
// CSRF prevention; the WebSocket upgrade reads it too; logOut and a dead cookie clear it.

let app: App;
let origin: string;
let member: TestMember;

beforeAll(async () => {
  app = await startApp();
  origin = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  member = await createMember(app);
});

afterAll(async () => {
  await app.close();
});

const LOG_IN = `mutation ($email: String!, $password: String!) {
  logIn(input: { email: $email, password: $password, setCookie: true }) { __typename ... on LogInSuccess { expiresAt } }
}`;

async function cookieLogIn(): Promise<{ cookie: string; setCookie: string }> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOG_IN, variables: { email: member.email, password: member.password } }),
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect((await response.json()).data.logIn.__typename).toBe('LogInSuccess');
  return { cookie: setCookie.split(';')[0]!, setCookie };
}

describe('login cookie', () => {
  it('is set httpOnly and SameSite=Lax, and authenticates JSON requests', async () => {
    const { cookie, setCookie } = await cookieLogIn();
    expect(cookie).toMatch(/^booking_token=\S+$/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//i);
    expect(setCookie).not.toMatch(/Secure/i); // not in production
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query: '{ viewer { email } }' }),
    });
    expect((await response.json()).data.viewer.email).toBe(member.email);
  });

  it('needs the CSRF header on requests a form or a link could send', async () => {
    const { cookie } = await cookieLogIn();
    const get = (headers: Record<string, string>) =>
      fetch(`${origin}/graphql?query=${encodeURIComponent('{ viewer { email } }')}`, { headers: { accept: 'application/json', cookie, ...headers } });
    const refused = await get({});
    expect(refused.status).toBe(403);
    expect((await refused.json()).errors[0].message).toBe('Required CSRF header(s) not present');
    const allowed = await get({ 'x-graphql-csrf': '1' });
    expect((await allowed.json()).data.viewer.email).toBe(member.email);

    const form = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: `query=${encodeURIComponent('mutation { logOut(input: {}) { __typename } }')}`,
    });
    expect(form.status).toBe(403);
    // A bearer token needs no header: another site cannot send one.
    const bearer = await fetch(`${origin}/graphql?query=${encodeURIComponent('{ viewer { email } }')}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${member.token}` },
    });
    expect((await bearer.json()).data.viewer.email).toBe(member.email);
  });

  /** What a logged-in-only subscription gets on a socket opened with these upgrade headers. */
  async function subscribeWith(headers: Record<string, string>): Promise<{ type: string; payload?: unknown }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${new URL(origin).port}/graphql`, 'graphql-transport-ws', { headers });
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
        if (message.type === 'connection_ack') {
          // Logged-in only: an anonymous socket gets UNAUTHENTICATED here.
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { myWaitlistOffers { id } }' } }));
          setTimeout(() => {
            socket.close();
            resolve({ type: 'quiet' });
          }, 300);
        } else if (message.type === 'error' || message.type === 'next') {
          socket.close();
          resolve(message);
        }
      });
      socket.on('error', reject);
    });
  }

  it('authenticates the WebSocket upgrade from the server’s own pages, not from another origin', async () => {
    const { cookie } = await cookieLogIn();
    expect(await subscribeWith({ cookie })).toEqual({ type: 'quiet' });
    expect(await subscribeWith({ cookie, origin })).toEqual({ type: 'quiet' });
    // A page of another origin: the cookie is not used, the socket is anonymous.
    const foreign = await subscribeWith({ cookie, origin: 'https://evil.example' });
    expect(JSON.stringify(foreign)).toContain('UNAUTHENTICATED');
  });

  it('stops working at logOut, which clears it; a dead cookie is refused and cleared', async () => {
    const { cookie } = await cookieLogIn();
    const out = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query: 'mutation { logOut(input: {}) { __typename } }' }),
    });
    expect((await out.json()).data.logOut.__typename).toBe('LogOutSuccess');
    expect(out.headers.get('set-cookie')).toMatch(/^booking_token=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);

    const after = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query: '{ viewer { email } }' }),
    });
    expect(after.status).toBe(401);
    expect((await after.json()).errors[0].extensions.code).toBe('INVALID_TOKEN');
    expect(after.headers.get('set-cookie')).toMatch(/^booking_token=; Path=\/; Max-Age=0/);
  });

  it('logs a page in from Chromium: the script never sees the token, and the next requests are authenticated', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/health`);
      const seen = await page.evaluate(
        async ({ query, email, password }) => {
          const post = (body: unknown) =>
            fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
          const login = await post({ query, variables: { email, password } });
          const viewer = await post({ query: '{ viewer { email } }' });
          return { login: login.data.logIn.__typename, email: viewer.data.viewer?.email, scriptCookies: document.cookie };
        },
        { query: LOG_IN, email: member.email, password: member.password },
      );
      expect(seen).toEqual({ login: 'LogInSuccess', email: member.email, scriptCookies: '' });
      const [cookie] = await page.context().cookies(origin);
      expect(cookie).toMatchObject({ name: 'booking_token', httpOnly: true, sameSite: 'Lax', secure: false });
    } finally {
      await browser.close();
    }
  });
});

describe('in production', () => {
  it('marks the cookie Secure', async () => {
    const production = await startApp({ production: true });
    try {
      const response = await production.yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: LOG_IN, variables: { email: member.email, password: member.password } }),
      });
      expect(response.headers.get('set-cookie')).toMatch(/; Secure/i);
    } finally {
      await production.close();
    }
  });
});
