/**
 * The row of a raw SQL statement, typed from the schema's row type: the
 * driver answers with the columns' SQL (snake_case) names, a timestamp as
 * text or Date and a bigint as text or number, depending on the driver (pg
 * or PGlite).
 */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Uppercase<Head> ? (Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`) : Head}${SnakeCase<Tail>}`
  : S;

type Driven<T> = T extends Date ? string | Date : T extends number ? number | string : T;

export type RawRow<Row> = { [K in keyof Row & string as SnakeCase<K>]: Driven<Row[K]> };
