import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_ACCOUNT, DEMO_MEMBER } from '../../src/demo/seed.js';
import { TOKEN_PLACEHOLDER } from '../../src/graphiql.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';

// GraphiQL (GET /graphql in a browser) in headless Chromium, on the demo data of `npm start`
// (issue 14 point 1): it opens on a runnable example, every example tab runs as a user runs it (log
// in, paste the token into the Headers pane, ids into Variables), and the subscription tabs show
// events, the logged-in one with the token from the Headers pane sent as connectionParams. A reload
// reopens the tab left, as it was, and adds no tab.
// A database of its own, since the demo data owns fixed slugs and emails.

const CHROMIUM = '/usr/bin/chromium';
const within = { timeout: 10_000 };
const TABS = ['Schedule', 'LogIn', 'BookSession', 'CancelBooking', 'LiveSeats', 'MyWaitlistOffers'];

const LogIn = graphql(`
  mutation GraphiqlTestLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token viewer { beneficiaries { id firstName } } }
      ... on Error { code message }
    }
  }
`);

const Demo = graphql(`
  query GraphiqlTestDemo($aquababyclub: String!, $studio: String!) {
    aquababyclub: organization(slug: $aquababyclub) { id }
    studio: organization(slug: $studio) { id }
  }
`);

const Sessions = graphql(`
  query GraphiqlTestSessions($organizationId: ID!) {
    sessions(filter: { organizationId: $organizationId, onlyAvailable: true }, first: 100) {
      edges { node { id startsAt seatsLeft activity { name } } }
    }
  }
`);

const Book = graphql(`
  mutation GraphiqlTestBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { booking { id session { seatsLeft } } }
      ... on BookSessionWaitlisted { waitlistEntry { id } }
      ... on Error { code message }
    }
  }
`);

const ChangeCapacity = graphql(`
  mutation GraphiqlTestChangeCapacity($input: ChangeSessionCapacityInput!) {
    changeSessionCapacity(input: $input) {
      __typename
      ... on ChangeSessionCapacitySuccess { session { id capacity } }
      ... on Error { code message }
    }
  }
`);

interface Answer {
  operationName?: string;
  body: { data?: Record<string, any> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

let databaseName: string | undefined;
let app: App;
let baseUrl: string;
let browser: Browser;
let memberToken: string;
let adminToken: string;
let camille: string;
let leo: string;
let aquababyclubId: string;
let studioId: string;
/** One page for the file: the tests go from tab to tab as a user does. */
let graphiql: GraphiQL;

beforeAll(async () => {
  databaseName = await createDatabase('booking_graphiql', inject('templateDatabase'));
  app = await startApp({ demoData: true, databaseUrl: databaseUrl(databaseName) });
  baseUrl = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const member = success((await execute(app, LogIn, { input: DEMO_MEMBER })).logIn, 'LogInSuccess');
  memberToken = member.token;
  camille = member.viewer.beneficiaries.find((b) => b.firstName === 'Camille')!.id;
  leo = member.viewer.beneficiaries.find((b) => b.firstName === 'Léo')!.id;
  adminToken = success((await execute(app, LogIn, { input: DEMO_ACCOUNT })).logIn, 'LogInSuccess').token;
  const demo = await execute(app, Demo, { aquababyclub: 'aquababyclub', studio: 'studio-waitlist' });
  aquababyclubId = demo.aquababyclub!.id;
  studioId = demo.studio!.id;
  graphiql = await openGraphiQL();
}, 90_000);

afterAll(async () => {
  await graphiql?.context.close();
  await browser?.close();
  await app?.close();
  if (databaseName) await dropDatabase(databaseName);
});

/**
 * Sessions of an activity with seats left, starting at least `hours` from now: past every notice
 * (Aquababyclub's adults 4 h, so a cancellation returns the credit; Studio's waitlist closes 12 h before).
 */
async function sessionsOf(organizationId: string, activity: string, hours: number) {
  const { sessions } = await execute(app, Sessions, { organizationId });
  const after = Date.now() + hours * 3_600_000;
  const found = sessions.edges.map((edge) => edge.node).filter((node) => node.activity.name === activity && Date.parse(node.startsAt) > after);
  expect(found.length, activity).toBeGreaterThan(0);
  return found;
}

interface GraphiQL {
  page: Page;
  context: BrowserContext;
  /** Every HTTP answer of /graphql but introspection, in order. */
  answers: Answer[];
  /** Every graphql-ws message the page sent, parsed. */
  sent: { type: string; payload?: any }[];
  errors: string[];
}

/** A fresh browser profile (no tabs stored by an earlier visit) on /graphql, ready to run. */
async function openGraphiQL(): Promise<GraphiQL> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const opened: GraphiQL = { page, context, answers: [], sent: [], errors: [] };
  page.on('pageerror', (error) => opened.errors.push(`pageerror: ${error.message}`));
  page.on('response', async (response) => {
    const request = response.request();
    if (request.method() !== 'POST' || !response.url().endsWith('/graphql')) return;
    const sent = request.postDataJSON() as { operationName?: string; query: string };
    if (sent.query.includes('IntrospectionQuery')) return;
    opened.answers.push({ operationName: sent.operationName, body: await response.json() });
  });
  page.on('websocket', (socket) => {
    socket.on('framesent', (frame) => opened.sent.push(JSON.parse(String(frame.payload))));
  });
  await page.goto(`${baseUrl}/graphql`);
  await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
  await page.locator('.graphiql-tab').nth(TABS.length - 1).waitFor(within);
  return opened;
}

/** Switches tab as a click on its title does (a dispatched click: the tabs slide in at first). */
async function openTab(graphiql: GraphiQL, title: string): Promise<void> {
  await graphiql.page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${title}$`) }).dispatchEvent('click');
  await expect.poll(() => graphiql.page.locator('.graphiql-tab-active').innerText(), within).toBe(title);
}

/** The visible text of an editor (Monaco draws the lines in view only). */
async function editorText(page: Page, selector: string): Promise<string> {
  const text = await page.locator(`${selector} .view-lines`).first().innerText({ timeout: 1_000 }).catch(() => '');
  return text.replaceAll('\u00a0', ' ');
}

const response = (page: Page) => editorText(page, '.result-window');
const headersPane = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';

/** Replaces the content of the Variables or Headers pane by pasting `text` over it. */
async function fillTool(page: Page, tool: 'variables' | 'headers', text: string): Promise<void> {
  await page.locator(`.graphiql-editor-tools button[data-name="${tool}"]`).click();
  const editor = page.locator(headersPane);
  await editor.locator('.view-lines').click();
  await page.evaluate((copied) => navigator.clipboard.writeText(copied), text);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Control+V');
  await expect.poll(() => editorText(page, headersPane), within).toBe(text);
}

/** Runs the current tab and waits for the HTTP answer of its operation. */
async function run(graphiql: GraphiQL, operationName: string): Promise<Answer['body']> {
  const before = graphiql.answers.length;
  await graphiql.page.locator('.graphiql-execute-button').click();
  await expect.poll(() => graphiql.answers.slice(before).some((answer) => answer.operationName === operationName), within).toBe(true);
  return graphiql.answers.slice(before).find((answer) => answer.operationName === operationName)!.body;
}

/** Whether the page sent the graphql-ws `subscribe` message of an operation, after its first `since` messages. */
function subscribed(graphiql: GraphiQL, operationName: string, since = 0): boolean {
  return graphiql.sent.slice(since).some((message) => message.type === 'subscribe' && message.payload?.operationName === operationName);
}

describe('GraphiQL', () => {
  it('opens on the schedule, with the example tabs and the token placeholder, and runs it as it is', async () => {
    const { page } = graphiql;
    expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual(TABS);
    expect(await page.locator('.graphiql-tab-active').innerText()).toBe('Schedule');
    const query = await editorText(page, '.graphiql-query-editor');
    expect(query).toContain('Class booking API');
    expect(query).toContain('{"authorization": "Bearer <paste the token from logIn>"}');
    // The Headers pane is open on the placeholder, which the server ignores (not a token).
    expect(await editorText(page, headersPane)).toContain(`{"authorization": "${TOKEN_PLACEHOLDER}"}`);

    const answer = await run(graphiql, 'Schedule');
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.organization).toMatchObject({ id: aquababyclubId, name: 'Aquababyclub' });
    expect(answer.data?.sessions.edges).toHaveLength(10);
    for (const { node } of answer.data?.sessions.edges ?? []) expect(node.seatsLeft).toBeGreaterThan(0);
    await expect.poll(() => response(page), within).toContain('"sessions"');
    expect(await response(page)).not.toContain('"errors"');
    expect(graphiql.errors).toEqual([]);
  });

  it('runs every tab: log in, book and cancel with the pasted token, live seats and waitlist offers over WebSocket', async () => {
    const { page } = graphiql;
    const header = (token: string) => JSON.stringify({ Authorization: `Bearer ${token}` });

    await openTab(graphiql, 'LogIn');
    const logIn = await run(graphiql, 'LogIn');
    expect(logIn.data?.logIn.__typename).toBe('LogInSuccess');
    const token: string = logIn.data?.logIn.token;
    expect(token.length).toBeGreaterThan(20);
    expect(logIn.data?.logIn.viewer.beneficiaries.map((b: { firstName: string }) => b.firstName).sort()).toEqual(['Camille', 'Léo']);
    await expect.poll(() => response(page), within).toContain('"LogInSuccess"');

    // Book an adult class for Camille with the token from the LogIn tab, pasted into the headers.
    const [session] = await sessionsOf(aquababyclubId, 'Cours adultes', 5);
    await openTab(graphiql, 'BookSession');
    await fillTool(page, 'headers', header(token));
    await fillTool(page, 'variables', JSON.stringify({ sessionId: session!.id, beneficiaryId: camille }));
    const booked = await run(graphiql, 'BookSession');
    expect(booked.data?.bookSession).toMatchObject({ __typename: 'BookSessionSuccess', booking: { session: { seatsLeft: session!.seatsLeft - 1 } } });
    await expect.poll(() => response(page), within).toContain('"BookSessionSuccess"');

    await openTab(graphiql, 'CancelBooking');
    await fillTool(page, 'headers', header(token));
    await fillTool(page, 'variables', JSON.stringify({ bookingId: booked.data?.bookSession.booking.id }));
    const cancelled = await run(graphiql, 'CancelBooking');
    expect(cancelled.data?.cancelBooking).toMatchObject({ __typename: 'CancelBookingSuccess', creditReturned: true });
    await expect.poll(() => response(page), within).toContain('"CancelBookingSuccess"');

    // Live seats (no login): a booking made through the API shows up in the tab.
    await openTab(graphiql, 'LiveSeats');
    await fillTool(page, 'variables', JSON.stringify({ organizationId: aquababyclubId }));
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => subscribed(graphiql, 'LiveSeats'), within).toBe(true);
    const [childClass] = await sessionsOf(aquababyclubId, 'Cours enfants (bébés nageurs)', 0);
    const viaApi = await execute(app, Book, { input: { sessionId: childClass!.id, beneficiaryId: leo } }, { token: memberToken });
    success(viaApi.bookSession, 'BookSessionSuccess');
    await expect.poll(() => response(page), within).toContain(childClass!.id);
    expect(await response(page)).toContain(`"seatsLeft": ${childClass!.seatsLeft - 1}`);
    expect(await response(page)).not.toContain('"errors"');

    // Waitlist offers: the token in the Headers pane goes to the server as connectionParams.
    const [dive] = await sessionsOf(studioId, 'Plongée', 13);
    await openTab(graphiql, 'MyWaitlistOffers');
    // With the placeholder left in the headers, the server says a login is needed.
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => response(page), within).toContain('"UNAUTHENTICATED"');
    await fillTool(page, 'headers', header(token));
    // The run with the placeholder already subscribed: wait for this run's own subscribe.
    const sentBefore = graphiql.sent.length;
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => subscribed(graphiql, 'MyWaitlistOffers', sentBefore), within).toBe(true);
    const inits = graphiql.sent.slice(sentBefore).filter((message) => message.type === 'connection_init');
    expect(inits.at(-1)?.payload).toEqual({ authorization: `Bearer ${token}` });
    // Camille waits for a full dive session, then a seat frees: she is offered it.
    const closed = await execute(app, ChangeCapacity, { input: { sessionId: dive!.id, capacity: 0 } }, { token: adminToken });
    success(closed.changeSessionCapacity, 'ChangeSessionCapacitySuccess');
    const waitlisted = await execute(app, Book, { input: { sessionId: dive!.id, beneficiaryId: camille, joinWaitlistIfFull: true } }, { token: memberToken });
    success(waitlisted.bookSession, 'BookSessionWaitlisted');
    const reopened = await execute(app, ChangeCapacity, { input: { sessionId: dive!.id, capacity: 1 } }, { token: adminToken });
    success(reopened.changeSessionCapacity, 'ChangeSessionCapacitySuccess');
    await expect.poll(() => response(page), within).toContain('"myWaitlistOffers"');
    expect(await response(page)).toContain('"status": "OPEN"');
    expect(await response(page)).toContain(dive!.id);

    expect(graphiql.errors).toEqual([]);
  });

  it('reopens on the tab left, as it was, without adding a tab, however often it is reloaded', async () => {
    // A profile of its own, so the tabs it stores do not change the page of the tests above.
    const own = await openGraphiQL();
    const { page } = own;
    try {
      const pasted = JSON.stringify({ authorization: 'Bearer pasted-token' });
      /** The tab state GraphiQL stored (written half a second after a change). */
      const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem('graphiql:tabState') ?? 'null') as { activeTabIndex: number; tabs: { headers: string | null }[] } | null);
      const reloaded = async (load: () => Promise<unknown>) => {
        await load();
        await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
        await page.locator('.graphiql-tab').nth(TABS.length - 1).waitFor(within);
      };

      // BookSession (variables of its own) with a token pasted into its headers, then reloaded
      // twice, and opened again from its address: the same six tabs, on BookSession as it was.
      await openTab(own, 'BookSession');
      await fillTool(page, 'headers', pasted);
      await expect.poll(async () => (await stored())?.tabs[2]?.headers, within).toBe(pasted);
      for (const load of [() => page.reload(), () => page.reload(), () => page.goto(`${baseUrl}/graphql`)]) {
        await reloaded(load);
        expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual(TABS);
        expect(await page.locator('.graphiql-tab-active').innerText()).toBe('BookSession');
        expect(await editorText(page, '.graphiql-query-editor')).toContain('mutation BookSession');
        await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
        await expect.poll(() => editorText(page, headersPane), within).toBe(pasted);
      }

      // From LogIn (the placeholder headers, no variables): still one Schedule tab, on LogIn.
      await openTab(own, 'LogIn');
      await expect.poll(async () => (await stored())?.activeTabIndex, within).toBe(1);
      for (const load of [() => page.reload(), () => page.reload()]) {
        await reloaded(load);
        expect(await page.locator('.graphiql-tab').allInnerTexts()).toEqual(TABS);
        expect(await page.locator('.graphiql-tab-active').innerText()).toBe('LogIn');
      }
      expect(own.errors).toEqual([]);
    } finally {
      await own.context.close();
    }
  });
});
