import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, databaseUrl, dropDatabase } from '../support/global-setup.js';
import { startServer, stopProcess } from '../support/processes.js';

// Issue 14 point 7: the server's output is JSON lines only, so that a log collector can parse every
// line. Pothos's unused-query check used to print plain-text warnings here for `sessions` and
// `offers` whenever an ID named nothing.

const children: ChildProcess[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(databases.map((name) => dropDatabase(name)));
});

async function post(url: string, query: string, variables?: Record<string, unknown>, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-language': 'en', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** An organisation with a venue, an activity, six sessions and an offer, made through the API. */
async function createOrganisation(url: string) {
  const admin = async (query: string, variables: Record<string, unknown>) => {
    const result = await post(url, query, variables, token);
    const answer = Object.values(result.data ?? {})[0] as Record<string, any> | undefined;
    if (!answer || answer.code) throw new Error(JSON.stringify(result));
    return answer;
  };
  const signUp = await post(url, 'mutation { signUp(input: { email: "logs@example.com", password: "a long password", firstName: "L", lastName: "J" }) { ... on SignUpSuccess { token } } }');
  const token = signUp.data.signUp.token as string;
  const { organization } = await admin(
    'mutation { createOrganization(input: { name: "Logs", slug: "logs", timeZone: "Europe/Paris" }) { ... on CreateOrganizationSuccess { organization { id } } ... on Error { code } } }',
    {},
  );
  const organizationId = organization.id as string;
  const { venue } = await admin(
    'mutation($o: ID!) { createVenue(input: { organizationId: $o, name: "Pool", address: "1 rue", city: "Paris", latitude: 48.85, longitude: 2.35 }) { ... on CreateVenueSuccess { venue { id } } ... on Error { code } } }',
    { o: organizationId },
  );
  const { activity } = await admin(
    'mutation($o: ID!) { createActivity(input: { organizationId: $o, name: "Swim", audience: ADULT, cancellationNoticeHours: 4 }) { ... on CreateActivitySuccess { activity { id } } ... on Error { code } } }',
    { o: organizationId },
  );
  for (let day = 1; day <= 6; day++) {
    const startsAt = new Date(Date.now() + day * 86_400_000);
    await admin(
      'mutation($a: ID!, $v: ID!, $s: DateTime!, $e: DateTime!) { scheduleSession(input: { activityId: $a, venueId: $v, startsAt: $s, endsAt: $e, capacity: 8 }) { ... on ScheduleSessionSuccess { session { id } } ... on Error { code } } }',
      { a: activity.id, v: venue.id, s: startsAt.toISOString(), e: new Date(startsAt.getTime() + 3_600_000).toISOString() },
    );
  }
  await admin(
    'mutation($o: ID!) { createOffer(input: { organizationId: $o, kind: PACK, name: "10 swims", credits: 10, validityDays: 90, priceCents: 9000 }) { ... on CreateOfferSuccess { offer { id } } ... on Error { code } } }',
    { o: organizationId },
  );
  return { id: organizationId, venueId: venue.id as string };
}

describe('logs', () => {
  it('are JSON lines only, through the schedule and offers queries, unknown IDs, client mistakes and a shutdown', async () => {
    const name = await createDatabase('booking_json_logs');
    databases.push(name);
    // Not under NODE_ENV=test: the server runs as `npm start` runs it, with Pothos's checks on.
    const server = await startServer({ DATABASE_URL: databaseUrl(name), REDIS_URL: inject('redisUrl'), NODE_ENV: '' }, children);
    const organization = await createOrganisation(server.url);
    const venueId = organization.venueId;
    const fields = 'edges { node { id startsAt seatsLeft activity { name } } } pageInfo { hasNextPage }';
    const schedule = await post(server.url, `query($o: ID!) { sessions(filter: { organizationId: $o }, first: 5) { ${fields} } }`, { o: organization.id });
    expect(schedule.data.sessions.edges.length).toBe(5);
    const byVenue = await post(server.url, `query($v: ID!) { sessions(filter: { venueId: $v, onlyAvailable: true }) { ${fields} } }`, { v: venueId });
    expect(byVenue.data.sessions.edges.length).toBeGreaterThan(0);
    const offers = await post(server.url, 'query($o: ID!) { offers(organizationId: $o) { name price { amountCents } activities { name } } }', { o: organization.id });
    expect(offers.data.offers.length).toBeGreaterThan(0);

    // IDs of the wrong type, malformed, or naming nothing: typed errors (README, "Unknown IDs"), logged as JSON too.
    const unknownVenue = Buffer.from('Venue:00000000-0000-7000-8000-000000000000').toString('base64');
    for (const [unknown, codes] of [
      [venueId, ['VALIDATION']],
      ['not-an-id', ['VALIDATION']],
      [unknownVenue, ['VALIDATION']],
    ] as const) {
      const none = await post(server.url, `query($x: ID!) { sessions(filter: { venueId: $x }) { ${fields} } offers(organizationId: $x) { name activities { name } } }`, { x: unknown });
      expect((none.errors ?? []).map((error) => String(error.extensions?.code)).sort()).toEqual(codes);
    }
    const noSessions = await post(server.url, `query($x: ID!) { sessions(filter: { ids: [$x] }) { ${fields} } }`, { x: organization.id });
    expect(noSessions.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    const noVenue = await post(server.url, `query($x: ID!) { sessions(filter: { venueId: $x }) { ${fields} } }`, { x: unknownVenue });
    expect(noVenue.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Client mistakes and the other routes log too.
    expect((await post(server.url, '{ sessions(')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect((await post(server.url, '{ nope }')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/screens/venues/${venueId}`)).status).toBe(200);

    expect(await stopProcess(server.child)).toBe(0);
    const lines = [server.stdout, server.stderr].flatMap((stream) => stream.join('').split('\n')).filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(2);
    const notJson = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const messages = lines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
    expect(messages).toContain('server ready');
    // Every query used its planned selection (the check still runs outside production, in JSON).
    expect(lines.filter((line) => line.includes('unused'))).toEqual([]);
    expect(messages).toContain('shutting down');
  }, 120_000);
});
