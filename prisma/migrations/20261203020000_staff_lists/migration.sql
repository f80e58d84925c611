-- Staff's lists, report and exports (issue 12): orders and registrations are listed by status,
-- newest or oldest first, and the report and CSV exports read payments by the day received.
CREATE INDEX "Registration_organizationId_status_createdAt_idx" ON "Registration"("organizationId", "status", "createdAt");
CREATE INDEX "Order_organizationId_status_createdAt_idx" ON "Order"("organizationId", "status", "createdAt");
CREATE INDEX "Payment_succeededAt_idx" ON "Payment"("succeededAt");
