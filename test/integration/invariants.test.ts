import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { startApp } from '../support/app.js';
import { unique } from '../support/factories.js';

// The database itself refuses what must never happen, whatever the application does.

let app: App;
let fixture: { sessionId: string; beneficiaryId: string; memberId: string; organizationId: string; offerId: string };

beforeAll(async () => {
  app = await startApp();
  const organization = await prisma.organization.create({ data: { slug: unique('inv'), name: 'Invariants' } });
  const member = await prisma.member.create({ data: { email: `${unique('inv')}@example.com`, firstName: 'I', lastName: 'V' } });
  const beneficiary = await prisma.beneficiary.create({
    data: { memberId: member.id, firstName: 'I', lastName: 'V', birthDate: new Date('1990-01-01') },
  });
  const venue = await prisma.venue.create({
    data: { organizationId: organization.id, name: 'P', address: 'A', city: 'C', latitude: 0, longitude: 0 },
  });
  const activity = await prisma.activity.create({
    data: { organizationId: organization.id, name: 'A', audience: 'ADULT', cancellationNoticeHours: 4 },
  });
  const startsAt = new Date(Date.now() + 86_400_000);
  const session = await prisma.session.create({
    data: {
      organizationId: organization.id,
      activityId: activity.id,
      venueId: venue.id,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3_600_000),
      capacity: 2,
    },
  });
  const offer = await prisma.offer.create({
    data: { organizationId: organization.id, kind: 'PACK', name: 'Pack', priceCents: 1000, credits: 2, validityDays: 30 },
  });
  fixture = { sessionId: session.id, beneficiaryId: beneficiary.id, memberId: member.id, organizationId: organization.id, offerId: offer.id };
});
afterAll(async () => {
  await app.close();
});

async function entitlement() {
  return prisma.entitlement.create({
    data: {
      organizationId: fixture.organizationId,
      memberId: fixture.memberId,
      beneficiaryId: fixture.beneficiaryId,
      offerId: fixture.offerId,
      validFrom: new Date(),
      validUntil: new Date(Date.now() + 30 * 86_400_000),
    },
  });
}

describe('the credit ledger', () => {
  it('derives the balance from its entries and never lets it go below zero', async () => {
    const { id } = await entitlement();
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 2, reason: 'GRANT' } });
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: -1, reason: 'DEBIT' } });
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(1);

    await expect(prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: -2, reason: 'DEBIT' } })).rejects.toThrow();
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(1);
    expect(await prisma.creditLedgerEntry.count({ where: { entitlementId: id } })).toBe(2);
  });

  it('spends the last credit once when many debit it at the same time', async () => {
    const { id } = await entitlement();
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 1, reason: 'GRANT' } });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: -1, reason: 'DEBIT' } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(0);
  });

  it('is append-only, and the balance moves only through it', async () => {
    const { id } = await entitlement();
    const entry = await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 3, reason: 'GRANT' } });
    await expect(prisma.creditLedgerEntry.update({ where: { id: entry.id }, data: { delta: 30 } })).rejects.toThrow();
    await expect(prisma.creditLedgerEntry.delete({ where: { id: entry.id } })).rejects.toThrow();
    await expect(prisma.entitlement.update({ where: { id }, data: { creditsRemaining: 99 } })).rejects.toThrow();
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(3);
  });

  it('counts a once-only change (dedupe key) once', async () => {
    const { id } = await entitlement();
    const key = unique('restore');
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 1, reason: 'RECREDIT', dedupeKey: key } });
    await expect(prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 1, reason: 'RECREDIT', dedupeKey: key } })).rejects.toThrow();
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(1);
  });
});

describe('ledger reasons', () => {
  it.each([
    ['GRANT', -1],
    ['RECREDIT', -1],
    ['RELEASE', -1],
    ['DEBIT', 1],
    ['HOLD', 1],
    ['EXPIRE', 1],
    ['FORFEIT', 1],
    ['ROLLOVER', 0],
    ['ADJUSTMENT', 0],
  ] as const)('refuses a %s entry of %i', async (reason, delta) => {
    const { id } = await entitlement();
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 5, reason: 'GRANT' } });
    await expect(prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta, reason } })).rejects.toThrow();
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(5);
  });

  it('records a forfeit of 0 (a late cancellation keeps its debit) without moving the balance', async () => {
    const { id } = await entitlement();
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 1, reason: 'GRANT' } });
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: -1, reason: 'DEBIT' } });
    await prisma.creditLedgerEntry.create({ data: { entitlementId: id, delta: 0, reason: 'FORFEIT' } });
    expect((await prisma.entitlement.findUniqueOrThrow({ where: { id } })).creditsRemaining).toBe(0);
  });
});

describe('bookings and seats', () => {
  it('allows one active booking per beneficiary per session, and frees the slot on cancellation', async () => {
    const data = {
      organizationId: fixture.organizationId,
      sessionId: fixture.sessionId,
      beneficiaryId: fixture.beneficiaryId,
      memberId: fixture.memberId,
    };
    const first = await prisma.booking.create({ data });
    await expect(prisma.booking.create({ data })).rejects.toThrow();
    await prisma.booking.update({ where: { id: first.id }, data: { status: 'CANCELLED' } });
    await expect(prisma.booking.create({ data })).resolves.toMatchObject({ status: 'CONFIRMED' });
  });

  it('never takes more seats than the capacity', async () => {
    await expect(prisma.session.update({ where: { id: fixture.sessionId }, data: { seatsTaken: 3 } })).rejects.toThrow();
    await expect(prisma.session.update({ where: { id: fixture.sessionId }, data: { seatsTaken: -1 } })).rejects.toThrow();
  });

  it('stores emails lowercased only', async () => {
    await expect(prisma.member.create({ data: { email: 'Upper@Example.com', firstName: 'U', lastName: 'C' } })).rejects.toThrow();
  });
});
