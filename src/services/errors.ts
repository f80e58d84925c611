import { Prisma } from '../generated/prisma/client.js';

/** True when PostgreSQL refused a row because of a unique index (Prisma P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
