import { z } from 'zod';
import { Id } from './ids.js';
import { MessagePart, MessageStatus, Rating, Role, Usage } from './message.js';
import { AgentName, BusyPolicy, isStorableText, Metadata, ModelId, SessionIdInput, storableTextMessage, Title } from './session.js';

/** The version of the JSON export this server writes and reads. */
export const SESSION_EXPORT_VERSION = 1;

/** Most messages one import may hold. */
export const importMessageLimit = 20_000;

const Timestamp = z.iso.datetime({ offset: true });
const StoredText = (max: number) => z.string().max(max).refine(isStorableText, storableTextMessage);

/** One message of an export: every stored field but its run and session ids. */
export const ExportedMessage = z.object({
  /** Its id in the export (a new one is given on import); `parentId` refers to these. */
  id: Id,
  /** The message it follows: an earlier message of the export, or null for a first message. */
  parentId: Id.nullable(),
  role: Role,
  content: StoredText(2_000_000),
  parts: z.array(MessagePart).max(10_000),
  agent: z.string().max(64).nullable(),
  model: z.string().max(200).nullable(),
  usage: Usage.nullable(),
  status: MessageStatus.exclude(['waiting']),
  createdAt: Timestamp,
  suggestions: z.array(StoredText(1_000)).max(10).optional(),
  rating: Rating.nullable(),
  ratingComment: StoredText(2_000).nullable(),
  ratedAt: Timestamp.nullable(),
});
export type ExportedMessage = z.infer<typeof ExportedMessage>;

/**
 * A session as `sessions.export` writes it in JSON and `sessions.import` reads it: lossless (every
 * branch, with parts, tool calls and results, approvals, usage, times and ratings), plain JSON
 * (times as ISO 8601 strings), versioned. Runs (the records of how answers were produced) are not
 * part of it.
 */
export const SessionExport = z.object({
  format: z.literal('threadline.session'),
  version: z.literal(SESSION_EXPORT_VERSION),
  exportedAt: Timestamp,
  session: z.object({
    title: Title.nullable(),
    agent: AgentName,
    model: ModelId.nullable(),
    metadata: Metadata,
    archived: z.boolean(),
    busyPolicy: BusyPolicy,
    allowedTools: z.array(z.string().min(1).max(100)).max(200),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lastMessageAt: Timestamp.nullable(),
  }),
  /** The last message of the branch shown; null when there are no messages. */
  activeLeafId: Id.nullable(),
  /** Oldest first: every parent before its children. */
  messages: z.array(ExportedMessage).max(importMessageLimit),
});
export type SessionExport = z.infer<typeof SessionExport>;

export const SessionExportFormat = z.enum(['json', 'markdown']);
export type SessionExportFormat = z.infer<typeof SessionExportFormat>;

export const SessionExportInput = SessionIdInput.extend({ format: SessionExportFormat.optional() });
export type SessionExportInput = z.infer<typeof SessionExportInput>;

/** The export as a file: its text (JSON, or Markdown of the branch shown) and a name to save it under. */
export const SessionExportOutput = z.object({ format: SessionExportFormat, filename: z.string(), content: z.string() });
export type SessionExportOutput = z.infer<typeof SessionExportOutput>;

/** `sessions.import`: a JSON export (parsed), stored as a new session of the caller's, under new ids. */
export const SessionImportInput = z.strictObject({ data: SessionExport });
export type SessionImportInput = z.infer<typeof SessionImportInput>;
