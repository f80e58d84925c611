import { randomUUID } from 'node:crypto';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, httpRequest, request, startApp, success } from '../support/app.js';
import {
  book,
  createCatalogue,
  createMember,
  createOffer,
  memberWithCredits,
  type TestMember,
} from '../support/factories.js';

// Roles per organisation (SPEC §2, API.md part 2): who holds which role, who may change it, the
// last ADMIN kept even when two admins demote each other at once, and a coach's reach.

let app: App;
let url: string;

beforeAll(async () => {
  app = await startApp();
  url = `http://127.0.0.1:${await app.listen(0, '127.0.0.1')}/graphql`;
});
afterAll(async () => {
  await app.close();
});

const Memberships = graphql(`
  query RolesMemberships {
    viewer { memberships { role organization { id name } } }
  }
`);

const GrantRole = graphql(`
  mutation RolesGrantRole($input: GrantRoleInput!) {
    grantRole(input: $input) {
      __typename
      ... on GrantRoleSuccess { membership { role organization { id } member { id } coach { id displayName } } }
      ... on Error { code message }
      ... on NotFoundError { field }
    }
  }
`);

const Staff = graphql(`
  query RolesStaff($slug: String!) {
    organization(slug: $slug) { staff { role member { id firstName lastName email } } }
  }
`);

const ViewerRole = graphql(`
  query RolesViewerRole($slug: String!) {
    organization(slug: $slug) { viewerRole }
  }
`);

const Register = graphql(`
  query RolesRegister($id: ID!) {
    node(id: $id) { ... on Session { bookings { id status beneficiary { firstName lastName } } } }
  }
`);

const MarkAttendance = graphql(`
  mutation RolesMarkAttendance($input: MarkAttendanceInput!) {
    markAttendance(input: $input) {
      __typename
      ... on MarkAttendanceSuccess { booking { id status } }
      ... on Error { code }
    }
  }
`);

const ScheduleSession = graphql(`
  mutation RolesScheduleSession($input: ScheduleSessionInput!) {
    scheduleSession(input: $input) {
      __typename
      ... on ScheduleSessionSuccess { session { id coach { id } } }
      ... on Error { code }
    }
  }
`);

const PurchaseOffer = graphql(`
  mutation RolesPurchaseOffer($input: PurchaseOfferInput!) {
    purchaseOffer(input: $input) {
      __typename
      ... on PurchaseOfferSuccess { order { id amountDue { amountCents } } }
      ... on Error { code }
    }
  }
`);

const RecordPayment = graphql(`
  mutation RolesRecordPayment($input: RecordPaymentInput!) {
    recordPayment(input: $input) {
      __typename
      ... on Error { code }
    }
  }
`);

const PendingRegistrations = graphql(`
  query RolesPendingRegistrations($slug: String!) {
    organization(slug: $slug) { pendingRegistrations { id } }
  }
`);

type Catalogue = Awaited<ReturnType<typeof createCatalogue>>;

async function grant(catalogue: { organization: { id: string } }, by: TestMember, member: { id: string }, role: 'MEMBER' | 'COACH' | 'STAFF' | 'ADMIN', locale?: string) {
  const data = await execute(
    app,
    GrantRole,
    { input: { organizationId: catalogue.organization.id, memberId: member.id, role } },
    { token: by.token, locale },
  );
  return data.grantRole;
}

async function granted(catalogue: Catalogue, by: TestMember, member: { id: string }, role: 'MEMBER' | 'COACH' | 'STAFF' | 'ADMIN') {
  return success(await grant(catalogue, by, member, role), 'GrantRoleSuccess').membership;
}

/** A member of the catalogue's organisation (they bought a pack there) holding `role`. */
async function memberAs(catalogue: Catalogue, role: 'MEMBER' | 'COACH' | 'STAFF' | 'ADMIN') {
  const member = await memberWithCredits(app, catalogue);
  const membership = role === 'MEMBER' ? null : await granted(catalogue, catalogue.admin, member, role);
  return { ...member, coachId: membership?.coach?.id ?? null };
}

const uuid = (globalId: string) => decodeGlobalID(globalId).id;

describe('Member.memberships', () => {
  it('lists the organizations the viewer belongs to, with their role in each', async () => {
    const catalogue = await createCatalogue(app);
    const member = await memberWithCredits(app, catalogue);

    const mine = await execute(app, Memberships, undefined, { token: member.token });
    expect(mine.viewer?.memberships).toEqual([{ role: 'MEMBER', organization: { id: catalogue.organization.id, name: expect.any(String) } }]);
    const admins = await execute(app, Memberships, undefined, { token: catalogue.admin.token });
    expect(admins.viewer?.memberships).toEqual([{ role: 'ADMIN', organization: { id: catalogue.organization.id, name: expect.any(String) } }]);
  });
});

describe('grantRole', () => {
  it('an ADMIN makes a member STAFF, then ADMIN, and back to MEMBER', async () => {
    const catalogue = await createCatalogue(app);
    const member = await memberWithCredits(app, catalogue);
    const slug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(catalogue.organization.id) } })).slug;
    const roleOf = async () => (await execute(app, ViewerRole, { slug }, { token: member.token })).organization?.viewerRole;

    for (const role of ['STAFF', 'ADMIN', 'STAFF', 'MEMBER'] as const) {
      const membership = await granted(catalogue, catalogue.admin, member, role);
      expect(membership).toMatchObject({ role, organization: { id: catalogue.organization.id }, member: { id: member.id }, coach: null });
      expect(await roleOf()).toBe(role);
    }
    // Granting the role held already changes nothing.
    expect(await granted(catalogue, catalogue.admin, member, 'MEMBER')).toMatchObject({ role: 'MEMBER' });
  });

  it('a new ADMIN grants roles too; the first may then step down', async () => {
    const catalogue = await createCatalogue(app);
    const second = await memberAs(catalogue, 'ADMIN');
    const other = await memberWithCredits(app, catalogue);
    expect(await granted(catalogue, second, other, 'STAFF')).toMatchObject({ role: 'STAFF' });
    expect(await granted(catalogue, catalogue.admin, catalogue.admin, 'STAFF')).toMatchObject({ role: 'STAFF' });
    expect(await grant(catalogue, catalogue.admin, other, 'MEMBER')).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('STAFF, coaches and members cannot grant roles (FORBIDDEN), not even to themselves', async () => {
    const catalogue = await createCatalogue(app);
    const staff = await memberAs(catalogue, 'STAFF');
    const coach = await memberAs(catalogue, 'COACH');
    const member = await memberWithCredits(app, catalogue);
    for (const caller of [staff, coach, member]) {
      expect(await grant(catalogue, caller, member, 'STAFF')).toMatchObject({ code: 'FORBIDDEN' });
      expect(await grant(catalogue, caller, caller, 'ADMIN')).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await grant(catalogue, staff, member, 'STAFF', 'en')).toMatchObject({
      __typename: 'ForbiddenError',
      message: "Only the organization's administrators can do this.",
    });
    expect(await prisma.membership.count({ where: { organizationId: uuid(catalogue.organization.id), role: 'ADMIN' } })).toBe(1);
  });

  it('a member of no organization of the admin answers NOT_FOUND on memberId, as does an unknown organization', async () => {
    const catalogue = await createCatalogue(app);
    const stranger = await createMember(app);
    const elsewhere = await createCatalogue(app);
    const theirs = await memberWithCredits(app, elsewhere);
    for (const who of [stranger, theirs]) {
      expect(await grant(catalogue, catalogue.admin, who, 'STAFF')).toMatchObject({ code: 'NOT_FOUND', field: ['memberId'] });
    }
    expect(await prisma.membership.findFirst({ where: { memberId: uuid(stranger.id) } })).toBeNull();
    expect(await grant(catalogue, catalogue.admin, stranger, 'ADMIN')).toMatchObject({ code: 'NOT_FOUND', field: ['memberId'] });
    expect(await grant({ organization: { id: encodeGlobalID('Organization', randomUUID()) } }, catalogue.admin, stranger, 'STAFF')).toMatchObject({
      code: 'NOT_FOUND',
      field: ['organizationId'],
    });
  });

  it('the last ADMIN cannot be demoted (LAST_ADMIN), in French by default and in English', async () => {
    const catalogue = await createCatalogue(app);
    for (const role of ['MEMBER', 'COACH', 'STAFF'] as const) {
      expect(await grant(catalogue, catalogue.admin, catalogue.admin, role)).toMatchObject({
        __typename: 'LastAdminError',
        code: 'LAST_ADMIN',
        message: "L'organisation doit garder au moins un administrateur.",
      });
    }
    expect(await grant(catalogue, catalogue.admin, catalogue.admin, 'STAFF', 'en')).toMatchObject({
      message: 'The organisation must keep at least one administrator.',
    });
    expect(await granted(catalogue, catalogue.admin, catalogue.admin, 'ADMIN')).toMatchObject({ role: 'ADMIN' });
    // Nothing changed, and no coach profile was made by the refused COACH grant.
    expect(await prisma.coach.count({ where: { memberId: uuid(catalogue.admin.id) } })).toBe(0);
  });

  it('two admins demoting each other at the same instant: exactly one succeeds, the other answers LAST_ADMIN', async () => {
    const catalogue = await createCatalogue(app);
    const organizationId = uuid(catalogue.organization.id);
    const other = await memberAs(catalogue, 'ADMIN');
    let a: TestMember = catalogue.admin;
    let b: TestMember = other;
    const ROUNDS = 10;
    for (let round = 0; round < ROUNDS; round += 1) {
      const results = await Promise.all([
        httpRequest(url, GrantRole, { input: { organizationId: catalogue.organization.id, memberId: b.id, role: 'STAFF' } }, { token: a.token }),
        httpRequest(url, GrantRole, { input: { organizationId: catalogue.organization.id, memberId: a.id, role: 'STAFF' } }, { token: b.token }),
      ]);
      const outcomes = results.map((result) => result.grantRole.__typename).sort();
      expect(outcomes, `round ${round}`).toEqual(['GrantRoleSuccess', 'LastAdminError']);
      const admins = await prisma.membership.findMany({ where: { organizationId, role: 'ADMIN' }, select: { memberId: true } });
      expect(admins, `round ${round}`).toHaveLength(1);
      // The winner promotes the loser again for the next round.
      const winner = results[0].grantRole.__typename === 'GrantRoleSuccess' ? a : b;
      const loser = winner === a ? b : a;
      expect(admins[0]?.memberId).toBe(uuid(winner.id));
      await granted(catalogue, winner, loser, 'ADMIN');
      // Whoever lost fires first next round.
      a = loser;
      b = winner;
    }
  });

  it('granting COACH makes one coach profile with the member’s name, however often it is granted', async () => {
    const catalogue = await createCatalogue(app);
    const member = await memberWithCredits(app, catalogue);
    const first = await granted(catalogue, catalogue.admin, member, 'COACH');
    expect(first).toMatchObject({ role: 'COACH', coach: { id: expect.any(String), displayName: 'Ada Lovelace' } });
    await granted(catalogue, catalogue.admin, member, 'STAFF');
    await Promise.all([
      granted(catalogue, catalogue.admin, member, 'COACH'),
      granted(catalogue, catalogue.admin, member, 'COACH'),
    ]);
    const again = await granted(catalogue, catalogue.admin, member, 'COACH');
    expect(again.coach).toEqual(first.coach);
    expect(await prisma.coach.count({ where: { organizationId: uuid(catalogue.organization.id), memberId: uuid(member.id) } })).toBe(1);
  });
});

describe('Organization.staff', () => {
  it('lists COACH, STAFF and ADMIN members with their names and emails to staff; FORBIDDEN to members and coaches', async () => {
    const catalogue = await createCatalogue(app);
    const slug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(catalogue.organization.id) } })).slug;
    const staff = await memberAs(catalogue, 'STAFF');
    const coach = await memberAs(catalogue, 'COACH');
    const member = await memberWithCredits(app, catalogue);
    const person = (m: TestMember) => ({ id: m.id, firstName: 'Ada', lastName: 'Lovelace', email: m.email });

    for (const viewer of [catalogue.admin, staff]) {
      const data = await execute(app, Staff, { slug }, { token: viewer.token });
      expect(data.organization?.staff).toEqual([
        { role: 'ADMIN', member: person(catalogue.admin) },
        { role: 'STAFF', member: person(staff) },
        { role: 'COACH', member: person(coach) },
      ]);
    }
    for (const viewer of [member, coach]) {
      const denied = await request(app, Staff, { slug }, { token: viewer.token });
      expect(denied.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    }
    const anonymous = await request(app, Staff, { slug });
    expect(anonymous.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('a coach', () => {
  async function sessionCoachedBy(catalogue: Catalogue, coachId: string) {
    const startsAt = new Date(Date.now() + 30 * 60_000);
    const data = await execute(
      app,
      ScheduleSession,
      {
        input: {
          activityId: catalogue.activity.id,
          venueId: catalogue.venue.id,
          startsAt: startsAt.toISOString(),
          endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
          capacity: 10,
          coachId,
        },
      },
      { token: catalogue.admin.token },
    );
    return success(data.scheduleSession, 'ScheduleSessionSuccess').session;
  }

  it('reads the register of the sessions they coach, with names, and takes attendance there; nothing else staff-only', async () => {
    const catalogue = await createCatalogue(app);
    const slug = (await prisma.organization.findUniqueOrThrow({ where: { id: uuid(catalogue.organization.id) } })).slug;
    const coach = await memberAs(catalogue, 'COACH');
    const colleague = await memberAs(catalogue, 'COACH');
    const mine = await sessionCoachedBy(catalogue, coach.coachId!);
    const theirs = await sessionCoachedBy(catalogue, colleague.coachId!);
    expect(mine.coach?.id).toBe(coach.coachId);
    const client = await memberWithCredits(app, catalogue);
    const booked = await book(app, client, mine.id, client.beneficiaryId);
    const bookedElsewhere = await book(app, client, theirs.id, client.beneficiaryId);

    // Their own session: the register with the beneficiary's name, and attendance.
    const register = await execute(app, Register, { id: mine.id }, { token: coach.token });
    expect(register.node).toEqual({ bookings: [{ id: booked, status: 'CONFIRMED', beneficiary: { firstName: 'Ada', lastName: 'Lovelace' } }] });
    const marked = await execute(app, MarkAttendance, { input: { bookingId: booked, status: 'ATTENDED' } }, { token: coach.token });
    expect(marked.markAttendance).toEqual({ __typename: 'MarkAttendanceSuccess', booking: { id: booked, status: 'ATTENDED' } });

    // Another coach's session: neither its register nor its attendance.
    const denied = await request(app, Register, { id: theirs.id }, { token: coach.token });
    expect(denied.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      (await execute(app, MarkAttendance, { input: { bookingId: bookedElsewhere, status: 'NO_SHOW' } }, { token: coach.token })).markAttendance,
    ).toMatchObject({ code: 'FORBIDDEN' });

    // Nothing else that is staff-only.
    const offerId = await createOffer(app, catalogue);
    const order = success(
      (await execute(app, PurchaseOffer, { input: { offerId, beneficiaryId: client.beneficiaryId } }, { token: client.token })).purchaseOffer,
      'PurchaseOfferSuccess',
    ).order;
    expect(
      (
        await execute(
          app,
          RecordPayment,
          { input: { orderId: order.id, method: 'CASH', amountCents: order.amountDue.amountCents } },
          { token: coach.token },
        )
      ).recordPayment,
    ).toMatchObject({ code: 'FORBIDDEN' });
    const startsAt = new Date(Date.now() + 48 * 3_600_000);
    const scheduled = await execute(
      app,
      ScheduleSession,
      {
        input: {
          activityId: catalogue.activity.id,
          venueId: catalogue.venue.id,
          startsAt: startsAt.toISOString(),
          endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
          capacity: 10,
          coachId: coach.coachId,
        },
      },
      { token: coach.token },
    );
    expect(scheduled.scheduleSession).toMatchObject({ code: 'FORBIDDEN' });
    const registrations = await request(app, PendingRegistrations, { slug }, { token: coach.token });
    expect(registrations.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(await grant(catalogue, coach, client, 'COACH')).toMatchObject({ code: 'FORBIDDEN' });

    // Set back to MEMBER, the coach keeps the profile but loses the register.
    await granted(catalogue, catalogue.admin, coach, 'MEMBER');
    const former = await request(app, Register, { id: mine.id }, { token: coach.token });
    expect(former.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(
      (await execute(app, MarkAttendance, { input: { bookingId: booked, status: 'NO_SHOW' } }, { token: coach.token })).markAttendance,
    ).toMatchObject({ code: 'FORBIDDEN' });
  });
});
