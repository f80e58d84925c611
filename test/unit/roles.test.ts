import { describe, expect, it } from 'vitest';
import { coachDisplayName, leavesNoAdmin } from '../../src/domain/roles.js';
import type { Role } from '../../src/generated/prisma/enums.js';

describe('leavesNoAdmin', () => {
  it.each<[Role, Role, number, boolean]>([
    ['ADMIN', 'STAFF', 1, true],
    ['ADMIN', 'MEMBER', 1, true],
    ['ADMIN', 'COACH', 1, true],
    ['ADMIN', 'STAFF', 2, false],
    ['ADMIN', 'MEMBER', 3, false],
    ['ADMIN', 'ADMIN', 1, false], // granting ADMIN again changes nothing
    ['STAFF', 'MEMBER', 1, false],
    ['MEMBER', 'ADMIN', 1, false],
    ['COACH', 'STAFF', 0, false],
  ])('%s → %s with %i admin(s): %s', (from, to, admins, expected) => {
    expect(leavesNoAdmin({ from, to }, admins)).toBe(expected);
  });
});

describe('coachDisplayName', () => {
  it.each([
    [{ firstName: 'Léa', lastName: 'Martin' }, 'Léa Martin'],
    [{ firstName: '  Léa ', lastName: ' Martin ' }, 'Léa Martin'],
    [{ firstName: 'Léa', lastName: '' }, 'Léa'],
  ])('%j → %j', (member, name) => {
    expect(coachDisplayName(member)).toBe(name);
  });
});
