-- Closures (issue 12, 004): a venue closed over a range of days or for good, the credit notes a
-- definitive closure issues and their refund after the year, the validity extensions a closure
-- grants, and subscriptions ended early on a move (the 15 km rules of SPEC §11).

-- CreateTable
CREATE TABLE "VenueClosure" (
    "id" UUID NOT NULL,
    "organizationId" UUID NOT NULL,
    "venueId" UUID NOT NULL,
    "fromDate" DATE NOT NULL,
    "untilDate" DATE,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3),
    "reason" TEXT NOT NULL,
    "definitive" BOOLEAN NOT NULL DEFAULT false,
    "extensionDays" INTEGER NOT NULL DEFAULT 0,
    "sessionsCancelled" INTEGER NOT NULL DEFAULT 0,
    "closedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VenueClosure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CreditNoteRefund" (
    "id" UUID NOT NULL,
    "creditNoteId" UUID NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "reference" TEXT,
    "refundedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CreditNoteRefund_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SubscriptionMove" (
    "id" UUID NOT NULL,
    "subscriptionId" UUID NOT NULL,
    "latitude" DOUBLE PRECISION NOT NULL,
    "longitude" DOUBLE PRECISION NOT NULL,
    "proof" TEXT NOT NULL,
    "nearestVenueKm" DOUBLE PRECISION,
    "previousEndsAt" TIMESTAMPTZ(3),
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "recordedById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SubscriptionMove_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "CreditNote" ADD COLUMN "venueClosureId" UUID;

-- AlterTable
ALTER TABLE "ValidityExtension" ADD COLUMN "venueClosureId" UUID;

-- CreateIndex
CREATE INDEX "VenueClosure_venueId_startsAt_idx" ON "VenueClosure"("venueId", "startsAt");

-- CreateIndex
CREATE INDEX "VenueClosure_organizationId_createdAt_idx" ON "VenueClosure"("organizationId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "CreditNote_venueClosureId_memberId_key" ON "CreditNote"("venueClosureId", "memberId");

-- CreateIndex
CREATE UNIQUE INDEX "CreditNoteRefund_creditNoteId_key" ON "CreditNoteRefund"("creditNoteId");

-- CreateIndex
CREATE INDEX "ValidityExtension_venueClosureId_idx" ON "ValidityExtension"("venueClosureId");

-- CreateIndex
CREATE UNIQUE INDEX "ValidityExtension_entitlementId_venueClosureId_key" ON "ValidityExtension"("entitlementId", "venueClosureId");

-- CreateIndex
CREATE UNIQUE INDEX "SubscriptionMove_subscriptionId_key" ON "SubscriptionMove"("subscriptionId");

-- AddForeignKey
ALTER TABLE "VenueClosure" ADD CONSTRAINT "VenueClosure_organizationId_fkey" FOREIGN KEY ("organizationId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VenueClosure" ADD CONSTRAINT "VenueClosure_venueId_fkey" FOREIGN KEY ("venueId") REFERENCES "Venue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditNote" ADD CONSTRAINT "CreditNote_venueClosureId_fkey" FOREIGN KEY ("venueClosureId") REFERENCES "VenueClosure"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CreditNoteRefund" ADD CONSTRAINT "CreditNoteRefund_creditNoteId_fkey" FOREIGN KEY ("creditNoteId") REFERENCES "CreditNote"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ValidityExtension" ADD CONSTRAINT "ValidityExtension_venueClosureId_fkey" FOREIGN KEY ("venueClosureId") REFERENCES "VenueClosure"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SubscriptionMove" ADD CONSTRAINT "SubscriptionMove_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "Subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Invariants on top of the model (allowed by the drift test: CHECKs and partial indexes).
-- A venue closes for good once; a temporary closure has an end after its start.
CREATE UNIQUE INDEX "VenueClosure_definitive_key" ON "VenueClosure"("venueId") WHERE "definitive";
ALTER TABLE "VenueClosure" ADD CONSTRAINT "VenueClosure_range_check"
  CHECK (("definitive" AND "endsAt" IS NULL AND "untilDate" IS NULL)
      OR (NOT "definitive" AND "endsAt" > "startsAt" AND "untilDate" >= "fromDate"));
ALTER TABLE "VenueClosure" ADD CONSTRAINT "VenueClosure_counts_check" CHECK ("extensionDays" >= 0 AND "sessionsCancelled" >= 0);
ALTER TABLE "CreditNoteRefund" ADD CONSTRAINT "CreditNoteRefund_amount_check" CHECK ("amountCents" > 0);
