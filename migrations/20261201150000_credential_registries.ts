import { sql, type Kysely } from 'kysely'

// A credential is bound to the registry hosts it is for and is sent nowhere else. Existing
// credentials are bound to the hosts a check proved they work with: the registries of versions that
// were found pullable (they have a digest) and pull with the credential, their own or their image's.
// Hosts of versions that never passed a check are left out, since a version naming a foreign host to
// receive the credential is exactly what this closes; so is a single-label host such as "harbor",
// which was in fact read as a Docker Hub namespace. A credential with no such version is left
// bound to nothing ('{}'): it is never sent until its owner sets its registries.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table registry_credentials add column registries text[] not null default '{}'`.execute(db)
  await sql`
    update registry_credentials c set registries = coalesce((
      select array_agg(distinct host order by host)
      from (
        select case when lower(v.registry) in ('', 'index.docker.io', 'registry-1.docker.io') then 'docker.io' else lower(v.registry) end as host
        from image_versions v
        join images i on i.id = v.image_id
        where v.digest is not null and (v.credential_id = c.id or (v.credential_id is null and i.credential_id = c.id))
      ) used
      where strpos(host, '.') > 0 or strpos(host, ':') > 0 or host = 'localhost'
    ), '{}')`.execute(db)
  // Every new credential names its hosts.
  await sql`alter table registry_credentials alter column registries drop default`.execute(db)
  await sql`comment on column registry_credentials.registries is 'Registry hosts (host[:port], docker.io for Docker Hub) the credential may be sent to; empty = bound to nothing, never sent'`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table registry_credentials drop column registries`.execute(db)
}
