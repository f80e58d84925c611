-- Policies as data and pay-per-session (issue 11): the desk methods an organisation accepts,
-- whether a priced session may be paid in person, how long an online hold lasts; an offer's own
-- late-cancellation rule; bookings held while their session is paid online.
ALTER TABLE "Organization" ADD COLUMN "acceptedDeskPaymentMethods" "PaymentMethod"[] DEFAULT ARRAY['CASH', 'CHEQUE', 'ANCV', 'SPORT_PASS', 'CREDIT_NOTE']::"PaymentMethod"[],
ADD COLUMN "inPersonPaymentAllowed" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN "paymentHoldMinutes" INTEGER NOT NULL DEFAULT 15;
ALTER TABLE "Organization" ADD CONSTRAINT "Organization_paymentHoldMinutes_check" CHECK ("paymentHoldMinutes" BETWEEN 1 AND 1440);

ALTER TABLE "Offer" ADD COLUMN "lateCancellation" "LateCancellation";

ALTER TYPE "BookingStatus" ADD VALUE 'PENDING_PAYMENT';
ALTER TYPE "BookingStatus" ADD VALUE 'EXPIRED';
ALTER TABLE "Booking" ADD COLUMN "paymentHoldUntil" TIMESTAMPTZ(3);
