-- a delivery being sent is claimed until this time (a worker that crashes mid-send lets it
-- go then); the claims count each workspace's deliveries in flight
alter table deliveries add column claimed_until integer;
create index deliveries_claimed on deliveries (claimed_until) where claimed_until is not null;
-- each webhook's earliest due delivery, which a claim looks at
create index deliveries_webhook_due on deliveries (webhook_id, state, next_attempt_at, id);
