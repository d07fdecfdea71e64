import { sql, type Kysely } from 'kysely'

// Events that concern no image (a webhook subscription disabled after failing) have no image id
// or code; their owner project says who may see them.
//
// The outbox tells the world (catalog feed, webhooks), so each event carries what a consumer needs
// without the rows it came from, which may be gone by the time it is read: the owner project (who
// may see it), and for version events the tag, the pinned reference and the platforms at the time.
//
// Webhooks: a subscription per URL; a delivery per (subscription, event), made by the dispatcher
// as it reads the outbox past its cursor; every attempt logged. Deliveries are leased like check
// jobs (locked_by, locked_until), so exactly one replica makes each attempt.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Events of a webhook subscription (webhook.disabled) concern no image.
  await sql`alter table image_events alter column image_id drop not null, alter column image_code drop not null`.execute(db)
  await sql`alter table image_events add column owner_project text, add column tag text, add column pinned_reference text, add column platforms jsonb`.execute(
    db
  )
  await sql`update image_events e set owner_project = i.owner_project from images i where i.id = e.image_id`.execute(db)
  await sql`update image_events e
    set tag = v.tag, platforms = v.platforms,
        pinned_reference = case when e.digest is null then null else v.registry || '/' || v.repository || '@' || e.digest end
    from image_versions v where v.id = e.version_id`.execute(db)
  // The catalog feed filters by type and time and pages by id.
  await sql`create index image_events_action_id_idx on image_events (action, id)`.execute(db)
  await sql`create index image_events_image_code_id_idx on image_events (image_code, id)`.execute(db)

  await sql`create table webhook_subscriptions (
    id uuid primary key default gen_random_uuid(),
    url text not null,
    event_types text[] not null,
    image_codes text[],
    project text,
    description text,
    secret_ciphertext bytea not null,
    secret_key_id text not null,
    previous_secret_ciphertext bytea,
    previous_secret_key_id text,
    previous_secret_expires_at timestamptz,
    status text not null default 'active' check (status in ('active', 'disabled')),
    disabled_reason text,
    disabled_at timestamptz,
    failing_since timestamptz,
    created_by text not null,
    created_by_token_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db)
  await sql`comment on column webhook_subscriptions.project is 'The project whose images it hears of; null = catalog-wide (admin only)'`.execute(
    db
  )
  await sql`create index webhook_subscriptions_project_idx on webhook_subscriptions (project)`.execute(db)

  await sql`create table webhook_deliveries (
    id bigserial primary key,
    subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
    event_id bigint not null,
    status text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    locked_by text,
    locked_until timestamptz,
    last_status_code integer,
    last_error text,
    last_duration_ms integer,
    last_attempt_at timestamptz,
    created_at timestamptz not null default now(),
    completed_at timestamptz,
    unique (subscription_id, event_id)
  )`.execute(db)
  await sql`comment on column webhook_deliveries.id is 'The message id: webhook-id msg_<id>, the same on every attempt'`.execute(db)
  await sql`create index webhook_deliveries_pending_idx on webhook_deliveries (subscription_id, event_id) where status = 'pending'`.execute(
    db
  )
  await sql`create index webhook_deliveries_completed_at_idx on webhook_deliveries (completed_at) where completed_at is not null`.execute(
    db
  )

  await sql`create table webhook_delivery_attempts (
    id bigserial primary key,
    delivery_id bigint not null references webhook_deliveries (id) on delete cascade,
    attempt integer not null,
    started_at timestamptz not null,
    duration_ms integer not null,
    status_code integer,
    error text,
    outcome text not null check (outcome in ('succeeded', 'retry', 'failed', 'gone', 'handed_back'))
  )`.execute(db)
  await sql`create index webhook_delivery_attempts_delivery_idx on webhook_delivery_attempts (delivery_id, id)`.execute(db)

  // One row: how far the dispatcher has read the outbox. Events before the first start of this
  // version are history, not news: subscriptions hear of what happens after they exist.
  await sql`create table webhook_dispatch_cursor (
    id smallint primary key check (id = 1),
    last_event_id bigint not null
  )`.execute(db)
  await sql`insert into webhook_dispatch_cursor (id, last_event_id) select 1, coalesce(max(id), 0) from image_events`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table webhook_dispatch_cursor, webhook_delivery_attempts, webhook_deliveries, webhook_subscriptions`.execute(db)
  await sql`drop index image_events_action_id_idx, image_events_image_code_id_idx`.execute(db)
  await sql`alter table image_events drop column owner_project, drop column tag, drop column pinned_reference, drop column platforms`.execute(
    db
  )
}
