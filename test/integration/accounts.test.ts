import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { prisma } from '../../src/db/client.js';
import { settlePasswordWork } from '../../src/services/member/passwords.js';
import { graphql } from '../gql/index.js';
import { execute, request, success } from '../support/app.js';
import { clockApp, testClock } from '../support/clock.js';
import { addBeneficiary, createCatalogue, createMember, memberWithCredits, unique } from '../support/factories.js';

// Accounts (issue 9): password links read from the emails as sent, revocable logins over HTTP and
// graphql-ws, staff-made accounts, "Mon compte". The test clock expires links and tokens.

const dataDir = mkdtempSync(join(tmpdir(), 'accounts-mail-'));
const TOKEN_TTL_SECONDS = 2 * 60 * 60;
const app = clockApp('accounts', { dataDir, tokenTtlSeconds: TOKEN_TTL_SECONDS, socketAuthCheckMs: 100 });
const { clockNow, advanceTo } = testClock(app);

const RequestReset = graphql(`
  mutation AccountsRequestReset($input: RequestPasswordResetInput!) {
    requestPasswordReset(input: $input) {
      __typename
      ... on RequestPasswordResetSuccess { accepted }
      ... on Error { code message }
    }
  }
`);

const ResetPassword = graphql(`
  mutation AccountsResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      __typename
      ... on ResetPasswordSuccess { token expiresAt viewer { id email hasPassword } }
      ... on Error { code message }
    }
  }
`);

const LogIn = graphql(`
  mutation AccountsLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token viewer { id } }
      ... on Error { code message }
    }
  }
`);

const LogOut = graphql(`
  mutation AccountsLogOut {
    logOut(input: {}) {
      __typename
      ... on LogOutSuccess { loggedOutAt }
      ... on Error { code message }
    }
  }
`);

const LogOutEverywhere = graphql(`
  mutation AccountsLogOutEverywhere {
    logOut(input: { everywhere: true }) {
      __typename
      ... on LogOutSuccess { loggedOutAt }
      ... on Error { code message }
    }
  }
`);

const Viewer = graphql(`
  query AccountsViewer {
    viewer { id email firstName lastName phone locale marketingConsent hasPassword beneficiaries { id firstName lastName birthDate } }
  }
`);

const ChangePassword = graphql(`
  mutation AccountsChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      __typename
      ... on ChangePasswordSuccess { token }
      ... on Error { code message }
    }
  }
`);

const UpdateProfile = graphql(`
  mutation AccountsUpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      __typename
      ... on UpdateProfileSuccess { viewer { firstName lastName phone locale marketingConsent } }
      ... on ValidationError { field issues { field message } }
      ... on Error { code message }
    }
  }
`);

const CreateMember = graphql(`
  mutation AccountsCreateMember($input: CreateMemberInput!) {
    createMember(input: $input) {
      __typename
      ... on CreateMemberSuccess { member { id email firstName hasPassword beneficiaries { firstName birthDate } } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const MemberNode = graphql(`
  query AccountsMemberNode($id: ID!) {
    node(id: $id) { ... on Member { email firstName beneficiaries { firstName } } }
  }
`);

const MemberOrders = graphql(`
  query AccountsMemberOrders($id: ID!) {
    node(id: $id) { ... on Member { email orders { edges { node { id } } } } }
  }
`);

const UpdateBeneficiary = graphql(`
  mutation AccountsUpdateBeneficiary($input: UpdateBeneficiaryInput!) {
    updateBeneficiary(input: $input) {
      __typename
      ... on UpdateBeneficiarySuccess { beneficiary { firstName lastName birthDate } }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

const RemoveBeneficiary = graphql(`
  mutation AccountsRemoveBeneficiary($input: RemoveBeneficiaryInput!) {
    removeBeneficiary(input: $input) {
      __typename
      ... on RemoveBeneficiarySuccess { beneficiary { id } }
      ... on Error { code message }
    }
  }
`);

/** Runs what is due one second later: queued emails become .eml files under `dataDir`. */
async function sendEmails(): Promise<void> {
  await settlePasswordWork();
  await advanceTo((await clockNow()).plus({ seconds: 1 }));
}

/** The newest email of a template sent to an address, decoded from its .eml file. */
async function lastEmail(to: string, template: string): Promise<{ text: string; subject: string; locale: string }> {
  await sendEmails();
  const row = await prisma.outboxEmail.findFirst({ where: { toAddress: to, template }, orderBy: { createdAt: 'desc' } });
  if (!row) throw new Error(`no ${template} email to ${to}`);
  expect(row.status).toBe('SENT');
  const eml = await readFile(join(dataDir, 'mail', `${row.id}.eml`), 'utf8');
  const decoded = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  const headers = eml.slice(0, eml.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const rawSubject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
  // RFC 2047 "Q" words, as nodemailer writes non-ASCII subjects.
  const subject = rawSubject.replace(/=\?UTF-8\?Q\?(.*?)\?=\s*/gi, (_, word: string) =>
    Buffer.from(word.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
  return { text: Buffer.from(decoded, 'latin1').toString('utf8'), subject, locale: row.locale };
}

function linkToken(text: string): string {
  const match = /\/reset-password\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match) throw new Error(`no reset link in: ${text}`);
  return decodeURIComponent(match[1]!);
}

describe('password reset', () => {
  it('answers alike for known and unknown emails, emails a single-use link, and ends every earlier login', async () => {
    const member = await createMember(app());
    const known = await execute(app(), RequestReset, { input: { email: member.email.toUpperCase() } });
    const unknown = await execute(app(), RequestReset, { input: { email: `${unique('nobody')}@example.com` } });
    expect(known).toEqual(unknown);
    expect(known.requestPasswordReset).toEqual({ __typename: 'RequestPasswordResetSuccess', accepted: true });

    const email = await lastEmail(member.email, 'password-reset');
    const token = linkToken(email.text);
    // Stored only as a hash: neither the link table nor the outbox row holds the token.
    const link = await prisma.passwordReset.findFirstOrThrow({ where: { member: { email: member.email } } });
    expect(link.tokenHash).not.toContain(token);
    const rows = await prisma.outboxEmail.findMany({ where: { toAddress: member.email } });
    expect(JSON.stringify(rows)).not.toContain(token);

    const reset = success((await execute(app(), ResetPassword, { input: { token, password: 'a brand new secret' } })).resetPassword, 'ResetPasswordSuccess');
    expect(reset.viewer.email).toBe(member.email);
    // The login from before the reset is over; the new one works, and so does the new password.
    const before = await request(app(), Viewer, {}, { token: member.token });
    expect(before.errors?.[0]?.extensions).toEqual({ code: 'INVALID_TOKEN' });
    expect((await execute(app(), Viewer, {}, { token: reset.token })).viewer?.email).toBe(member.email);
    success((await execute(app(), LogIn, { input: { email: member.email, password: 'a brand new secret' } })).logIn, 'LogInSuccess');
    expect((await execute(app(), LogIn, { input: { email: member.email, password: member.password } })).logIn).toMatchObject({ code: 'INVALID_CREDENTIALS' });

    // Single use.
    const again = await execute(app(), ResetPassword, { input: { token, password: 'yet another one' } }, { locale: 'en' });
    expect(again.resetPassword).toEqual({ __typename: 'InvalidTokenError', code: 'INVALID_TOKEN', message: 'This link or token is invalid or has expired.' });
    // And the member is told, in their language (French by default).
    expect((await lastEmail(member.email, 'password-changed')).subject).toBe('Votre mot de passe a été modifié');
  });

  it('takes as long for an unknown email as for a known one', async () => {
    const member = await createMember(app());
    const time = async (email: string) => {
      const started = performance.now();
      await execute(app(), RequestReset, { input: { email } });
      return performance.now() - started;
    };
    // Load only ever adds time: the fastest of several answers is each path's own cost.
    const known: number[] = [];
    const unknown: number[] = [];
    // 9 of each: the email's rate limit (10 in tests) must not answer any of them.
    for (let i = 0; i < 9; i += 1) {
      known.push(await time(member.email));
      unknown.push(await time(`${unique('nobody')}@example.com`));
    }
    await settlePasswordWork();
    // The link is issued after the answer: both answers do the same work (a few milliseconds).
    expect(Math.abs(Math.min(...known) - Math.min(...unknown))).toBeLessThan(15);
  });

  it('expires a reset link after one hour, and a newer link voids the older one', async () => {
    const member = await createMember(app());
    await execute(app(), RequestReset, { input: { email: member.email } });
    const first = linkToken((await lastEmail(member.email, 'password-reset')).text);
    await execute(app(), RequestReset, { input: { email: member.email } });
    const second = linkToken((await lastEmail(member.email, 'password-reset')).text);
    expect(second).not.toBe(first);
    expect((await execute(app(), ResetPassword, { input: { token: first, password: 'password one' } })).resetPassword).toMatchObject({ code: 'INVALID_TOKEN' });

    await advanceTo((await clockNow()).plus({ minutes: 60, seconds: 1 }));
    expect((await execute(app(), ResetPassword, { input: { token: second, password: 'password two' } })).resetPassword).toMatchObject({ code: 'INVALID_TOKEN' });
    expect((await execute(app(), ResetPassword, { input: { token: 'made-up', password: 'password two' } })).resetPassword).toMatchObject({ code: 'INVALID_TOKEN' });
    // Nothing changed: the old password still works.
    success((await execute(app(), LogIn, { input: { email: member.email, password: member.password } })).logIn, 'LogInSuccess');
  });
});

describe('logins', () => {
  it('expires a token with the clock and refuses it as INVALID_TOKEN, never as anonymous', async () => {
    const member = await createMember(app());
    expect((await execute(app(), Viewer, {}, { token: member.token })).viewer?.id).toBe(member.id);
    await advanceTo((await clockNow()).plus({ seconds: TOKEN_TTL_SECONDS + 1 }));
    const expired = await request(app(), Viewer, {}, { token: member.token, locale: 'fr' });
    expect(expired.data ?? null).toBeNull();
    expect(expired.errors).toEqual([{ message: 'Ce lien ou ce jeton est invalide ou a expiré.', extensions: { code: 'INVALID_TOKEN' } }]);
  });

  it('logOut ends that login only, or every login with everywhere', async () => {
    const member = await createMember(app());
    const other = success((await execute(app(), LogIn, { input: { email: member.email, password: member.password } })).logIn, 'LogInSuccess');
    success((await execute(app(), LogOut, {}, { token: member.token })).logOut, 'LogOutSuccess');
    const response = await app().yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${member.token}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    expect(response.status).toBe(401);
    expect((await response.json()).errors[0].extensions.code).toBe('INVALID_TOKEN');
    expect((await execute(app(), Viewer, {}, { token: other.token })).viewer?.id).toBe(member.id);

    // Everywhere: every login of the account ends.
    const third = success((await execute(app(), LogIn, { input: { email: member.email, password: member.password } })).logIn, 'LogInSuccess');
    success((await execute(app(), LogOutEverywhere, {}, { token: other.token })).logOut, 'LogOutSuccess');
    for (const token of [other.token, third.token]) {
      expect((await request(app(), Viewer, {}, { token })).errors?.[0]?.extensions).toEqual({ code: 'INVALID_TOKEN' });
    }
  });

  it('changePassword needs the current password and ends every other login', async () => {
    const member = await createMember(app());
    const phone = success((await execute(app(), LogIn, { input: { email: member.email, password: member.password } })).logIn, 'LogInSuccess');
    const wrong = await execute(app(), ChangePassword, { input: { currentPassword: 'not it at all', newPassword: 'another secret' } }, { token: member.token });
    expect(wrong.changePassword).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const short = await execute(app(), ChangePassword, { input: { currentPassword: member.password, newPassword: 'short' } }, { token: member.token });
    expect(short.changePassword).toMatchObject({ code: 'VALIDATION' });

    const changed = success(
      (await execute(app(), ChangePassword, { input: { currentPassword: member.password, newPassword: 'another secret' } }, { token: member.token })).changePassword,
      'ChangePasswordSuccess',
    );
    for (const old of [member.token, phone.token]) {
      expect((await request(app(), Viewer, {}, { token: old })).errors?.[0]?.extensions).toEqual({ code: 'INVALID_TOKEN' });
    }
    expect((await execute(app(), Viewer, {}, { token: changed.token })).viewer?.id).toBe(member.id);
    expect(await prisma.outboxEmail.count({ where: { toAddress: member.email, template: 'password-changed' } })).toBe(1);
  });
});

describe('graphql-ws and logins', () => {
  /** A raw graphql-transport-ws socket: what the server answers, and the code it closes with. */
  async function openSocket(token: string | null) {
    const socket = new WebSocket(`ws://127.0.0.1:${await port()}/graphql`, 'graphql-transport-ws');
    const messages: { type: string; id?: string; payload?: unknown }[] = [];
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
    return { socket, messages, closed };
  }

  let listening: number | undefined;
  async function port(): Promise<number> {
    listening ??= await app().listen(0, '127.0.0.1');
    return listening;
  }

  const waitFor = async (check: () => boolean, timeoutMs = 3_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('closes an open subscription with 4403 when its login is revoked, and refuses the revoked token at connection', async () => {
    const member = await createMember(app());
    const { socket, messages, closed } = await openSocket(member.token);
    await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { myWaitlistOffers { id status } }' } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(socket.readyState).toBe(WebSocket.OPEN);

    success((await execute(app(), LogOut, {}, { token: member.token })).logOut, 'LogOutSuccess');
    expect(await closed).toBe(4403);

    const again = await openSocket(member.token);
    expect(await again.closed).toBe(4403);
    expect(again.messages.some((m) => m.type === 'connection_ack')).toBe(false);
  });

  it('closes the socket of a login that expires while it is open', async () => {
    const member = await createMember(app());
    const { messages, closed } = await openSocket(member.token);
    await waitFor(() => messages.some((m) => m.type === 'connection_ack'));
    await advanceTo((await clockNow()).plus({ seconds: TOKEN_TTL_SECONDS + 1 }));
    // The server re-checks open sockets' logins every `socketAuthCheckMs` (100 ms here).
    expect(await closed).toBe(4403);
  });

  it('keeps anonymous sockets anonymous, and a forged token is refused rather than let in', async () => {
    const anonymous = await openSocket(null);
    await waitFor(() => anonymous.messages.some((m) => m.type === 'connection_ack'));
    anonymous.socket.close();
    const forged = await openSocket('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged');
    expect(await forged.closed).toBe(4403);
  });
});

describe('accounts made by staff', () => {
  it('creates an account with no password, which its owner sets from the emailed link', async () => {
    const catalogue = await createCatalogue(app());
    const email = `${unique('desk')}@example.com`;
    const input = {
      organizationId: catalogue.organization.id,
      email,
      firstName: 'Lina',
      lastName: 'Martin',
      phone: '+33 6 12 34 56 78',
      beneficiaries: [
        { firstName: 'Lina', lastName: 'Martin', birthDate: '1988-02-03' },
        { firstName: 'Noé', lastName: 'Martin', birthDate: '2024-06-01' },
      ],
    };
    const created = success((await execute(app(), CreateMember, { input }, { token: catalogue.admin.token })).createMember, 'CreateMemberSuccess');
    expect(created.member).toMatchObject({ email, firstName: 'Lina', hasPassword: false });
    expect(created.member.beneficiaries.map((b) => b.firstName)).toEqual(['Lina', 'Noé']);

    // No password yet: logIn reveals nothing.
    const attempt = await execute(app(), LogIn, { input: { email, password: 'any password' } });
    expect(attempt.logIn).toMatchObject({ code: 'INVALID_CREDENTIALS' });

    // The same email again (another desk, or twice): joins, nothing duplicated, no second link.
    const twice = success((await execute(app(), CreateMember, { input }, { token: catalogue.admin.token })).createMember, 'CreateMemberSuccess');
    expect(twice.member.id).toBe(created.member.id);
    expect(twice.member.beneficiaries).toHaveLength(2);
    expect(await prisma.member.count({ where: { email } })).toBe(1);
    expect(await prisma.outboxEmail.count({ where: { toAddress: email, template: 'account-created' } })).toBe(1);

    const welcome = await lastEmail(email, 'account-created');
    expect(welcome.text).toContain('Créez votre mot de passe');
    const token = linkToken(welcome.text);
    const set = success((await execute(app(), ResetPassword, { input: { token, password: 'my first password' } })).resetPassword, 'ResetPasswordSuccess');
    expect(set.viewer).toMatchObject({ email, hasPassword: true });
    success((await execute(app(), LogIn, { input: { email, password: 'my first password' } })).logIn, 'LogInSuccess');
  });

  it('joins an existing account to the organisation, adding only the beneficiaries it lacks', async () => {
    const catalogue = await createCatalogue(app());
    const member = await createMember(app());
    await addBeneficiary(app(), member, '2020-01-01', 'Tom');
    const created = success(
      (
        await execute(
          app(),
          CreateMember,
          {
            input: {
              organizationId: catalogue.organization.id,
              email: member.email.toUpperCase(),
              firstName: 'Ada',
              lastName: 'Lovelace',
              beneficiaries: [
                { firstName: 'tom ', lastName: 'Lovelace', birthDate: '2020-01-01' },
                { firstName: 'Zoé', lastName: 'Lovelace', birthDate: '2022-01-01' },
              ],
            },
          },
          { token: catalogue.admin.token },
        )
      ).createMember,
      'CreateMemberSuccess',
    );
    expect(created.member.id).toBe(member.id);
    expect(created.member.hasPassword).toBe(true);
    expect(created.member.beneficiaries.map((b) => b.firstName).sort()).toEqual(['Tom', 'Zoé']);
    const organizationId = decodeGlobalID(catalogue.organization.id).id;
    const memberId = decodeGlobalID(member.id).id;
    expect(await prisma.membership.findMany({ where: { memberId, organizationId }, select: { role: true } })).toEqual([{ role: 'MEMBER' }]);
    // An account with a password gets no set-password link.
    expect(await prisma.passwordReset.count({ where: { memberId } })).toBe(0);
  });

  it('is for staff only, and checks every field', async () => {
    const catalogue = await createCatalogue(app());
    const stranger = await createMember(app());
    const input = { organizationId: catalogue.organization.id, email: `${unique('x')}@example.com`, firstName: 'A', lastName: 'B' };
    expect((await execute(app(), CreateMember, { input }, { token: stranger.token })).createMember).toMatchObject({ code: 'FORBIDDEN' });
    const bad = await execute(
      app(),
      CreateMember,
      { input: { ...input, email: 'nope', beneficiaries: [{ firstName: 'C', lastName: 'D', birthDate: '2999-01-01' }] } },
      { token: catalogue.admin.token },
    );
    expect(bad.createMember).toMatchObject({ code: 'VALIDATION', field: ['email'] });
    const future = await execute(
      app(),
      CreateMember,
      { input: { ...input, beneficiaries: [{ firstName: 'C', lastName: 'D', birthDate: '2999-01-01' }] } },
      { token: catalogue.admin.token },
    );
    expect(future.createMember).toMatchObject({ code: 'VALIDATION', field: ['beneficiaries', '0', 'birthDate'] });
  });

  it("lets the organisation's staff read the member's profile, never their own records", async () => {
    const catalogue = await createCatalogue(app());
    const email = `${unique('seen')}@example.com`;
    const { member } = success(
      (
        await execute(
          app(),
          CreateMember,
          { input: { organizationId: catalogue.organization.id, email, firstName: 'Eva', lastName: 'B', beneficiaries: [{ firstName: 'Eva', lastName: 'B', birthDate: '1990-01-01' }] } },
          { token: catalogue.admin.token },
        )
      ).createMember,
      'CreateMemberSuccess',
    );
    expect((await execute(app(), MemberNode, { id: member.id }, { token: catalogue.admin.token })).node).toEqual({
      email,
      firstName: 'Eva',
      beneficiaries: [{ firstName: 'Eva' }],
    });
    const orders = await request(app(), MemberOrders, { id: member.id }, { token: catalogue.admin.token });
    expect(orders.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Staff of another organisation see nothing at all.
    const other = await createCatalogue(app());
    expect((await execute(app(), MemberNode, { id: member.id }, { token: other.admin.token })).node).toBeNull();
  });

  it('expires the set-password link after 7 days', async () => {
    const catalogue = await createCatalogue(app());
    const email = `${unique('late')}@example.com`;
    success(
      (await execute(app(), CreateMember, { input: { organizationId: catalogue.organization.id, email, firstName: 'A', lastName: 'B' } }, { token: catalogue.admin.token })).createMember,
      'CreateMemberSuccess',
    );
    const token = linkToken((await lastEmail(email, 'account-created')).text);
    await advanceTo((await clockNow()).plus({ days: 7, seconds: 1 }));
    expect((await execute(app(), ResetPassword, { input: { token, password: 'too late now' } })).resetPassword).toMatchObject({ code: 'INVALID_TOKEN' });
  });
});

describe('Mon compte', () => {
  it('updates the profile, and the chosen language is the language of the emails', async () => {
    const member = await createMember(app());
    const updated = success(
      (
        await execute(
          app(),
          UpdateProfile,
          { input: { firstName: ' Grace ', phone: '+44 20 7946 0000', locale: 'EN', marketingConsent: true } },
          { token: member.token },
        )
      ).updateProfile,
      'UpdateProfileSuccess',
    );
    expect(updated.viewer).toEqual({ firstName: 'Grace', lastName: 'Lovelace', phone: '+44 20 7946 0000', locale: 'EN', marketingConsent: true });
    await execute(app(), RequestReset, { input: { email: member.email } });
    const email = await lastEmail(member.email, 'password-reset');
    expect(email.locale).toBe('en');
    expect(email.subject).toBe('Reset your password');

    const bad = await execute(app(), UpdateProfile, { input: { firstName: 'x'.repeat(101), phone: 'call me' } }, { token: member.token, locale: 'en' });
    expect(bad.updateProfile).toMatchObject({
      code: 'VALIDATION',
      issues: [
        { field: ['firstName'], message: 'This field cannot be longer than 100 characters.' },
        { field: ['phone'], message: 'The phone number is not valid.' },
      ],
    });
  });

  it('corrects a beneficiary, and refuses to remove one that still has credits', async () => {
    const catalogue = await createCatalogue(app());
    const member = await memberWithCredits(app(), catalogue, 2);
    const child = await addBeneficiary(app(), member, '2021-03-04', 'Léo');

    const fixed = success(
      (await execute(app(), UpdateBeneficiary, { input: { beneficiaryId: child, birthDate: '2021-03-05' } }, { token: member.token })).updateBeneficiary,
      'UpdateBeneficiarySuccess',
    );
    expect(fixed.beneficiary).toEqual({ firstName: 'Léo', lastName: 'Lovelace', birthDate: '2021-03-05' });
    const stranger = await createMember(app());
    expect((await execute(app(), UpdateBeneficiary, { input: { beneficiaryId: child, firstName: 'X' } }, { token: stranger.token })).updateBeneficiary).toMatchObject({
      code: 'NOT_FOUND',
    });

    const inUse = await execute(app(), RemoveBeneficiary, { input: { beneficiaryId: member.beneficiaryId } }, { token: member.token, locale: 'en' });
    expect(inUse.removeBeneficiary).toEqual({
      __typename: 'BeneficiaryInUseError',
      code: 'BENEFICIARY_IN_USE',
      message: 'This participant still has upcoming bookings or usable credits.',
    });
    success((await execute(app(), RemoveBeneficiary, { input: { beneficiaryId: child } }, { token: member.token })).removeBeneficiary, 'RemoveBeneficiarySuccess');
    const viewer = (await execute(app(), Viewer, {}, { token: member.token })).viewer;
    expect(viewer?.beneficiaries.map((b) => b.id)).toEqual([member.beneficiaryId]);
    // A removed beneficiary is gone for good.
    expect((await execute(app(), RemoveBeneficiary, { input: { beneficiaryId: child } }, { token: member.token })).removeBeneficiary).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('welcomes a new account by email', async () => {
    const member = await createMember(app());
    const welcome = await lastEmail(member.email, 'account-created');
    expect(welcome.subject).toBe('Bienvenue !');
  });
});
