/** A LIKE pattern (with `escape '\'`) matching text that contains `text`, its %, _ and \ taken literally. */
export function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
