-- Credits and bookings (issue 3): rollover lots, and a ledger whose signs follow its reasons.

-- A subscription's unused credits carry into the next period as a lot of their own, linked to
-- the lot they came from, so that the credits that expire first are used first (003 §9.2).
ALTER TABLE "Entitlement" ADD COLUMN "carriedFromId" UUID,
ADD COLUMN "rolloverCount" INTEGER NOT NULL DEFAULT 0;

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
