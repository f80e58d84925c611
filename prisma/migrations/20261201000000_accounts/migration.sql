-- Accounts (issue 9): logins that can be revoked, password links by purpose, removed
-- beneficiaries, and the names an invoice keeps after its member's account is erased.
CREATE TYPE "PasswordResetPurpose" AS ENUM ('RESET', 'SET_PASSWORD');

ALTER TABLE "PasswordReset" ADD COLUMN "purpose" "PasswordResetPurpose" NOT NULL DEFAULT 'RESET';
-- At most one open link per member: issuing a new one deletes the older ones under the member's
-- row lock, and this index holds it if two requests race.
CREATE UNIQUE INDEX "PasswordReset_one_open_per_member" ON "PasswordReset"("memberId") WHERE "usedAt" IS NULL;

CREATE TABLE "AuthSession" (
    "id" UUID NOT NULL,
    "memberId" UUID NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuthSession_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "AuthSession_memberId_idx" ON "AuthSession"("memberId");
ALTER TABLE "AuthSession" ADD CONSTRAINT "AuthSession_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "AuthSession" ADD CONSTRAINT "AuthSession_expiry_check" CHECK ("expiresAt" > "createdAt");

ALTER TABLE "Beneficiary" ADD COLUMN "removedAt" TIMESTAMPTZ(3);

ALTER TABLE "Order" ADD COLUMN "invoiceMemberName" TEXT,
ADD COLUMN "invoiceMemberEmail" TEXT,
ADD COLUMN "invoiceBeneficiaryName" TEXT;
