import { visibleBeneficiary, self } from '../common/visibility.js';
import { builder } from '../builder.js';

export const MemberRef = builder.prismaNode('Member', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: self,
  nullable: true,
  description: 'An account holder. Visible only to themselves.',
  authScopes: (member) => ({ self: member.id }),
  fields: (t) => ({
    email: t.expose('email', { type: 'EmailAddress', description: 'Login email, stored lowercased.' }),
    firstName: t.exposeString('firstName', { description: 'First name.' }),
    lastName: t.exposeString('lastName', { description: 'Last name.' }),
    beneficiaries: t.relation('beneficiaries', {
      description: 'The people this member books for (self, children, family), oldest first.',
      query: { where: { erasedAt: null }, orderBy: [{ birthDate: 'asc' }, { id: 'asc' }] },
    }),
  }),
});

export const BeneficiaryRef = builder.prismaNode('Beneficiary', {
  id: { field: 'id', description: 'Global ID (Relay).' },
  findUnique: visibleBeneficiary,
  nullable: true,
  description: 'A person who attends classes. Bookings are always for a beneficiary.',
  authScopes: (beneficiary) => ({ self: beneficiary.memberId, staffOfBeneficiary: beneficiary.id }),
  fields: (t) => ({
    firstName: t.exposeString('firstName', { description: 'First name.' }),
    lastName: t.exposeString('lastName', { description: 'Last name.' }),
    birthDate: t.expose('birthDate', { type: 'Date', description: 'Date of birth (child classes check the age on the session date).' }),
  }),
});
