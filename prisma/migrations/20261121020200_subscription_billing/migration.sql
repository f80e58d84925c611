-- Subscription billing (issue 5): pauses move the billing dates by whole months (003 §12A.3).
ALTER TABLE "Subscription" ADD COLUMN "pauseShiftMonths" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Subscription" ADD CONSTRAINT "Subscription_pauseShiftMonths_check" CHECK ("pauseShiftMonths" >= 0);
ALTER TABLE "SubscriptionPause" ADD COLUMN "appliedAt" TIMESTAMPTZ(3);
ALTER TABLE "SubscriptionPause" ADD CONSTRAINT "SubscriptionPause_bounds_check" CHECK ("endsAt" > "startsAt");
