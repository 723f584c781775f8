import type { Kysely } from 'kysely';
import { SESSION_EXPORT_VERSION, type ExportedMessage, type Message, type Session, type SessionExport } from '@threadline/shared';
import { invalid } from '../errors.js';
import { newId } from '../ids.js';
import type { Database } from './database.js';
import { allMessages, messageRow } from './messages.js';
import { findSession } from './sessions.js';

/** Rows per insert statement: well under either database's limit of bound values. */
const CHUNK = 500;

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

function exportedMessage(message: Message): ExportedMessage {
  return {
    id: message.id,
    parentId: message.parentId ?? null,
    role: message.role,
    content: message.content,
    parts: message.parts,
    agent: message.agent,
    model: message.model,
    usage: message.usage,
    status: message.status === 'waiting' ? 'interrupted' : message.status,
    createdAt: message.createdAt.toISOString(),
    ...(message.suggestions ? { suggestions: message.suggestions } : {}),
    rating: message.rating ?? null,
    ratingComment: message.ratingComment ?? null,
    ratedAt: iso(message.ratedAt),
  };
}

/**
 * The user's session, whole (every branch), as `sessions.export` writes it; undefined when the user
 * has no such session (another user's looks missing). `shown`: the session's active branch.
 */
export async function exportSession(db: Kysely<Database>, userId: string, sessionId: string, now = new Date()): Promise<{ data: SessionExport; session: Session; shown: Message[] } | undefined> {
  const session = await findSession(db, userId, sessionId);
  if (!session) return undefined;
  const messages = await allMessages(db, sessionId);
  const activeIds = new Set((await db.selectFrom('messages').select('id').where('session_id', '=', sessionId).where('active', '=', 1).execute()).map((row) => row.id));
  const shown = messages.filter((message) => activeIds.has(message.id));
  const data: SessionExport = {
    format: 'threadline.session',
    version: SESSION_EXPORT_VERSION,
    exportedAt: now.toISOString(),
    session: {
      title: session.title,
      agent: session.agent,
      model: session.model,
      metadata: session.metadata,
      archived: session.archived,
      busyPolicy: session.busyPolicy,
      allowedTools: session.allowedTools,
      createdAt: session.createdAt.toISOString(),
      updatedAt: session.updatedAt.toISOString(),
      lastMessageAt: iso(session.lastMessageAt),
    },
    activeLeafId: shown.at(-1)?.id ?? null,
    messages: messages.map(exportedMessage),
  };
  return { data, session, shown };
}

/**
 * What the schema cannot say about an export: ids are unique, each parent is an earlier message,
 * the active leaf is one of them. Throws a BAD_REQUEST naming the first problem.
 */
function checkReferences(data: SessionExport): void {
  const seen = new Set<string>();
  for (const [index, message] of data.messages.entries()) {
    if (seen.has(message.id)) throw invalid(`messages[${index}].id: ${message.id} appears twice`);
    if (message.parentId !== null && !seen.has(message.parentId)) throw invalid(`messages[${index}].parentId: ${message.parentId} is not an earlier message of the export (a parent comes before its children)`);
    seen.add(message.id);
  }
  if (data.activeLeafId !== null && !seen.has(data.activeLeafId)) throw invalid(`activeLeafId: ${data.activeLeafId} is not a message of the export`);
}

/**
 * Stores an export as a new session of the user's, in one transaction (nothing of a failed import
 * is kept), under new ids given in the export's order (so a message stays newer than its parent).
 * `agent` and `model`: what the session gets (the caller checks the export's against what this
 * server has). Resolves to the new session.
 */
export async function importSession(db: Kysely<Database>, userId: string, data: SessionExport, choice: { agent: string; model: string | null }): Promise<Session> {
  checkReferences(data);
  const ids = new Map<string, string>();
  for (const message of data.messages) ids.set(message.id, newId());
  // The branch shown: the active leaf and its ancestors.
  const parents = new Map(data.messages.map((message) => [message.id, message.parentId]));
  const active = new Set<string>();
  for (let id = data.activeLeafId; id !== null; id = parents.get(id) ?? null) active.add(id);
  const { session } = data;
  const sessionId = newId();
  const created = Date.parse(session.createdAt);
  const lastMessageAt = session.lastMessageAt === null ? null : Date.parse(session.lastMessageAt);
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: userId,
        title: session.title,
        agent: choice.agent,
        model: choice.model,
        metadata: JSON.stringify(session.metadata),
        archived: session.archived ? 1 : 0,
        created_at: created,
        updated_at: Date.parse(session.updatedAt),
        last_message_at: lastMessageAt,
        activity_at: lastMessageAt ?? created,
        message_count: data.messages.length,
        busy_policy: session.busyPolicy,
        allowed_tools: JSON.stringify(session.allowedTools),
      })
      .execute();
    const rows = data.messages.map((message) => {
      const stored: Message & { sessionId: string } = {
        id: ids.get(message.id)!,
        sessionId,
        runId: null,
        role: message.role,
        content: message.content,
        parts: message.parts,
        agent: message.agent,
        model: message.model,
        usage: message.usage,
        status: message.status,
        createdAt: new Date(message.createdAt),
        ...(message.suggestions ? { suggestions: message.suggestions } : {}),
        parentId: message.parentId === null ? null : ids.get(message.parentId)!,
        rating: message.rating,
        ratingComment: message.ratingComment,
        ratedAt: message.ratedAt === null ? null : new Date(message.ratedAt),
      };
      return messageRow(stored, userId, active.has(message.id));
    });
    for (let start = 0; start < rows.length; start += CHUNK) await trx.insertInto('messages').values(rows.slice(start, start + CHUNK)).execute();
    return (await findSession(trx, userId, sessionId))!;
  });
}
