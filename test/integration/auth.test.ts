import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '../../src/db/client.js';
import type { App } from '../../src/server.js';
import { graphql } from '../gql/index.js';
import { execute, request, startApp, success } from '../support/app.js';
import { createMember, unique } from '../support/factories.js';

const SignUp = graphql(`
  mutation AuthSignUp($input: SignUpInput!) {
    signUp(input: $input) {
      __typename
      ... on SignUpSuccess { token viewer { id email firstName } }
      ... on Error { code message }
      ... on ValidationError { field issues { field message } }
    }
  }
`);

const LogIn = graphql(`
  mutation AuthLogIn($input: LogInInput!) {
    logIn(input: $input) {
      __typename
      ... on LogInSuccess { token viewer { id email } }
      ... on Error { code message }
    }
  }
`);

const Viewer = graphql(`
  query AuthViewer {
    viewer { id email beneficiaries { firstName birthDate } }
  }
`);

const AddBeneficiary = graphql(`
  mutation AuthAddBeneficiary($input: AddBeneficiaryInput!) {
    addBeneficiary(input: $input) {
      __typename
      ... on AddBeneficiarySuccess { beneficiary { id firstName lastName birthDate } }
      ... on Error { code message }
      ... on ValidationError { field }
    }
  }
`);

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

describe('signUp', () => {
  it('creates an account, hashes the password with argon2id and logs it in', async () => {
    const email = `${unique('Mixed')}@Example.COM`;
    const data = await execute(app, SignUp, { input: { email, password: 'long enough pw', firstName: 'Léa', lastName: 'Martin' } });
    const result = success(data.signUp, 'SignUpSuccess');
    expect(result.viewer.email).toBe(email.toLowerCase());
    expect(result.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const stored = await prisma.member.findUniqueOrThrow({ where: { email: email.toLowerCase() } });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored.passwordHash).not.toContain('long enough pw');

    const viewer = await execute(app, Viewer, {}, { token: result.token });
    expect(viewer.viewer?.id).toBe(result.viewer.id);
  });

  it('refuses an email already used in another case with EMAIL_TAKEN', async () => {
    const member = await createMember(app);
    const data = await execute(
      app,
      SignUp,
      { input: { email: member.email.toUpperCase(), password: 'another password', firstName: 'A', lastName: 'B' } },
      { locale: 'en' },
    );
    expect(data.signUp).toMatchObject({ __typename: 'EmailTakenError', code: 'EMAIL_TAKEN', message: 'An account already exists with this email address.' });
  });

  it('lets exactly one of many simultaneous sign-ups with one email through', async () => {
    const email = `${unique('race')}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        execute(app, SignUp, { input: { email: i % 2 ? email.toUpperCase() : email, password: 'password-123', firstName: 'R', lastName: 'C' } }),
      ),
    );
    const typenames = results.map((r) => r.signUp.__typename).sort();
    expect(typenames.filter((t) => t === 'SignUpSuccess')).toHaveLength(1);
    expect(typenames.filter((t) => t === 'EmailTakenError')).toHaveLength(7);
    expect(await prisma.member.count({ where: { email } })).toBe(1);
  });

  it('answers every bad field at once, in French by default and in English on request', async () => {
    const input = { email: 'not-an-email', password: 'short', firstName: ' ', lastName: 'Doe' };
    const fr = await execute(app, SignUp, { input });
    expect(fr.signUp).toMatchObject({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      field: ['email'],
      message: "L'adresse e-mail n'est pas valide.",
    });
    const en = await execute(app, SignUp, { input }, { locale: 'en-GB,en;q=0.9,fr;q=0.5' });
    if (en.signUp.__typename !== 'ValidationError') throw new Error('expected a ValidationError');
    expect(en.signUp.issues).toEqual([
      { field: ['email'], message: 'The email address is not valid.' },
      { field: ['password'], message: 'The password must be at least 8 characters long.' },
      { field: ['firstName'], message: 'This field is required.' },
    ]);
    expect(await prisma.member.count({ where: { email: 'not-an-email' } })).toBe(0);
  });
});

describe('logIn and viewer', () => {
  it('logs in with any case of the email, and refuses a wrong password', async () => {
    const member = await createMember(app);
    const ok = await execute(app, LogIn, { input: { email: member.email.toUpperCase(), password: member.password } });
    const result = success(ok.logIn, 'LogInSuccess');
    expect(result.viewer.id).toBe(member.id);

    const bad = await execute(app, LogIn, { input: { email: member.email, password: 'wrong password' } }, { locale: 'en' });
    expect(bad.logIn).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Incorrect email address or password.' });
    const unknown = await execute(app, LogIn, { input: { email: 'nobody@example.com', password: 'whatever1' } });
    expect(unknown.logIn).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('has no viewer without a token, and refuses a forged one with INVALID_TOKEN rather than as anonymous', async () => {
    expect((await execute(app, Viewer)).viewer).toBeNull();
    const forged = await request(app, Viewer, {}, { token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged', locale: 'en' });
    expect(forged.data ?? null).toBeNull();
    expect(forged.errors).toEqual([{ message: 'This link or token is invalid or has expired.', extensions: { code: 'INVALID_TOKEN' } }]);
  });
});

describe('addBeneficiary', () => {
  it('adds a child to the viewer', async () => {
    const member = await createMember(app);
    const data = await execute(app, AddBeneficiary, { input: { firstName: 'Tom', lastName: 'Lovelace', birthDate: '2024-05-01' } }, { token: member.token });
    expect(success(data.addBeneficiary, 'AddBeneficiarySuccess').beneficiary).toMatchObject({ firstName: 'Tom', birthDate: '2024-05-01' });
    const viewer = await execute(app, Viewer, {}, { token: member.token });
    expect(viewer.viewer?.beneficiaries).toEqual([{ firstName: 'Tom', birthDate: '2024-05-01' }]);
  });

  it('needs a login, and refuses a birth date in the future', async () => {
    const anonymous = await execute(app, AddBeneficiary, { input: { firstName: 'A', lastName: 'B', birthDate: '2020-01-01' } }, { locale: 'en' });
    expect(anonymous.addBeneficiary).toMatchObject({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'You must be logged in to do this.' });

    const member = await createMember(app);
    const future = await execute(app, AddBeneficiary, { input: { firstName: 'A', lastName: 'B', birthDate: '2999-01-01' } }, { token: member.token });
    expect(future.addBeneficiary).toMatchObject({ code: 'VALIDATION', field: ['birthDate'] });
  });

  it('rejects a malformed date at the GraphQL layer, as a protocol error rather than a 500', async () => {
    const member = await createMember(app);
    const response = await request(app, AddBeneficiary, { input: { firstName: 'A', lastName: 'B', birthDate: '2020-13-45' } }, { token: member.token });
    expect(response.data ?? null).toBeNull();
    expect(response.errors?.[0]?.message).toMatch(/Date/);
  });
});
