import { DateTime } from 'luxon';
import { type Browser, chromium, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import {
  addBeneficiary,
  book,
  buyCredits,
  createCatalogue,
  createMember,
  createOffer,
  scheduleSession,
  type TestMember,
} from '../support/factories.js';

// The lobby screen (/screens/venues/<id>) in headless Chromium: the page shows today's sessions
// of the venue, and a booking made through the API changes the seats shown, live (graphql-ws).

const CHROMIUM = '/usr/bin/chromium';
const ZONE = 'Europe/Paris'; // createCatalogue's organisation time zone

const CancelSession = graphql(`
  mutation LobbyCancelSession($input: CancelSessionInput!) {
    cancelSession(input: $input) {
      __typename
      ... on CancelSessionSuccess { session { id status } }
      ... on Error { code message }
    }
  }
`);

/**
 * A start later today in Paris, so the page (which shows the local day) lists it and it can still
 * be booked: an hour from now, or halfway to midnight when midnight is near. With under two
 * minutes left, wait for the new day rather than race it.
 */
async function laterToday(): Promise<Date> {
  let now = DateTime.now().setZone(ZONE);
  let untilMidnight = now.plus({ days: 1 }).startOf('day').toMillis() - now.toMillis();
  if (untilMidnight < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, untilMidnight + 2_000));
    now = DateTime.now().setZone(ZONE);
    untilMidnight = now.plus({ days: 1 }).startOf('day').toMillis() - now.toMillis();
  }
  return new Date(now.toMillis() + Math.min(3_600_000, Math.floor(untilMidnight / 2)));
}

let app: App;
let baseUrl: string;
let browser: Browser;
let catalogue: Awaited<ReturnType<typeof createCatalogue>>;
let startsAt: Date;
let member: TestMember;
const beneficiaries: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  app = await startApp();
  baseUrl = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

  catalogue = await createCatalogue(app);
  startsAt = await laterToday();
  member = await createMember(app);
  const offerId = await createOffer(app, catalogue);
  for (const firstName of ['Ada', 'Grace']) {
    const beneficiaryId = await addBeneficiary(app, member, '1990-05-17', firstName);
    await buyCredits(app, catalogue, member, offerId, beneficiaryId);
    beneficiaries.push(beneficiaryId);
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Each test watches its own session (same venue, later today), so tests stand alone. */
function todaysSession() {
  return scheduleSession(app, catalogue, { startsAt, capacity: 10 });
}

async function openLobby(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
  return page;
}

function lobbyUrl(query = ''): string {
  return `${baseUrl}/screens/venues/${encodeURIComponent(catalogue.venue.id)}${query}`;
}

/** The text of a test id, or null while it is not on the page (polls fail fast, not at 30 s). */
function text(page: Page, testId: string): Promise<string | null> {
  return page.getByTestId(testId).textContent({ timeout: 500 }).catch(() => null);
}

function seats(page: Page, sessionId: string): Promise<string | null> {
  return text(page, `seats-${sessionId}`);
}

function connection(page: Page): Promise<string | null> {
  return page.getByTestId('connection').getAttribute('data-state', { timeout: 500 }).catch(() => null);
}

const within = { timeout: 10_000 };

describe('lobby screen', () => {
  it('serves the page and its local assets, and 404 for anything else under /screens', async () => {
    const page = await fetch(lobbyUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/screens/assets/graphql-ws.min.js');

    const client = await fetch(`${baseUrl}/screens/assets/graphql-ws.min.js`);
    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await client.text()).toContain('graphqlWs');

    for (const path of [
      '/screens',
      '/screens/',
      '/screens/venues/',
      '/screens/assets/nope.js',
      '/screens/assets/../index.ts',
      '/screens/assets/%2e%2e%2findex.ts',
      '/screens/venues/a/b',
    ]) {
      expect((await fetch(`${baseUrl}${path}`)).status, path).toBe(404);
    }
  });

  it('shows today’s session and its seats going down when a seat is booked through the API', async () => {
    const session = await todaysSession();
    const page = await openLobby();
    await page.goto(lobbyUrl());

    await expect.poll(() => seats(page, session.id), within).toBe('10 / 10');
    await expect.poll(() => connection(page), within).toBe('live');
    expect(await text(page, 'venue-name')).toBe('Pool');
    const row = page.locator(`li[data-session-id="${session.id}"]`);
    expect(await row.locator('.activity').textContent()).toBe('Aquagym');
    expect(await row.locator('.time').textContent()).toBe(DateTime.fromISO(session.startsAt).setZone(ZONE).toFormat('HH:mm'));
    expect(await page.locator('#col-seats').textContent()).toBe('Places'); // French by default

    await book(app, member, session.id, beneficiaries[0]!);
    await expect.poll(() => seats(page, session.id), within).toBe('9 / 10');

    await page.screenshot({ path: '/tmp/lobby.png' }).catch(() => undefined);
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('catches up after losing its connection (re-reads the sessions on reconnect)', async () => {
    const session = await todaysSession();
    const page = await openLobby();
    let blocked = false;
    const open: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      if (blocked) {
        void ws.close({ code: 1012, reason: 'blocked by the test' });
        return;
      }
      open.push({ page: ws, server: ws.connectToServer() });
    });
    await page.goto(lobbyUrl());
    await expect.poll(() => seats(page, session.id), within).toBe('10 / 10');
    await expect.poll(() => connection(page), within).toBe('live');
    await book(app, member, session.id, beneficiaries[0]!);
    await expect.poll(() => seats(page, session.id), within).toBe('9 / 10');
    // Past the page's second, delayed catch-up query after connecting (2 s).
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    // The connection drops; a seat is booked meanwhile: the screen misses that event, and stays
    // stale while it cannot reconnect (it does not poll).
    blocked = true;
    for (const { page: side, server } of open.splice(0)) {
      await server.close({ code: 1001 });
      await side.close({ code: 1012, reason: 'network lost' });
    }
    await expect.poll(() => connection(page), within).not.toBe('live');
    await book(app, member, session.id, beneficiaries[1]!);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await seats(page, session.id)).toBe('9 / 10');
    expect(await connection(page)).not.toBe('live');

    // Back online: the client reconnects by itself and the page re-reads today's sessions.
    blocked = false;
    await expect.poll(() => seats(page, session.id), { timeout: 20_000 }).toBe('8 / 10');
    expect(await connection(page)).toBe('live');
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows a cancelled session, in English with ?lang=en', async () => {
    const session = await todaysSession();
    const page = await openLobby();
    await page.goto(lobbyUrl('?lang=en'));
    await expect.poll(() => seats(page, session.id), within).toBe('10 / 10');
    await expect.poll(() => connection(page), within).toBe('live');
    expect(await page.locator('#col-seats').textContent()).toBe('Seats');

    const cancelled = await execute(
      app,
      CancelSession,
      { input: { sessionId: session.id, reason: 'Pool closed' } },
      { token: catalogue.admin.token },
    );
    success(cancelled.cancelSession, 'CancelSessionSuccess');
    await expect.poll(() => text(page, `state-${session.id}`), within).toBe('Cancelled');
    await page.close();
    expect(pageErrors).toEqual([]);
  });

  it('says so when the venue does not exist', async () => {
    const page = await openLobby();
    await page.goto(`${baseUrl}/screens/venues/${encodeURIComponent(catalogue.activity.id)}`);
    await expect.poll(() => text(page, 'venue-name'), within).toBe('Lieu introuvable.');
    await page.goto(`${baseUrl}/screens/venues/not-a-venue?lang=en`);
    await expect.poll(() => text(page, 'venue-name'), within).toBe('Venue not found.');
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
