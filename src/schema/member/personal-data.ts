import { InvalidCredentialsError, RateLimitedError } from '../../domain/errors.js';
import { exportMyData, requestAccountDeletion } from '../../services/member/personal-data.js';
import { builder } from '../builder.js';
import { defineMutation } from '../common/mutation.js';

// Personal data (SPEC §10, 003 §15): the member's export and the erasure of their account.

defineMutation('exportMyData', {
  description:
    'A link to everything this service holds about the viewer, as one JSON document: profile, logins, beneficiaries, registrations, bookings, waitlist places, orders with their payments and refunds, credits with their ledger, subscriptions with their pauses, credit notes, saved payment methods (type, brand, last four digits) and the emails sent to them. No card data is ever stored. The link works without a login for one hour.',
  authScopes: { loggedIn: true },
  resolve: async (_input, context) => exportMyData(context),
  success: {
    description: 'The export link.',
    fields: (t) => ({
      url: t.exposeString('url', { description: '`GET` it for the JSON document (`/exports/me.json?token=…`); 404 once expired.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the link stops working (one hour after it was made).' }),
    }),
  },
});

defineMutation('requestAccountDeletion', {
  description:
    "Erases the viewer's account at once, after checking their password. Future bookings are cancelled by the usual rules (credit back in time, forfeited late), waiting places are left, subscriptions are terminated by the organization's notice rule, every login stops working. Then the personal fields of the member and their beneficiaries are blanked (the email becomes an undeliverable placeholder, so the address is free for a new account), registration details, saved payment methods and unsent emails are deleted. Invoices (which keep the names they were issued with), payments, bookings and the credit ledger are kept, as the law requires.",
  authScopes: { loggedIn: true },
  input: (t) => ({
    password: t.string({ required: true, description: 'The current password (at most 128 characters). An account with no password cannot be erased this way.' }),
  }),
  errors: [InvalidCredentialsError, RateLimitedError],
  // A password check: as costly as logIn against the complexity limit.
  complexity: 1000,
  resolve: async (input, context) => requestAccountDeletion(context, input),
  success: {
    description: 'The account is erased.',
    fields: (t) => ({
      erasedAt: t.expose('erasedAt', { type: 'DateTime', description: 'When it was erased.' }),
    }),
  },
});

builder.prismaObjectField('Member', 'erased', (t) =>
  t.boolean({
    description: 'True once the account was erased (SPEC §10): its personal fields are blank, its records kept.',
    select: { erasedAt: true },
    resolve: (member) => member.erasedAt !== null,
  }),
);

builder.prismaObjectField('Beneficiary', 'erased', (t) =>
  t.boolean({
    description: "True once the member's account was erased: names are blank and the date of birth is a placeholder (1900-01-01).",
    select: { erasedAt: true },
    resolve: (beneficiary) => beneficiary.erasedAt !== null,
  }),
);
