-- Payments (issue 5): charging a subscription renewal with the saved card or SEPA mandate is
-- due work of its own, done outside the renewal's transaction (it calls Stripe).
ALTER TYPE "DueJobKind" ADD VALUE 'RENEWAL_CHARGE';

-- An online payment its order no longer needed (paid meanwhile, or cancelled) is refunded by a job.
ALTER TYPE "DueJobKind" ADD VALUE 'EXCESS_REFUND';
