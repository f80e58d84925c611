import { EmailTakenError, InvalidCredentialsError } from '../../domain/errors.js';
import type { Context } from '../../context.js';
import { addBeneficiary, type Authenticated, logIn, signUp } from '../../services/members.js';
import { defineMutation } from '../common/mutation.js';
import { BeneficiaryRef, MemberRef } from './types.js';

/** The rest of the response is resolved as the member who just authenticated. */
async function actAs(context: Context, result: Authenticated): Promise<Authenticated> {
  context.viewer = { memberId: result.member.id };
  return result;
}

const authenticated = {
  token: 'Bearer token: send it as `Authorization: Bearer <token>`, or in graphql-ws `connectionParams.authorization`.',
  viewer: 'The member now logged in.',
};

defineMutation('signUp', {
  description: 'Creates an account and logs it in. Emails are unique whatever their case.',
  authScopes: { public: true },
  input: (t) => ({
    email: t.string({ required: true, description: 'Email address (any case; stored lowercased).' }),
    password: t.string({ required: true, description: 'At least 8 characters.' }),
    firstName: t.string({ required: true, description: 'First name.' }),
    lastName: t.string({ required: true, description: 'Last name.' }),
  }),
  errors: [EmailTakenError],
  resolve: async (input, context) => actAs(context, await signUp(context, input)),
  success: {
    description: 'The account was created.',
    fields: (t) => ({
      token: t.exposeString('token', { description: authenticated.token }),
      viewer: t.field({ type: MemberRef, description: authenticated.viewer, resolve: (result) => result.member }),
    }),
  },
});

defineMutation('logIn', {
  description: 'Exchanges an email and password for a token.',
  authScopes: { public: true },
  input: (t) => ({
    email: t.string({ required: true, description: 'Email address (any case).' }),
    password: t.string({ required: true, description: 'Password.' }),
  }),
  errors: [InvalidCredentialsError],
  resolve: async (input, context) => actAs(context, await logIn(context, input)),
  success: {
    description: 'Logged in.',
    fields: (t) => ({
      token: t.exposeString('token', { description: authenticated.token }),
      viewer: t.field({ type: MemberRef, description: authenticated.viewer, resolve: (result) => result.member }),
    }),
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
