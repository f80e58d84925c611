import { visibleBeneficiary, visibleMember } from '../common/visibility.js';
import { builder } from '../builder.js';

export const LocaleEnum = builder.enumType('Locale', {
  description: 'A language of messages and emails.',
  values: { FR: { description: 'French (the default).' }, EN: { description: 'English.' } } as const,
});

export const MemberRef = builder.prismaNode('Member', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: visibleMember,
  nullable: true,
  description:
    'An account holder. Visible to themselves, and to the staff of the organizations they belong to, who see their profile and beneficiaries; their bookings, credits, orders and other records answer FORBIDDEN to anyone but themselves.',
  authScopes: (member) => ({ self: member.id, staffOfMember: member.id }),
  fields: (t) => ({
    email: t.expose('email', { type: 'EmailAddress', description: 'Login email, stored lowercased.' }),
    firstName: t.exposeString('firstName', { description: 'First name.' }),
    lastName: t.exposeString('lastName', { description: 'Last name.' }),
    phone: t.exposeString('phone', { nullable: true, description: 'Phone number, when given.' }),
    locale: t.field({
      type: LocaleEnum,
      description: 'Language of the emails sent to this member.',
      resolve: (member) => (member.locale.toLowerCase().startsWith('en') ? 'EN' : 'FR'),
    }),
    marketingConsent: t.exposeBoolean('marketingConsent', { description: 'Whether the member agrees to receive news from their organizations.' }),
    hasPassword: t.boolean({
      description: 'False for an account made by staff whose owner has not set a password yet (they log in after following the emailed link).',
      resolve: (member) => member.passwordHash !== null,
    }),
    beneficiaries: t.relation('beneficiaries', {
      description: 'The people this member books for (self, children, family), oldest first. Removed ones are not listed.',
      query: { where: { erasedAt: null, removedAt: null }, orderBy: [{ birthDate: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

export const BeneficiaryRef = builder.prismaNode('Beneficiary', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: visibleBeneficiary,
  nullable: true,
  description:
    "A person who attends classes. Bookings are always for a beneficiary. Visible to their member, to the staff of organizations they booked or bought from, and to the coaches of sessions they are booked in.",
  authScopes: (beneficiary) => ({ self: beneficiary.memberId, staffOfBeneficiary: beneficiary.id, coachOfBeneficiary: beneficiary.id }),
  fields: (t) => ({
    firstName: t.exposeString('firstName', { description: 'First name.' }),
    lastName: t.exposeString('lastName', { description: 'Last name.' }),
    birthDate: t.expose('birthDate', { type: 'Date', description: 'Date of birth (child classes check the age on the session date).' }),
  }),
});

/** Field scope of a member's own records: staff see the profile, never these (they cross organizations). */
export const ownerOnly = (member: { id: string }) => ({ self: member.id });
