-- Credits and bookings (issue 3): rollover lots, and a ledger whose signs follow its reasons.

-- A subscription's unused credits carry into the next period as a lot of their own, linked to
-- the lot they came from, so that the credits that expire first are used first (003 §9.2).
ALTER TABLE "Entitlement" ADD COLUMN "carriedFromId" UUID,
ADD COLUMN "rolloverCount" INTEGER NOT NULL DEFAULT 0;

-- The beneficiary's account holder, so that a member's credits are one indexed read.
ALTER TABLE "Entitlement" ADD COLUMN "memberId" UUID;
UPDATE "Entitlement" e SET "memberId" = b."memberId" FROM "Beneficiary" b WHERE b."id" = e."beneficiaryId";
ALTER TABLE "Entitlement" ALTER COLUMN "memberId" SET NOT NULL;

CREATE INDEX "Entitlement_memberId_validUntil_idx" ON "Entitlement"("memberId", "validUntil");

ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE UNIQUE INDEX "Entitlement_carriedFromId_key" ON "Entitlement"("carriedFromId");

ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_carriedFromId_fkey" FOREIGN KEY ("carriedFromId") REFERENCES "Entitlement"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "Entitlement" ADD CONSTRAINT "Entitlement_rolloverCount_check" CHECK ("rolloverCount" >= 0);

-- Each reason moves the balance one way only. A FORFEIT may be 0: a late cancellation keeps the
-- booking's DEBIT and records that the credit is lost, without moving the balance again.
ALTER TABLE "CreditLedgerEntry" DROP CONSTRAINT "CreditLedgerEntry_delta_check";
ALTER TABLE "CreditLedgerEntry" ADD CONSTRAINT "CreditLedgerEntry_delta_check" CHECK (
  CASE "reason"
    WHEN 'GRANT' THEN "delta" > 0
    WHEN 'RECREDIT' THEN "delta" > 0
    WHEN 'RELEASE' THEN "delta" > 0
    WHEN 'DEBIT' THEN "delta" < 0
    WHEN 'HOLD' THEN "delta" < 0
    WHEN 'EXPIRE' THEN "delta" < 0
    WHEN 'FORFEIT' THEN "delta" <= 0
    ELSE "delta" <> 0
  END
);

-- Offers stay within what the credit and date arithmetic handles (the API says so first).
ALTER TABLE "Offer" ADD CONSTRAINT "Offer_bounds_check" CHECK (
  "credits" <= 10000 AND ("validityDays" IS NULL OR "validityDays" <= 3660) AND "priceCents" <= 100000000
);

-- The order entries were written in: several can share an instant (one transaction, a test clock).
ALTER TABLE "CreditLedgerEntry" ADD COLUMN "sequence" SERIAL NOT NULL;
CREATE UNIQUE INDEX "CreditLedgerEntry_sequence_key" ON "CreditLedgerEntry"("sequence");
