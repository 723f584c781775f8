import { useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import type { RouterInputs, RouterOutputs, Session } from '@threadline/client';
import { useCallback } from 'react';
import { useTRPC } from './context.js';

type ListInput = RouterInputs['sessions']['list'];
type SessionPage = RouterOutputs['sessions']['list'];

/** Options of useSessions: which sessions to list (sessions.list's input). */
export type UseSessionsOptions = NonNullable<ListInput>;

/** The user's sessions and what can be done with them. Mutations never reject: a failure is in `error`. */
export interface UseSessionsResult {
  /** The listed sessions, newest activity first (empty while loading). */
  sessions: Session[];
  /** More sessions than `limit` exist (pass `cursor` to list them). */
  nextCursor: string | null;
  isLoading: boolean;
  /** Why listing, or the last create, rename, archive or delete, failed; null when nothing failed. */
  error: Error | null;
  /** Creates a session (untitled unless `title` is given: the server then names it after its first exchange). */
  create(input?: RouterInputs['sessions']['create']): Promise<Session | undefined>;
  /** Renames a session (null removes the title); the list shows the new title at once. */
  rename(sessionId: string, title: string | null): Promise<Session | undefined>;
  /** Archives a session; it leaves the list of active sessions at once. */
  archive(sessionId: string): Promise<Session | undefined>;
  /** Takes a session out of the archive. */
  unarchive(sessionId: string): Promise<Session | undefined>;
  /** Deletes a session and its messages; it leaves every list at once. */
  remove(sessionId: string): Promise<boolean>;
  /** A create, rename, archive or delete is on its way. */
  isMutating: boolean;
}

/**
 * Lists the user's sessions (`sessions.list`) and creates, renames, archives and deletes them. Rename,
 * archive and delete are optimistic: every cached list changes at once and is put back if the
 * server refuses; afterwards the lists are fetched again. A created session joins the cached lists
 * as soon as the server answers.
 */
export function useSessions(options: UseSessionsOptions = {}): UseSessionsResult {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.sessions.list.queryOptions(options));
  const listFilter = trpc.sessions.list.pathFilter();

  /** Changes every cached list (`change` sees each list's input); returns what to put back. */
  const changeLists = async (change: (page: SessionPage, input: ListInput) => SessionPage) => {
    await queryClient.cancelQueries(listFilter);
    const snapshot = queryClient.getQueriesData<SessionPage>(listFilter);
    for (const [key, page] of snapshot) if (page) queryClient.setQueryData(key, change(page, inputOf(key)));
    return snapshot;
  };
  const changeSession = (sessionId: string, change: Partial<Session>) => {
    const key = trpc.sessions.get.queryKey({ sessionId });
    const before = queryClient.getQueryData<Session>(key);
    if (before) queryClient.setQueryData(key, { ...before, ...change });
    return [[key, before]] as [QueryKey, unknown][];
  };
  const restore = (snapshot: [QueryKey, unknown][] | undefined) => {
    for (const [key, data] of snapshot ?? []) queryClient.setQueryData(key, data);
  };
  const settle = () => queryClient.invalidateQueries(listFilter);
  const optimistic = { onError: (_error: unknown, _input: unknown, snapshot: [QueryKey, unknown][] | undefined) => restore(snapshot), onSettled: settle };
  const without = (page: SessionPage, sessionId: string) => ({ ...page, items: page.items.filter((session) => session.id !== sessionId) });

  const create = useMutation(
    trpc.sessions.create.mutationOptions({
      onSuccess: async (session) => {
        await changeLists((page, input) => (!input?.archived && !input?.query && !input?.cursor ? { ...page, items: [session, ...page.items] } : page));
        void settle();
      },
    }),
  );
  const rename = useMutation(
    trpc.sessions.update.mutationOptions({
      onMutate: async ({ sessionId, title }) => {
        const change = { title: title ?? null };
        const lists = await changeLists((page) => ({ ...page, items: page.items.map((session) => (session.id === sessionId ? { ...session, ...change } : session)) }));
        return [...lists, ...changeSession(sessionId, change)];
      },
      ...optimistic,
    }),
  );
  const archive = useMutation(
    trpc.sessions.archive.mutationOptions({
      onMutate: async ({ sessionId }) => [
        ...(await changeLists((page, input) => (input?.archived ? page : without(page, sessionId)))),
        ...changeSession(sessionId, { archived: true }),
      ],
      ...optimistic,
    }),
  );
  const unarchive = useMutation(
    trpc.sessions.unarchive.mutationOptions({
      onMutate: async ({ sessionId }) => [
        ...(await changeLists((page, input) => (input?.archived ? without(page, sessionId) : page))),
        ...changeSession(sessionId, { archived: false }),
      ],
      ...optimistic,
    }),
  );
  const remove = useMutation(
    trpc.sessions.delete.mutationOptions({
      onMutate: ({ sessionId }) => changeLists((page) => without(page, sessionId)),
      onSuccess: (_output, { sessionId }) => queryClient.removeQueries({ queryKey: trpc.sessions.get.queryKey({ sessionId }) }),
      ...optimistic,
    }),
  );

  const mutations = [create, rename, archive, unarchive, remove];
  // The error of the mutation that failed last (each keeps its own until it runs again).
  const failed = mutations.filter((mutation) => mutation.error).sort((a, b) => a.submittedAt - b.submittedAt);
  const error = (list.error ?? failed.at(-1)?.error ?? null) as Error | null;

  const { mutateAsync: createAsync } = create;
  const { mutateAsync: renameAsync } = rename;
  const { mutateAsync: archiveAsync } = archive;
  const { mutateAsync: unarchiveAsync } = unarchive;
  const { mutateAsync: removeAsync } = remove;
  return {
    sessions: list.data?.items ?? [],
    nextCursor: list.data?.nextCursor ?? null,
    isLoading: list.isPending,
    error,
    create: useCallback((input = {}) => createAsync(input).catch(() => undefined), [createAsync]),
    rename: useCallback((sessionId, title) => renameAsync({ sessionId, title }).catch(() => undefined), [renameAsync]),
    archive: useCallback((sessionId) => archiveAsync({ sessionId }).catch(() => undefined), [archiveAsync]),
    unarchive: useCallback((sessionId) => unarchiveAsync({ sessionId }).catch(() => undefined), [unarchiveAsync]),
    remove: useCallback((sessionId) => removeAsync({ sessionId }).then(() => true, () => false), [removeAsync]),
    isMutating: mutations.some((mutation) => mutation.isPending),
  };
}

/** The input of a cached sessions.list query, from its key (`[path, { input, type }]`). */
function inputOf(key: QueryKey): ListInput {
  return (key[1] as { input?: ListInput } | undefined)?.input;
}
