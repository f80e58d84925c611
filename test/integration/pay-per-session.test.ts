import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { book, createCatalogue, memberWithCredits, scheduleSession } from '../support/factories.js';

// Pay-per-session (SPEC §11, 000 "Payer pour cette séance" / "Payer en personne") and booking
// straight onto the waitlist of a full session (SPEC §6), through the API on PostgreSQL.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

const Book = graphql(`
  mutation PayPerSessionBook($input: BookSessionInput!) {
    bookSession(input: $input) {
      __typename
      ... on BookSessionSuccess { clientSecret booking { id status entitlement { id } session { seatsLeft } } }
      ... on BookSessionWaitlisted { waitlistEntry { id status position session { seatsLeft waitlistLength } } }
      ... on Error { code message }
    }
  }
`);

const raw = (globalId: string) => decodeGlobalID(globalId).id;

describe('bookSession with joinWaitlistIfFull', () => {
  it('on a full session puts the beneficiary in line holding one credit, as joinWaitlist does; without the flag it is SESSION_FULL', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const first = await memberWithCredits(app, catalogue, 1);
    await book(app, first, session.id, first.beneficiaryId);
    const second = await memberWithCredits(app, catalogue, 2);

    const refused = (await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId } }, { token: second.token })).bookSession;
    expect(refused).toMatchObject({ __typename: 'SessionFullError', code: 'SESSION_FULL' });

    const answer = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId, joinWaitlistIfFull: true } }, { token: second.token })
    ).bookSession;
    const { waitlistEntry } = success(answer, 'BookSessionWaitlisted');
    expect(waitlistEntry).toMatchObject({ status: 'WAITING', position: 1, session: { seatsLeft: 0, waitlistLength: 1 } });
    const ledger = await prisma.creditLedgerEntry.findMany({ where: { waitlistEntryId: raw(waitlistEntry.id) } });
    expect(ledger.map((entry) => [entry.reason, entry.delta])).toEqual([['HOLD', -1]]);
    const lot = await prisma.entitlement.findFirstOrThrow({ where: { beneficiaryId: raw(second.beneficiaryId) } });
    expect(lot.creditsRemaining).toBe(1);

    // Asked again: the same rules as joinWaitlist (already waiting).
    const again = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: second.beneficiaryId, joinWaitlistIfFull: true } }, { token: second.token })
    ).bookSession;
    expect(again).toMatchObject({ code: 'ALREADY_ON_WAITLIST' });
  });

  it('books a seat as usual while the session has room', async () => {
    const catalogue = await createCatalogue(app);
    const session = await scheduleSession(app, catalogue, { capacity: 1 });
    const member = await memberWithCredits(app, catalogue, 1);
    const answer = (
      await execute(app, Book, { input: { sessionId: session.id, beneficiaryId: member.beneficiaryId, joinWaitlistIfFull: true } }, { token: member.token })
    ).bookSession;
    expect(success(answer, 'BookSessionSuccess').booking).toMatchObject({ status: 'CONFIRMED', session: { seatsLeft: 0 } });
  });
});
