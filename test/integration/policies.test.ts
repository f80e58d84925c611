import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, startApp, success } from '../support/app.js';
import { addBeneficiary, book, buyCredits, createCatalogue, createMember, scheduleSession, unique } from '../support/factories.js';

// Issue 11: policies as data (SPEC §1, §11). The organisation's policies readable by anyone and
// set by its ADMINs; an offer's own late-cancellation rule; discovery classes for new clients only.

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

const CreateOffer = graphql(`
  mutation PoliciesCreateOffer($input: CreateOfferInput!) {
    createOffer(input: $input) {
      __typename
      ... on CreateOfferSuccess { offer { id kind lateCancellation } }
      ... on Error { code message }
    }
  }
`);

async function offer(catalogue: Catalogue, input: { kind?: 'PACK' | 'DISCOVERY'; lateCancellation?: 'FORFEIT' | 'RECREDIT' | null; priceCents?: number } = {}) {
  const kind = input.kind ?? 'PACK';
  const data = await execute(
    app,
    CreateOffer,
    {
      input: {
        organizationId: catalogue.organization.id,
        kind,
        name: unique(kind),
        priceCents: input.priceCents ?? 5_000,
        credits: kind === 'PACK' ? 5 : null,
        validityDays: 90,
        lateCancellation: input.lateCancellation ?? null,
      },
    },
    { token: catalogue.admin.token },
  );
  return success(data.createOffer, 'CreateOfferSuccess').offer;
}

const Cancel = graphql(`
  mutation PoliciesCancel($input: CancelBookingInput!) {
    cancelBooking(input: $input) {
      __typename
      ... on CancelBookingSuccess { creditReturned booking { id status entitlement { creditsRemaining } } }
      ... on Error { code message }
    }
  }
`);

describe('Offer.lateCancellation overrides the activity for bookings paid with its credits (000, SPEC §11)', () => {
  it('activity FORFEIT, offer A RECREDIT, offer B without a rule: late with A credits back, late with B forfeits', async () => {
    const catalogue = await createCatalogue(app); // the activity: 4 h notice, FORFEIT
    const annual = await offer(catalogue, { lateCancellation: 'RECREDIT' });
    const plain = await offer(catalogue);
    expect(annual.lateCancellation).toBe('RECREDIT');
    expect(plain.lateCancellation).toBeNull();

    const session = await scheduleSession(app, catalogue, { startsInHours: 2 }); // within the notice
    const outcomes: unknown[] = [];
    for (const offerId of [annual.id, plain.id]) {
      const member = await createMember(app);
      const beneficiaryId = await addBeneficiary(app, member);
      await buyCredits(app, catalogue, member, offerId, beneficiaryId);
      const bookingId = await book(app, member, session.id, beneficiaryId);
      outcomes.push(success((await execute(app, Cancel, { input: { bookingId } }, { token: member.token })).cancelBooking, 'CancelBookingSuccess'));
    }
    expect(outcomes).toMatchObject([
      { creditReturned: true, booking: { status: 'LATE_CANCELLED', entitlement: { creditsRemaining: 5 } } },
      { creditReturned: false, booking: { status: 'LATE_CANCELLED', entitlement: { creditsRemaining: 4 } } },
    ]);
  });
});
