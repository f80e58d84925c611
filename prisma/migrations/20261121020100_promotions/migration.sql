-- Promotions and discovery classes (issue 5, 003 §3.3 and §17, 004).

-- Whether the order buys a discovery class: copied from the offer's kind when the order is made,
-- so that PostgreSQL itself can hold "once per client, ever" with a partial unique index.
ALTER TABLE "Order" ADD COLUMN "discovery" BOOLEAN NOT NULL DEFAULT false;

-- One discovery order per member (across their beneficiaries) per organisation; a cancelled order
-- frees it again, a refunded one does not (the class was bought).
CREATE UNIQUE INDEX "Order_discovery_once_key" ON "Order" ("organizationId", "memberId")
  WHERE "discovery" AND "status" <> 'CANCELLED';

-- Staff list the registrations waiting for review.
CREATE INDEX "Registration_pending_idx" ON "Registration" ("organizationId", "createdAt")
  WHERE "status" = 'PENDING_REVIEW';
