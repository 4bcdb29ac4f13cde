/**
 * `attachment` with a file's name (the last part of a path): plain ASCII in `filename` (other characters,
 * quotes and backslashes as '_') and the exact name in `filename*` (RFC 6266), so no name can break the header.
 */
export function attachmentOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
