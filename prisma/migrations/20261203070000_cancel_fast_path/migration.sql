-- Issue 13: cancelBooking of a credit booking, by its own member, in one statement. The same steps, in the same lock
-- order, as the transaction of src/services/booking/bookings.ts (cancelBooking, cancelLockedBooking): the
-- session row, then the booking row, then the entitlement row, all FOR UPDATE. The caller has read
-- the booking and decided the outcome with the pure rules (src/domain/booking.ts); this function
-- checks under the locks that what the outcome rests on still holds, and answers 'general' without
-- writing anything when it does not, or when the general path has more to do:
--   the session was moved or changed since the caller read it (the outcome may differ);
--   the booking is not CONFIRMED any more (the general path says why);
--   someone waits for this session (the freed seat goes to the waitlist: rounds, offers, emails);
--   an endpoint listens for booking.cancelled (its event is written with the cancellation).
-- Otherwise it cancels: the booking's status, the seat freed, the credit returned (RECREDIT, then
-- EXPIRE when the lot is no longer valid, as returnCredit does) or forfeited (a FORFEIT entry of 0),
-- and the member's email unless the account was erased. It answers 'ok'.
CREATE FUNCTION "cancel_booking_with_credit"(
  p_booking uuid,
  p_session uuid,
  p_organization uuid,
  p_starts_at timestamptz,
  p_changed_at timestamptz,
  p_now timestamptz,
  p_status text,
  p_credit_returned boolean,
  p_note text,
  p_ledger uuid,
  p_expire uuid,
  p_email uuid,
  p_payload jsonb
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_starts_at timestamptz;
  v_changed_at timestamptz;
  v_status text;
  v_entitlement uuid;
  v_member uuid;
  v_lot_status text;
  v_valid_until timestamptz;
  v_email text;
  v_locale text;
  v_erased timestamptz;
BEGIN
  SELECT "startsAt", "changedAt" INTO v_starts_at, v_changed_at FROM "Session" WHERE "id" = p_session FOR UPDATE;
  IF NOT FOUND OR v_starts_at IS DISTINCT FROM p_starts_at OR v_changed_at IS DISTINCT FROM p_changed_at THEN
    RETURN 'general';
  END IF;
  SELECT "status"::text, "entitlementId", "memberId" INTO v_status, v_entitlement, v_member FROM "Booking" WHERE "id" = p_booking FOR UPDATE;
  IF NOT FOUND OR v_status <> 'CONFIRMED' OR v_entitlement IS NULL THEN
    RETURN 'general';
  END IF;
  IF EXISTS (SELECT 1 FROM "WaitlistEntry" WHERE "sessionId" = p_session AND "status" = 'WAITING')
     OR EXISTS (SELECT 1 FROM "WebhookEndpoint" WHERE "organizationId" = p_organization AND "enabled" AND "deletedAt" IS NULL
                                                  AND 'booking.cancelled' = ANY ("events")) THEN
    RETURN 'general';
  END IF;

  UPDATE "Booking" SET "status" = p_status::"BookingStatus", "cancelledAt" = p_now WHERE "id" = p_booking;
  UPDATE "Session" SET "seatsTaken" = "seatsTaken" - 1 WHERE "id" = p_session AND "seatsTaken" > 0;

  SELECT "status"::text, "validUntil" INTO v_lot_status, v_valid_until FROM "Entitlement" WHERE "id" = v_entitlement FOR UPDATE;
  IF FOUND THEN
    IF p_credit_returned THEN
      INSERT INTO "CreditLedgerEntry" ("id", "entitlementId", "delta", "reason", "bookingId", "note", "dedupeKey", "createdAt")
      VALUES (p_ledger, v_entitlement, 1, 'RECREDIT', p_booking, p_note, 'cancel:' || p_booking, p_now);
      IF NOT (v_lot_status = 'ACTIVE' AND v_valid_until > p_now) THEN
        INSERT INTO "CreditLedgerEntry" ("id", "entitlementId", "delta", "reason", "bookingId", "note", "dedupeKey", "createdAt")
        VALUES (p_expire, v_entitlement, -1, 'EXPIRE', p_booking, 'Returned to a lot that is no longer valid.', 'cancel:' || p_booking || ':expired', p_now);
      END IF;
    ELSE
      INSERT INTO "CreditLedgerEntry" ("id", "entitlementId", "delta", "reason", "bookingId", "note", "dedupeKey", "createdAt")
      VALUES (p_ledger, v_entitlement, 0, 'FORFEIT', p_booking, p_note, 'cancel:' || p_booking, p_now);
    END IF;
  END IF;

  SELECT "email", "locale", "erasedAt" INTO v_email, v_locale, v_erased FROM "Member" WHERE "id" = v_member;
  IF FOUND AND v_erased IS NULL THEN
    INSERT INTO "OutboxEmail" ("id", "organizationId", "toAddress", "locale", "template", "payload", "dedupeKey", "nextAttemptAt", "createdAt")
    VALUES (p_email, p_organization, v_email, v_locale, 'booking-cancelled', p_payload, 'booking-cancelled:' || p_booking, p_now, p_now)
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN 'ok';
END
$$;
