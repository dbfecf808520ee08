/**
 * A tag may no longer contain `,` `;` or `|` (the CSV tag separators: the export joins a
 * client's tags with `|`, the import splits a cell on all three). Tags stored before that
 * rule are split the way an import of the export would read them, so every stored tag
 * follows the rule and export → import gives the same tags: pieces trimmed, empty pieces
 * dropped, duplicates dropped (first kept), order kept.
 */
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
	await knex.raw(`
		UPDATE clients c SET
			tags = coalesce((
				SELECT array_agg(p.t ORDER BY p.first)
				FROM (
					SELECT btrim(s.piece) AS t, min(u.n * 100000 + s.m) AS first
					FROM unnest(c.tags) WITH ORDINALITY AS u(tag, n),
						regexp_split_to_table(u.tag, '[,;|]') WITH ORDINALITY AS s(piece, m)
					WHERE btrim(s.piece) <> ''
					GROUP BY btrim(s.piece)
				) p
			), '{}'),
			updated_at = date_trunc('milliseconds', now())
		WHERE EXISTS (SELECT 1 FROM unnest(c.tags) AS x(tag) WHERE x.tag ~ '[,;|]')
	`);
}

export async function down(): Promise<void> {
	// Splitting is not reversible (which tags were one is not recorded); nothing to undo.
}
