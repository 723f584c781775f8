import { createHash } from 'node:crypto';
import type { Session } from '@threadline/shared';
import { DEFAULT_AGENT } from '../../agents/registry.js';
import type { Services } from '../../services.js';
import { createSession, findSession } from '../../store/sessions.js';
import { HttpError } from '../http-io.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Chat ids longer than this are refused (useChat's own are 16 characters). */
const MAX_CHAT_ID = 200;

/**
 * The session id a chat id names for a user. The id of one of the user's sessions names that
 * session; any other chat id (useChat's generated ones, a new UUID, another user's session id)
 * names a session of this user's own whose id is derived from the user and the chat id (a
 * UUIDv8 of their SHA-256). So a new id creates a session on first use and finds it again after,
 * two users' chats never meet, and another user's session id behaves exactly like an unknown one.
 */
export async function sessionIdOfChat(services: Services, userId: string, chatId: string): Promise<string> {
  if (!chatId || chatId.length > MAX_CHAT_ID) throw new HttpError(400, 'invalid', `a chat id is 1 to ${MAX_CHAT_ID} characters`, undefined, 'id');
  if (UUID.test(chatId) && (await findSession(services.db, userId, chatId.toLowerCase()))) return chatId.toLowerCase();
  return derivedSessionId(userId, chatId);
}

/** A UUIDv8 from the user and the chat id. */
export function derivedSessionId(userId: string, chatId: string): string {
  const bytes = createHash('sha256').update(`threadline-chat\n${userId}\n${chatId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The user's session for the chat, created (untitled: its first exchange names it) when it does not exist yet. */
export async function chatSession(services: Services, userId: string, chatId: string, agent: string | undefined): Promise<Session> {
  const sessionId = await sessionIdOfChat(services, userId, chatId);
  const found = await findSession(services.db, userId, sessionId);
  if (found) return found;
  const name = agent ?? DEFAULT_AGENT;
  services.agents.get(name);
  try {
    return await createSession(services.db, { id: sessionId, userId, agent: name });
  } catch (error) {
    // Two first requests of one chat at once: the other created it.
    const created = await findSession(services.db, userId, sessionId);
    if (created) return created;
    throw error;
  }
}
