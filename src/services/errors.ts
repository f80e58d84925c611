import { Prisma } from '../generated/prisma/client.js';

/** True when PostgreSQL refused a row because of a unique index (Prisma P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** Runs an insert whose uniqueness PostgreSQL decides, turning a duplicate into a business error. */
export async function insertUnique<T>(insert: () => Promise<T>, duplicate: () => Error): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
}
