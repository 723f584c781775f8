import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * This instance's id: THREADLINE_INSTANCE_ID when set, else the one kept in
 * `<dataDir>/instance-id` (made on first start), so a restarted instance recognises its own runs.
 */
export async function instanceIdFor(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured) return configured;
  const path = join(dataDir, 'instance-id');
  try {
    const stored = (await readFile(path, 'utf8')).trim();
    if (stored) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomUUID();
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${id}\n`, { mode: 0o600 });
  return id;
}
