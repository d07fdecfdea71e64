import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'

// Guards on the schema as a whole, so that a new table cannot quietly break the conventions.
t.test('every foreign key is the leading part of an index', async (t) => {
  const { app } = await build(t)
  const { rows } = await sql<{ table: string; constraint: string }>`
    select c.conrelid::regclass::text as table, c.conname as constraint
    from pg_constraint c
    where c.contype = 'f'
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.conrelid
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey
      )`.execute(app.db)
  t.same(rows, [], 'foreign keys without an index')
})

t.test('snake_case names and timestamptz timestamps', async (t) => {
  const { app } = await build(t)
  const { rows } = await sql<{ table: string; column: string; type: string }>`
    select table_name as table, column_name as column, data_type as type
    from information_schema.columns
    where table_schema = 'public' and table_name not like 'kysely_%'`.execute(app.db)
  t.ok(rows.length > 20)
  t.same(
    rows.filter((r) => !/^[a-z][a-z0-9_]*$/.test(r.table) || !/^[a-z][a-z0-9_]*$/.test(r.column)),
    [],
    'not snake_case'
  )
  t.same(
    rows.filter((r) => r.type.startsWith('timestamp') && r.type !== 'timestamp with time zone'),
    [],
    'timestamps without time zone'
  )
})
