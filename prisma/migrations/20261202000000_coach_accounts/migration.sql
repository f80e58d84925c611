-- Roles (issue: grantRole): granting COACH gives the account a coach profile in the organisation,
-- at most one, so that a repeated or concurrent grant adds nothing. NULL member ids (coaches
-- without an account) stay unconstrained, as PostgreSQL treats NULLs as distinct.
CREATE UNIQUE INDEX "Coach_organizationId_memberId_key" ON "Coach"("organizationId", "memberId");
