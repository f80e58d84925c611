import type { ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { verifyPassword } from '../../auth/passwords.js';
import { readExportToken, signExportToken } from '../../auth/tokens.js';
import type { Clock } from '../../clock.js';
import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { transactionThen, type Tx } from '../../db/transaction.js';
import { cancellationOutcome } from '../../domain/booking.js';
import { InvalidCredentialsError } from '../../domain/errors.js';
import { Issues, PASSWORD_MAX_LENGTH } from '../../domain/validation.js';
import type { Booking } from '../../generated/prisma/client.js';
import type { AfterCommit } from '../../jobs/worker.js';
import { personalDataExportLink } from '../../links.js';
import { logger } from '../../logger.js';
import { requireViewer } from '../access.js';
import { announceRevocation, revokeMemberLogins } from './auth-sessions.js';
import { cancellationPolicyOf, cancelLockedBooking, releaseLockedHold } from '../booking/bookings.js';
import { invoiceParties } from '../order/invoices.js';
import { lockEntitlements } from '../credit/ledger.js';
import { changed, lockSessions, sessionWithRules, type SessionWithRules } from '../booking/seating.js';
import { requestTermination } from '../credit/subscription-billing.js';
import { leaveLockedEntry } from '../booking/waitlist.js';

// Personal data (SPEC §10, 003 §15): a member downloads everything the service holds about them
// as one JSON document, and can erase their account. Erasure follows the existing rules (future
// bookings cancelled as `cancelBooking` does, waitlists left, subscriptions terminated by the
// notice rule) and then blanks the personal fields; invoices, payments, bookings and the credit
// ledger stay, as the law requires, with the names an invoice shows copied onto its order first.

// ─── Export ──────────────────────────────────────────────────────────────────────────────────

/** A signed link to the viewer's export, valid one hour of the injected clock. */
export async function exportMyData(context: Context): Promise<{ url: string; expiresAt: Date }> {
  const memberId = requireViewer(context);
  const { token, expiresAt } = await signExportToken(memberId, context.clock.now());
  return { url: personalDataExportLink(token), expiresAt };
}

const gid = (type: string, id: string | null): string | null => (id === null ? null : encodeGlobalID(type, id));
const day = (date: Date | null): string | null => (date ? date.toISOString().slice(0, 10) : null);

/**
 * Everything about one member, ids as the API shows them (global IDs). Never card data (none is
 * stored: Stripe holds it) nor Stripe's identifiers, nor other people's ids (staff who acted are
 * shown as a flag). Null when the member does not exist or was erased.
 */
export async function personalDataOf(memberId: string, now: Date): Promise<Record<string, unknown> | null> {
  const member = await prisma.member.findFirst({
    where: { id: memberId, erasedAt: null },
    include: {
      memberships: { include: { organization: { select: { id: true, name: true } } }, orderBy: { createdAt: 'asc' } },
      authSessions: { orderBy: { createdAt: 'asc' } },
      beneficiaries: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      coachProfiles: { include: { organization: { select: { id: true, name: true } } } },
      paymentMethods: { orderBy: { createdAt: 'asc' } },
    },
  });
  if (!member) return null;
  const organization = (org: { id: string; name: string }) => ({ id: gid('Organization', org.id), name: org.name });
  const session = (s: {
    id: string;
    startsAt: Date;
    endsAt: Date;
    status: string;
    activity: { name: string };
    venue: { name: string; address: string; city: string };
    organization: { id: string; name: string };
  }) => ({
    id: gid('Session', s.id),
    organization: organization(s.organization),
    activity: s.activity.name,
    venue: { name: s.venue.name, address: s.venue.address, city: s.venue.city },
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    status: s.status,
  });
  const sessionInclude = {
    include: {
      activity: { select: { name: true } },
      venue: { select: { name: true, address: true, city: true } },
      organization: { select: { id: true, name: true } },
    },
  } as const;

  // One connection per query at a time is plenty here: an export is rare.
  const registrations = await prisma.registration.findMany({
    where: { memberId },
    include: { organization: { select: { id: true, name: true } } },
    orderBy: { createdAt: 'asc' },
  });
  const bookings = await prisma.booking.findMany({ where: { memberId }, include: { session: sessionInclude }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  const waitlistEntries = await prisma.waitlistEntry.findMany({
    where: { memberId },
    include: { session: sessionInclude },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const orders = await prisma.order.findMany({
    where: { memberId },
    include: {
      organization: { select: { id: true, name: true } },
      offer: { select: { name: true, kind: true } },
      promoCode: { select: { code: true } },
      payments: { include: { refunds: { orderBy: { createdAt: 'asc' } } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const entitlements = await prisma.entitlement.findMany({
    where: { memberId },
    include: {
      organization: { select: { id: true, name: true } },
      offer: { select: { name: true, kind: true } },
      ledger: { orderBy: { sequence: 'asc' } },
      extensions: { orderBy: { createdAt: 'asc' } },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const subscriptions = await prisma.subscription.findMany({
    where: { memberId },
    include: {
      organization: { select: { id: true, name: true } },
      offer: { select: { name: true } },
      pauses: { orderBy: { startsAt: 'asc' } },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const creditNotes = await prisma.creditNote.findMany({
    where: { memberId },
    include: { organization: { select: { id: true, name: true } } },
    orderBy: { issuedAt: 'asc' },
  });
  const emails = await prisma.outboxEmail.findMany({
    where: { toAddress: member.email },
    include: { organization: { select: { id: true, name: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });

  return {
    format: 'class-booking/personal-data/1',
    exportedAt: now,
    member: {
      id: gid('Member', member.id),
      email: member.email,
      firstName: member.firstName,
      lastName: member.lastName,
      phone: member.phone,
      locale: member.locale,
      marketingConsent: member.marketingConsent,
      hasPassword: member.passwordHash !== null,
      createdAt: member.createdAt,
    },
    memberships: member.memberships.map((m) => ({ organization: organization(m.organization), role: m.role, since: m.createdAt })),
    logins: member.authSessions.map((login) => ({ createdAt: login.createdAt, expiresAt: login.expiresAt, revokedAt: login.revokedAt })),
    coachProfiles: member.coachProfiles.map((coach) => ({ organization: organization(coach.organization), displayName: coach.displayName })),
    beneficiaries: member.beneficiaries.map((b) => ({
      id: gid('Beneficiary', b.id),
      firstName: b.firstName,
      lastName: b.lastName,
      birthDate: day(b.birthDate),
      sex: b.sex,
      nationality: b.nationality,
      birthplace: b.birthplace,
      isSelf: b.isSelf,
      createdAt: b.createdAt,
      removedAt: b.removedAt,
    })),
    registrations: registrations.map((r) => ({
      id: gid('Registration', r.id),
      organization: organization(r.organization),
      beneficiaryId: gid('Beneficiary', r.beneficiaryId),
      status: r.status,
      details: r.details,
      reviewedAt: r.reviewedAt,
      reviewNote: r.reviewNote,
      createdAt: r.createdAt,
    })),
    bookings: bookings.map((b) => ({
      id: gid('Booking', b.id),
      beneficiaryId: gid('Beneficiary', b.beneficiaryId),
      session: session(b.session),
      status: b.status,
      bookedByStaff: b.bookedById !== null,
      entitlementId: gid('Entitlement', b.entitlementId),
      orderId: gid('Order', b.orderId),
      rescheduledFromId: gid('Booking', b.rescheduledFromId),
      createdAt: b.createdAt,
      cancelledAt: b.cancelledAt,
      creditRestoredAt: b.creditRestoredAt,
      attendanceAt: b.attendanceAt,
    })),
    waitlistEntries: waitlistEntries.map((w) => ({
      id: gid('WaitlistEntry', w.id),
      beneficiaryId: gid('Beneficiary', w.beneficiaryId),
      session: session(w.session),
      status: w.status,
      entitlementId: gid('Entitlement', w.entitlementId),
      createdAt: w.createdAt,
      closedAt: w.closedAt,
    })),
    orders: orders.map((o) => ({
      id: gid('Order', o.id),
      organization: organization(o.organization),
      beneficiaryId: gid('Beneficiary', o.beneficiaryId),
      offer: o.offer ? { name: o.offer.name, kind: o.offer.kind } : null,
      sessionId: gid('Session', o.sessionId),
      subscriptionId: gid('MemberSubscription', o.subscriptionId),
      periodIndex: o.periodIndex,
      status: o.status,
      currency: o.currency,
      subtotalCents: o.subtotalCents,
      discountCents: o.discountCents,
      totalCents: o.totalCents,
      paidCents: o.paidCents,
      promoCode: o.promoCode?.code ?? null,
      invoiceNumber: o.invoiceNumber,
      createdAt: o.createdAt,
      paidAt: o.paidAt,
      cancelledAt: o.cancelledAt,
      refundedAt: o.refundedAt,
      // Method, amounts and desk reference only: no Stripe identifier, and no card data exists.
      payments: o.payments.map((p) => ({
        method: p.method,
        status: p.status,
        amountCents: p.amountCents,
        refundedCents: p.refundedCents,
        reference: p.reference,
        recordedByStaff: p.recordedById !== null,
        failureReason: p.failureReason,
        createdAt: p.createdAt,
        succeededAt: p.succeededAt,
        refunds: p.refunds.map((r) => ({ amountCents: r.amountCents, status: r.status, reason: r.reason, createdAt: r.createdAt })),
      })),
    })),
    entitlements: entitlements.map((e) => ({
      id: gid('Entitlement', e.id),
      organization: organization(e.organization),
      beneficiaryId: gid('Beneficiary', e.beneficiaryId),
      offer: { name: e.offer.name, kind: e.offer.kind },
      orderId: gid('Order', e.orderId),
      subscriptionId: gid('MemberSubscription', e.subscriptionId),
      periodIndex: e.periodIndex,
      status: e.status,
      validFrom: e.validFrom,
      validUntil: e.validUntil,
      creditsRemaining: e.creditsRemaining,
      carriedFromId: gid('Entitlement', e.carriedFromId),
      ledger: e.ledger.map((entry) => ({
        delta: entry.delta,
        reason: entry.reason,
        bookingId: gid('Booking', entry.bookingId),
        waitlistEntryId: gid('WaitlistEntry', entry.waitlistEntryId),
        byStaff: entry.actorId !== null,
        note: entry.note,
        createdAt: entry.createdAt,
      })),
      extensions: e.extensions.map((x) => ({
        previousValidUntil: x.previousValidUntil,
        newValidUntil: x.newValidUntil,
        reason: x.reason,
        createdAt: x.createdAt,
      })),
    })),
    subscriptions: subscriptions.map((s) => ({
      id: gid('MemberSubscription', s.id),
      organization: organization(s.organization),
      beneficiaryId: gid('Beneficiary', s.beneficiaryId),
      offer: s.offer.name,
      status: s.status,
      startedAt: s.startedAt,
      currentPeriodIndex: s.currentPeriodIndex,
      currentPeriodStart: s.currentPeriodStart,
      currentPeriodEnd: s.currentPeriodEnd,
      commitmentEndsAt: s.commitmentEndsAt,
      terminationRequestedAt: s.terminationRequestedAt,
      endsAt: s.endsAt,
      pauses: s.pauses.map((p) => ({ startsAt: p.startsAt, endsAt: p.endsAt, medical: p.medical, appliedAt: p.appliedAt, createdAt: p.createdAt })),
    })),
    creditNotes: creditNotes.map((c) => ({
      id: gid('CreditNote', c.id),
      organization: organization(c.organization),
      amountCents: c.amountCents,
      remainingCents: c.remainingCents,
      reason: c.reason,
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
    })),
    // What Stripe lets anyone show on a receipt (type, brand, last four digits); the card stays at Stripe.
    savedPaymentMethods: member.paymentMethods.map((m) => ({ type: m.type, brand: m.brand, last4: m.last4, createdAt: m.createdAt })),
    emails: emails.map((e) => ({
      organization: e.organization ? organization(e.organization) : null,
      template: e.template,
      locale: e.locale,
      status: e.status,
      createdAt: e.createdAt,
      sentAt: e.sentAt,
    })),
  };
}

const EXPORT_PATH = /^\/exports\/me\.json(?:\?(.*))?$/;

/**
 * `GET /exports/me.json?token=…`: the member's export as one JSON document. A missing, forged,
 * expired or otherwise foreign token, or an erased member: 404 with no detail. Returns false for
 * any other path, so the caller serves it otherwise.
 */
export async function serveMyDataExport(url: string, res: ServerResponse, clock: Clock): Promise<boolean> {
  const match = EXPORT_PATH.exec(url);
  if (!match) return false;
  const notFound = () => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Not found\n');
    return true;
  };
  const token = new URLSearchParams(match[1] ?? '').get('token');
  const now = clock.now();
  const memberId = token ? await readExportToken(token, now) : null;
  if (!memberId || !/^[0-9a-f-]{36}$/i.test(memberId)) return notFound();
  const data = await personalDataOf(memberId, now);
  if (!data) return notFound();
  const body = Buffer.from(JSON.stringify(data, null, 2));
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    'content-disposition': 'attachment; filename="personal-data.json"',
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
  logger.debug({ memberId }, 'personal data exported');
  return true;
}

// ─── Erasure ─────────────────────────────────────────────────────────────────────────────────

/**
 * What an erased beneficiary's date of birth becomes: the column is NOT NULL (child classes check
 * ages), so a fixed date nobody has stands in for it. `erasedAt` is what tells an erased row.
 */
export const ERASED_BIRTH_DATE = new Date('1900-01-01T00:00:00Z');

/** The unique, undeliverable address an erased account keeps (`.invalid` is reserved, RFC 2606). */
export function erasedEmail(memberId: string): string {
  return `erased-${memberId}@erased.invalid`;
}

/**
 * Erases the viewer's account at once (SPEC §10), after checking their password (an account with
 * no password cannot pass). One transaction; logins revoked and seats published after commit.
 */
export async function requestAccountDeletion(context: Context, input: { password: string }): Promise<{ erasedAt: Date }> {
  const memberId = requireViewer(context);
  new Issues()
    .when(input.password.length > PASSWORD_MAX_LENGTH, 'password', 'validation.password.tooLong', { max: PASSWORD_MAX_LENGTH })
    .throwIfAny();
  const member = await prisma.member.findUnique({ where: { id: memberId }, select: { email: true, passwordHash: true, erasedAt: true } });
  // A stolen token must not buy unlimited password guesses: counted as logIn attempts.
  if (member) await context.rateLimits?.consume('logIn', { email: member.email, address: context.clientAddress });
  // Verified even without a hash (against a decoy), so the answer takes as long either way.
  const valid = await verifyPassword(member?.passwordHash ?? null, input.password);
  if (!member?.passwordHash || member.erasedAt || !valid) throw new InvalidCredentialsError();
  const verifiedHash = member.passwordHash;
  const now = context.clock.now();
  const erasedAt = await transactionThen(async (tx, effects) => {
    return eraseMember(tx, memberId, verifiedHash, now, effects);
  });
  await announceRevocation({ memberId });
  logger.info({ memberId }, 'account erased');
  return { erasedAt };
}

/**
 * The erasure, in the caller's transaction. Lock order: the member row (FOR UPDATE: use cases
 * that give a member a booking, a waitlist place or an order hold it shared first, so none
 * interleaves), then the subscriptions (as their own jobs do), then the sessions, bookings and
 * entitlements in the order every booking use case takes them. Seats held while paying online
 * are released (CANCELLED, unpaid order cancelled) as an expired hold's are: nobody will pay them.
 */
async function eraseMember(tx: Tx, memberId: string, verifiedHash: string, now: Date, effects: AfterCommit[]): Promise<Date> {
  const [member] = await tx.$queryRaw<{ email: string; passwordHash: string | null; erasedAt: Date | null }[]>`
    SELECT "email", "passwordHash", "erasedAt" FROM "Member" WHERE "id" = ${memberId}::uuid FOR UPDATE`;
  if (!member) throw new InvalidCredentialsError();
  // Erased by a request that committed first: the same answer.
  if (member.erasedAt) return member.erasedAt;
  // The password changed since it was checked: the one given is no longer the account's.
  if (member.passwordHash !== verifiedHash) throw new InvalidCredentialsError();

  // Subscriptions end by the organisation's notice rule, as if the member had asked.
  const subscriptions = await tx.subscription.findMany({
    where: { memberId, status: { in: ['ACTIVE', 'SUSPENDED'] }, endsAt: null },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  for (const subscription of subscriptions) await requestTermination(tx, subscription.id, now);

  // The sessions of future bookings, of held seats and of waiting places, locked; read again once locked, since
  // a waitlist promotion that held one of them may have committed meanwhile.
  const locked = new Set<string>();
  for (;;) {
    const missing = (await sessionsToLeave(tx, memberId, now)).filter((id) => !locked.has(id));
    if (missing.length === 0) break;
    await lockSessions(tx, missing);
    for (const id of missing) locked.add(id);
  }
  const sessions = new Map<string, SessionWithRules>(
    (await tx.session.findMany({ where: { id: { in: [...locked] } }, include: sessionWithRules })).map((session) => [session.id, session]),
  );
  const bookings = await tx.$queryRaw<Booking[]>`
    SELECT b.* FROM "Booking" b JOIN "Session" s ON s."id" = b."sessionId"
     WHERE b."memberId" = ${memberId}::uuid
       AND ((b."status" = 'CONFIRMED' AND s."startsAt" > ${now}) OR b."status" = 'PENDING_PAYMENT')
     ORDER BY b."id" FOR UPDATE OF b`;
  const entries = await tx.waitlistEntry.findMany({ where: { memberId, status: 'WAITING' }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  await lockEntitlements(tx, [...bookings, ...entries].flatMap((row) => (row.entitlementId ? [row.entitlementId] : [])));

  // Places in line first: a seat freed by a cancellation below must not go to this member.
  for (const entry of entries) await leaveLockedEntry(tx, sessions.get(entry.sessionId)!, entry, now, effects);
  for (const booking of bookings) {
    const session = sessions.get(booking.sessionId)!;
    if (booking.status === 'PENDING_PAYMENT') {
      effects.push(...(await releaseLockedHold(tx, { booking, session, status: 'CANCELLED', now })));
      continue;
    }
    const outcome = cancellationOutcome(session, await cancellationPolicyOf(tx, booking, session.activity), now, booking);
    await cancelLockedBooking(tx, { booking, session, outcome, actorId: null, now }, effects);
  }
  for (const session of sessions.values()) effects.push(changed(session));

  await revokeMemberLogins(tx, memberId, now);
  await tx.passwordReset.deleteMany({ where: { memberId } });

  // The invoices the law keeps must read as issued: their names are copied before blanking.
  const invoiced = await tx.order.findMany({
    where: { memberId, invoiceNumber: { not: null }, invoiceMemberName: null },
    select: {
      id: true,
      invoiceMemberName: true,
      invoiceMemberEmail: true,
      invoiceBeneficiaryName: true,
      member: { select: { firstName: true, lastName: true, email: true } },
      beneficiary: { select: { firstName: true, lastName: true } },
    },
  });
  for (const order of invoiced) {
    const parties = invoiceParties(order);
    await tx.order.update({
      where: { id: order.id },
      data: { invoiceMemberName: parties.memberName, invoiceMemberEmail: parties.memberEmail, invoiceBeneficiaryName: parties.beneficiaryName },
    });
  }

  const address = erasedEmail(memberId);
  // Emails not sent yet are dropped (their address is going); sent ones keep only what they were.
  await tx.outboxEmail.deleteMany({ where: { toAddress: member.email, status: 'PENDING' } });
  await tx.outboxEmail.updateMany({ where: { toAddress: member.email }, data: { toAddress: address, payload: {}, lastError: null } });
  await tx.registration.updateMany({ where: { memberId }, data: { details: {} } });
  await tx.savedPaymentMethod.deleteMany({ where: { memberId } });
  await tx.beneficiary.updateMany({
    where: { memberId },
    data: { firstName: '', lastName: '', birthDate: ERASED_BIRTH_DATE, sex: null, nationality: null, birthplace: null, erasedAt: now },
  });
  await tx.member.update({
    where: { id: memberId },
    data: {
      email: address,
      firstName: '',
      lastName: '',
      phone: null,
      passwordHash: null,
      marketingConsent: false,
      stripeCustomerId: null,
      erasedAt: now,
    },
  });
  return now;
}

/**
 * Sessions whose seats or lines the member must leave: future confirmed bookings, seats held while
 * paying online (whatever the start: an unpaid hold is released as its expiry would), waiting places.
 */
async function sessionsToLeave(tx: Tx, memberId: string, now: Date): Promise<string[]> {
  const rows = await tx.$queryRaw<{ sessionId: string }[]>`
    SELECT b."sessionId" FROM "Booking" b JOIN "Session" s ON s."id" = b."sessionId"
     WHERE b."memberId" = ${memberId}::uuid
       AND ((b."status" = 'CONFIRMED' AND s."startsAt" > ${now}) OR b."status" = 'PENDING_PAYMENT')
    UNION
    SELECT w."sessionId" FROM "WaitlistEntry" w WHERE w."memberId" = ${memberId}::uuid AND w."status" = 'WAITING'`;
  return rows.map((row) => row.sessionId);
}
