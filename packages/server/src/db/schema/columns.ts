/** Column helpers shared by the schema files, so every table spells ids and times the same way. */
import { randomUUID } from 'node:crypto';
import { text, timestamp } from 'drizzle-orm/pg-core';

/** Text primary keys (UUIDs made by the server): an agent id arrives as an untrusted string, and a
 * text column can be compared with any string without a cast error. */
export const idColumn = () =>
  text('id')
    .primaryKey()
    .$defaultFn(() => randomUUID());

export const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const createdAtColumn = () => timestampColumn('created_at').notNull().defaultNow();
