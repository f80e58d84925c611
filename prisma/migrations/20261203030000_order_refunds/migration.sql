-- Staff refunds of a paid order (issue 12): a refund may be given as a credit note rather than to
-- the payment's method, names the staff member who decided it, and the credits it takes back are
-- ledger entries of their own reason.
ALTER TYPE "LedgerReason" ADD VALUE 'REFUND';

ALTER TABLE "Refund" ADD COLUMN "creditNoteId" UUID,
ADD COLUMN "refundedById" UUID;

ALTER TABLE "Refund" ADD CONSTRAINT "Refund_creditNoteId_fkey" FOREIGN KEY ("creditNoteId") REFERENCES "CreditNote"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
