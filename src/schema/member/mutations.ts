import { setLoginCookie } from '../../auth/cookies.js';
import type { Context } from '../../context.js';
import {
  BeneficiaryInUseError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidTokenError,
  RateLimitedError,
} from '../../domain/errors.js';
import {
  addBeneficiary,
  changePassword,
  createMember,
  logIn,
  logOut,
  removeBeneficiary,
  signUp,
  updateBeneficiary,
  updateProfile,
} from '../../services/member/members.js';
import type { Authenticated } from '../../services/member/auth-sessions.js';
import { requestPasswordReset, resetPassword } from '../../services/member/passwords.js';
import { builder } from '../builder.js';
import { decodeId } from '../common/ids.js';
import { bounds } from '../common/input-bounds.js';
import { MAX_BENEFICIARIES_AT_ONCE } from '../../domain/members.js';
import { defineMutation, type Types } from '../common/mutation.js';
import { BeneficiaryRef, LocaleEnum, MemberRef } from './types.js';

/**
 * What one password check costs against the request's complexity limit (5000): aliasing more than
 * four of these mutations in one request is refused before any of them runs.
 */
const PASSWORD_CHECK_COST = 1000;

/** The rest of the response is resolved as the member who just authenticated. */
async function actAs(context: Context, result: Authenticated): Promise<Authenticated> {
  context.viewer = { memberId: result.member.id, sessionId: result.sessionId };
  return result;
}

const authenticated = {
  token:
    'Bearer token: send it as `Authorization: Bearer <token>`, or in graphql-ws `connectionParams.authorization`. It expires (TOKEN_TTL_SECONDS) and stops working at `logOut`, a password change or reset.',
  viewer: 'The member now logged in.',
};

const setCookieArg = 'Browsers: also set the token as an httpOnly, SameSite=Lax cookie (Secure in production). Requests authenticated by the cookie must send the `x-graphql-csrf` header (or a JSON content type).';

function authenticatedFields(t: PothosSchemaTypes.ObjectFieldBuilder<Types, Authenticated>) {
  return {
    token: t.exposeString('token', { description: authenticated.token }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the token (and cookie) expire.' }),
    viewer: t.field({ type: MemberRef, description: authenticated.viewer, resolve: (result) => result.member }),
  };
}

defineMutation('signUp', {
  description: 'Creates an account and logs it in, and emails a welcome (`account-created`). Emails are unique whatever their case. Rate limited per email and client address.',
  authScopes: { public: true },
  complexity: PASSWORD_CHECK_COST,
  input: (t) => ({
    email: t.string({ required: true, description: 'Email address (any case; stored lowercased).' }),
    password: t.string({ required: true, description: 'At least 8 characters, at most 128.' }),
    firstName: t.string({ required: true, description: 'First name (at most 100 characters).' }),
    lastName: t.string({ required: true, description: 'Last name (at most 100 characters).' }),
    setCookie: t.boolean({ required: false, description: setCookieArg }),
  }),
  errors: [EmailTakenError, RateLimitedError],
  resolve: async (input, context) => actAs(context, await signUp(context, input)),
  success: { description: 'The account was created.', fields: authenticatedFields },
});

defineMutation('logIn', {
  description:
    'Exchanges an email and password for a token. Rate limited per email and client address (RATE_LIMITED with `retryAfterSeconds`). An account made by staff has no password until its owner sets one through the emailed link: until then it answers INVALID_CREDENTIALS.',
  authScopes: { public: true },
  complexity: PASSWORD_CHECK_COST,
  input: (t) => ({
    email: t.string({ required: true, description: 'Email address (any case).' }),
    password: t.string({ required: true, description: 'Password.' }),
    setCookie: t.boolean({ required: false, description: setCookieArg }),
  }),
  errors: [InvalidCredentialsError, RateLimitedError],
  resolve: async (input, context) => actAs(context, await logIn(context, input)),
  success: { description: 'Logged in.', fields: authenticatedFields },
});

defineMutation('logOut', {
  description:
    'Ends this login: its token and the login cookie stop working (INVALID_TOKEN), and its open subscriptions close. Other devices stay logged in, unless `everywhere` is true.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    everywhere: t.boolean({ required: false, description: 'End every login of the account (all devices), not just this one.' }),
  }),
  resolve: async (input, context) => ({ loggedOutAt: await logOut(context, input) }),
  success: {
    description: 'Logged out.',
    fields: (t) => ({ loggedOutAt: t.expose('loggedOutAt', { type: 'DateTime', description: 'When the login ended.' }) }),
  },
});

defineMutation('requestPasswordReset', {
  description:
    '"Forgot password": always succeeds, with the same answer and timing whether or not the email has an account. When it has one, emails a link `PUBLIC_URL/reset-password?token=…` valid 1 hour; a newer link voids older ones. Rate limited per email and client address.',
  authScopes: { public: true },
  input: (t) => ({ email: t.string({ required: true, description: 'The account’s email address.' }) }),
  errors: [RateLimitedError],
  resolve: async (input, context) => {
    await requestPasswordReset(context, input);
    return { accepted: true };
  },
  success: {
    description: 'The request was taken. If an account uses this email, a link is on its way.',
    fields: (t) => ({ accepted: t.exposeBoolean('accepted', { description: 'Always true.' }) }),
  },
});

defineMutation('resetPassword', {
  description:
    'Sets a new password from an emailed link (reset, or the first password of an account made by staff), logs in, and ends every earlier login. A used, expired or unknown token answers INVALID_TOKEN.',
  authScopes: { public: true },
  complexity: PASSWORD_CHECK_COST,
  input: (t) => ({
    token: t.string({ required: true, description: 'The `token` query parameter of the emailed link.' }),
    password: t.string({ required: true, description: 'The new password: at least 8 characters, at most 128.' }),
    setCookie: t.boolean({ required: false, description: setCookieArg }),
  }),
  errors: [InvalidTokenError, RateLimitedError],
  resolve: async (input, context) => {
    const result = await resetPassword(context, input);
    return actAs(context, input.setCookie ? await withCookie(context, result) : result);
  },
  success: { description: 'The password was set; you are logged in.', fields: authenticatedFields },
});

async function withCookie(context: Context, result: Authenticated): Promise<Authenticated> {
  await setLoginCookie(context.request, result.token, result.expiresAt);
  return result;
}

defineMutation('changePassword', {
  description: 'Changes the password ("Mon compte"). Needs the current one; answers a fresh token, and every other token stops working. Emails `password-changed`.',
  authScopes: { loggedIn: true },
  complexity: PASSWORD_CHECK_COST,
  input: (t) => ({
    currentPassword: t.string({ required: true, description: 'The current password.' }),
    newPassword: t.string({ required: true, description: 'At least 8 characters, at most 128.' }),
  }),
  errors: [InvalidCredentialsError, RateLimitedError],
  resolve: async (input, context) => actAs(context, await changePassword(context, input)),
  success: { description: 'The password was changed.', fields: authenticatedFields },
});

defineMutation('updateProfile', {
  description: 'Changes the viewer’s profile ("Mon compte"). Omitted fields stay as they are. `locale` picks the language of their emails.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    firstName: t.string({ required: false, description: 'First name (at most 100 characters).' }),
    lastName: t.string({ required: false, description: 'Last name (at most 100 characters).' }),
    phone: t.string({ required: false, description: 'Phone number, e.g. +33 6 12 34 56 78; null clears it.' }),
    locale: t.field({ type: LocaleEnum, required: false, description: 'Language of emails.' }),
    marketingConsent: t.boolean({ required: false, description: 'Whether the member agrees to receive news from their organizations.' }),
  }),
  resolve: async (input, context) => ({ viewer: await updateProfile(context, input) }),
  success: {
    description: 'The profile was saved.',
    fields: (t) => ({ viewer: t.field({ type: MemberRef, description: 'The member as saved.', resolve: (result) => result.viewer }) }),
  },
});

const BeneficiaryInput = builder.inputType('NewBeneficiaryInput', {
  description: 'A person to book for.',
  fields: (t) => ({
    firstName: t.string({ required: true, description: 'First name.' }),
    lastName: t.string({ required: true, description: 'Last name.' }),
    birthDate: t.field({ type: 'Date', required: true, description: 'Date of birth, YYYY-MM-DD.' }),
  }),
});

defineMutation('createMember', {
  description:
    'Staff create an account at the desk: no password, the beneficiaries given, and an `account-created` email whose link sets the password (valid 7 days). An email that already has an account joins the organization instead (its missing beneficiaries added, nothing duplicated).',
  authScopes: { loggedIn: true },
  input: (t) => ({
    organizationId: t.id({ required: true, description: 'Your organization.' }),
    email: t.string({ required: true, description: 'The member’s email address.' }),
    firstName: t.string({ required: true, description: 'First name.' }),
    lastName: t.string({ required: true, description: 'Last name.' }),
    phone: t.string({ required: false, description: 'Phone number.' }),
    beneficiaries: t.field({
      type: [BeneficiaryInput],
      required: false,
      description: `The people they book for (at most ${MAX_BENEFICIARIES_AT_ONCE} at once).`,
      ...bounds({ maxItems: MAX_BENEFICIARIES_AT_ONCE }),
    }),
  }),
  resolve: async (input, context) => {
    const organizationId = decodeId(input.organizationId, 'Organization', ['organizationId']);
    return { member: await createMember(context, { ...input, organizationId }) };
  },
  success: {
    description: 'The account exists and belongs to the organization.',
    fields: (t) => ({ member: t.field({ type: MemberRef, description: 'The member.', resolve: (result) => result.member }) }),
  },
});

defineMutation('addBeneficiary', {
  description: 'Adds a person the viewer books for (themselves, a child, a family member).',
  authScopes: { loggedIn: true },
  input: (t) => ({
    firstName: t.string({ required: true, description: 'First name.' }),
    lastName: t.string({ required: true, description: 'Last name.' }),
    birthDate: t.field({ type: 'Date', required: true, description: 'Date of birth, YYYY-MM-DD.' }),
  }),
  resolve: async (input, context) => ({ beneficiary: await addBeneficiary(context, input) }),
  success: {
    description: 'The beneficiary was added.',
    fields: (t) => ({
      beneficiary: t.field({ type: BeneficiaryRef, description: 'The new beneficiary.', resolve: (result) => result.beneficiary }),
    }),
  },
});

defineMutation('updateBeneficiary', {
  description: 'Corrects one of the viewer’s beneficiaries. Omitted fields stay as they are.',
  authScopes: { loggedIn: true },
  input: (t) => ({
    beneficiaryId: t.id({ required: true, description: 'One of your beneficiaries.' }),
    firstName: t.string({ required: false, description: 'First name.' }),
    lastName: t.string({ required: false, description: 'Last name.' }),
    birthDate: t.field({ type: 'Date', required: false, description: 'Date of birth, YYYY-MM-DD.' }),
  }),
  resolve: async (input, context) => {
    const beneficiaryId = decodeId(input.beneficiaryId, 'Beneficiary', ['beneficiaryId']);
    return { beneficiary: await updateBeneficiary(context, { ...input, beneficiaryId }) };
  },
  success: {
    description: 'The beneficiary was saved.',
    fields: (t) => ({ beneficiary: t.field({ type: BeneficiaryRef, description: 'The beneficiary as saved.', resolve: (result) => result.beneficiary }) }),
  },
});

defineMutation('removeBeneficiary', {
  description:
    'Removes one of the viewer’s beneficiaries from their list (past bookings and invoices keep it). Refused with BENEFICIARY_IN_USE while it has upcoming bookings, a place in a waitlist or usable credits.',
  authScopes: { loggedIn: true },
  input: (t) => ({ beneficiaryId: t.id({ required: true, description: 'One of your beneficiaries.' }) }),
  errors: [BeneficiaryInUseError],
  resolve: async (input, context) => {
    const beneficiaryId = decodeId(input.beneficiaryId, 'Beneficiary', ['beneficiaryId']);
    return { beneficiary: await removeBeneficiary(context, { beneficiaryId }) };
  },
  success: {
    description: 'The beneficiary was removed.',
    fields: (t) => ({ beneficiary: t.field({ type: BeneficiaryRef, description: 'The removed beneficiary.', resolve: (result) => result.beneficiary }) }),
  },
});
