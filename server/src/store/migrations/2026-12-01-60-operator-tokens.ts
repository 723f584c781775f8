import type { Kysely } from 'kysely';

/**
 * Operator tokens (`threadline-server token create NAME --operator`): a token that also sees the
 * figures of every user in `system.operatorStatus`. On the token, not the user, so an operator
 * keeps an everyday token without those rights, and revoking one token takes them away. 0/1.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('operator', 'integer', (column) => column.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('tokens').dropColumn('operator').execute();
}
