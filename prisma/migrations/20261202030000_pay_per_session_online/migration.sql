-- Pay-per-session online (issue 11): a seat held while its session is paid online expires by a
-- due job, and a held booking is an active one: the same beneficiary cannot hold a second seat of
-- the session while paying for the first.
ALTER TYPE "DueJobKind" ADD VALUE 'PAYMENT_HOLD_EXPIRY';

DROP INDEX "Booking_active_per_session_key";
CREATE UNIQUE INDEX "Booking_active_per_session_key" ON "Booking"("sessionId", "beneficiaryId")
  WHERE "status" IN ('CONFIRMED', 'ATTENDED', 'NO_SHOW', 'PENDING_PAYMENT');
