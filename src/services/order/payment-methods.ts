import type { Context } from '../../context.js';
import { prisma } from '../../db/client.js';
import { NotFoundError } from '../../domain/errors.js';
import type { Member } from '../../generated/prisma/client.js';
import { requireViewer } from '../access.js';
import { detachAtStripe } from './payments.js';

// "Mes infos de paiement" (issue 12): a member removes a saved card or SEPA mandate. It is
// detached from their Stripe customer first (no network call inside a transaction), then deleted
// here: subscriptions that renewed with it lose it (the foreign key sets it null), so their next
// renewals are not charged automatically and stay due at the desk.

export async function removePaymentMethod(context: Context, input: { paymentMethodId: string }): Promise<Member> {
  const viewerId = requireViewer(context);
  const method = await prisma.savedPaymentMethod.findUnique({ where: { id: input.paymentMethodId } });
  // Someone else's answers as if it did not exist.
  if (!method || method.memberId !== viewerId) throw new NotFoundError('entity.paymentMethod', ['paymentMethodId']);
  await detachAtStripe(context.stripe, method.stripePaymentMethodId);
  // Removed twice at once: the second finds nothing left, which is what it asked for.
  await prisma.savedPaymentMethod.deleteMany({ where: { id: method.id, memberId: viewerId } });
  return prisma.member.findUniqueOrThrow({ where: { id: viewerId } });
}
